"""Benchmark: sockgate's table service (on disk) against moto's server and dynalite.

    python bench/tables.py [--seconds 2] [--only sockgate,moto,dynalite]

Runs one workload against each server (each in its own process, on 127.0.0.1, port 0):
PutItem/s, GetItem/s, BatchWriteItem items/s, Query of a 500-item partition, begins_with
Query, GSI Query, Scan of 10k items, and put-to-GetRecords latency, with a raw keep-alive
HTTP client and with boto3, plus PutItem/s from 8 raw clients at once (the service commits
concurrent writes together), then prints a table with ratios. dynalite runs when
`npm install dynalite` was done in bench/ (it has no streams); it is skipped otherwise.
Not a test: nothing here asserts, and timings depend on the machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

HERE = Path(__file__).resolve().parent
AUTH = (
    "AWS4-HMAC-SHA256 Credential=bench/20240101/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host;x-amz-date;x-amz-target, Signature=" + "0" * 64
)
PAYLOAD = "x" * 150  # items are about 200 bytes


class Server:
    """A server process and the URL it announced."""

    def __init__(self, name: str, command: list[str], pattern: str, cwd: Path | None = None):
        self.name = name
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            match = re.search(pattern, line)
            if match:
                self.url = f"http://127.0.0.1:{match.group(1)}"
                # Keep reading its log (moto logs every request): a full pipe would stall it.
                threading.Thread(target=self.process.stdout.read, daemon=True).start()
                return
        self.process.kill()
        raise RuntimeError(f"{name} did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def server_commands(only: set[str], data: Path) -> list[tuple[str, list[str], str]]:
    """(name, command, pattern of the line announcing the port) of each server to run."""
    commands = []
    if "sockgate" in only:
        commands.append(
            (
                "sockgate",
                [sys.executable, "-m", "sockgate.tables", "--port", "0", "--data", str(data)],
                r"listening on http://127\.0\.0\.1:(\d+)",
            )
        )
    if "moto" in only:
        commands.append(
            (
                "moto",
                [sys.executable, "-m", "moto.server", "-p", "0"],
                r"Running on http://127\.0\.0\.1:(\d+)",
            )
        )
    dynalite = HERE / "node_modules" / "dynalite"
    if "dynalite" in only and dynalite.exists() and shutil.which("node"):
        script = (
            f"const s=require({json.dumps(str(dynalite))})({{createTableMs:0,deleteTableMs:0,"
            "updateTableMs:0});s.listen(0,'127.0.0.1',()=>console.log('PORT '+s.address().port))"
        )
        commands.append(("dynalite", ["node", "-e", script], r"PORT (\d+)"))
    elif "dynalite" in only:
        print("dynalite not installed (cd bench && npm install dynalite): skipped")
    return commands


# The raw client should cost as little as possible so that its rows measure the servers: on a
# 10k-item Scan, json.loads of the two ~1 MB pages took longer than sockgate's whole answer.
# orjson (the bench extra) decodes them about four times faster; the same client runs against
# every server.
try:
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - without the bench extra
    _loads = json.loads


class Raw:
    """A keep-alive HTTP client speaking the JSON protocol without an SDK."""

    def __init__(self, url: str) -> None:
        host, port = url.rsplit("//", 1)[1].split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)

    def __call__(self, op: str, body: dict[str, Any], prefix: str = "DynamoDB_20120810") -> Any:
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"{prefix}.{op}",
            "Authorization": AUTH,
            "X-Amz-Date": "20240101T000000Z",
        }
        data = json.dumps(body)
        try:
            self.conn.request("POST", "/", data, headers)
            response = self.conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # Servers close idle keep-alive connections (node after 5 s): reconnect once.
            self.conn.close()
            self.conn.request("POST", "/", data, headers)
            response = self.conn.getresponse()
        data = _loads(response.read())
        if response.status != 200:
            raise RuntimeError(f"{op}: {data}")
        return data


def boto(url: str, service: str = "dynamodb") -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"max_attempts": 0}),
    )


def rate(seconds: float, fn: Callable[[int], int], most: int) -> float:
    """Operations per second of fn(i) (returns units done) over at most `seconds`."""
    done, i, start = 0, 0, time.perf_counter()
    while i < most and (time.perf_counter() - start < seconds or i == 0):
        done += fn(i)
        i += 1
    return done / (time.perf_counter() - start)


def one(_: Any) -> int:
    """Count one operation whatever it answered."""
    return 1


def item(pk: str, sk: str, i: int) -> dict[str, Any]:
    return {
        "pk": {"S": pk},
        "sk": {"S": sk},
        "g": {"S": f"g{pk}"},
        "n": {"N": str(i)},
        "payload": {"S": PAYLOAD},
    }


def setup(call: Any) -> None:
    """Tables 'bench' (GSI on g, stream; a 500-item partition) and 'scan10k' (10k items)."""
    for name, stream in (("bench", True), ("scan10k", False)):
        spec: dict[str, Any] = {
            "TableName": name,
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "AttributeDefinitions": [
                {"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "g")
            ],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "by-g",
                    "Projection": {"ProjectionType": "ALL"},
                    "KeySchema": [
                        {"AttributeName": "g", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                }
            ],
        }
        if stream:
            spec["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
        call("CreateTable", spec)
        while call("DescribeTable", {"TableName": name})["Table"]["TableStatus"] != "ACTIVE":
            time.sleep(0.05)
    load(call, "bench", [item("part", f"item#{i:04d}", i) for i in range(500)])
    load(call, "scan10k", [item(f"p{i % 100}", f"item#{i:05d}", i) for i in range(10_000)])


def load(call: Any, table: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": it}} for it in items[start : start + 25]]
        call("BatchWriteItem", {"RequestItems": {table: batch}})


def query_all(call: Any, body: dict[str, Any], op: str = "Query") -> int:
    """Run a Query/Scan to the end; returns the items read."""
    count, body = 0, dict(body)
    while True:
        page = call(op, body)
        count += page["Count"]
        if "LastEvaluatedKey" not in page:
            return count
        body["ExclusiveStartKey"] = page["LastEvaluatedKey"]


_counter = iter(range(10**9))


def rows(call: Any) -> list[tuple[str, Callable[[int], int], int]]:
    """(figure, fn(i) -> units done, most calls) of the workload for one client."""
    part = {
        "TableName": "bench",
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "part"}},
    }
    prefix = dict(
        part,
        KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
        ExpressionAttributeValues={":p": {"S": "part"}, ":s": {"S": "item#01"}},
    )
    gsi = {
        "TableName": "bench",
        "IndexName": "by-g",
        "KeyConditionExpression": "g = :g",
        "ExpressionAttributeValues": {":g": {"S": "gpart"}},
    }
    return [
        (
            "PutItem/s",
            lambda i: one(
                call(
                    "PutItem",
                    {"TableName": "bench", "Item": item("puts", f"{next(_counter):09d}", i)},
                )
            ),
            20_000,
        ),
        (
            "GetItem/s",
            lambda i: one(
                call(
                    "GetItem",
                    {
                        "TableName": "bench",
                        "Key": {"pk": {"S": "part"}, "sk": {"S": f"item#{i % 500:04d}"}},
                    },
                )
            ),
            20_000,
        ),
        (
            "BatchWriteItem items/s",
            lambda i: (
                load(call, "bench", [item("batch", f"{next(_counter):09d}", j) for j in range(25)])
                or 25
            ),
            2_000,
        ),
        ("Query 500 items/s", lambda i: one(query_all(call, part)), 5_000),
        ("begins_with Query (100 items) /s", lambda i: one(query_all(call, prefix)), 5_000),
        ("GSI Query 500 items/s", lambda i: one(query_all(call, gsi)), 5_000),
        (
            "Scan 10k items/s",
            lambda i: one(query_all(call, {"TableName": "scan10k"}, "Scan")),
            1_000,
        ),
    ]


CONCURRENT = 8


def concurrent_puts(url: str, seconds: float) -> float:
    """PutItem/s with CONCURRENT raw clients writing at once, each on its own connection."""
    calls = [Raw(url) for _ in range(CONCURRENT)]
    done = [0] * CONCURRENT
    stop = time.perf_counter() + seconds

    def client(n: int) -> None:
        while time.perf_counter() < stop:
            key = f"{next(_counter):09d}"
            calls[n]("PutItem", {"TableName": "bench", "Item": item("many", key, n)})
            done[n] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CONCURRENT)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - start)


def stream_latency(call: Any, streams: Any) -> float:
    """Median ms from sending PutItem to the GetRecords that returns its record."""
    arn = call("DescribeTable", {"TableName": "bench"})["Table"]["LatestStreamArn"]
    shard = streams("DescribeStream", {"StreamArn": arn})["StreamDescription"]["Shards"][-1][
        "ShardId"
    ]
    samples = []
    for i in range(30):
        iterator = streams(
            "GetShardIterator", {"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "LATEST"}
        )["ShardIterator"]
        start = time.perf_counter()
        # A new key each time: a write that changes nothing leaves no record.
        call("PutItem", {"TableName": "bench", "Item": item("latency", f"{next(_counter):09d}", i)})
        while True:
            page = streams("GetRecords", {"ShardIterator": iterator})
            if page["Records"]:
                break
            iterator = page["NextShardIterator"]
            if time.perf_counter() - start > 5:
                return float("nan")
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


class BotoCall:
    """The same (op, body) interface over a boto3 client (so the workload is identical)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.names = {
            op: re.sub(r"(?<!^)(?=[A-Z])", "_", op).lower()
            for op in (
                "PutItem",
                "GetItem",
                "BatchWriteItem",
                "Query",
                "Scan",
                "CreateTable",
                "DescribeTable",
                "DescribeStream",
                "GetShardIterator",
                "GetRecords",
            )
        }

    def __call__(self, op: str, body: dict[str, Any], prefix: str = "") -> Any:
        return getattr(self.client, self.names[op])(**body)


def clients(server: Server) -> dict[str, tuple[Any, Any]]:
    """Per client kind: (dynamodb call, streams call or None) for one server."""
    raw = Raw(server.url)
    has_streams = server.name != "dynalite"
    raw_streams = (
        (lambda op, body: raw(op, body, "DynamoDBStreams_20120810")) if has_streams else None
    )
    boto_streams = BotoCall(boto(server.url, "dynamodbstreams")) if has_streams else None
    return {"raw": (raw, raw_streams), "boto3": (BotoCall(boto(server.url)), boto_streams)}


def measure(
    servers: list[Server], seconds: float, rounds: int
) -> dict[str, dict[str, dict[str, float]]]:
    """Every figure for every server, interleaved (servers take turns within each round, so
    load from elsewhere on the machine falls on all alike); the best round counts."""
    results: dict[str, dict[str, dict[str, float]]] = {
        s.name: {"raw": {}, "boto3": {}} for s in servers
    }
    callers = {s.name: clients(s) for s in servers}
    for kind in ("raw", "boto3"):
        names = [name for name, _, _ in rows(None)]
        for index, figure in enumerate(names):
            for _ in range(rounds):
                for server in servers:
                    call = callers[server.name][kind][0]
                    _, fn, most = rows(call)[index]
                    value = rate(seconds / rounds, fn, most)
                    best = results[server.name][kind].get(figure, 0.0)
                    results[server.name][kind][figure] = max(best, value)
            print(f"  {kind} {figure} done", flush=True)
        if kind == "raw":
            figure = f"PutItem/s, {CONCURRENT} clients at once"
            for _ in range(rounds):
                for server in servers:
                    value = concurrent_puts(server.url, seconds / rounds)
                    best = results[server.name][kind].get(figure, 0.0)
                    results[server.name][kind][figure] = max(best, value)
            print(f"  {kind} {figure} done", flush=True)
        for server in servers:
            call, streams = callers[server.name][kind]
            if streams is not None:
                results[server.name][kind]["put-to-GetRecords ms (median)"] = stream_latency(
                    call, streams
                )
    return results


def _figure(value: float) -> str:
    return f"{value:,.1f}" if value >= 10 else f"{value:.2f}"


def table(results: dict[str, dict[str, dict[str, float]]]) -> str:
    names = list(results)
    peers = [n for n in names if n != "sockgate"]
    header = ["client", "workload", *names] + [
        f"sockgate/{p}" for p in peers if "sockgate" in names
    ]
    rows = [header]
    for client in ("raw", "boto3"):
        for row in results[names[0]][client]:
            cells = [client, row]
            figures = {n: results[n][client].get(row) for n in names}
            cells += ["-" if figures[n] is None else _figure(figures[n]) for n in names]
            if "sockgate" in names:
                for peer in peers:
                    ours, theirs = figures["sockgate"], figures[peer]
                    if not ours or not theirs:
                        cells.append("-")
                    elif row.endswith("(median)"):
                        cells.append(f"{theirs / ours:,.1f}x faster")
                    else:
                        cells.append(f"{ours / theirs:,.1f}x")
            rows.append(cells)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per figure and server")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per figure (best counts)")
    parser.add_argument("--only", default="sockgate,moto,dynalite", help="servers to run")
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    with tempfile.TemporaryDirectory() as data:
        servers = []
        try:
            for name, command, pattern in server_commands(set(args.only.split(",")), Path(data)):
                servers.append(Server(name, command, pattern))
                print(f"{name} at {servers[-1].url}: loading tables ...", flush=True)
                setup(Raw(servers[-1].url))
            results = measure(servers, args.seconds, args.rounds)
        finally:
            for server in servers:
                server.stop()
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
