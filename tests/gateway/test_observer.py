"""The gateway's observer hooks (the inspector, #18): connections and frames, in order."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import ClientSession
from websockets.asyncio.client import connect

from sockgate.testing.polling import eventually

from .helpers import WAIT, ok

ROUTES = {"$connect": "connect", "$disconnect": "connect", "echo": "echo"}


def echo(event: dict, context: Any) -> dict:
    return {"statusCode": 200, "body": event["body"]}


class Observer:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def opened(self, connection_id: str, **info: Any) -> None:
        self.calls.append(("opened", connection_id, info["query"], info["identity"]["sourceIp"]))

    def received(
        self, connection_id: str, text: str, route: str | None, request_id: str | None
    ) -> None:
        self.calls.append(("received", text, route, request_id is not None))

    def sent(self, connection_id: str, data: str | bytes, source: str) -> None:
        self.calls.append(("sent", data, source))

    def ended(self, connection_id: str, code: int, reason: str) -> None:
        self.calls.append(("ended", code, reason))


async def test_an_observer_sees_each_connection_and_frame(start_gateway) -> None:
    gateway, _ = await start_gateway({"connect": ok, "echo": echo}, ROUTES, two_way={"echo"})
    observer = Observer()
    gateway.observe(observer)
    async with connect(gateway.url + "?a=1") as ws:
        (connection_id,) = gateway.connection_ids()
        await ws.send(json.dumps({"action": "echo"}))
        assert await asyncio.wait_for(ws.recv(), WAIT) == '{"action": "echo"}'
        await ws.send("nope")  # no route, no $default: the Forbidden frame
        assert "Forbidden" in await asyncio.wait_for(ws.recv(), WAIT)
        await gateway.post_to_connection(connection_id, b"posted")
        assert await asyncio.wait_for(ws.recv(), WAIT) == "posted"
    await eventually(lambda: observer.calls[-1][0] == "ended")
    calls = observer.calls
    assert calls[0] == ("opened", connection_id, "a=1", "127.0.0.1")
    assert calls[1:3] == [
        ("received", '{"action": "echo"}', "echo", True),
        ("sent", '{"action": "echo"}', "gateway"),
    ]
    assert calls[3] == ("received", "nope", None, False)
    assert calls[4][0] == "sent" and "Forbidden" in calls[4][1] and calls[4][2] == "gateway"
    assert calls[5:] == [("sent", b"posted", "post"), ("ended", 1000, "")]


async def test_the_inspector_path_is_forbidden_until_something_serves_it(start_gateway) -> None:
    gateway, _ = await start_gateway({"connect": ok, "echo": echo}, ROUTES)
    base = gateway.http_base
    async with ClientSession() as http:
        async with http.get(base + "/_sockgate/") as reply:
            assert reply.status == 403

        async def served(request: Any) -> Any:
            from aiohttp import web

            return web.Response(text=request.path)

        gateway.inspector = served
        async with http.get(base + "/_sockgate/api/state") as reply:
            assert reply.status == 200 and await reply.text() == "/_sockgate/api/state"
        async with http.get(base + "/dev/_sockgate/") as reply:
            assert reply.status == 426  # under the stage it is still API Gateway's
