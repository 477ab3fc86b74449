"""aiohttp's WebSocketResponse with API Gateway's per-frame quotas enforced on the wire.

aiohttp parses frames in C and offers only a whole-message size limit. To close with 1009 on an
oversize *frame* (and 1003 on a binary frame) before its payload is buffered, the response slots
a thin parser in front of aiohttp's own: each chunk from the socket goes through
`limits.FrameGuard` first and then, unchanged, to aiohttp's reader. On a violation the guard
hands aiohttp the bytes before the offending frame and fails aiohttp's message queue with a
`WebSocketError`, the same path aiohttp takes for its own limits, so `receive()` answers with
the close frame and returns an ERROR message carrying the code.

The aiohttp internals this needs (the handshake's last step, the request handler's payload
parser, the message queue, the transport's close) are reached only through
`sockgate._compat.aiohttp`, which tests/compat checks against the installed aiohttp; the
gateway's tests for 1009/1003 and the lingering close fail loudly too if a release changes them.
Frames a client pipelines before it has read the 101 response reach aiohttp directly (RFC 6455
forbids that); aiohttp's message limit still applies to them.

Outbound, `write_frame_now` puts a frame into the transport's buffer without ever waiting:
aiohttp's `send_frame` writes synchronously too, but then waits for the transport to drain while
the client is slow, and PostToConnection must answer at once (429 when the buffer is full).
aiohttp has no public non-waiting send (its synchronous frame writer is private and was renamed
within the versions we support), so the two- to ten-byte header of an unmasked, uncompressed
server frame (RFC 6455 §5.2) is packed here. Every frame, ours or aiohttp's, goes into the
transport in one synchronous step, so frames never interleave.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from typing import Any

from aiohttp import web
from aiohttp.http_websocket import WebSocketError

from sockgate._compat import aiohttp as compat
from sockgate.gateway.limits import FrameGuard

__all__ = ["GuardedWebSocketResponse", "frame_header", "write_frame_now"]

_LEN16 = struct.Struct("!BBH").pack
_LEN64 = struct.Struct("!BBQ").pack


def frame_header(opcode: int, length: int) -> bytes:
    """The header of a final, unmasked, uncompressed frame (what a server sends)."""
    first = 0x80 | opcode
    if length < 126:
        return bytes((first, length))
    if length < 65536:
        return _LEN16(first, 126, length)
    return _LEN64(first, 127, length)


def write_frame_now(ws: web.WebSocketResponse, transport: Any, data: bytes, opcode: int) -> None:
    """Write one frame for `ws` into its transport's buffer now; never waits.

    Raises ConnectionResetError when the WebSocket is closing or its transport is. The caller
    bounds the buffer (the gateway's OUTBOUND_BUFFER_LIMIT).
    """
    if ws.closed or transport.is_closing():
        raise ConnectionResetError("the WebSocket is closing")
    transport.write(frame_header(opcode, len(data)) + data)


class _NoSubprotocolNotice(logging.Filter):
    """Drop aiohttp's warning that no requested subprotocol was chosen.

    On API Gateway a $connect handler that picks no subprotocol is ordinary (AWS: subprotocols on
    $connect); aiohttp warns about it on every such handshake.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("%s: Client protocols")


logging.getLogger("aiohttp.websocket").addFilter(_NoSubprotocolNotice())


class _GuardedParser:
    """Feeds aiohttp's WebSocket reader through a FrameGuard.

    After a violation everything the client still sends is read and dropped, and `ended` is
    set when the client's side of the TCP connection ends: see `lingering_close`.
    """

    __slots__ = ("_guard", "_inner", "_queue", "ended", "failed")

    def __init__(self, inner: Any, queue: Any, guard: FrameGuard) -> None:
        self._inner = inner
        self._queue = queue
        self._guard = guard
        self.failed = False
        self.ended = asyncio.Event()

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        if self.failed:
            return True, b""
        allowed, violation = self._guard.feed(data)
        if violation is None:
            return self._inner.feed_data(data)  # type: ignore[no-any-return]
        self.failed = True
        if allowed:
            self._inner.feed_data(data[:allowed])
        self._queue.set_exception(WebSocketError(violation.code, violation.description))
        return True, b""

    def feed_eof(self) -> None:
        self.ended.set()
        self._inner.feed_eof()


class GuardedWebSocketResponse(compat.HookedWebSocketResponse):
    """A server WebSocket whose inbound frames are checked against frame and message quotas."""

    def __init__(self, *, max_frame_bytes: int, max_message_bytes: int, **kwargs: Any) -> None:
        # aiohttp rejects a message whose size is >= max_msg_size; +1 lets exactly the quota in.
        super().__init__(max_msg_size=max_message_bytes + 1, **kwargs)
        self._guard = FrameGuard(max_frame_bytes, max_message_bytes)
        self._guarded: _GuardedParser | None = None

    def after_start(self, request: web.BaseRequest) -> None:
        inner = compat.payload_parser(request)
        self._guarded = _GuardedParser(inner, compat.message_queue(self), self._guard)
        compat.replace_payload_parser(request, self._guarded)

    def before_close_transport(self) -> bool:
        # After a violation the client is likely still sending (the rest of an oversize frame).
        # Closing the socket now, with its bytes unread, makes the kernel answer with a TCP
        # reset, and a reset can destroy our close frame in the client's buffers before the
        # client reads it. So send FIN after the close frame and keep reading; the handler
        # closes the socket once the client has finished (`lingering_close`).
        guarded = self._guarded
        transport = compat.request_transport(self)
        if (
            guarded is not None
            and guarded.failed
            and transport is not None
            and not transport.is_closing()
            and transport.can_write_eof()
        ):
            transport.write_eof()
            transport.resume_reading()  # in case aiohttp's flow control had paused it
            return True
        return False

    async def lingering_close(self, timeout: float) -> None:
        """After a violation, wait (at most `timeout` s) for the client to stop sending."""
        guarded = self._guarded
        if guarded is None or not guarded.failed:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(guarded.ended.wait(), timeout)
