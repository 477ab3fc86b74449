"""The gateway's local channel: @connections requests from its workers over a Unix socket.

HTTP through urllib3 and aiohttp costs a worker about as much as all of boto3's own work for
each call; this transport carries the same requests as small frames (wire format in
`sockgate.lambdas.fastpath`) and answers them with `management.respond`, the function the HTTP
transport calls, so both transports share one implementation of the API. An accepted POST is
answered before its frame is written, in the same event-loop step: the worker, blocked on the
reply, resumes while the gateway sends the frame (the two sends are most of the gateway's work
per POST), and no other request can come between the reply and the frame. Each reply carries the
headers aiohttp would add (Content-Length, Date, Server): boto3's ResponseMetadata is the same
whichever transport served the call.

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
from email.utils import formatdate

from aiohttp.http import SERVER_SOFTWARE

from sockgate.gateway.errors import GatewayError, ManagementError
from sockgate.gateway.management import (
    ManagementVerbs,
    Reply,
    Send,
    classify_path,
    error_reply,
    forbidden_reply,
    respond,
)
from sockgate.lambdas.fastpath import REQUEST, decode_request_head, encode_reply

__all__ = ["LocalChannel", "encode"]

log = logging.getLogger("sockgate.gateway")

SOCKET_NAME = "gateway.sock"
_DISCARD_CHUNK = 64 * 1024
_date_cache: tuple[int, str] = (0, "")


def _http_date() -> str:
    """The Date header, formatted once per second as aiohttp does."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


def encode(reply: Reply) -> bytes:
    """A reply frame with the headers aiohttp would have added to the same Reply."""
    headers = dict(reply.headers)
    if reply.status != 204:  # as aiohttp: no Content-Length on a 204
        headers["Content-Length"] = str(len(reply.body))
    headers["Date"] = _http_date()
    headers["Server"] = SERVER_SOFTWARE
    return encode_reply(reply.status, headers, reply.body)


class LocalChannel:
    """A Unix-socket server answering @connections requests on the gateway's verbs."""

    def __init__(self, verbs: ManagementVerbs, *, stage: str, max_message_bytes: int) -> None:
        self._verbs = verbs
        self._stage = stage
        self._limit = max_message_bytes
        self._server: asyncio.AbstractServer | None = None
        self._folder: str | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.path: str | None = None
        self.requests = 0  # @connections requests served over this channel

    async def start(self) -> str:
        """Listen on a fresh socket and return its path; GatewayError when it cannot."""
        if not hasattr(socket, "AF_UNIX"):
            raise GatewayError("Unix sockets are not available on this platform.")
        folder = tempfile.mkdtemp(prefix="sockgate-")
        path = os.path.join(folder, SOCKET_NAME)
        try:
            self._server = await asyncio.start_unix_server(self._serve, path=path)
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
        for writer in list(self._writers):
            writer.close()
        if server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 1.0)
        folder, self._folder = self._folder, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One worker's connection: read a request, answer it, repeat until it closes."""
        self._writers.add(writer)
        try:
            while True:
                head_size, body_size = REQUEST.unpack(await reader.readexactly(REQUEST.size))
                method, path = decode_request_head(await reader.readexactly(head_size))
                data = await self._read_body(reader, body_size)
                self.requests += 1
                reply, send = await self._respond(method, path, data)
                writer.write(encode(reply))
                if send is not None:
                    send()  # no await since respond's checks: see the module docstring
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the worker exited or dropped its connection
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _read_body(self, reader: asyncio.StreamReader, size: int) -> bytes | None:
        """The body, or None (after discarding it) when it exceeds the message quota."""
        if size <= self._limit:
            return await reader.readexactly(size)
        while size:
            size -= len(await reader.readexactly(min(size, _DISCARD_CHUNK)))
        return None

    async def _respond(
        self, method: str, path: str, data: bytes | None
    ) -> tuple[Reply, Send | None]:
        target = classify_path(path, self._stage)
        if target.kind != "connection":
            return forbidden_reply(), None
        try:
            return await respond(self._verbs, method, target.connection_id, data, self._limit)
        except Exception:
            # A bug must cost one request, not the worker's channel: 500, which boto3 retries.
            log.exception("local channel: %s %s failed", method, path)
            reply = error_reply(ManagementError(target.connection_id, "Internal server error"))
            return reply, None
