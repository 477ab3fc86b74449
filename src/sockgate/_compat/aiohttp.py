"""aiohttp below its public API: the server WebSocket's frame parser, message queue and close.

Used by `sockgate.gateway.wsresponse` to check each inbound frame against API Gateway's quotas
before aiohttp buffers it, and to close with a lingering FIN after a violation. Every private
name is listed in `PRIVATE_NAMES`; `tests/compat/test_aiohttp.py` checks each against the
installed aiohttp.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

__all__ = [
    "PRIVATE_NAMES",
    "HookedWebSocketResponse",
    "message_queue",
    "payload_parser",
    "replace_payload_parser",
    "request_transport",
]

PRIVATE_NAMES: dict[str, tuple[str, ...]] = {
    "aiohttp.web_ws.WebSocketResponse": ("_post_start", "_close_transport", "_reader", "_req"),
    "aiohttp.web_protocol.RequestHandler": ("_payload_parser",),
}


class HookedWebSocketResponse(web.WebSocketResponse):
    """aiohttp's WebSocketResponse with two private steps offered as hooks to override."""

    def _post_start(self, request: web.BaseRequest, protocol: str | None, writer: Any) -> None:
        super()._post_start(request, protocol, writer)
        self.after_start(request)

    def after_start(self, request: web.BaseRequest) -> None:
        """Called once the handshake is done and the frame parser set, before any frame is
        parsed (frames the client pipelined before reading the 101 excepted)."""

    def _close_transport(self) -> None:
        if not self.before_close_transport():
            super()._close_transport()

    def before_close_transport(self) -> bool:
        """Called when aiohttp would close the socket (after the close handshake, or on an
        error); True when the override took care of the socket and aiohttp must not close it."""
        return False


def payload_parser(request: web.BaseRequest) -> Any:
    """The parser the request's connection feeds its bytes to: after the WebSocket handshake,
    aiohttp's WebSocketReader (`feed_data(data) -> (eof, tail)`, `feed_eof()`)."""
    return request.protocol._payload_parser


def replace_payload_parser(request: web.BaseRequest, parser: Any) -> None:
    """Feed the connection's bytes to `parser` from now on (it usually wraps `payload_parser`)."""
    request.protocol._payload_parser = parser


def message_queue(ws: web.WebSocketResponse) -> Any:
    """The queue `receive()` reads messages from (None before the handshake); its
    `set_exception(exc)` fails the connection the way aiohttp's own limits do."""
    return ws._reader


def request_transport(ws: web.WebSocketResponse) -> asyncio.Transport | None:
    """The socket's transport (None before the handshake or once it is gone)."""
    request = ws._req
    return request.transport if request is not None else None
