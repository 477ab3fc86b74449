"""sockgate._compat.aiohttp against the installed aiohttp: every private name it uses is there,
and a server WebSocket built on it sees each inbound chunk, fails its queue and closes as the
gateway's frame quotas need.

A failure here after an upgrade means aiohttp moved an internal: update _compat/aiohttp.py (and
the bound in pyproject.toml) before lifting the bound.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.http_websocket import WebSocketError
from aiohttp.web_protocol import RequestHandler

from sockgate._compat import aiohttp as compat

from .names import missing_names


def _incompatible(what: str) -> str:
    return (
        f"aiohttp {aiohttp.__version__} is not what sockgate._compat.aiohttp was written for: "
        f"{what}. Update src/sockgate/_compat/aiohttp.py and aiohttp's bound in pyproject.toml."
    )


def test_every_private_name_is_there() -> None:
    owners: dict[str, Any] = {
        "aiohttp.web_ws.WebSocketResponse": web.WebSocketResponse(),
        "aiohttp.web_protocol.RequestHandler": RequestHandler,
    }
    missing = missing_names(compat.PRIVATE_NAMES, owners)
    assert not missing, _incompatible(f"missing {', '.join(missing)}")


@pytest.mark.parametrize(
    ("method", "parameters"),
    [("_post_start", ["self", "request", "protocol", "writer"]), ("_close_transport", ["self"])],
)
def test_overridden_methods_take_what_we_override(method: str, parameters: list[str]) -> None:
    found = list(inspect.signature(getattr(web.WebSocketResponse, method)).parameters)
    assert found == parameters, _incompatible(f"WebSocketResponse.{method}{tuple(found)}")


class _Counting:
    """A parser in front of aiohttp's: counts the bytes; fails the queue on a chunk over 100
    bytes (client frames are masked: their payload cannot be read here)."""

    def __init__(self, inner: Any, queue: Any) -> None:
        self.inner = inner
        self.queue = queue
        self.seen = 0
        self.ended = False

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self.seen += len(data)
        if len(data) > 100:
            self.queue.set_exception(WebSocketError(1009, "too big"))
            return False, b""  # (True: aiohttp would close the connection at once)
        result: tuple[bool, bytes] = self.inner.feed_data(data)
        return result

    def feed_eof(self) -> None:
        self.ended = True
        self.inner.feed_eof()


class _Probe(compat.HookedWebSocketResponse):
    def __init__(self) -> None:
        super().__init__()
        self.parser: _Counting | None = None
        self.transport_at_start: asyncio.Transport | None = None
        self.close_hooked = 0

    def after_start(self, request: web.BaseRequest) -> None:
        queue = compat.message_queue(self)
        assert queue is not None, _incompatible("no message queue once started")
        self.parser = _Counting(compat.payload_parser(request), queue)
        compat.replace_payload_parser(request, self.parser)
        self.transport_at_start = compat.request_transport(self)

    def before_close_transport(self) -> bool:
        self.close_hooked += 1
        return False  # aiohttp closes the socket as usual


async def test_a_server_websocket_on_the_hooks() -> None:
    probes: list[_Probe] = []
    received: list[Any] = []
    first = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = _Probe()
        probes.append(ws)
        await ws.prepare(request)
        async for message in ws:
            received.append(message)
            first.set()
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(f"http://127.0.0.1:{port}/") as client:
                await client.send_str("hello")
                await asyncio.wait_for(first.wait(), 5)  # alone in its chunk
                await client.send_str("x" * 1000)
                closing = await asyncio.wait_for(client.receive(), 5)
        (probe,) = probes
        assert probe.transport_at_start is not None, _incompatible("no transport once started")
        assert probe.parser is not None
        assert probe.parser.seen > len("hello"), _incompatible(
            "inbound bytes no longer go through the connection's _payload_parser"
        )
        assert [m.data for m in received if m.type == aiohttp.WSMsgType.TEXT] == ["hello"]
        assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 1009, _incompatible(
            f"failing the message queue closed with {closing.type}, {closing.data}"
        )
        assert probe.close_hooked >= 1, _incompatible("_close_transport was not called")
    finally:
        await runner.cleanup()
