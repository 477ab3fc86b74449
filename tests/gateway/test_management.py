"""The @connections API through a real boto3 client and raw HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from typing import Any

import aiohttp
import pytest
from botocore.exceptions import ClientError
from websockets.asyncio.client import connect

from sockgate.gateway import BadRequestError, GoneError, PayloadTooLargeError
from sockgate.testing.clock import TestClock

from .helpers import WAIT, management_client, ok, through_channel
from .rawws import RawClient

ROUTES = {"$connect": "connect", "$disconnect": "disconnect", "$default": "default"}
HANDLERS = {"connect": ok, "disconnect": ok, "default": ok}
KB = 1024
UNKNOWN_ID = "AAAAAAAAAAAAAAA="


async def call(method: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(method, **kwargs)


async def recv(ws: Any) -> Any:
    return await asyncio.wait_for(ws.recv(), WAIT)


async def opened(gateway: Any, invoke: Any, **kwargs: Any) -> tuple[Any, str]:
    ws = await connect(gateway.url, **kwargs)
    connection_id = (await invoke.next("connect"))["requestContext"]["connectionId"]
    return ws, connection_id


async def test_post_to_connection_sends_a_text_frame(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    client = management_client(gateway.management_url)
    ws, connection_id = await opened(gateway, invoke)
    response = await call(client.post_to_connection, ConnectionId=connection_id, Data=b'{"hi": 1}')
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert await recv(ws) == '{"hi": 1}'
    text = "héllo ✓"
    await call(client.post_to_connection, ConnectionId=connection_id, Data=text.encode())
    assert await recv(ws) == text
    await ws.close()


async def test_post_at_the_quota_passes_over_it_is_413(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    client = management_client(gateway.management_url)
    ws, connection_id = await opened(gateway, invoke)
    await call(client.post_to_connection, ConnectionId=connection_id, Data=b"x" * (128 * KB))
    assert len(await recv(ws)) == 128 * KB
    with pytest.raises(client.exceptions.PayloadTooLargeException) as excinfo:
        await call(
            client.post_to_connection, ConnectionId=connection_id, Data=b"x" * (128 * KB + 1)
        )
    error = excinfo.value.response["Error"]
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert error["Message"]
    await ws.close()


async def test_unknown_connection_is_gone_for_every_verb(start_gateway) -> None:
    gateway, _ = await start_gateway(HANDLERS, ROUTES)
    client = management_client(gateway.management_url)
    for verb, kwargs in (
        (client.post_to_connection, {"Data": b"x"}),
        (client.get_connection, {}),
        (client.delete_connection, {}),
    ):
        with pytest.raises(client.exceptions.GoneException) as excinfo:
            await call(verb, ConnectionId=UNKNOWN_ID, **kwargs)
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
        assert excinfo.value.response["Error"]["Code"] == "GoneException"
        # exactly what a real GoneException prints: nothing after the colon
        assert str(excinfo.value).endswith("operation: ")


async def test_gone_wire_format(start_gateway) -> None:
    gateway, _ = await start_gateway(HANDLERS, ROUTES)
    async with aiohttp.ClientSession() as session:
        url = f"{gateway.management_url}/@connections/{UNKNOWN_ID.replace('=', '%3D')}"
        async with session.post(url, data=b"x") as response:
            assert response.status == 410
            assert response.headers["x-amzn-ErrorType"] == "GoneException"
            assert await response.json() == {}
            assert response.headers["x-amzn-RequestId"]


async def test_malformed_id_is_bad_request(start_gateway) -> None:
    gateway, _ = await start_gateway(HANDLERS, ROUTES)
    client = management_client(gateway.management_url)
    with pytest.raises(ClientError) as excinfo:
        await call(client.post_to_connection, ConnectionId="not/a valid id", Data=b"x")
    assert excinfo.value.response["Error"]["Code"] == "BadRequestException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


async def test_get_connection(start_gateway) -> None:
    clock = TestClock(asyncio.get_running_loop())
    gateway, invoke = await start_gateway(HANDLERS, ROUTES, clock=clock)
    client = management_client(gateway.management_url)
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    ws, connection_id = await opened(gateway, invoke, user_agent_header="probe/2")
    first = await call(client.get_connection, ConnectionId=connection_id)
    assert first["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "probe/2"}
    assert before <= first["ConnectedAt"] <= first["LastActiveAt"]
    clock.advance(1.5)  # the message comes later than the clock's resolution, whatever the load
    await ws.send("activity")
    await invoke.next("default")
    second = await call(client.get_connection, ConnectionId=connection_id)
    assert second["ConnectedAt"] == first["ConnectedAt"]
    assert second["LastActiveAt"] - first["LastActiveAt"] >= dt.timedelta(seconds=1.5)
    await ws.close()


async def test_get_connection_wire_format(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    ws, connection_id = await opened(gateway, invoke, user_agent_header=None)
    async with aiohttp.ClientSession() as session:
        url = f"{gateway.http_base}/dev/%40connections/{connection_id.replace('=', '%3D')}"
        async with session.get(url) as response:
            body = await response.json()
    assert list(body) == ["connectedAt", "identity", "lastActiveAt"]
    assert body["identity"] == {"sourceIp": "127.0.0.1"}
    for key in ("connectedAt", "lastActiveAt"):
        parsed = dt.datetime.strptime(body[key], "%Y-%m-%dT%H:%M:%S.%fZ")
        assert len(body[key]) == len("2024-01-20T11:54:57.419Z") and parsed.year >= 2024
    await ws.close()


async def test_management_api_at_the_root_path(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    client = management_client(gateway.http_base)  # serverless-offline's layout: no stage
    ws, connection_id = await opened(gateway, invoke)
    await call(client.post_to_connection, ConnectionId=connection_id, Data=b"root")
    assert await recv(ws) == "root"
    await ws.close()


async def test_post_counts_as_activity_for_the_idle_timer(start_gateway) -> None:
    clock = TestClock(asyncio.get_running_loop())
    gateway, invoke = await start_gateway(HANDLERS, ROUTES, clock=clock)
    ws, connection_id = await opened(gateway, invoke)
    for _ in range(3):  # 1,200 s with a post every 400 s
        clock.advance(400)
        await gateway.post_to_connection(connection_id, b"tick")
        assert await recv(ws) == "tick"
    assert gateway.connection_count == 1
    clock.advance(600)  # idle once the posts stop
    await asyncio.wait_for(ws.wait_closed(), WAIT)
    assert ws.protocol.close_rcvd is not None and ws.protocol.close_rcvd.code == 1001


async def test_non_utf8_data_is_sent_as_binary(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    ws, connection_id = await opened(gateway, invoke)
    await gateway.post_to_connection(connection_id, b"\xff\x00\xfe")
    assert await recv(ws) == b"\xff\x00\xfe"
    await ws.close()


async def test_in_process_verbs(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    ws, connection_id = await opened(gateway, invoke)
    info = gateway.get_connection(connection_id)
    assert info.connection_id == connection_id and info.source_ip == "127.0.0.1"
    await gateway.post_to_connection(connection_id, b"direct")
    assert await recv(ws) == "direct"
    with pytest.raises(PayloadTooLargeError):
        await gateway.post_to_connection(connection_id, b"x" * (128 * KB + 1))
    with pytest.raises(BadRequestError):
        gateway.get_connection("bad")
    await gateway.delete_connection(connection_id)
    with pytest.raises(GoneError):
        await gateway.post_to_connection(connection_id, b"late")
    with pytest.raises(GoneError):
        await gateway.delete_connection(connection_id)
    await asyncio.wait_for(ws.wait_closed(), WAIT)


async def test_unknown_paths_and_methods_are_forbidden(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    ws, connection_id = await opened(gateway, invoke)
    encoded = connection_id.replace("=", "%3D")
    async with aiohttp.ClientSession() as session:
        for method, path in (
            ("PUT", f"/dev/@connections/{encoded}"),
            ("POST", "/dev/other"),
            ("GET", f"/prod/@connections/{encoded}"),
            ("POST", "/dev"),
        ):
            async with session.request(method, gateway.http_base + path) as response:
                assert response.status == 403, (method, path)
                assert response.headers["x-amzn-ErrorType"] == "ForbiddenException"
                assert json.loads(await response.text()) == {"message": "Forbidden"}
    await ws.close()


async def test_many_clients_each_get_their_own_post(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    clients = [await opened(gateway, invoke) for _ in range(50)]
    await asyncio.gather(*(gateway.post_to_connection(cid, cid.encode()) for _, cid in clients))
    for ws, cid in clients:
        assert await recv(ws) == cid
    await asyncio.gather(*(ws.close() for ws, _ in clients))


async def test_raw_wire_success_responses(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    ws, connection_id = await opened(gateway, invoke)
    url = f"{gateway.management_url}/@connections/{connection_id.replace('=', '%3D')}"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=b"raw body") as response:
            assert response.status == 200
            assert await response.read() == b""
        assert await recv(ws) == "raw body"
        async with session.post(url, data=b"x" * (128 * KB + 1)) as response:
            assert response.status == 413
            assert response.headers["x-amzn-ErrorType"] == "PayloadTooLargeException"
            assert "131072" in (await response.json())["message"]
        async with session.delete(url) as response:
            assert response.status == 204
            assert await response.read() == b""
    await asyncio.wait_for(ws.wait_closed(), WAIT)


async def test_chunked_post_bodies_are_counted_as_they_arrive(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    ws, connection_id = await opened(gateway, invoke)
    url = f"{gateway.management_url}/@connections/{connection_id.replace('=', '%3D')}"

    async def chunks(total: int) -> Any:
        for _ in range(total // (16 * KB)):
            yield b"c" * (16 * KB)

    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=chunks(64 * KB)) as response:
            assert response.status == 200
        assert await recv(ws) == "c" * (64 * KB)
        async with session.post(url, data=chunks(160 * KB)) as response:
            assert response.status == 413
    await ws.close()


@pytest.mark.parametrize("path", ["http", "channel"])
async def test_post_to_a_client_that_stopped_reading_is_429_until_it_reads(
    start_gateway, path: str
) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    stuck = await RawClient.connect("127.0.0.1", gateway.port)  # reads nothing for now
    assert stuck.status == 101
    stuck_id = (await invoke.next("connect"))["requestContext"]["connectionId"]
    other, other_id = await opened(gateway, invoke)
    client = management_client(gateway.management_url)  # retries: max_attempts 1
    if path == "channel":
        through_channel(client, gateway.local_socket)
    big = b"x" * (128 * KB)
    accepted = 0
    for _ in range(400):  # the kernel's socket buffers fill first, then the gateway's
        try:
            # A POST must never wait for the client: a hang fails here, not at the test timeout.
            await asyncio.wait_for(
                call(client.post_to_connection, ConnectionId=stuck_id, Data=big), WAIT
            )
        except client.exceptions.LimitExceededException as exc:
            refused = exc.response
            break
        accepted += 1
    else:
        pytest.fail("the client's buffer never reached the 429 limit")
    assert refused["Error"]["Code"] == "LimitExceededException"
    assert refused["ResponseMetadata"]["HTTPStatusCode"] == 429
    # boto3 retries a 429 (once here: max_attempts 1 counts retries) and then raises
    assert refused["ResponseMetadata"]["RetryAttempts"] == 1
    # everyone else is served meanwhile
    await call(client.post_to_connection, ConnectionId=other_id, Data=b"not stuck")
    assert await recv(other) == "not stuck"
    # the client reads again: every accepted frame arrives, then posts succeed again
    for _ in range(accepted):
        assert await stuck.recv() == (0x1, big)
    await call(client.post_to_connection, ConnectionId=stuck_id, Data=b"after")
    assert await stuck.recv() == (0x1, b"after")
    await other.close()
    await stuck.close()


async def test_prepared_posts_are_checked_first_and_keep_their_order(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    ws, connection_id = await opened(gateway, invoke)
    first = gateway.prepare_post(connection_id, b"1")  # checked: the connection is open
    second = gateway.prepare_post(connection_id, b"2")
    with pytest.raises(GoneError):
        gateway.prepare_post(UNKNOWN_ID, b"x")
    with pytest.raises(PayloadTooLargeError):
        gateway.prepare_post(connection_id, b"x" * (128 * KB + 1))
    first()
    second()
    for n in range(3, 50):
        await gateway.post_to_connection(connection_id, str(n).encode())
    assert [await recv(ws) for _ in range(1, 50)] == [str(n) for n in range(1, 50)]
    await ws.close()


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
async def test_posted_frames_at_every_header_length(start_gateway, size: int) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    ws, connection_id = await opened(gateway, invoke)
    await gateway.post_to_connection(connection_id, b"L" * size)
    await gateway.post_to_connection(connection_id, b"\xff" * size + b"\xfe")  # binary
    assert await recv(ws) == "L" * size
    assert await recv(ws) == b"\xff" * size + b"\xfe"
    await ws.close()


async def raw_exchange(port: int, request: bytes, *, then: bytes = b"") -> tuple[bytes, bytes]:
    """Send `request`; read what comes first, then send `then` and read to the end."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        first = await asyncio.wait_for(reader.read(65536), WAIT)
        rest = b""
        if then:
            writer.write(then)
            await writer.drain()
            rest = await asyncio.wait_for(reader.read(65536), WAIT)
        return first, rest
    finally:
        writer.close()


def post_head(path: str, length: int, *headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {length}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_body_that_its_content_encoding_cannot_decode_is_400(
    start_gateway, caplog, encoding: str
) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    ws, connection_id = await opened(gateway, invoke)
    path = f"/dev/@connections/{connection_id.replace('=', '%3D')}"
    body = b"this is not " + encoding.encode()
    head = post_head(path, len(body), f"Content-Encoding: {encoding}")
    with caplog.at_level(logging.DEBUG):
        answer, _ = await raw_exchange(gateway.port, head + body)
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 400 Bad Request"
    assert b"x-amzn-ErrorType: BadRequestException" in rest
    assert json.loads(rest.partition(b"\r\n\r\n")[2])["message"].endswith(encoding)
    refusals = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in refusals] == ["sockgate.gateway"], caplog.text
    assert refusals[0].getMessage().startswith("refused a malformed HTTP request from 127.0.0.1")
    assert not any(r.exc_info for r in caplog.records if r.levelno >= logging.INFO)
    client = management_client(gateway.management_url)  # the connection is still there
    await call(client.post_to_connection, ConnectionId=connection_id, Data=b"still here")
    assert await recv(ws) == "still here"
    await ws.close()


async def test_expect_100_continue_is_answered_before_the_body(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    ws, connection_id = await opened(gateway, invoke)
    path = f"/dev/@connections/{connection_id.replace('=', '%3D')}"
    head = post_head(path, 5, "Expect: 100-continue")
    interim, final = await raw_exchange(gateway.port, head, then=b"hello")
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert final.startswith(b"HTTP/1.1 200 OK\r\n")
    assert await recv(ws) == "hello"
    # Over the quota: the final 413 at once, and the body is never asked for.
    too_big = post_head(path, 128 * KB + 1, "Expect: 100-continue")
    answer, _ = await raw_exchange(gateway.port, too_big)
    assert answer.startswith(b"HTTP/1.1 413 ")
    await ws.close()


async def test_unknown_expectation_is_417(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    ws, connection_id = await opened(gateway, invoke)
    path = f"/dev/@connections/{connection_id.replace('=', '%3D')}"
    answer, _ = await raw_exchange(gateway.port, post_head(path, 2, "Expect: magic") + b"hi")
    assert answer.startswith(b"HTTP/1.1 417 ")
    await ws.close()


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /dev HTTP/1.1\r\nHost x\r\n\r\n",
        b"GET /dev HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40,  # a TLS hello
    ],
    ids=["method", "header", "length", "tls"],
)
async def test_malformed_http_is_one_warning_line(start_gateway, caplog, request_bytes) -> None:
    gateway, _ = await start_gateway(HANDLERS, ROUTES)
    with caplog.at_level(logging.DEBUG):
        answer, _ = await raw_exchange(gateway.port, request_bytes)
    assert answer.startswith(b"HTTP/1.0 400 Bad Request\r\n")
    shown = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(shown) == 1, caplog.text
    assert shown[0].levelno == logging.WARNING and shown[0].exc_info is None
    assert shown[0].getMessage().startswith("refused a malformed HTTP request from 127.0.0.1: 400 ")
