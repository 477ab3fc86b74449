"""Row 4 alone: one handler posts to 1,000 subscribers; how long until every client has it.

    .venv/bin/python -m bench.fanout_probe [--subscribers 1000] [--rounds 5] [--profile PREFIX]

A throwaway service (written to a temp folder) runs under `sockgate dev` (DevProcess): `$connect`
with `?room=` puts the connection in a DynamoDB table, as the seed's handlers do; the `fanout`
route Queries the room, calls boto3 `post_to_connection` once per subscriber and returns its own
timings as its route response (so each round starts with the worker idle).

The same handler is deployed twice: `fanout` reaches the gateway through the local channel,
`fanout_http` over HTTP (its environment blanks SOCKGATE_GATEWAY_SOCKET, so its worker sends as
it did before the channel existed). Rounds alternate between the two on the same 1,000 clients,
so both see the same neighbours on a shared machine, and the ratio is taken round by round.

The clock runs from the sender's message to the last subscriber reading the broadcast: it
includes the invocation, the Query and this process reading 1,000 frames. CPU time per round is
reported for the worker's post loop, the gateway (dev) process and this client process. boto3's
own floor (a `before-send` handler answering 200 in-process, no I/O) is sampled in this process
between rounds. `--profile PREFIX` records py-spy stacks of every process during the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from sockgate.testing import DevProcess

SERVERLESS_YML = """
service: fanout-probe
frameworkVersion: "3"
provider:
  name: aws
  runtime: python3.11
  stage: dev
  region: us-east-1
  websocketsApiRouteSelectionExpression: $request.body.action
  environment:
    SUBSCRIBERS_TABLE: ${self:service}-${sls:stage}-subscribers
functions:
  connect:
    handler: handler.connect
    events:
      - websocket: $connect
  fanout:
    handler: handler.fanout
    timeout: 29
    events:
      - websocket:
          route: fanout
          routeResponseSelectionExpression: $default
  fanout_http:
    handler: handler.fanout
    timeout: 29
    environment:
      SOCKGATE_GATEWAY_SOCKET: ""  # sockgate only: this worker skips the local channel
    events:
      - websocket:
          route: fanout_http
          routeResponseSelectionExpression: $default
resources:
  Resources:
    SubscribersTable:
      Type: AWS::DynamoDB::Table
      Properties:
        TableName: ${self:provider.environment.SUBSCRIBERS_TABLE}
        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions:
          - {AttributeName: room, AttributeType: S}
          - {AttributeName: connectionId, AttributeType: S}
        KeySchema:
          - {AttributeName: room, KeyType: HASH}
          - {AttributeName: connectionId, KeyType: RANGE}
"""

HANDLER = '''
"""Plain AWS Lambda code: the same on AWS and on sockgate."""
import json
import os
import time

import boto3
from boto3.dynamodb.conditions import Key

_table = boto3.resource("dynamodb").Table(os.environ["SUBSCRIBERS_TABLE"])
_clients = {}


def _management(ctx):
    endpoint = f"https://{ctx['domainName']}/{ctx['stage']}"
    if endpoint not in _clients:
        _clients[endpoint] = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
    return _clients[endpoint]


def connect(event, context):
    room = (event.get("queryStringParameters") or {}).get("room")
    if room:
        connection_id = event["requestContext"]["connectionId"]
        _table.put_item(Item={"room": room, "connectionId": connection_id})
    return {"statusCode": 200}


def fanout(event, context):
    body = json.loads(event["body"])
    api = _management(event["requestContext"])
    started = time.perf_counter()
    query = {"KeyConditionExpression": Key("room").eq(body["room"])}
    items = []
    while True:
        page = _table.query(**query)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    queried = time.perf_counter()
    cpu = time.process_time()
    data = json.dumps({"round": body["round"]}).encode()
    sent = gone = 0
    for item in items:
        try:
            api.post_to_connection(ConnectionId=item["connectionId"], Data=data)
            sent += 1
        except api.exceptions.GoneException:
            gone += 1
    posted = time.perf_counter()
    summary = {
        "sent": sent,
        "gone": gone,
        "query_ms": (queried - started) * 1000,
        "post_ms": (posted - queried) * 1000,
        "post_cpu_ms": (time.process_time() - cpu) * 1000,
    }
    return {"statusCode": 200, "body": json.dumps(summary)}
'''

PATHS = {"http": "fanout_http", "channel": "fanout"}  # path -> route


@dataclass
class Round:
    """One broadcast."""

    all_ms: float  # the sender's message -> the last subscriber has the broadcast
    post_ms: float  # the handler's post loop, wall time
    post_cpu_ms: float  # ... and the worker's CPU time in it
    query_ms: float
    gateway_cpu_ms: float  # the dev process (gateway) during the round
    client_cpu_ms: float  # this process (the subscribers reading) during the round
    missing: int


@dataclass
class Results:
    """Every round of each path, and the floor samples taken between them."""

    rounds: dict[str, list[Round]] = field(default_factory=lambda: {p: [] for p in PATHS})
    floor_us: list[float] = field(default_factory=list)

    def median(self, path: str, name: str) -> float:
        """The median of one Round field over a path's rounds."""
        return statistics.median(getattr(r, name) for r in self.rounds[path])

    def ratio(self, name: str) -> float:
        """Median over round pairs of http / channel for one Round field."""
        pairs = zip(self.rounds["http"], self.rounds["channel"], strict=True)
        return statistics.median(getattr(h, name) / getattr(c, name) for h, c in pairs)


def boto3_floor_us(client: Any, calls: int = 200) -> float:
    """Microseconds per post_to_connection answered in-process by `client`'s before-send."""
    data = json.dumps({"round": 0}).encode()
    started = time.perf_counter()
    for _ in range(calls):
        client.post_to_connection(ConnectionId="abcdefghijkl=", Data=data)
    return (time.perf_counter() - started) / calls * 1e6


def floor_client() -> Any:
    """A management client whose `before-send` answers 200 at once: boto3 without transport
    (validation, serialisation, endpoint rules, SigV4, parsing, retry checks)."""
    import boto3
    from botocore.awsrequest import AWSResponse

    class Empty:
        def stream(self, **kwargs: Any) -> Any:
            yield b""

    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url="https://abcdef1234.execute-api.us-east-1.amazonaws.com/dev",
        region_name="us-east-1",
        aws_access_key_id="ASIAPROBELOCAL000000",
        aws_secret_access_key="probe/local/dummy/secret/access/key00000",
        aws_session_token="probe-session-token",  # as Lambda's credentials have one
    )
    client.meta.events.register_first(
        "before-send.apigatewaymanagementapi",
        lambda request, **kwargs: AWSResponse(request.url, 200, {}, Empty()),
    )
    boto3_floor_us(client, 5)  # warm
    return client


def _cpu_ms(pid: int) -> float:
    """CPU time (user + system) of one process so far, in ms (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def raise_open_files(need: int) -> None:
    """Raise the soft open-file limit (children inherit it); fail clearly if it cannot be."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, need)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < need:
        sys.exit(f"fanout_probe: needs {need} open files; raise the hard limit (ulimit -Hn).")


async def _open(url: str, count: int, concurrency: int = 50) -> list[ClientConnection]:
    gate = asyncio.Semaphore(concurrency)

    async def one() -> ClientConnection:
        async with gate:
            return await connect(
                url, max_size=None, compression=None, ping_interval=None, open_timeout=30
            )

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def _round(
    sender: ClientConnection, subscribers: list[ClientConnection], route: str, n: int, pid: int
) -> Round:
    """One broadcast, timed from the sender's message to the last subscriber's read."""
    expected = json.dumps({"round": n})
    remaining = len(subscribers)
    done = asyncio.Event()
    last = 0.0

    async def read(ws: ClientConnection) -> None:
        nonlocal remaining, last
        if await ws.recv() == expected:
            remaining -= 1
            last = time.perf_counter()
            if remaining == 0:
                done.set()

    readers = [asyncio.ensure_future(read(ws)) for ws in subscribers]
    await asyncio.sleep(0)  # every reader waits before the clock starts
    gateway_cpu, client_cpu = _cpu_ms(pid), time.process_time()
    started = time.perf_counter()
    await sender.send(json.dumps({"action": route, "room": "probe", "round": n}))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), 60)
    summary = json.loads(await asyncio.wait_for(sender.recv(), 60))
    gateway_cpu, client_cpu = _cpu_ms(pid) - gateway_cpu, time.process_time() - client_cpu
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    return Round(
        all_ms=(last - started) * 1000,
        post_ms=summary["post_ms"],
        post_cpu_ms=summary["post_cpu_ms"],
        query_ms=summary["query_ms"],
        gateway_cpu_ms=gateway_cpu,
        client_cpu_ms=client_cpu * 1000,
        missing=remaining,
    )


def _start_py_spy(pid: int, out: Path) -> subprocess.Popen[bytes] | None:
    """Sample the dev process and its workers (raw collapsed stacks) until SIGINT."""
    beside = Path(sys.executable).parent / "py-spy"
    exe = str(beside) if beside.exists() else shutil.which("py-spy")
    if exe is None:
        print("py-spy is not installed (.venv/bin/pip install py-spy); no profile", file=sys.stderr)
        return None
    command = [exe, "record", "--pid", str(pid), "--subprocesses", "--format", "raw"]
    return subprocess.Popen([*command, "--output", str(out)], stdout=subprocess.DEVNULL)


async def measure(
    directory: Path, subscribers: int, rounds: int, profile: Path | None = None
) -> Results:
    """Start the service, connect everyone, alternate the paths round by round."""
    results = Results()
    floor = floor_client()
    dev = DevProcess(directory, "--no-reload")
    with dev as urls:
        print(f"connecting {subscribers} subscribers ...", file=sys.stderr)
        clients = await _open(f"{urls.websocket_url}?room=probe", subscribers)
        sender = (await _open(urls.websocket_url, 1))[0]
        pid = dev.process.pid if dev.process is not None else 0
        try:
            for route in PATHS.values():  # warm: each worker and its clients
                await _round(sender, clients, route, -1, pid)
            spy = _start_py_spy(pid, profile) if profile is not None else None
            if spy is not None:
                await asyncio.sleep(1.0)  # py-spy attaches to every process before sampling
            for n in range(rounds):
                for path, route in PATHS.items():
                    r = await _round(sender, clients, route, n, pid)
                    results.rounds[path].append(r)
                    print(
                        f"round {n} {path:<7}: {r.all_ms:5.0f} ms to all; handler: query "
                        f"{r.query_ms:3.0f} ms, posts {r.post_ms:5.0f} ms ({r.post_cpu_ms:4.0f} "
                        f"ms CPU); CPU: gateway {r.gateway_cpu_ms:4.0f} ms, clients "
                        f"{r.client_cpu_ms:4.0f} ms",
                        file=sys.stderr,
                    )
                results.floor_us.append(boto3_floor_us(floor))
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                await asyncio.to_thread(spy.wait, 30)
        finally:
            await asyncio.gather(*(ws.close() for ws in [*clients, sender]), return_exceptions=True)
    return results


def report(results: Results, n: int) -> str:
    """The table: medians per path, per-round ratios, boto3's floor."""
    lines = [
        f"fan-out to {n:,} subscribers: median of {len(results.rounds['http'])} rounds per path,"
        " alternating; per post = the handler's post loop / subscribers",
        f"{'path':<8} {'all received':>12} {'post loop':>10} {'per post':>9} {'worker CPU':>11}"
        f" {'gateway CPU':>12} {'client CPU':>11} {'query':>6}",
    ]
    for path in PATHS:
        m = results.median
        missing = sum(r.missing for r in results.rounds[path])
        lines.append(
            f"{path:<8} {m(path, 'all_ms'):>9.0f} ms {m(path, 'post_ms'):>7.0f} ms "
            f"{m(path, 'post_ms') / n * 1000:>6.0f} us {m(path, 'post_cpu_ms') / n * 1000:>5.0f}"
            f" us/post {m(path, 'gateway_cpu_ms') / n * 1000:>4.0f} us/post "
            f"{m(path, 'client_cpu_ms') / n * 1000:>3.0f} us/msg {m(path, 'query_ms'):>3.0f} ms"
            + (f"  MISSING {missing}" if missing else "")
        )
        rounds = " ".join(f"{r.all_ms:.0f}" for r in results.rounds[path])
        lines.append(f"{'':<9}rounds (ms to all): {rounds}")
    floor = statistics.median(results.floor_us)
    lines.append(
        f"boto3 floor (before-send answers in-process, no I/O): {floor:.0f} us/post median, "
        f"{min(results.floor_us):.0f} best -> {floor * n / 1000:.0f} ms for {n:,} posts"
    )
    lines.append(
        f"channel vs http, per round pair: {results.ratio('all_ms'):.1f}x faster to all, "
        f"{results.ratio('post_ms'):.1f}x faster post loop, "
        f"{results.ratio('post_cpu_ms'):.1f}x less worker CPU"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the probe and print its table."""
    parser = argparse.ArgumentParser(prog="python -m bench.fanout_probe")
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", type=Path, help="write py-spy raw stacks of the rounds here")
    args = parser.parse_args(argv)
    raise_open_files(2 * args.subscribers + 512)  # the clients here + the gateway's sockets
    with tempfile.TemporaryDirectory(prefix="fanout-probe-") as folder:
        directory = Path(folder)
        (directory / "serverless.yml").write_text(SERVERLESS_YML)
        (directory / "handler.py").write_text(textwrap.dedent(HANDLER))
        results = asyncio.run(measure(directory, args.subscribers, args.rounds, args.profile))
    print(report(results, args.subscribers))
    missing = any(r.missing for rounds in results.rounds.values() for r in rounds)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
