"""The gateway's local channel: @connections over a Unix socket, answered as HTTP answers it.

Real boto3 clients in this process reach one real gateway three ways: over HTTP, through the
channel at `before-send` (the earlier transport, and the one a call steps aside to), and through
the channel at `before-call` with the handlers a worker's clients get (`use_local_channel`).
"""

from __future__ import annotations

import asyncio
import datetime
import os
import socket
import stat
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from websockets.asyncio.client import connect

from sockgate.channel.botocore_hook import use_local_channel
from sockgate.channel.client import ChannelClient
from sockgate.channel.wire import (
    REPLY,
    REQUEST,
    decode_reply_head,
    decode_request_head,
    encode_reply,
    encode_request,
)
from sockgate.gateway import Gateway, GatewayConfig, LimitExceededError

from . import helpers
from .conftest import StartGateway
from .helpers import WAIT, LocalInvoke, make_service, ok
from .rawws import RawClient

ROUTES = {"$connect": "connect", "$disconnect": "disconnect", "$default": "default"}
HANDLERS = {"connect": ok, "disconnect": ok, "default": ok}
KB = 1024
UNKNOWN_ID = "AAAAAAAAAAAAAAA="


def boto_client(endpoint: str, attempts: int = 1, mode: str = "standard") -> Any:
    """A real boto3 management client (dummy credentials; retries only when asked)."""
    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": attempts, "mode": mode}),
    )
    return _as_without_moto(client)


def _as_without_moto(client: Any) -> Any:
    """`client` as a worker builds it. Importing moto (the CloudFormation tests do, in this
    process) gives every botocore client moto's `before-send` stubber; a worker never has it,
    and with it a call rightly takes botocore's whole pipeline."""
    models = sys.modules.get("moto.core.models")
    stubber = getattr(models, "botocore_stubber", None)
    if stubber is not None:
        client.meta.events.unregister("before-send", stubber)
    return client


def through_channel(client: Any, gateway: Gateway) -> Any:
    """`client`, its requests answered over the gateway's local channel at `before-send`."""
    return helpers.through_channel(client, gateway.local_socket)


def as_in_a_worker(client: Any, gateway: Gateway) -> Any:
    """`client` with a worker's handlers: its calls answered over the channel at `before-call`."""
    assert gateway.local_socket is not None
    return use_local_channel(client, ChannelClient(gateway.local_socket))


Transport = Callable[[Any, Gateway], Any]
TRANSPORTS = pytest.mark.parametrize(
    "transport", [through_channel, as_in_a_worker], ids=["before-send", "before-call"]
)


def count_requests(client: Any) -> list[int]:
    """[n]: how many HTTP requests botocore built for `client` (its pipeline ran n attempts)."""
    built = [0]
    endpoint = client._endpoint
    create_request = endpoint.create_request

    def counted(*args: Any, **kwargs: Any) -> Any:
        built[0] += 1
        return create_request(*args, **kwargs)

    endpoint.create_request = counted
    return built


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
    headers = meta["HTTPHeaders"]
    assert meta["RequestId"] == headers["x-amzn-requestid"] and len(meta["RequestId"]) == 36
    assert headers["date"].endswith(" GMT")
    return {
        "raised": raised,
        "result": {k: v for k, v in result.items() if k != "LastActiveAt"},
        "types": {k: type(v).__name__ for k, v in result.items()},
        "meta": sorted(meta),
        "status": meta["HTTPStatusCode"],
        "headers": {k: v for k, v in headers.items() if k not in ("date", "x-amzn-requestid")},
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
    at_call = as_in_a_worker(boto_client(gateway.management_url), gateway)
    built = count_requests(at_call)
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
        at_before_call = await outcome(getattr(at_call, name), **kwargs)
        assert over_channel == over_http, name
        assert at_before_call == over_http, name
    assert [await ws.recv() for _ in range(3)] == ["hello"] * 3
    assert gateway.management_requests == {"http": len(calls), "channel": 2 * len(calls)}
    assert built == [0]  # answered at before-call: botocore never built an HTTP request
    info = await call(at_call.get_connection, ConnectionId=connection_id)
    assert isinstance(info["ConnectedAt"], datetime.datetime)
    assert isinstance(info["LastActiveAt"], datetime.datetime)
    assert info["ConnectedAt"].tzinfo is not None
    # the named exceptions themselves
    with pytest.raises(channel.exceptions.GoneException) as gone:
        await call(channel.post_to_connection, ConnectionId=UNKNOWN_ID, Data=b"x")
    assert str(gone.value).endswith(": ")  # no message, as AWS sends none
    with pytest.raises(channel.exceptions.PayloadTooLargeException):
        await call(channel.post_to_connection, ConnectionId=connection_id, Data=b"x" * 200 * KB)
    with pytest.raises(at_call.exceptions.GoneException) as gone:
        await call(at_call.post_to_connection, ConnectionId=UNKNOWN_ID, Data=b"x")
    assert str(gone.value).endswith(": ")
    assert gone.value.response["Error"] == {"Code": "GoneException", "Message": ""}
    with pytest.raises(at_call.exceptions.PayloadTooLargeException) as too_large:
        await call(at_call.post_to_connection, ConnectionId=connection_id, Data=b"x" * 200 * KB)
    assert too_large.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    deleted = await call(at_call.delete_connection, ConnectionId=connection_id)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    await asyncio.wait_for(ws.wait_closed(), WAIT)
    assert gateway.management_requests == {"http": len(calls), "channel": 2 * len(calls) + 6}
    assert built == [0]


@TRANSPORTS
async def test_paths_are_classified_as_over_http(
    start_gateway: StartGateway, transport: Transport
) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    ws, connection_id = await opened(gateway, invoke)
    at_root = transport(boto_client(gateway.http_base), gateway)  # no stage in the path
    await call(at_root.post_to_connection, ConnectionId=connection_id, Data=b"root")
    assert await asyncio.wait_for(ws.recv(), WAIT) == "root"
    other_stage = transport(boto_client(gateway.http_base + "/prod"), gateway)
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


@TRANSPORTS
async def test_429_is_retried_by_boto3_through_the_channel(
    start_gateway: StartGateway, transport: Transport
) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    raw = await RawClient.connect("127.0.0.1", gateway.port)  # never reads after this
    assert raw.status == 101
    connection_id = (await invoke.next("connect"))["requestContext"]["connectionId"]
    client = transport(boto_client(gateway.management_url, attempts=2), gateway)
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
    assert meta["MaxAttemptsReached"] is True  # what botocore's standard mode adds
    channel = before + 2  # the call and its retry: as many attempts as over HTTP
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


@TRANSPORTS
async def test_channel_posts_keep_their_order_and_gone_is_410(
    start_gateway: StartGateway, transport: Transport
) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    ws, connection_id = await opened(gateway, invoke)
    client = transport(boto_client(gateway.management_url), gateway)

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


# -- the before-call path keeps boto3's behaviour -------------------------------------------


async def test_big_and_binary_bodies_at_before_call(start_gateway: StartGateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    ws, connection_id = await opened(gateway, invoke)
    client = as_in_a_worker(boto_client(gateway.management_url), gateway)
    built = count_requests(client)
    binary = bytes(range(256)) * 512  # the whole quota (128 KB), every byte value
    await call(client.post_to_connection, ConnectionId=connection_id, Data=binary)
    assert await asyncio.wait_for(ws.recv(), WAIT) == binary  # not UTF-8: a binary frame
    text = "é" * (64 * KB)  # a str Data: boto3 sends its UTF-8 bytes
    await call(client.post_to_connection, ConnectionId=connection_id, Data=text)
    assert await asyncio.wait_for(ws.recv(), WAIT) == text
    with pytest.raises(client.exceptions.PayloadTooLargeException):
        await call(client.post_to_connection, ConnectionId=connection_id, Data=b"\0" * 300 * KB)
    await call(client.post_to_connection, ConnectionId=connection_id, Data=bytearray(b"after"))
    assert await asyncio.wait_for(ws.recv(), WAIT) == "after"  # the channel carried on
    assert gateway.management_requests == {"http": 0, "channel": 4}
    assert built == [0]
    await ws.close()


async def test_a_stubber_still_answers_its_client(start_gateway: StartGateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    ws, connection_id = await opened(gateway, invoke)
    client = as_in_a_worker(boto_client(gateway.management_url), gateway)
    stubber = Stubber(client)
    stubber.add_response("post_to_connection", {}, {"ConnectionId": "stub", "Data": b"x"})
    stubber.add_client_error("get_connection", "GoneException", http_status_code=410)
    with stubber:
        assert await call(client.post_to_connection, ConnectionId="stub", Data=b"x") == {}
        with pytest.raises(client.exceptions.GoneException):
            await call(client.get_connection, ConnectionId=connection_id)  # open, but stubbed
        stubber.assert_no_pending_responses()
    assert gateway.management_requests == {"http": 0, "channel": 0}
    await call(client.post_to_connection, ConnectionId=connection_id, Data=b"real")
    assert await asyncio.wait_for(ws.recv(), WAIT) == "real"
    assert gateway.management_requests == {"http": 0, "channel": 1}
    await ws.close()


async def test_hooks_on_skipped_events_make_calls_take_the_pipeline(
    start_gateway: StartGateway,
) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    ws, connection_id = await opened(gateway, invoke)
    client = as_in_a_worker(boto_client(gateway.management_url), gateway)
    built = count_requests(client)
    after_call: list[tuple[int, list[str]]] = []

    def record(http_response: Any, parsed: dict[str, Any], **kwargs: Any) -> None:
        after_call.append((http_response.status_code, sorted(parsed)))

    client.meta.events.register("after-call.apigatewaymanagementapi", record)
    post = {"ConnectionId": connection_id, "Data": b"x"}
    await call(client.post_to_connection, **post)
    assert built == [0] and after_call == [(200, ["ResponseMetadata"])]
    sent: list[str] = []

    def user_hook(request: Any, **kwargs: Any) -> None:
        sent.append(request.method)

    client.meta.events.register("before-send.apigatewaymanagementapi", user_hook)
    await call(client.post_to_connection, **post)
    assert sent == ["POST"] and built == [1]  # the user's hook saw the request
    client.meta.events.unregister("before-send.apigatewaymanagementapi", user_hook)
    await call(client.post_to_connection, **post)
    assert sent == ["POST"] and built == [1]  # back at before-call
    assert [status for status, _ in after_call] == [200, 200, 200]
    # adaptive mode rate-limits at before-send: its calls take the pipeline too
    adaptive = as_in_a_worker(boto_client(gateway.management_url, mode="adaptive"), gateway)
    adaptive_built = count_requests(adaptive)
    await call(adaptive.post_to_connection, **post)
    assert adaptive_built == [1]
    # a signer chosen before ours: the pipeline signs (and would fail without credentials)
    signed = as_in_a_worker(boto_client(gateway.management_url), gateway)
    signed_built = count_requests(signed)
    signatures: list[bytes] = []
    signed.meta.events.register(
        "choose-signer.apigatewaymanagementapi.PostToConnection", lambda **kwargs: "v4"
    )
    signed.meta.events.register(
        "before-send.apigatewaymanagementapi",
        lambda request, **kwargs: signatures.append(request.headers.get("Authorization", b"")),
    )
    await call(signed.post_to_connection, **post)
    assert signed_built == [1] and signatures[0].startswith(b"AWS4-HMAC-SHA256")
    assert [await asyncio.wait_for(ws.recv(), WAIT) for _ in range(5)] == ["x"] * 5
    assert gateway.management_requests == {"http": 0, "channel": 5}
    await ws.close()


# -- the gateway's side: frames however they arrive -----------------------------------------


def _pipelined(path: str, chunks: list[bytes], replies: int) -> list[tuple[int, dict[str, str]]]:
    """Send `chunks` one send() each on one connection, then read `replies` replies."""
    out = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(WAIT)
        sock.connect(path)
        for chunk in chunks:
            sock.sendall(chunk)
        reader = sock.makefile("rb")
        for _ in range(replies):
            status, head_size, body_size = REPLY.unpack(reader.read(REPLY.size))
            head = decode_reply_head(reader.read(head_size))
            reader.read(body_size)
            out.append((status, head))
    return out


async def test_frames_are_served_however_they_are_cut(start_gateway: StartGateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    ws, connection_id = await opened(gateway, invoke)
    path = gateway.local_socket
    assert path is not None
    post = encode_request("POST", f"/dev/@connections/{connection_id}", b"cut")
    gone = encode_request("GET", f"/dev/@connections/{UNKNOWN_ID}", b"")
    oversize = encode_request("POST", f"/dev/@connections/{connection_id}", b"y" * 300 * KB)
    stream = gone + post + oversize + post + gone
    byte_by_byte = [stream[i : i + 1] for i in range(200)]
    pieces = byte_by_byte + [stream[200 + i : 200 + i + 7000] for i in range(0, len(stream), 7000)]
    replies = await asyncio.to_thread(_pipelined, path, pieces, 5)
    assert [status for status, _ in replies] == [410, 200, 413, 200, 410]
    assert [await asyncio.wait_for(ws.recv(), WAIT) for _ in range(2)] == ["cut", "cut"]
    all_at_once = await asyncio.to_thread(_pipelined, path, [stream], 5)
    assert [status for status, _ in all_at_once] == [410, 200, 413, 200, 410]
    assert gateway.management_requests["channel"] == 10
    await ws.close()


async def test_a_delete_that_waits_keeps_the_order_of_replies(
    start_gateway: StartGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    ws, connection_id = await opened(gateway, invoke)
    delete = gateway.delete_connection

    async def slow_delete(connection_id: str) -> None:
        await asyncio.sleep(0)  # the verb suspends: the channel must wait for it
        await delete(connection_id)

    monkeypatch.setattr(gateway, "delete_connection", slow_delete)
    path = gateway.local_socket
    assert path is not None
    target = f"/dev/@connections/{connection_id}"
    frames = encode_request("DELETE", target, b"") + encode_request("POST", target, b"late")
    replies = await asyncio.to_thread(_pipelined, path, [frames], 2)
    assert [status for status, _ in replies] == [204, 410]  # the POST came after the DELETE
    await asyncio.wait_for(ws.wait_closed(), WAIT)


async def test_a_bug_costs_one_request(
    start_gateway: StartGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    ws, connection_id = await opened(gateway, invoke)
    target = f"/dev/@connections/{connection_id}"

    def broken(connection_id: str) -> Any:
        raise RuntimeError("a bug")

    async def broken_delete(connection_id: str) -> None:
        await asyncio.sleep(0)
        raise RuntimeError("a bug")

    monkeypatch.setattr(gateway, "get_connection", broken)
    monkeypatch.setattr(gateway, "delete_connection", broken_delete)
    path = gateway.local_socket
    assert path is not None
    frames = [
        encode_request("GET", target, b""),
        encode_request("DELETE", target, b""),
        encode_request("POST", target, b"still here"),
    ]
    replies = await asyncio.to_thread(_pipelined, path, frames, 3)
    assert [(status, head.get("x-amzn-ErrorType")) for status, head in replies] == [
        (500, "InternalServerErrorException"),
        (500, "InternalServerErrorException"),
        (200, None),
    ]
    assert await asyncio.wait_for(ws.recv(), WAIT) == "still here"
    await ws.close()


async def test_replies_keep_their_order_under_load(start_gateway: StartGateway) -> None:
    gateway, _ = await start_gateway(HANDLERS, ROUTES)
    path = gateway.local_socket
    assert path is not None
    count = 10000  # ~2.3 MB of replies: more than the socket buffers hold
    paths = [f"/dev/@connections/{UNKNOWN_ID}", "/dev/elsewhere"]  # 410, 403, 410, ...
    frames = b"".join(encode_request("GET", paths[n % 2], b"") for n in range(count))

    def exchange() -> list[int]:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(WAIT)
            sock.connect(path)
            # All requests at once while this thread reads: the gateway may have to wait for
            # the replies to drain before it reads on.
            sender = threading.Thread(target=sock.sendall, args=(frames,))
            sender.start()
            reader = sock.makefile("rb")
            statuses = []
            for _ in range(count):
                status, head_size, body_size = REPLY.unpack(reader.read(REPLY.size))
                reader.read(head_size + body_size)
                statuses.append(status)
            sender.join(WAIT)
        return statuses

    assert await asyncio.to_thread(exchange) == [410, 403] * (count // 2)
    assert gateway.management_requests["channel"] == count
