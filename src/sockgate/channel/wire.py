"""The local channel's wire format: @connections requests between workers and the gateway,
without HTTP.

The gateway also listens on a Unix socket (its path reaches workers in SOCKGATE_GATEWAY_SOCKET);
a worker keeps one connection to it and sends each management request as one frame:

    request   >HI  head size, body size;  head = "METHOD /raw/path" (ASCII);  body
    reply     >HHI status, head size, body size;  head = "Name: value" lines (CRLF);  body

One request at a time per connection: the worker waits for the reply before sending the next.
The reply carries the status, headers and body the HTTP transport would have sent, so botocore
parses both the same way (see `botocore_hook`). This module is the wire format, pure and used by
both ends (`client.py` in workers, `sockgate.gateway.local_channel` in the gateway); it imports
nothing heavy, since a worker imports it on its first boto3 import.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "REPLY",
    "REQUEST",
    "SOCKET_ENV",
    "ChannelReply",
    "ChannelRequest",
    "RequestParser",
    "whole_request",
    "decode_reply_head",
    "decode_request_head",
    "encode_reply",
    "encode_request",
]

SOCKET_ENV = "SOCKGATE_GATEWAY_SOCKET"
REQUEST = struct.Struct(">HI")
REPLY = struct.Struct(">HHI")


@dataclass(frozen=True, slots=True)
class ChannelReply:
    """The gateway's answer, as botocore would read it from HTTP."""

    status: int
    headers: dict[str, str]
    body: bytes


def encode_request(method: str, path: str, body: bytes) -> bytes:
    """One request frame; ValueError when the method or path cannot be carried."""
    head = f"{method} {path}".encode("ascii")
    if len(head) > 0xFFFF:
        raise ValueError("request path too long for the local channel")
    return REQUEST.pack(len(head), len(body)) + head + body


def decode_request_head(head: bytes) -> tuple[str, str]:
    """(method, raw path) of a request head; the path stays percent-encoded."""
    method, _, path = head.decode("latin-1").partition(" ")
    return method, path


def encode_reply(status: int, headers: dict[str, str], body: bytes) -> bytes:
    """One reply frame."""
    head = "\r\n".join(f"{name}: {value}" for name, value in headers.items()).encode("latin-1")
    return REPLY.pack(status, len(head), len(body)) + head + body


def decode_reply_head(head: bytes) -> dict[str, str]:
    """The headers of a reply head."""
    headers = {}
    for line in head.decode("latin-1").split("\r\n"):
        name, sep, value = line.partition(": ")
        if sep:
            headers[name] = value
    return headers


@dataclass(frozen=True, slots=True)
class ChannelRequest:
    """One request as the gateway reads it; `body` is None when it was over the limit (it was
    discarded as it arrived, and the answer is 413)."""

    method: str
    path: str
    body: bytes | None


def whole_request(data: bytes, limit: int) -> ChannelRequest | None:
    """`data` as a request when it is exactly one whole request within `limit` (the usual
    read: one worker, one request in flight), without copying it into a buffer; else None."""
    size = len(data)
    if size < REQUEST.size:
        return None
    head_size, body_size = REQUEST.unpack_from(data)
    start = REQUEST.size + head_size
    if size != start + body_size or body_size > limit:
        return None
    method, path = decode_request_head(data[REQUEST.size : start])
    return ChannelRequest(method, path, data[start:])


class RequestParser:
    """Requests from a byte stream, in order: `feed(bytes)`, then `next()` until None.

    Parsing is lazy, so a reader that must wait (a DELETE being served, a worker not reading
    its replies) leaves later requests unparsed. A body over `limit` is discarded as it arrives,
    never held in memory; its request comes out (body None) once all of it has been read.
    """

    __slots__ = ("_buffer", "_limit", "_ready", "_skipped", "_skipping")

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._buffer = bytearray()
        self._skipping = 0  # bytes still to come of an oversized body
        self._skipped: ChannelRequest | None = None  # its request, out once they have come
        self._ready: ChannelRequest | None = None

    @property
    def idle(self) -> bool:
        """True when nothing is buffered, skipped or ready: the next read starts a request."""
        return not (self._buffer or self._skipping or self._ready)

    def feed(self, data: bytes) -> None:
        """Take the next bytes of the stream."""
        if self._skipping:
            taken = min(len(data), self._skipping)
            self._skipping -= taken
            if not self._skipping:
                self._ready, self._skipped = self._skipped, None
            data = data[taken:]
        if data:
            self._buffer += data

    def next(self) -> ChannelRequest | None:
        """The next whole request, or None until more bytes are fed."""
        if self._ready is not None:
            ready, self._ready = self._ready, None
            return ready
        buffer = self._buffer
        if self._skipping or len(buffer) < REQUEST.size:
            return None
        head_size, body_size = REQUEST.unpack_from(buffer)
        start = REQUEST.size + head_size
        end = start + body_size
        if body_size > self._limit:
            if len(buffer) < start:
                return None
            method, path = decode_request_head(bytes(buffer[REQUEST.size : start]))
            request = ChannelRequest(method, path, None)
            taken = min(len(buffer), end)
            del buffer[:taken]
            self._skipping = end - taken
            if self._skipping:
                self._skipped = request
                return None
            return request
        if len(buffer) < end:
            return None
        method, path = decode_request_head(bytes(buffer[REQUEST.size : start]))
        body = bytes(buffer[start:end])
        del buffer[:end]
        return ChannelRequest(method, path, body)

    def clear(self) -> None:
        """Forget everything (the connection is gone)."""
        self._buffer.clear()
        self._skipping = 0
        self._skipped = self._ready = None
