"""The channel between the runtime and a worker: length-prefixed JSON frames on two pipes.

The channel is a pair of inherited pipe descriptors, never the worker's stdin, stdout or stderr,
so whatever a handler prints or reads cannot corrupt it. Each frame is a 4-byte big-endian length
and a JSON body. Every message is encoded once and decoded once: the event and the handler's
return value are spliced into the frame as the JSON they already are, not encoded twice.

    runtime -> worker   Request   {"id", "deadline", "event"}
    worker -> runtime   Hello     {"type": "ready" | "init_error", "rss", "error"?}
                        Response  {"status": "ok" | "bytes" | "error", "payload" | "error",
                                   "duration", "rss"}
"""

from __future__ import annotations

import base64
import json
import os
import struct
from typing import Any, BinaryIO, Literal, NotRequired, TypedDict

__all__ = [
    "HEADER",
    "MAX_FRAME",
    "BlockingChannel",
    "Hello",
    "Response",
    "bytes_response",
    "decode",
    "error_response",
    "frame",
    "hello",
    "ok_response",
    "request",
]

HEADER = struct.Struct(">I")
MAX_FRAME = 1 << 30  # far above Lambda's 6 MB payload limit; only guards against a corrupt length


class Hello(TypedDict):
    """The worker's first message: its handler loaded, or the init error it hit."""

    type: Literal["ready", "init_error"]
    rss: int  # peak resident set size so far, in KiB
    error: NotRequired[dict[str, Any]]


class Response(TypedDict):
    """The outcome of one invocation, as the worker reports it."""

    status: Literal["ok", "bytes", "error"]
    duration: float  # milliseconds spent in the handler (and marshalling its result)
    rss: int  # peak resident set size so far, in KiB
    payload: NotRequired[Any]  # "ok": the decoded return value; "bytes": base64 text
    error: NotRequired[dict[str, Any]]  # "error": Lambda's error object


def frame(body: bytes) -> bytes:
    """One frame: the body's length, then the body."""
    return HEADER.pack(len(body)) + body


def request(request_id: str, deadline_ms: int, event_json: bytes) -> bytes:
    """A request frame body around an already-encoded event."""
    head = f'{{"id":"{request_id}","deadline":{deadline_ms},"event":'
    return head.encode() + event_json + b"}"


def hello(rss_kb: int, error: dict[str, Any] | None = None) -> bytes:
    """A hello frame body: ready, or the init error."""
    if error is None:
        return b'{"type":"ready","rss":%d}' % rss_kb
    return json.dumps({"type": "init_error", "rss": rss_kb, "error": error}).encode()


def ok_response(payload_json: bytes, duration_ms: float, rss_kb: int) -> bytes:
    """A success frame body around the already-marshalled return value."""
    head = b'{"status":"ok","duration":%.3f,"rss":%d,"payload":' % (duration_ms, rss_kb)
    return head + payload_json + b"}"


def bytes_response(payload: bytes, duration_ms: float, rss_kb: int) -> bytes:
    """A success frame body for a handler that returned bytes (Lambda passes them through)."""
    text = base64.b64encode(payload).decode()
    head = b'{"status":"bytes","duration":%.3f,"rss":%d,"payload":"' % (duration_ms, rss_kb)
    return head + text.encode() + b'"}'


def error_response(error: dict[str, Any], duration_ms: float, rss_kb: int) -> bytes:
    """A failure frame body carrying Lambda's error object."""
    message = {"status": "error", "duration": duration_ms, "rss": rss_kb, "error": error}
    return json.dumps(message).encode()


def decode(body: bytes) -> Any:
    """Decode a frame body."""
    return json.loads(body)


class BlockingChannel:
    """The worker's end of the channel: blocking reads and writes on the two descriptors."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self._reader: BinaryIO = open(read_fd, "rb")  # lives as long as the worker
        self._write_fd = write_fd

    def receive(self) -> bytes | None:
        """The next frame body, or None when the runtime has gone (end of file)."""
        header = self._reader.read(HEADER.size)
        if len(header) < HEADER.size:
            return None
        (size,) = HEADER.unpack(header)
        if size > MAX_FRAME:
            return None
        body = self._reader.read(size)
        return body if len(body) == size else None

    def send(self, body: bytes) -> None:
        """Write one frame, all of it (a pipe may take a large frame in several writes)."""
        view = memoryview(frame(body))
        while view:
            written = os.write(self._write_fd, view)
            view = view[written:]
