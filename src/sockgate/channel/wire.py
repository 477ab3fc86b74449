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
