"""The pipes between the runtime and a worker: length-prefixed JSON frames.

They are a pair of inherited pipe descriptors, never the worker's stdin, stdout or stderr,
so whatever a handler prints or reads cannot corrupt it. Each frame is a 4-byte big-endian length
and a JSON body. Every message is encoded once and decoded once: the event and the handler's
return value are spliced into the frame as the JSON they already are, not encoded twice.

    runtime -> worker   Request   {"id", "timeout", "event"}
    worker -> runtime   Hello     {"type": "ready" | "init_error", "rss", "out", "error"?}
                        Response  {"status": "ok" | "bytes" | "error", "payload" | "error",
                                   "duration", "rss", "out"}

`out` says whether output was written to the worker's stdout pipe (and a sentinel after it).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
import sys
from collections import deque
from collections.abc import Callable
from typing import Any, BinaryIO, Literal, NotRequired, TypedDict

try:
    import orjson
except ImportError:  # a worker on its own Python (lambdas/packages.py) sees only the runtime's
    orjson = None  # type: ignore[assignment]

__all__ = [
    "HEADER",
    "MAX_FRAME",
    "PACKAGE_PATH_ENV",
    "BlockingPipes",
    "FrameReader",
    "Hello",
    "Response",
    "bytes_response",
    "decode",
    "encode_event",
    "error_response",
    "frame",
    "hello",
    "ok_response",
    "request",
]

# The worker's environment variable holding the folders of the function's installed
# requirements (lambdas/packages.py), put on sys.path right after the task root.
PACKAGE_PATH_ENV = "SOCKGATE_PACKAGE_PATH"

HEADER = struct.Struct(">I")
MAX_FRAME = 1 << 30  # far above Lambda's 6 MB payload limit; only guards against a corrupt length


class Hello(TypedDict):
    """The worker's first message: its handler loaded, or the init error it hit."""

    type: Literal["ready", "init_error"]
    rss: int  # peak resident set size so far, in KiB
    out: bool  # output was written, ended by the sentinel
    error: NotRequired[dict[str, Any]]


class Response(TypedDict):
    """The outcome of one invocation, as the worker reports it."""

    status: Literal["ok", "bytes", "error"]
    duration: float  # milliseconds spent in the handler (and marshalling its result)
    rss: int  # peak resident set size so far, in KiB
    out: bool  # output was written, ended by the sentinel
    payload: NotRequired[Any]  # "ok": the decoded return value; "bytes": base64 text
    error: NotRequired[dict[str, Any]]  # "error": Lambda's error object


def frame(body: bytes) -> bytes:
    """One frame: the body's length, then the body."""
    return HEADER.pack(len(body)) + body


def request(request_id: str, timeout_ms: int, event_json: bytes) -> bytes:
    """A request frame body around an already-encoded event; the worker starts the function's
    `timeout_ms` when it reads the request."""
    head = f'{{"id":"{request_id}","timeout":{timeout_ms},"event":'
    return head.encode() + event_json + b"}"


def hello(rss_kb: int, error: dict[str, Any] | None = None, output: bool = True) -> bytes:
    """A hello frame body: ready, or the init error."""
    if error is None:
        return b'{"type":"ready","rss":%d,"out":%s}' % (rss_kb, _JSON_BOOL[output])
    message = {"type": "init_error", "rss": rss_kb, "out": output, "error": error}
    return json.dumps(message).encode()


def ok_response(payload_json: bytes, duration_ms: float, rss_kb: int, output: bool) -> bytes:
    """A success frame body around the already-marshalled return value."""
    return _head(b"ok", duration_ms, rss_kb, output) + payload_json + b"}"


def bytes_response(payload: bytes, duration_ms: float, rss_kb: int, output: bool) -> bytes:
    """A success frame body for a handler that returned bytes (Lambda passes them through)."""
    text = base64.b64encode(payload)
    return _head(b"bytes", duration_ms, rss_kb, output) + b'"' + text + b'"}'


def error_response(error: dict[str, Any], duration_ms: float, rss_kb: int, output: bool) -> bytes:
    """A failure frame body carrying Lambda's error object."""
    head = _head(b"error", duration_ms, rss_kb, output, b"error")
    return head + json.dumps(error).encode() + b"}"


_JSON_BOOL = {True: b"true", False: b"false"}


def _head(
    status: bytes, duration_ms: float, rss_kb: int, output: bool, field: bytes = b"payload"
) -> bytes:
    """A response up to its last field's value, which the caller appends."""
    out = _JSON_BOOL[output]
    return b'{"status":"%s","duration":%.3f,"rss":%d,"out":%s,"%s":' % (
        status,
        duration_ms,
        rss_kb,
        out,
        field,
    )


def encode_event(event: Any) -> bytes:
    """An event as JSON, by orjson where it can (a fifth of json's time): it writes nothing
    json would write differently, and refuses what it cannot write exactly (an int beyond 64
    bits, a key that is not a string), which json then writes. (NaN, which no AWS caller can
    send, it writes as null.)

    Frames are decoded by json alone: orjson would read an int beyond 64 bits as a float.
    """
    if orjson is not None:
        try:
            return orjson.dumps(event)
        except TypeError:
            pass
    return json.dumps(event).encode()


def decode(body: bytes) -> Any:
    """Decode a frame body."""
    try:
        return json.loads(body)
    except RecursionError:
        # A handler's result nested almost as deep as the recursion limit: the worker encoded
        # it from a shallow stack, and the gateway decodes it from a deeper one. Whatever one
        # side encodes under the limit, the other decodes with the limit raised by as much.
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(2 * limit)
        try:
            return json.loads(body)
        finally:
            sys.setrecursionlimit(limit)


class BlockingPipes:
    """The worker's end of the pipes: blocking reads and writes on the two descriptors."""

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


class FrameReader(asyncio.Protocol):
    """The runtime's end of a worker's response pipe: frames parsed as their bytes arrive.

    A protocol rather than a StreamReader: the worker's hello is awaited with `read`; after it,
    `deliver` makes each frame one call from the callback that read it, with no future, task or
    timer in between, on the path every invocation takes.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._frames: deque[bytes] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._transport: asyncio.BaseTransport | None = None
        self._on_frame: Callable[[bytes], None] | None = None
        self._on_lost: Callable[[], None] | None = None
        self.closed = False

    def deliver(self, on_frame: Callable[[bytes], None], on_lost: Callable[[], None]) -> None:
        """From now on, hand each frame to `on_frame` and the pipe's end to `on_lost`."""
        self._on_frame, self._on_lost = on_frame, on_lost

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while len(buffer) >= HEADER.size:
            (size,) = HEADER.unpack_from(buffer)
            if size > MAX_FRAME:  # corrupt framing: treat the pipe as closed
                assert self._transport is not None
                self._transport.close()
                return
            end = HEADER.size + size
            if len(buffer) < end:
                break
            body = bytes(buffer[HEADER.size : end])
            del buffer[:end]
            if self._on_frame is not None:
                self._on_frame(body)
            else:
                self._frames.append(body)
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._wake()
        if self._on_lost is not None:
            self._on_lost()

    async def read(self) -> bytes:
        """The next frame body; ConnectionResetError once the worker closed its end."""
        while not self._frames:
            if self.closed:
                raise ConnectionResetError("The worker closed its pipes.")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._frames.popleft()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
