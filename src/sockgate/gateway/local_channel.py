"""The gateway's local channel: @connections requests from its workers over a Unix socket.

HTTP through urllib3 and aiohttp costs a worker about as much as all of boto3's own work for
each call; this transport carries the same requests as small frames (wire format in
`sockgate.channel.wire`) and serves them with `management.serve`, the function the HTTP
transport calls, so both transports share one implementation of the API. An accepted POST is
answered before its frame is written, in the same event-loop step: the worker, blocked on the
reply, resumes while the gateway sends the frame (the two sends are most of the gateway's work
per POST), and no other request can come between the reply and the frame. Each reply carries the
headers aiohttp would add (Content-Length, Date, Server): boto3's ResponseMetadata is the same
whichever transport served the call.

Each worker connection is an `asyncio.Protocol` that parses frames as bytes arrive (the pure
`RequestParser`) and serves each one in the same callback (`serve_now`: POST and GET never
wait), with no task and no wait per request. A DELETE, whose verb may wait, runs in a task; the
connection reads nothing more until it is served, so replies keep the order of requests.
A body larger than the message quota is discarded as it arrives (never held in memory) and
answered 413 once all of it has been read; the connection goes on. A bug costs one request:
500, which boto3 retries. Reading pauses while the worker does not read its replies.

The socket lives in a private temporary folder (mode 0700: only this user's processes can post
to connections), removed on close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Awaitable
from email.utils import formatdate
from typing import TypeAlias, cast

from aiohttp.http import SERVER_SOFTWARE

from sockgate.channel.wire import (
    REPLY,
    ChannelRequest,
    RequestParser,
    encode_reply,
    whole_request,
)
from sockgate.gateway.errors import GatewayError, ManagementError
from sockgate.gateway.management import (
    ManagementVerbs,
    Reply,
    Served,
    Target,
    classify_path,
    error_reply,
    forbidden_reply,
    serve,
    serve_now,
)

__all__ = ["LocalChannel", "encode"]

log = logging.getLogger("sockgate.gateway")

# What `LocalChannel.serve` gives: the reply and its POST's send, or (DELETE) an awaitable of
# the reply.
Serving: TypeAlias = Served | Awaitable[Reply]

SOCKET_NAME = "gateway.sock"
_ADDED = ("Content-Length", "Date", "Server")
_PATHS_KEPT = 8192  # classified paths remembered per channel (a fan-out's ids, then some)
_date_cache: tuple[int, str, str] = (0, "", "")


def _http_date() -> tuple[str, str]:
    """The Date header, formatted once per second as aiohttp does, and the head's last lines."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        date = formatdate(now, usegmt=True)
        _date_cache = (now, date, f"Date: {date}\r\nServer: {SERVER_SOFTWARE}")
    return _date_cache[1], _date_cache[2]


def encode(reply: Reply) -> bytes:
    """A reply frame with the headers aiohttp would have added to the same Reply."""
    headers = reply.headers
    if any(name in headers for name in _ADDED):
        merged = dict(headers)  # the added headers replace the Reply's, as aiohttp's do
        if reply.status != 204:
            merged["Content-Length"] = str(len(reply.body))
        merged["Date"] = _http_date()[0]
        merged["Server"] = SERVER_SOFTWARE
        return encode_reply(reply.status, merged, reply.body)
    # The same head as encode_reply's, without copying the headers (most of a reply's work).
    lines = [f"{name}: {value}" for name, value in headers.items()]
    if reply.status != 204:  # as aiohttp: no Content-Length on a 204
        lines.append(f"Content-Length: {len(reply.body)}")
    lines.append(_http_date()[1])
    head = "\r\n".join(lines).encode("latin-1")
    return REPLY.pack(reply.status, len(head), len(reply.body)) + head + reply.body


class LocalChannel:
    """A Unix-socket server answering @connections requests on the gateway's verbs."""

    def __init__(self, verbs: ManagementVerbs, *, stage: str, max_message_bytes: int) -> None:
        self._verbs = verbs
        self._stage = stage
        self._limit = max_message_bytes
        self._server: asyncio.AbstractServer | None = None
        self._folder: str | None = None
        self._connections: set[_Connection] = set()
        self._targets: dict[str, Target] = {}  # classify_path's answers: it is pure
        self.path: str | None = None
        self.requests = 0  # @connections requests served over this channel

    async def start(self) -> str:
        """Listen on a fresh socket and return its path; GatewayError when it cannot."""
        if not hasattr(socket, "AF_UNIX"):
            raise GatewayError("Unix sockets are not available on this platform.")
        folder = tempfile.mkdtemp(prefix="sockgate-")
        path = os.path.join(folder, SOCKET_NAME)
        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_unix_server(lambda: _Connection(self), path=path)
        except OSError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise GatewayError(f"The local channel cannot listen on {path}: {exc}.") from exc
        self._folder, self.path = folder, path
        return path

    async def close(self) -> None:
        """Stop listening, drop every worker's connection, remove the socket; safe twice."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for connection in list(self._connections):
            connection.close()
        if server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 1.0)
        folder, self._folder = self._folder, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    def serve(self, request: ChannelRequest) -> Serving:
        """The reply to one request and its POST's send, or an awaitable of the reply (its
        frame sent) for a request that may wait (DELETE)."""
        self.requests += 1
        method, path = request.method, request.path
        target = self._targets.get(path)
        if target is None:
            if len(self._targets) >= _PATHS_KEPT:
                self._targets.clear()
            target = self._targets[path] = classify_path(path, self._stage)
        if target.kind != "connection":
            return forbidden_reply(), None
        connection_id = target.connection_id
        if method == "DELETE":
            return self._serve_later(method, path, connection_id)
        try:
            served = serve_now(self._verbs, method, connection_id, request.body, self._limit)
        except Exception:
            return self._failed(method, path, connection_id), None
        assert served is not None  # only a DELETE waits
        return served

    async def _serve_later(self, method: str, path: str, connection_id: str) -> Reply:
        try:
            reply, send = await serve(self._verbs, method, connection_id, b"", self._limit)
        except Exception:
            return self._failed(method, path, connection_id)
        if send is not None:
            send()
        return reply

    def _failed(self, method: str, path: str, connection_id: str) -> Reply:
        # A bug must cost one request, not the worker's channel: 500, which boto3 retries.
        log.exception("local channel: %s %s failed", method, path)
        return error_reply(ManagementError(connection_id, "Internal server error"))


class _Connection(asyncio.Protocol):
    """One worker's connection: requests parsed as they arrive, each served at once."""

    def __init__(self, channel: LocalChannel) -> None:
        self._channel = channel
        self._limit = channel._limit
        self._transport: asyncio.Transport | None = None
        self._parser = RequestParser(channel._limit)
        self._waiting: asyncio.Task[Reply] | None = None  # a DELETE being served
        self._paused_reading = False
        self._paused_writing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (uvloop's are not asyncio.Transport subclasses, hence the cast).
        self._transport = cast(asyncio.Transport, transport)
        self._channel._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._channel._connections.discard(self)
        self._transport = None
        self._parser.clear()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def pause_writing(self) -> None:
        # The worker is not reading its replies: stop reading its requests until it does.
        self._paused_writing = True
        self._pause_reading()

    def resume_writing(self) -> None:
        self._paused_writing = False
        self._resume()
        self._serve_parsed()

    def data_received(self, data: bytes) -> None:
        parser = self._parser
        if parser.idle and self._waiting is None and not self._paused_writing:
            request = whole_request(data, self._limit)  # the usual read: no buffering
            if request is not None:
                self._reply(self._channel.serve(request))
                return
        parser.feed(data)
        self._serve_parsed()

    def _serve_parsed(self) -> None:
        parser = self._parser
        while self._waiting is None and not self._paused_writing and self._transport is not None:
            request = parser.next()
            if request is None:
                break
            self._reply(self._channel.serve(request))
        if self._waiting is not None or self._paused_writing:
            self._pause_reading()

    def _reply(self, serving: Serving) -> None:
        if isinstance(serving, tuple):
            reply, send = serving
            if self._transport is not None:
                self._transport.write(encode(reply))
            if send is not None:
                try:
                    send()  # after the reply, with no await since serve's checks
                except Exception:  # a bug: the reply has gone, the channel stays
                    log.exception("local channel: writing a POST's frame failed")
            return
        self._waiting = task = asyncio.ensure_future(serving)
        task.add_done_callback(self._reply_later)

    def _reply_later(self, task: asyncio.Task[Reply]) -> None:
        self._waiting = None
        if task.cancelled() or self._transport is None:
            return
        self._transport.write(encode(task.result()))  # _serve_later returns, never raises
        self._resume()
        self._serve_parsed()

    def _pause_reading(self) -> None:
        if not self._paused_reading and self._transport is not None:
            self._paused_reading = True
            self._transport.pause_reading()

    def _resume(self) -> None:
        if self._paused_reading and self._waiting is None and not self._paused_writing:
            self._paused_reading = False
            if self._transport is not None:
                self._transport.resume_reading()
