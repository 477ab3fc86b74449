"""The gateway's local channel: @connections over a Unix socket, answered as HTTP answers it.

A real boto3 client in this process sends through the channel (the worker's `before-send`
handler, registered on that one client) and another one over HTTP; both reach one real gateway.
"""

from __future__ import annotations

import asyncio
import os
import socket
import stat
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from websockets.asyncio.client import connect

from sockgate.gateway import Gateway, GatewayConfig, LimitExceededError
from sockgate.lambdas.fastpath import (
    REPLY,
    REQUEST,
    decode_reply_head,
    decode_request_head,
    encode_reply,
    encode_request,
)

from . import helpers
from .conftest import StartGateway
from .helpers import WAIT, LocalInvoke, make_service, ok
from .rawws import RawClient

ROUTES = {"$connect": "connect", "$disconnect": "disconnect", "$default": "default"}
HANDLERS = {"connect": ok, "disconnect": ok, "default": ok}
KB = 1024
UNKNOWN_ID = "AAAAAAAAAAAAAAA="


def boto_client(endpoint: str, attempts: int = 1) -> Any:
    """A real boto3 management client (dummy credentials; retries only when asked)."""
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": attempts, "mode": "standard"}),
    )


def through_channel(client: Any, gateway: Gateway) -> Any:
    """`client`, its requests answered over the gateway's local channel, as in a worker."""
    return helpers.through_channel(client, gateway.local_socket)


async def call(method: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(method, **kwargs)


async def outcome(method: Any, **kwargs: Any) -> dict[str, Any]:
    """What a boto3 call returned or raised, minus the values that differ per request."""
    try:
        result = await call(method, **kwargs)
        raised = None
    except ClientError as exc:
        result = exc.response
        raised = (type(exc).__name__, str(exc))
    meta = result.pop("ResponseMetadata")
    return {
        "raised": raised,
        "result": {k: v for k, v in result.items() if k != "LastActiveAt"},
        "meta": sorted(meta),
        "status": meta["HTTPStatusCode"],
        "headers": sorted(meta["HTTPHeaders"]),
        "retries": meta["RetryAttempts"],
    }


async def opened(gateway: Gateway, invoke: LocalInvoke) -> tuple[Any, str]:
    ws = await connect(gateway.url)
    connection_id = (await invoke.next("connect"))["requestContext"]["connectionId"]
    return ws, connection_id


def test_wire_format_round_trips() -> None:
    frame = encode_request("POST", "/dev/@connections/abc%3D", b"\x00body")
    head_size, body_size = REQUEST.unpack(frame[: REQUEST.size])
    head = frame[REQUEST.size : REQUEST.size + head_size]
    assert decode_request_head(head) == ("POST", "/dev/@connections/abc%3D")
    assert frame[REQUEST.size + head_size :] == b"\x00body" and body_size == 5
    reply = encode_reply(410, {"x-amzn-ErrorType": "GoneException", "Date": "D"}, b"{}")
    status, head_size, body_size = REPLY.unpack(reply[: REPLY.size])
    assert (status, body_size) == (410, 2)
    head = reply[REPLY.size : REPLY.size + head_size]
    assert decode_reply_head(head) == {"x-amzn-ErrorType": "GoneException", "Date": "D"}
    with pytest.raises(UnicodeEncodeError):
        encode_request("POST", "/dev/@connections/é", b"")


async def test_channel_and_http_give_boto3_the_same_answers(start_gateway: StartGateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    ws, connection_id = await opened(gateway, invoke)
    http = boto_client(gateway.management_url)
    channel = through_channel(boto_client(gateway.management_url), gateway)
    calls: list[tuple[str, dict[str, Any]]] = [
        ("post_to_connection", {"ConnectionId": connection_id, "Data": b"hello"}),
        ("get_connection", {"ConnectionId": connection_id}),
        ("post_to_connection", {"ConnectionId": UNKNOWN_ID, "Data": b"x"}),
        ("get_connection", {"ConnectionId": UNKNOWN_ID}),
        ("delete_connection", {"ConnectionId": UNKNOWN_ID}),
        ("post_to_connection", {"ConnectionId": connection_id, "Data": b"x" * (128 * KB + 1)}),
        ("post_to_connection", {"ConnectionId": "not/a valid id", "Data": b"x"}),
    ]
    for name, kwargs in calls:
        over_http = await outcome(getattr(http, name), **kwargs)
        over_channel = await outcome(getattr(channel, name), **kwargs)
        assert over_channel == over_http, name
    assert [await ws.recv() for _ in range(2)] == ["hello", "hello"]
    assert gateway.management_requests == {"http": len(calls), "channel": len(calls)}
    # the named exceptions themselves
    with pytest.raises(channel.exceptions.GoneException) as gone:
        await call(channel.post_to_connection, ConnectionId=UNKNOWN_ID, Data=b"x")
    assert str(gone.value).endswith(": ")  # no message, as AWS sends none
    with pytest.raises(channel.exceptions.PayloadTooLargeException):
        await call(channel.post_to_connection, ConnectionId=connection_id, Data=b"x" * 200 * KB)
    deleted = await call(channel.delete_connection, ConnectionId=connection_id)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    await asyncio.wait_for(ws.wait_closed(), WAIT)
    assert gateway.management_requests == {"http": len(calls), "channel": len(calls) + 3}


async def test_paths_are_classified_as_over_http(start_gateway: StartGateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    ws, connection_id = await opened(gateway, invoke)
    at_root = through_channel(boto_client(gateway.http_base), gateway)  # no stage in the path
    await call(at_root.post_to_connection, ConnectionId=connection_id, Data=b"root")
    assert await asyncio.wait_for(ws.recv(), WAIT) == "root"
    other_stage = through_channel(boto_client(gateway.http_base + "/prod"), gateway)
    with pytest.raises(other_stage.exceptions.ForbiddenException) as forbidden:
        await call(other_stage.post_to_connection, ConnectionId=connection_id, Data=b"x")
    assert forbidden.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert gateway.management_requests == {"http": 0, "channel": 2}
    await ws.close()


async def fill(gateway: Gateway, connection_id: str) -> None:
    """Post until the client's buffer is past the 429 limit (kernel buffers fill first)."""
    for _ in range(400):
        try:
            await gateway.post_to_connection(connection_id, b"x" * (128 * KB))
        except LimitExceededError:
            return
    pytest.fail("the client's buffer never reached the 429 limit")


async def test_429_is_retried_by_boto3_through_the_channel(start_gateway: StartGateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    raw = await RawClient.connect("127.0.0.1", gateway.port)  # never reads after this
    assert raw.status == 101
    connection_id = (await invoke.next("connect"))["requestContext"]["connectionId"]
    client = through_channel(boto_client(gateway.management_url, attempts=2), gateway)
    for _ in range(20):
        await fill(gateway, connection_id)
        before = gateway.management_requests["channel"]
        try:
            await call(client.post_to_connection, ConnectionId=connection_id, Data=b"x")
        except client.exceptions.LimitExceededException as exc:
            refused = exc.response
            break
        # The kernel took a little more from the buffer meanwhile (a late ACK): fill it again.
    else:
        pytest.fail("boto3 never saw the 429 twice in a row")
    meta = refused["ResponseMetadata"]
    assert (meta["HTTPStatusCode"], meta["RetryAttempts"]) == (429, 1)
    channel = before + 2  # the call and its retry
    assert gateway.management_requests == {"http": 0, "channel": channel}
    raw.writer.close()


async def test_the_socket_is_private_and_removed_on_close() -> None:
    invoke = LocalInvoke(HANDLERS, {})
    gateway = Gateway(make_service(ROUTES), invoke, GatewayConfig(port=0))
    await gateway.start()
    try:
        path = gateway.local_socket
        assert path is not None and stat.S_ISSOCK(os.stat(path).st_mode)
        assert stat.S_IMODE(os.stat(Path(path).parent).st_mode) == 0o700
    finally:
        await gateway.close()
    assert not Path(path).parent.exists()
    without = Gateway(make_service(ROUTES), invoke, GatewayConfig(port=0), local_channel=False)
    await without.start()
    assert without.local_socket is None
    await without.close()


def _exchange(path: str, *frames: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """Send raw frames on one connection; read one reply per frame."""
    replies = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(WAIT)
        sock.connect(path)
        reader = sock.makefile("rb")
        for frame in frames:
            sock.sendall(frame)
            status, head_size, body_size = REPLY.unpack(reader.read(REPLY.size))
            head = decode_reply_head(reader.read(head_size))
            replies.append((status, head, reader.read(body_size)))
    return replies


async def test_bad_requests_cost_one_reply_not_the_channel(start_gateway: StartGateway) -> None:
    gateway, _ = await start_gateway(HANDLERS, ROUTES)
    path = gateway.local_socket
    assert path is not None
    replies = await asyncio.to_thread(
        _exchange,
        path,
        encode_request("POST", f"/dev/@connections/{UNKNOWN_ID}", b"x" * (300 * KB)),
        encode_request("PUT", f"/dev/@connections/{UNKNOWN_ID}", b""),
        encode_request("GET", "/dev/elsewhere", b""),
        encode_request("GET", f"/dev/@connections/{UNKNOWN_ID}", b""),
    )
    assert [(status, head["x-amzn-ErrorType"]) for status, head, _ in replies] == [
        (413, "PayloadTooLargeException"),  # the oversize body was skipped, the stream kept
        (403, "ForbiddenException"),
        (403, "ForbiddenException"),
        (410, "GoneException"),
    ]
    assert all(head["Content-Length"] == str(len(body)) for _, head, body in replies)

    def garbage() -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(path)
            sock.sendall(REQUEST.pack(10, 5) + b"half")  # then hang up mid-frame

    await asyncio.to_thread(garbage)
    ((status, _, _),) = await asyncio.to_thread(
        _exchange, path, encode_request("DELETE", f"/@connections/{UNKNOWN_ID}", b"")
    )
    assert status == 410
    assert gateway.management_requests["channel"] == 5


async def test_channel_posts_keep_their_order_and_gone_is_410(start_gateway: StartGateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    ws, connection_id = await opened(gateway, invoke)
    client = through_channel(boto_client(gateway.management_url), gateway)

    def post_many() -> list[str]:
        outcomes = []
        for n in range(200):
            client.post_to_connection(ConnectionId=connection_id, Data=str(n).encode())
            if n % 50 == 0:
                try:
                    client.post_to_connection(ConnectionId=UNKNOWN_ID, Data=b"x")
                except client.exceptions.GoneException:
                    outcomes.append("gone")
        return outcomes

    assert await asyncio.to_thread(post_many) == ["gone"] * 4
    received = [await asyncio.wait_for(ws.recv(), WAIT) for _ in range(200)]
    assert received == [str(n) for n in range(200)]
    await ws.close()
    await invoke.next("disconnect")
    with pytest.raises(client.exceptions.GoneException):
        await call(client.post_to_connection, ConnectionId=connection_id, Data=b"late")
