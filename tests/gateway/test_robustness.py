"""The gateway keeps serving everyone else whatever one client or handler does."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from websockets.asyncio.client import connect

from .helpers import WAIT, Gate, ok
from .rawws import RawClient

ROUTES = {"$connect": "connect", "$disconnect": "disconnect", "$default": "default"}


def echo(event: dict, context: Any) -> dict:
    if event["body"] == "crash":
        raise RuntimeError("handler bug")
    return {"statusCode": 200, "body": event["body"]}


async def test_hundreds_of_connections_with_a_crashing_handler(start_gateway) -> None:
    gateway, invoke = await start_gateway(
        {"connect": ok, "disconnect": ok, "default": echo}, ROUTES, two_way={"$default"}
    )
    clients = await asyncio.gather(*(connect(gateway.url) for _ in range(300)))
    assert gateway.connection_count == 300

    async def talk(index: int, ws: Any) -> None:
        await ws.send("crash" if index % 10 == 0 else f"m{index}")
        reply = await asyncio.wait_for(ws.recv(), WAIT * 2)
        if index % 10 == 0:
            assert '"message": "Internal server error"' in reply
        else:
            assert reply == f"m{index}"

    await asyncio.gather(*(talk(i, ws) for i, ws in enumerate(clients)))
    await asyncio.gather(*(ws.close() for ws in clients))
    for _ in clients:
        await invoke.next("disconnect")
    assert gateway.connection_count == 0


async def test_client_leaving_during_connect_gets_its_disconnect(start_gateway) -> None:
    gate = Gate()

    def held(event: dict, context: Any) -> dict:
        gate.wait()
        return {"statusCode": 200}

    gateway, invoke = await start_gateway(
        {"connect": held, "disconnect": ok, "default": ok}, ROUTES
    )
    _, writer = await RawClient.begin("127.0.0.1", gateway.port)
    connected = await invoke.next("connect")
    writer.transport.abort()  # the client gives up while $connect runs
    gate.open()
    event = await invoke.next("disconnect")
    rc = event["requestContext"]
    assert rc["connectionId"] == connected["requestContext"]["connectionId"]
    assert rc["disconnectStatusCode"] == 1006
    assert gateway.connection_count == 0
    async with connect(gateway.url) as ws:  # still serving
        await ws.send("x")
        await invoke.next("default")


async def test_problems_are_logged_as_one_line(start_gateway, caplog) -> None:
    caplog.set_level(logging.INFO, logger="sockgate.gateway")
    gateway, invoke = await start_gateway(
        {"connect": ok, "disconnect": ok, "default": echo}, ROUTES, two_way={"$default"}
    )
    async with connect(gateway.url) as ws:
        await ws.send("crash")
        await asyncio.wait_for(ws.recv(), WAIT)
    await invoke.next("disconnect")
    lines = [r.getMessage() for r in caplog.records if r.name == "sockgate.gateway"]
    failures = [line for line in lines if "handler bug" in line]
    assert len(failures) == 1
    assert "RuntimeError: handler bug" in failures[0] and "\n" not in failures[0]
