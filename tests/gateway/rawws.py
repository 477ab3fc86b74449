"""A bare WebSocket client for tests that need frames a well-behaved library will not send.

Empty close frames, oversize or binary frames, hand-made fragmentation, garbage bytes, and a
look at the raw 101 response headers.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct

WAIT = 5.0


def frame(opcode: int, payload: bytes, *, fin: bool = True, mask: bool = True) -> bytes:
    """One client frame (masked, as RFC 6455 requires of clients)."""
    first = (0x80 if fin else 0) | opcode
    length = len(payload)
    mask_bit = 0x80 if mask else 0
    if length < 126:
        header = struct.pack("!BB", first, mask_bit | length)
    elif length < 65536:
        header = struct.pack("!BBH", first, mask_bit | 126, length)
    else:
        header = struct.pack("!BBQ", first, mask_bit | 127, length)
    if not mask:
        return header + payload
    key = os.urandom(4)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return header + key + masked


class RawClient:
    """A WebSocket connection driven frame by frame."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, status: int, head: str
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.status = status
        self.head = head  # the raw response head (status line and headers)

    @classmethod
    async def connect(
        cls, host: str, port: int, path: str = "/dev", headers: dict[str, str] | None = None
    ) -> RawClient:
        """Open a connection and complete the handshake (any status)."""
        reader, writer = await cls.begin(host, port, path, headers)
        head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)).decode()
        status = int(head.split(" ", 2)[1])
        return cls(reader, writer, status, head)

    @staticmethod
    async def begin(
        host: str, port: int, path: str = "/dev", headers: dict[str, str] | None = None
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Open a connection and send the upgrade request, without waiting for the answer."""
        reader, writer = await asyncio.open_connection(host, port)
        key = base64.b64encode(os.urandom(16)).decode()
        fields = {
            "Host": f"{host}:{port}",
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": key,
            "Sec-WebSocket-Version": "13",
        }
        fields.update(headers or {})
        lines = [f"GET {path} HTTP/1.1"] + [f"{name}: {value}" for name, value in fields.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        return reader, writer

    def header(self, name: str) -> str | None:
        """A header of the handshake response, case-insensitively."""
        for line in self.head.split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def send_text(self, text: str) -> None:
        await self.send(frame(0x1, text.encode()))

    async def recv(self) -> tuple[int, bytes]:
        """The next frame from the server: (opcode, payload)."""
        first, second = await asyncio.wait_for(self.reader.readexactly(2), WAIT)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
        return first & 0x0F, await asyncio.wait_for(self.reader.readexactly(length), WAIT)

    async def recv_close(self) -> tuple[int | None, str]:
        """Skip data frames until the server's close frame; returns (code, reason)."""
        while True:
            opcode, payload = await self.recv()
            if opcode == 0x8:
                if len(payload) < 2:
                    return None, ""
                return struct.unpack("!H", payload[:2])[0], payload[2:].decode()

    def abort(self) -> None:
        """Drop the TCP connection without a close frame."""
        self.writer.transport.abort()

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass
