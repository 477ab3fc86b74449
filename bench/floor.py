"""What one boto3 `post_to_connection` costs: in-process floors and over HTTP to a gateway.

The fan-out target (1,000 calls in 250 ms) leaves 250 us per call for everything. These numbers
show how much of that boto3 itself takes before any byte leaves the process:

- `before-send`: a handler on botocore's `before-send` event answers 200 at once, so the call
  still validates, serialises, resolves the endpoint, signs, parses the response and runs the
  retry checks; only the network is gone. The floor of a fast path answering at `before-send`,
  which keeps all of boto3's behaviour.
- `unsigned`: the same, with a `choose-signer` handler returning UNSIGNED (the local gateway
  checks no signature), so SigV4 signing is skipped too; everything else stays.
- `before-call`: a handler on `before-call` returns the parsed response, so signing, sending,
  parsing and retries are skipped; validation, serialisation and named exceptions stay.

Each floor is the best of five batches: neighbours on a shared machine only ever add time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.awsrequest import AWSResponse
from websockets.asyncio.client import ClientConnection

from bench.ws_load import close_all, open_client

__all__ = ["http_per_call_us", "in_process_floor_us", "post_many_us"]

_CREDENTIALS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "AKIABENCHLOCAL000000",
    "aws_secret_access_key": "bench/local/dummy/secret/access/key000000",
}
_AWS_STYLE_ENDPOINT = "https://abcdef1234.execute-api.us-east-1.amazonaws.com/dev"


class _EmptyBody:
    """The raw body of a canned response: nothing."""

    def stream(self, **kwargs: Any) -> Any:
        yield b""


def _client(endpoint: str) -> Any:
    return boto3.client("apigatewaymanagementapi", endpoint_url=endpoint, **_CREDENTIALS)


def in_process_floor_us(event: str, calls: int = 1000) -> float:
    """Microseconds per post_to_connection when `event` answers it in-process (best batch).

    `event`: "before-send", "unsigned" (before-send without signing) or "before-call".
    """
    client = _client(_AWS_STYLE_ENDPOINT)
    if event == "unsigned":
        client.meta.events.register_first(
            "choose-signer.apigatewaymanagementapi", lambda **kwargs: UNSIGNED
        )
        event = "before-send"
    if event == "before-send":

        def answer(request: Any, **kwargs: Any) -> AWSResponse:
            return AWSResponse(request.url, 200, {}, _EmptyBody())

    elif event == "before-call":

        def answer(**kwargs: Any) -> tuple[AWSResponse, dict[str, Any]]:  # type: ignore[misc]
            meta = {"ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": {}}}
            return AWSResponse(_AWS_STYLE_ENDPOINT, 200, {}, _EmptyBody()), meta

    else:
        raise ValueError(event)
    client.meta.events.register_first(f"{event}.apigatewaymanagementapi", answer)
    data = json.dumps({"fanout": "x" * 16}).encode()
    client.post_to_connection(ConnectionId="warm-up0000=", Data=data)
    samples = []
    for _ in range(5):  # five batches: the median batch resists a neighbour's CPU burst
        started = time.perf_counter()
        for _ in range(calls // 5):
            client.post_to_connection(ConnectionId="abcdefghijkl=", Data=data)
        samples.append((time.perf_counter() - started) / (calls // 5) * 1e6)
    return min(samples)


async def _subscribed(ws: ClientConnection, timeout: float = 20.0) -> str:
    """The connection id in the reply to `subscribe` (other messages are skipped)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        reply = await asyncio.wait_for(ws.recv(), left)
        with contextlib.suppress(ValueError, TypeError):
            connection_id = json.loads(reply).get("subscribed")
            if connection_id:
                return str(connection_id)
    raise TimeoutError("no reply to subscribe")


def post_many_us(management_url: str, connection_id: str, calls: int) -> float:
    """Microseconds per post_to_connection over HTTP, one after the other, best of 3 batches."""
    client = _client(management_url)
    data = json.dumps({"fanout": "x" * 16}).encode()
    client.post_to_connection(ConnectionId=connection_id, Data=data)  # the connection is warm
    samples = []
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(calls // 3):
            client.post_to_connection(ConnectionId=connection_id, Data=data)
        samples.append((time.perf_counter() - started) / (calls // 3) * 1e6)
    return min(samples)


async def http_per_call_us(websocket_url: str, management_url: str, calls: int = 300) -> float:
    """Microseconds per post_to_connection over HTTP, from this process, to a live connection.

    The connection id comes from the benchmark service's `subscribe` route. A reader keeps the
    connection drained while boto3 runs in a thread.
    """
    ws = await open_client(websocket_url, 20)
    received = 0

    async def drain() -> None:
        nonlocal received
        with contextlib.suppress(Exception):
            while True:
                await ws.recv()
                received += 1

    try:
        await ws.send(json.dumps({"action": "subscribe", "room": "bench-floor"}))
        connection_id = await _subscribed(ws)
        reader = asyncio.ensure_future(drain())
        per_call = await asyncio.wait_for(
            asyncio.to_thread(post_many_us, management_url, connection_id, calls), 120
        )
        reader.cancel()
        return per_call
    finally:
        await close_all([ws])
