"""A minimal WebSocket client for holding thousands of idle connections (row 5).

The websockets library spends about twice the server's CPU on each client handshake (measured
here: ~1.2 ms against ~0.6 ms), so with it a 10,000-connection ramp measures the client. This
client does only what an idle connection needs (RFC 6455 section 4.1): send the upgrade
request, check the 101 and its Sec-WebSocket-Accept, then hold the socket; it can exchange one
small masked text frame to prove a connection still works. It is written by hand because no
library offers a handshake-only client; everything else in the benchmark uses websockets.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import struct
from collections.abc import Callable
from urllib.parse import urlsplit

__all__ = ["FrameWatcher", "HandshakeError", "RawConnection", "connect"]

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class HandshakeError(Exception):
    """The server did not switch protocols."""


class RawConnection:
    """An open WebSocket connection as a pair of asyncio streams."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def echo(self, text: str, timeout: float) -> str:
        """Send one small text frame and return the text of the next frame."""
        payload = text.encode()
        if len(payload) > 125:
            raise ValueError("only small frames")
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(bytes([0x81, 0x80 | len(payload)]) + mask + masked)
        head = await asyncio.wait_for(self.reader.readexactly(2), timeout)
        size = head[1] & 0x7F
        if size == 126:
            (size,) = struct.unpack(">H", await self.reader.readexactly(2))
        elif size == 127:
            (size,) = struct.unpack(">Q", await self.reader.readexactly(8))
        body = await asyncio.wait_for(self.reader.readexactly(size), timeout)
        return body.decode(errors="replace")

    async def send_text(self, text: str) -> None:
        """Send one masked text frame of any size."""
        payload = text.encode()
        mask = os.urandom(4)
        size = len(payload)
        if size < 126:
            head = bytes([0x81, 0x80 | size])
        elif size < 1 << 16:
            head = bytes([0x81, 0x80 | 126]) + struct.pack(">H", size)
        else:
            head = bytes([0x81, 0x80 | 127]) + struct.pack(">Q", size)
        self.writer.write(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
        await self.writer.drain()

    async def receive_text(self, timeout: float) -> str:
        """The text of the next frame."""
        head = await asyncio.wait_for(self.reader.readexactly(2), timeout)
        size = head[1] & 0x7F
        if size == 126:
            (size,) = struct.unpack(">H", await self.reader.readexactly(2))
        elif size == 127:
            (size,) = struct.unpack(">Q", await self.reader.readexactly(8))
        body = await asyncio.wait_for(self.reader.readexactly(size), timeout)
        return body.decode(errors="replace")

    def watch(self, on_frame: Callable[[bytes], None]) -> None:
        """From now on, hand every incoming frame's payload to `on_frame` as it arrives.

        The socket's protocol is swapped for a `FrameWatcher`: no task wakes per message, so
        a thousand connections cost this process little more than the bytes themselves.
        """
        self.writer.transport.set_protocol(FrameWatcher(on_frame))

    def abort(self) -> None:
        """Drop the TCP connection."""
        self.writer.transport.abort()

    async def close(self) -> None:
        """Send a close frame (1000) and close the socket."""
        mask = os.urandom(4)
        code = struct.pack(">H", 1000)
        self.writer.write(b"\x88\x82" + mask + bytes(b ^ mask[i] for i, b in enumerate(code)))
        self.writer.close()


class FrameWatcher(asyncio.Protocol):
    """Parses server frames (unmasked) from the byte stream and reports each payload."""

    def __init__(self, on_frame: Callable[[bytes], None]) -> None:
        self._on_frame = on_frame
        self._buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while len(buffer) >= 2:
            size, start = buffer[1] & 0x7F, 2
            if size == 126:
                if len(buffer) < 4:
                    return
                (size,), start = struct.unpack_from(">H", buffer, 2), 4
            elif size == 127:
                if len(buffer) < 10:
                    return
                (size,), start = struct.unpack_from(">Q", buffer, 2), 10
            if len(buffer) < start + size:
                return
            payload = bytes(buffer[start : start + size])
            del buffer[: start + size]
            self._on_frame(payload)

    def connection_lost(self, exc: Exception | None) -> None:
        self._buffer.clear()


async def connect(url: str, timeout: float) -> RawConnection:
    """Open a WebSocket connection to a ws:// URL; HandshakeError unless the server says 101."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    key = base64.b64encode(os.urandom(16))
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        writer.write(
            b"GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
            % (path.encode(), host.encode(), port, key)
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    except BaseException:
        writer.transport.abort()
        raise
    status = head.split(b"\r\n", 1)[0]
    accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
    if b" 101 " not in status + b" " or accept not in head:
        writer.transport.abort()
        raise HandshakeError(status.decode(errors="replace"))
    return RawConnection(reader, writer)
