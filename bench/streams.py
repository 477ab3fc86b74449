"""Benchmark: write-to-handler latency of DynamoDB stream event source mappings.

    python -m bench.streams [--writes 500] [--interval 0.01] [--only tables,runtime,moto]

A writer thread puts items with boto3 at a steady pace; sockgate's EventSourceMappings polls
the table's stream (with its default poll settings) and invokes the handler. Latency runs from
the moment put_item is called to the moment the handler starts on the record. Rows:

- tables:  the sockgate table service, handler called in-process (the poller's own latency);
- runtime: the sockgate table service, handler in a Lambda worker process (the real path);
- moto:    moto's server as the stream endpoint (the peer; moto is a mock, not a target).

The issue's target is p50 <= 20 ms and p99 <= 100 ms on the table service; AWS polls each
shard about four times a second (about 125 ms on average before a record is even seen).
Not a test: nothing here asserts, and timings depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import boto3

from sockgate.invocation import InvocationResult
from sockgate.service.model import Function, Service, StreamEvent
from sockgate.streams import EventSourceMappings
from sockgate.testing.tables import moto_server, table_service

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
HANDLER = """
import time

def handle(event, context):
    now = time.time()
    return {r["dynamodb"]["Keys"]["pk"]["S"]: now for r in event["Records"]}
"""


def make_table(endpoint: str) -> tuple[Any, str, str]:
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION, **CREDENTIALS)
    name = f"bench-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    arn = client.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    return client, name, arn


async def measure(
    endpoint: str, writes: int, interval: float, in_workers: bool
) -> tuple[list[float], list[float]]:
    """Milliseconds from put_item's call, and from its answer, to the handler; one per write."""
    client, name, arn = make_table(endpoint)
    directory = Path(tempfile.mkdtemp(prefix="bench-streams-"))
    (directory / "handler.py").write_text(textwrap.dedent(HANDLER))
    function = Function(key="handle", name="bench-handle", handler="handler.handle",
                        runtime="python3.11")  # fmt: skip
    service = Service(
        name="bench",
        directory=directory,
        config_file=directory / "serverless.yml",
        stage="dev",
        region=REGION,
        functions={"handle": function},
        streams=(StreamEvent(function="handle", arn=arn, batch_size=100),),
    )
    written: dict[str, float] = {}
    acknowledged: dict[str, float] = {}
    arrived: dict[str, float] = {}
    done = asyncio.Event()
    runtime = None
    if in_workers:
        from sockgate.lambdas import Runtime

        runtime = Runtime(service, prewarm=True)
        await runtime.start()

    async def invoke(key: str, event: dict[str, Any]) -> InvocationResult:
        if runtime is not None:
            result = await runtime.invoke(key, event)
            arrived.update(result.payload or {})
        else:
            now = time.time()
            for record in event["Records"]:
                arrived[record["dynamodb"]["Keys"]["pk"]["S"]] = now
            result = InvocationResult(request_id=str(uuid.uuid4()))
        if len(arrived) >= writes:
            done.set()
        return result

    def writer() -> None:
        start = time.monotonic()
        for i in range(writes):
            key = f"k{i:05d}"
            written[key] = time.time()
            client.put_item(TableName=name, Item={"pk": {"S": key}})
            acknowledged[key] = time.time()
            # Steady pace: the next write at its slot, not after a fixed sleep.
            time.sleep(max(0.0, start + (i + 1) * interval - time.monotonic()))

    mappings = EventSourceMappings(
        service, invoke, endpoint_url=endpoint, region=REGION,
        state_dir=directory / "state", resolve_arn=lambda value, path: value,
        log=lambda line: None,
    )  # fmt: skip
    await mappings.start()
    try:
        thread = threading.Thread(target=writer)
        thread.start()
        await asyncio.wait_for(done.wait(), timeout=writes * interval + 60)
        thread.join()
    finally:
        await mappings.close()
        if runtime is not None:
            await runtime.close()
    return (
        [(arrived[key] - written[key]) * 1000 for key in written],
        [(arrived[key] - acknowledged[key]) * 1000 for key in written],
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=500)
    parser.add_argument("--interval", type=float, default=0.01, help="seconds between writes")
    parser.add_argument("--only", default="tables,runtime,moto")
    args = parser.parse_args()
    rows: list[tuple[str, list[float]]] = []
    acked_rows: list[tuple[str, list[float]]] = []
    wanted = args.only.split(",")
    with contextlib.ExitStack() as stack:
        if {"tables", "runtime"} & set(wanted):
            tables = stack.enter_context(table_service())
        for name in wanted:
            if name == "moto":
                endpoint = stack.enter_context(moto_server())
            else:
                endpoint = tables
            from_call, from_ack = asyncio.run(
                measure(endpoint, args.writes, args.interval, in_workers=name == "runtime")
            )
            rows.append((name, from_call))
            acked_rows.append((name, from_ack))
    print(f"\nwrite-to-handler latency, {args.writes} writes every {args.interval * 1000:g} ms")
    for title, table in (("from put_item called", rows), ("from put_item answered", acked_rows)):
        print(f"\n{title:<24} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'mean':>8}")
        for name, values in table:
            print(
                f"{name:<24} {statistics.median(values):8.1f} {percentile(values, 0.9):8.1f} "
                f"{percentile(values, 0.99):8.1f} {max(values):8.1f} "
                f"{statistics.fmean(values):8.1f}"
            )
    print()
    base = dict(rows).get("tables")
    if base and "moto" in dict(rows):
        ratio = statistics.median(dict(rows)["moto"]) / statistics.median(base)
        print(f"p50 ratio moto / tables: {ratio:.1f}x")
    print("target (issue 4): p50 <= 20 ms, p99 <= 100 ms on the table service")
    return 0


if __name__ == "__main__":
    sys.exit(main())
