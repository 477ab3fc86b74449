"""Frame and message quotas, binary and malformed frames over real sockets."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from websockets.asyncio.client import connect

from .helpers import WAIT, ok
from .rawws import RawClient, frame

ROUTES = {"$connect": "connect", "$disconnect": "disconnect", "$default": "default"}
HANDLERS = {"connect": ok, "disconnect": ok, "default": ok}
KB = 1024


async def raw(gateway: Any, invoke: Any) -> RawClient:
    client = await RawClient.connect("127.0.0.1", gateway.port)
    assert client.status == 101
    await invoke.next("connect")
    return client


def disconnect_code(event: dict) -> int:
    return event["requestContext"]["disconnectStatusCode"]


async def test_frame_at_the_quota_is_delivered(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    async with connect(gateway.url) as ws:
        await ws.send("a" * (32 * KB))
        assert (await invoke.next("default"))["body"] == "a" * (32 * KB)


async def test_frame_over_the_quota_closes_with_1009(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    client = await raw(gateway, invoke)
    await client.send(frame(0x1, b"b" * (32 * KB + 1)))
    assert (await client.recv_close())[0] == 1009
    event = await invoke.next("disconnect")
    assert disconnect_code(event) == 1009
    assert event["requestContext"]["disconnectReason"] == "Message too big"
    assert invoke.pending("default") == 0
    await client.close()


async def test_oversize_frame_close_lingers_while_the_client_is_still_sending(
    start_gateway,
) -> None:
    """The gateway closes with 1009 at the header, but keeps reading: a client that goes on
    sending the rest of its frame gets no TCP reset, which could destroy the close frame
    before the client reads it, and sees the connection end cleanly once it answers."""
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    client = await raw(gateway, invoke)
    whole = frame(0x1, os.urandom(1024 * KB))
    await client.send(whole[: 64 * KB])
    assert (await client.recv_close())[0] == 1009
    for start in range(64 * KB, len(whole), 64 * KB):  # the rest of the frame, then a close
        await client.send(whole[start : start + 64 * KB])
    await client.send(frame(0x8, (1009).to_bytes(2, "big")))
    assert await asyncio.wait_for(client.reader.read(), WAIT) == b""  # FIN, not a reset
    assert disconnect_code(await invoke.next("disconnect")) == 1009
    await client.close()


async def test_fragmented_message_at_the_quota_is_delivered_whole(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    async with connect(gateway.url) as ws:
        await ws.send([c * (32 * KB) for c in "wxyz"])  # four 32 KB fragments = 128 KB
        body = (await invoke.next("default"))["body"]
    assert len(body) == 128 * KB and body.startswith("w" * 100) and body.endswith("z" * 100)


async def test_message_over_the_quota_closes_with_1009(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    async with connect(gateway.url) as ws:
        await ws.send([c * (32 * KB) for c in "wxyz"] + ["!"])
        await asyncio.wait_for(ws.wait_closed(), WAIT)
        assert ws.protocol.close_rcvd is not None and ws.protocol.close_rcvd.code == 1009
    assert disconnect_code(await invoke.next("disconnect")) == 1009
    assert invoke.pending("default") == 0


async def test_binary_frame_closes_with_1003(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    async with connect(gateway.url) as ws:
        await ws.send(b"\x00\x01binary")
        await asyncio.wait_for(ws.wait_closed(), WAIT)
        assert ws.protocol.close_rcvd is not None and ws.protocol.close_rcvd.code == 1003
    event = await invoke.next("disconnect")
    assert disconnect_code(event) == 1003
    assert invoke.pending("default") == 0


async def test_unmasked_frame_closes_with_1002(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    client = await raw(gateway, invoke)
    await client.send(frame(0x1, b"hello", mask=False))  # RFC 6455 §5.1: clients must mask
    assert (await client.recv_close())[0] == 1002
    event = await invoke.next("disconnect")
    assert disconnect_code(event) == 1002
    assert event["requestContext"]["disconnectReason"] == "Protocol error"
    assert invoke.pending("default") == 0
    await client.close()


async def test_invalid_utf8_text_closes_with_1007(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    client = await raw(gateway, invoke)
    await client.send(frame(0x1, b"\xff\xfe"))
    assert (await client.recv_close())[0] == 1007
    assert disconnect_code(await invoke.next("disconnect")) == 1007
    await client.close()


async def test_garbage_bytes_close_one_connection_only(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    async with connect(gateway.url) as healthy:
        await invoke.next("connect")
        client = await raw(gateway, invoke)
        # Not os.urandom: one random header in a few hundred is a valid masked frame that
        # waits for more bytes, and the test then timed out. RSV bits set: a protocol error.
        await client.send(b"\xff\xfe" + b"garbage!" * 8 + b"\x0f\x85garbage")
        await invoke.next("disconnect")
        await client.close()
        await healthy.send("still fine")
        assert (await invoke.next("default"))["body"] == "still fine"
