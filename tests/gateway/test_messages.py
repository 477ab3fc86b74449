"""Messages, route selection and integration results over real sockets."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

from websockets.asyncio.client import connect

from .helpers import WAIT, Gate, ok

ROUTES = {"$connect": "connect", "$default": "default", "echo": "echo", "chat": "chat"}


def echo(event: dict, context: Any) -> dict:
    return {"statusCode": 200, "body": event["body"]}


def frame_for(message: str, event: dict) -> str:
    rc = event["requestContext"]
    return (
        f'{{"message": "{message}", "connectionId":"{rc["connectionId"]}", '
        f'"requestId":"{rc["requestId"]}"}}'
    )


async def recv(ws: Any) -> str:
    return await asyncio.wait_for(ws.recv(), WAIT)


async def test_messages_route_by_action_and_fall_back_to_default(start_gateway) -> None:
    handlers = {"connect": ok, "default": ok, "echo": echo, "chat": ok}
    gateway, invoke = await start_gateway(handlers, ROUTES, two_way={"echo"})
    async with connect(gateway.url) as ws:
        connected = await invoke.next("connect")
        await ws.send(json.dumps({"action": "chat", "text": "hi"}))
        chat = await invoke.next("chat")
        await ws.send("not json")
        default = await invoke.next("default")
        await ws.send(json.dumps({"action": "nope"}))
        unmatched = await invoke.next("default")
    assert chat["requestContext"]["routeKey"] == "chat"
    assert chat["body"] == '{"action": "chat", "text": "hi"}'
    assert default["requestContext"]["routeKey"] == "$default"
    assert unmatched["requestContext"]["routeKey"] == "$default"
    for event in (chat, default, unmatched):
        assert list(event) == ["requestContext", "body", "isBase64Encoded"]
        rc = event["requestContext"]
        assert rc["eventType"] == "MESSAGE"
        assert re.fullmatch(r"[A-Za-z0-9_\-]{15}=", rc["messageId"])
        assert rc["connectionId"] == connected["requestContext"]["connectionId"]
        assert rc["connectedAt"] == connected["requestContext"]["connectedAt"]
        assert rc["requestTimeEpoch"] >= rc["connectedAt"]
        assert rc["identity"] == connected["requestContext"]["identity"]
    assert len({e["requestContext"]["requestId"] for e in (chat, default, unmatched)}) == 3


async def test_two_way_reply_over_128_kb_is_an_internal_server_error(start_gateway, caplog) -> None:
    caplog.set_level(logging.ERROR, logger="sockgate.gateway")

    def sized(event: dict, context: Any) -> dict:
        return {"statusCode": 200, "body": "r" * json.loads(event["body"])["size"]}

    handlers = {"connect": ok, "default": ok, "echo": sized, "chat": ok}
    gateway, invoke = await start_gateway(handlers, ROUTES, two_way={"echo"})
    async with connect(gateway.url, max_size=None) as ws:
        await ws.send(json.dumps({"action": "echo", "size": 128 * 1024}))
        assert await recv(ws) == "r" * (128 * 1024)
        await ws.send(json.dumps({"action": "echo", "size": 128 * 1024 + 1}))
        await invoke.next("echo")  # the reply at the quota
        over = await invoke.next("echo")
        assert await recv(ws) == frame_for("Internal server error", over)
        await ws.send(json.dumps({"action": "echo", "size": 3}))  # the connection stays open
        assert await recv(ws) == "rrr"
    lines = [r.getMessage() for r in caplog.records if "message quota" in r.getMessage()]
    assert len(lines) == 1 and "131073 bytes" in lines[0] and "\n" not in lines[0]


async def test_forbidden_frame_without_default_and_connection_stays_open(start_gateway) -> None:
    gateway, invoke = await start_gateway(
        {"connect": ok, "echo": echo}, {"$connect": "connect", "echo": "echo"}, two_way={"echo"}
    )
    async with connect(gateway.url) as ws:
        connection_id = (await invoke.next("connect"))["requestContext"]["connectionId"]
        await ws.send('{"action": "unknown"}')
        frame = await recv(ws)
        assert re.fullmatch(
            r'\{"message": "Forbidden", "connectionId":"'
            + re.escape(connection_id)
            + r'", "requestId":"[A-Za-z0-9_\-]{15}="\}',
            frame,
        )
        await ws.send('{"action": "echo", "n": 1}')
        assert await recv(ws) == '{"action": "echo", "n": 1}'


async def test_deeply_nested_messages_are_unroutable_and_keep_the_connection(
    start_gateway,
) -> None:
    """A body nested past the parser's limit selects no route (Forbidden without $default)."""
    gateway, invoke = await start_gateway(
        {"connect": ok, "echo": echo}, {"$connect": "connect", "echo": "echo"}, two_way={"echo"}
    )
    async with connect(gateway.url) as ws:
        await invoke.next("connect")
        for body in ("[" * 1000, "[" * 5000 + "]" * 5000, '{"a":' * 3000 + "1" + "}" * 3000):
            await ws.send(body)
            assert json.loads(await recv(ws))["message"] == "Forbidden"
        await ws.send('{"action": "echo", "n": 2}')
        assert await recv(ws) == '{"action": "echo", "n": 2}'


async def test_deeply_nested_message_goes_to_default(start_gateway) -> None:
    gateway, invoke = await start_gateway({"connect": ok, "default": echo}, ROUTES)
    async with connect(gateway.url) as ws:
        await invoke.next("connect")
        body = "[" * 5000 + "]" * 5000
        await ws.send(body)
        assert (await invoke.next("default"))["body"] == body


async def test_handler_error_sends_internal_server_error_frame(start_gateway) -> None:
    def crash(event: dict, context: Any) -> dict:
        raise KeyError("missing")

    gateway, invoke = await start_gateway(
        {"connect": ok, "default": crash}, ROUTES | {"echo": "default", "chat": "default"}
    )
    async with connect(gateway.url) as ws:
        await ws.send("boom")
        event = await invoke.next("default")
        assert await recv(ws) == frame_for("Internal server error", event)
        await ws.send("again")  # the connection is still open
        event = await invoke.next("default")
        assert await recv(ws) == frame_for("Internal server error", event)


async def test_function_timeout_sends_internal_server_error(start_gateway) -> None:
    gate = Gate()

    def slow(event: dict, context: Any) -> None:
        gate.wait()

    gateway, invoke = await start_gateway(
        {"connect": ok, "default": slow},
        {"$connect": "connect", "$default": "default"},
        timeouts={"default": 0.2},
    )
    try:
        async with connect(gateway.url) as ws:
            await ws.send("slow")
            event = await invoke.next("default")
            assert await recv(ws) == frame_for("Internal server error", event)
    finally:
        gate.open()


async def test_integration_timeout_sends_endpoint_request_timed_out(start_gateway) -> None:
    gate = Gate()

    def slow(event: dict, context: Any) -> None:
        gate.wait()

    gateway, invoke = await start_gateway(
        {"connect": ok, "default": slow},
        {"$connect": "connect", "$default": "default"},
        integration_timeout=0.2,
    )
    try:
        async with connect(gateway.url) as ws:
            await ws.send("slow")
            event = await invoke.next("default")
            assert await recv(ws) == frame_for("Endpoint request timed out", event)
    finally:
        gate.open()


async def test_two_way_replies_one_way_discards(start_gateway) -> None:
    def one_way(event: dict, context: Any) -> dict:
        return {"statusCode": 200, "body": "must not be sent"}

    handlers = {"connect": ok, "default": ok, "echo": echo, "chat": one_way}
    gateway, invoke = await start_gateway(handlers, ROUTES, two_way={"echo"})
    async with connect(gateway.url) as ws:
        await ws.send('{"action": "chat"}')
        await invoke.next("chat")
        await ws.send('{"action": "echo", "x": "y"}')
        assert await recv(ws) == '{"action": "echo", "x": "y"}'


async def test_invoker_failure_is_internal_server_error(start_gateway) -> None:
    gateway, invoke = await start_gateway(
        {"connect": ok, "default": ok}, {"$connect": "connect", "$default": "default"}
    )
    async with connect(gateway.url) as ws:
        invoke.raise_invoker_error = True
        await ws.send("hello")
        frame = json.loads(await recv(ws))
        assert frame["message"] == "Internal server error"


async def test_slow_message_does_not_block_the_next_one_or_other_connections(start_gateway) -> None:
    gate = Gate()

    def maybe_slow(event: dict, context: Any) -> dict:
        if event["body"] == "slow":
            gate.wait()
        return {"statusCode": 200, "body": event["body"]}

    gateway, invoke = await start_gateway(
        {"connect": ok, "default": maybe_slow},
        {"$connect": "connect", "$default": "default"},
        two_way={"$default"},
    )
    try:
        async with connect(gateway.url) as first, connect(gateway.url) as second:
            await first.send("slow")
            await invoke.next("default")
            await first.send("fast-1")
            assert await recv(first) == "fast-1"
            await second.send("fast-2")
            assert await recv(second) == "fast-2"
            gate.open()
            assert await recv(first) == "slow"
    finally:
        gate.open()


async def test_many_messages_on_one_connection_all_arrive(start_gateway) -> None:
    gateway, invoke = await start_gateway(
        {"connect": ok, "default": echo},
        {"$connect": "connect", "$default": "default"},
        two_way={"$default"},
    )
    async with connect(gateway.url) as ws:
        for i in range(300):
            await ws.send(str(i))
        replies = {await recv(ws) for _ in range(300)}
    assert replies == {str(i) for i in range(300)}
