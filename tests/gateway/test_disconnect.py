"""Every way a connection ends, and the $disconnect event each produces."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from botocore.exceptions import ClientError
from websockets.asyncio.client import connect

from sockgate.testing.clock import TestClock

from .helpers import WAIT, management_client, ok
from .rawws import RawClient, frame

ROUTES = {"$connect": "connect", "$disconnect": "disconnect", "$default": "default"}
HANDLERS = {"connect": ok, "disconnect": ok, "default": ok}


async def closed(ws: Any) -> tuple[int | None, str]:
    """Wait for the server to close; the (code, reason) it sent."""
    try:
        await asyncio.wait_for(ws.wait_closed(), WAIT)
    except TimeoutError:
        raise AssertionError("the gateway did not close the connection") from None
    assert ws.protocol.close_rcvd is not None, "closed without a close frame"
    return ws.protocol.close_rcvd.code, ws.protocol.close_rcvd.reason


def disconnect_info(event: dict) -> tuple[int, str]:
    rc = event["requestContext"]
    return rc["disconnectStatusCode"], rc["disconnectReason"]


async def test_client_close_with_code_and_reason(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    async with connect(gateway.url) as ws:
        connected = await invoke.next("connect")
        await ws.close(4001, "bye now")
    event = await invoke.next("disconnect")
    assert disconnect_info(event) == (4001, "bye now")
    rc = event["requestContext"]
    assert rc["connectionId"] == connected["requestContext"]["connectionId"]
    assert rc["connectedAt"] == connected["requestContext"]["connectedAt"]
    assert event["headers"]["Host"] == "127.0.0.1"
    assert ws.protocol.close_rcvd is not None and ws.protocol.close_rcvd.code == 4001


async def test_client_close_without_status_is_1005(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    client = await RawClient.connect("127.0.0.1", gateway.port)
    await invoke.next("connect")
    await client.send(frame(0x8, b""))
    assert (await client.recv_close())[0] == 1000
    await client.close()
    event = await invoke.next("disconnect")
    assert disconnect_info(event) == (1005, "Client-side close frame status not set")


@pytest.mark.parametrize("code", [999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535])
async def test_client_close_code_that_may_not_be_sent_is_a_protocol_error(
    start_gateway, code: int
) -> None:
    """RFC 6455 §7.4: these codes never travel in a close frame; the gateway answers 1002."""
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    client = await RawClient.connect("127.0.0.1", gateway.port)
    await invoke.next("connect")
    await client.send(frame(0x8, code.to_bytes(2, "big") + b"bye"))
    assert (await client.recv_close())[0] == 1002
    await client.close()
    event = await invoke.next("disconnect")
    assert disconnect_info(event)[0] == 1002


@pytest.mark.parametrize("code", [1000, 1001, 1011, 1014, 3000, 4999])
async def test_client_close_code_that_may_be_sent_is_echoed(start_gateway, code: int) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    client = await RawClient.connect("127.0.0.1", gateway.port)
    await invoke.next("connect")
    await client.send(frame(0x8, code.to_bytes(2, "big") + b"bye"))
    assert (await client.recv_close())[0] == code
    await client.close()
    assert disconnect_info(await invoke.next("disconnect")) == (code, "bye")


async def test_tcp_drop_is_1006(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    client = await RawClient.connect("127.0.0.1", gateway.port)
    await invoke.next("connect")
    client.abort()
    event = await invoke.next("disconnect")
    assert disconnect_info(event) == (1006, "Connection Closed Abnormally")
    assert gateway.connection_count == 0


async def test_idle_timeout_closes_with_1001(start_gateway) -> None:
    clock = TestClock(asyncio.get_running_loop())
    gateway, invoke = await start_gateway(HANDLERS, ROUTES, clock=clock)
    async with connect(gateway.url) as ws:
        await invoke.next("connect")
        assert clock.advance(599.9) == 0  # the timer is due at 600 s
        assert gateway.connection_count == 1
        assert clock.advance(0.1) == 1
        assert await closed(ws) == (1001, "Going away")
    assert disconnect_info(await invoke.next("disconnect")) == (1001, "Going away")


async def test_messages_reset_the_idle_timer_pings_do_not(start_gateway) -> None:
    clock = TestClock(asyncio.get_running_loop())
    gateway, invoke = await start_gateway(HANDLERS, ROUTES, clock=clock)
    async with connect(gateway.url, ping_interval=None) as ws:
        await invoke.next("connect")
        for _ in range(3):  # 1,200 s in all, well past the idle timeout, with traffic
            clock.advance(400)
            await ws.send("keep me")
            await invoke.next("default")  # the gateway has read it
        assert gateway.connection_count == 1 and ws.protocol.close_rcvd is None
        clock.advance(300)
        await asyncio.wait_for(await ws.ping(), WAIT)  # answered, but no activity
        assert clock.advance(300) == 1  # 600 s after the last message
        assert await closed(ws) == (1001, "Going away")


async def test_max_duration_closes_with_1001_despite_traffic(start_gateway) -> None:
    clock = TestClock(asyncio.get_running_loop())
    gateway, invoke = await start_gateway(HANDLERS, ROUTES, clock=clock)
    async with connect(gateway.url) as ws:
        await invoke.next("connect")
        for _ in range(12):  # a message every 599 s: never idle, 7,188 s old
            clock.advance(599)
            await ws.send("busy")
            await invoke.next("default")
        assert gateway.connection_count == 1
        clock.advance(12)  # 7,200 s: the 2-hour limit
        assert await closed(ws) == (1001, "Going away")
    assert disconnect_info(await invoke.next("disconnect")) == (1001, "Going away")


async def test_delete_connection_closes_with_1000(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    client = management_client(gateway.management_url)
    async with connect(gateway.url) as ws:
        connection_id = (await invoke.next("connect"))["requestContext"]["connectionId"]
        response = await asyncio.to_thread(client.delete_connection, ConnectionId=connection_id)
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
        assert await closed(ws) == (1000, "Connection Closed Normally")
    assert disconnect_info(await invoke.next("disconnect")) == (1000, "Connection Closed Normally")
    with pytest.raises(client.exceptions.GoneException):
        await asyncio.to_thread(client.post_to_connection, ConnectionId=connection_id, Data=b"x")


async def test_connection_is_gone_before_disconnect_runs(start_gateway) -> None:
    loop = asyncio.get_running_loop()
    outcome: asyncio.Future[str] = loop.create_future()
    ports: list[int] = []

    def disconnect(event: dict, context: Any) -> dict:
        rc = event["requestContext"]
        client = management_client(f"http://127.0.0.1:{ports[0]}/{rc['stage']}")
        try:
            client.post_to_connection(ConnectionId=rc["connectionId"], Data=b"late")
            result = "sent"
        except ClientError as exc:
            result = exc.response["Error"]["Code"]
        loop.call_soon_threadsafe(outcome.set_result, result)
        return {"statusCode": 200}

    gateway, invoke = await start_gateway(HANDLERS | {"disconnect": disconnect}, ROUTES)
    ports.append(gateway.port)
    async with connect(gateway.url) as ws:
        await invoke.next("connect")
        await ws.close()
    assert await asyncio.wait_for(outcome, WAIT) == "GoneException"


async def test_shutdown_closes_everyone_with_1001_and_runs_disconnect(start_gateway) -> None:
    gateway, invoke = await start_gateway(HANDLERS, ROUTES)
    clients = [await connect(gateway.url) for _ in range(5)]
    for _ in clients:
        await invoke.next("connect")
    await gateway.close()
    assert invoke.pending("disconnect") == 5  # every $disconnect ran before close() returned
    for ws in clients:
        assert await closed(ws) == (1001, "Going away")
    for _ in clients:
        assert disconnect_info(await invoke.next("disconnect")) == (1001, "Going away")
    await gateway.close()  # idempotent


async def test_disconnect_handler_failure_is_contained(start_gateway) -> None:
    def crash(event: dict, context: Any) -> dict:
        raise RuntimeError("disconnect exploded")

    gateway, invoke = await start_gateway(HANDLERS | {"disconnect": crash}, ROUTES)
    async with connect(gateway.url) as ws:
        await ws.close()
    await invoke.next("disconnect")
    async with connect(gateway.url) as ws:  # still serving
        await ws.send("still here")
        assert (await invoke.next("default"))["body"] == "still here"
