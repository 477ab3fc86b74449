"""The @connections management API: `serve` on the gateway's verbs, and its HTTP transport.

`serve` turns one request (method, connection id, body) into a `Reply` (status, headers, body)
and, for an accepted POST, the `Send` of its frame; the HTTP layer here and the workers' local
channel (`local_channel.py`) both call it, so the two transports cannot diverge. The steps of a
request have one verb each: a transport *serves* it, *replies* with the Reply, and *sends* the
POST's frame.
Nothing waits on the client: the frame goes into the connection's buffer in the same event-loop
step as the reply (429 LimitExceededException once that buffer is full), so a POST is answered
as soon as its connection is known to be open.

Paths are matched on the raw (still percent-encoded) path, so an id holding an encoded "/" stays
one segment: `/@connections/{id}` and `/{stage}/@connections/{id}`, with `@` literal or `%40`
(boto3 sends the first, awscurl the second). Errors carry `x-amzn-ErrorType`, which is what
boto3 reads to raise GoneException and friends.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import unquote

from aiohttp import HttpVersion11, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from sockgate.gateway.connections import ConnectionInfo
from sockgate.gateway.errors import (
    BadRequestError,
    ForbiddenError,
    ManagementError,
    PayloadTooLargeError,
)
from sockgate.gateway.ids import response_request_id
from sockgate.httplog import log_refusal

__all__ = [
    "ManagementApi",
    "ManagementVerbs",
    "Reply",
    "Send",
    "Served",
    "Target",
    "classify_path",
    "error_reply",
    "error_response",
    "forbidden",
    "forbidden_reply",
    "serve",
    "serve_now",
    "web_response",
]

log = logging.getLogger("sockgate.gateway")

_CONNECTIONS = "@connections"
_READ_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class Target:
    """What a request path names.

    `under_stage`: another path below the stage (`/dev/a/b`), which names nothing either but
    answers a plain HTTP GET with 426, as the stage's own URL does (observed on AWS).
    """

    kind: Literal["websocket", "connection", "unknown", "under_stage"]
    connection_id: str = ""


_WEBSOCKET = Target("websocket")
_UNKNOWN = Target("unknown")
_UNDER_STAGE = Target("under_stage")


def classify_path(raw_path: str, stage: str) -> Target:
    """Classify a raw request path for the gateway serving `stage`."""
    segments = raw_path.split("/")[1:]
    if len(segments) > 1 and segments[-1] == "":
        segments.pop()  # one trailing slash
    staged = bool(segments) and unquote(segments[0]) == stage
    if staged:
        segments = segments[1:]
    if not segments or segments == [""]:
        return _WEBSOCKET
    if len(segments) == 2 and unquote(segments[0]) == _CONNECTIONS and segments[1]:
        return Target("connection", unquote(segments[1]))
    if staged and unquote(segments[0]) != _CONNECTIONS:
        return _UNDER_STAGE
    return _UNKNOWN


Send = Callable[[], None]


class ManagementVerbs(Protocol):
    """The in-process verbs the transports call (implemented by Gateway)."""

    def prepare_post(self, connection_id: str, data: bytes) -> Send: ...

    def get_connection(self, connection_id: str) -> ConnectionInfo: ...

    async def delete_connection(self, connection_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Reply:
    """One @connections answer, whatever carries it: status, API Gateway's headers, body."""

    status: int
    headers: dict[str, str]
    body: bytes = b""


_JSON = "application/json; charset=utf-8"  # what aiohttp's json_response has always sent


def _headers() -> dict[str, str]:
    return {"x-amzn-RequestId": response_request_id()}


def _json_reply(status: int, body: dict[str, Any], headers: dict[str, str]) -> Reply:
    headers["Content-Type"] = _JSON
    return Reply(status, headers, json.dumps(body).encode())


def error_reply(error: ManagementError) -> Reply:
    """A management error, as API Gateway shapes it."""
    headers = _headers()
    headers["x-amzn-ErrorType"] = error.error_type
    # Real GoneExceptions carry no message: boto3 prints "...operation: " with nothing after.
    # {"message": null} would print "None", so a message-less error sends {}.
    body = {} if error.wire_message is None else {"message": error.wire_message}
    return _json_reply(error.status, body, headers)


def forbidden_reply() -> Reply:
    """403 for paths and methods this API does not have."""
    headers = _headers()
    headers["x-amzn-ErrorType"] = ForbiddenError.error_type
    return _json_reply(403, {"message": "Forbidden"}, headers)


# A served request: the reply, and for an accepted POST the send of its frame.
Served = tuple[Reply, Send | None]


def serve_now(
    verbs: ManagementVerbs, method: str, connection_id: str, data: bytes | None, limit: int
) -> Served | None:
    """`serve` for every request that never waits (all but DELETE); None for a DELETE."""
    try:
        if method == "POST":
            if data is None:
                raise PayloadTooLargeError(connection_id, _too_large(limit))
            return Reply(200, _headers()), verbs.prepare_post(connection_id, data)
        if method == "GET":
            info = verbs.get_connection(connection_id)
            return _json_reply(200, info.to_wire(), _headers()), None
        if method == "DELETE":
            return None
        return forbidden_reply(), None
    except ManagementError as error:
        return error_reply(error), None


async def serve(
    verbs: ManagementVerbs, method: str, connection_id: str, data: bytes | None, limit: int
) -> Served:
    """Serve one @connections request on the gateway's verbs: the one implementation of the API
    that every transport (HTTP, the workers' local channel) calls.

    Returns the reply and, for an accepted POST, the write of its frame. The caller must run
    that write in the same event-loop step as it sends the reply (before or after it, with no
    await between: a POST never suspends here), which keeps the frames to one connection in the
    order their POSTs were answered. `data` is the POST body, or None when it is known to exceed
    `limit` bytes. Only a DELETE waits; a transport that must not can call `serve_now`.
    """
    served = serve_now(verbs, method, connection_id, data, limit)
    if served is not None:
        return served
    try:
        await verbs.delete_connection(connection_id)
    except ManagementError as error:
        return error_reply(error), None
    return Reply(204, _headers()), None


def web_response(reply: Reply) -> web.Response:
    """A Reply as aiohttp's response (an empty body stays absent, as API Gateway sends it)."""
    return web.Response(status=reply.status, body=reply.body or None, headers=reply.headers)


def error_response(error: ManagementError) -> web.Response:
    """The HTTP response for a management error, as API Gateway shapes it."""
    return web_response(error_reply(error))


def forbidden() -> web.Response:
    """403 for paths and methods this API does not have."""
    return web_response(forbidden_reply())


async def _expect_continue(request: web.BaseRequest, limit: int) -> web.Response | None:
    """Honour `Expect: 100-continue` (RFC 9110 §10.1.1) before the body is read.

    A client that sent it waits for "100 Continue" before sending its body; without it, the
    client stalls until its own timeout. A body already known to be over `limit` gets its 413
    instead, without being sent. Another expectation is refused with 417.
    """
    expect = request.headers.get("Expect")
    if expect is None or request.version < HttpVersion11:  # HTTP/1.0 must ignore it
        return None
    if expect.lower() != "100-continue":
        return web.Response(status=417, text="Expectation Failed")
    length = request.content_length
    if length is None or length <= limit:
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    return None


async def _read_body(request: web.BaseRequest, limit: int) -> bytes | None:
    """The request body, or None as soon as it is known to exceed `limit` bytes."""
    length = request.content_length
    if length is not None:
        return None if length > limit else await request.read()
    body = bytearray()  # chunked: count as it arrives
    while chunk := await request.content.read(_READ_CHUNK):
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


class ManagementApi:
    """HTTP handlers for PostToConnection, GetConnection and DeleteConnection."""

    __slots__ = ("_limit", "_verbs", "requests")

    def __init__(self, verbs: ManagementVerbs, max_message_bytes: int) -> None:
        self._verbs = verbs
        self._limit = max_message_bytes
        self.requests = 0  # @connections requests served over HTTP

    async def handle(self, request: web.BaseRequest, connection_id: str) -> web.StreamResponse:
        """Serve one @connections request."""
        self.requests += 1
        method = request.method
        data: bytes | None = b""
        if method == "POST":
            refused = await _expect_continue(request, self._limit)
            if refused is not None:
                return refused
            try:
                data = await _read_body(request, self._limit)
            except RequestPayloadError as error:
                # A gzip or deflate body that does not decode is the client's error, as a br
                # body is (aiohttp refuses that one before we see the request).
                cause = error.__cause__
                reason = cause.message if isinstance(cause, HttpProcessingError) else str(error)
                log_refusal(log, request.remote, 400, reason)
                encoding = request.headers.get("Content-Encoding", "")
                return error_response(BadRequestError(connection_id, _undecodable(encoding)))
            except ConnectionResetError:
                return web.Response()  # the client left mid-body; nobody reads this answer
        reply, send = await serve(self._verbs, method, connection_id, data, self._limit)
        if send is not None:
            send()  # the frame goes into the buffer before the 200 does
        return web_response(reply)


def _undecodable(encoding: str) -> str:
    # UNCONFIRMED: AWS's message for a body that its Content-Encoding cannot decode.
    return f"Could not decode the request body with Content-Encoding {encoding}"


def _too_large(limit: int) -> str:
    # UNCONFIRMED: AWS's exact message text.
    return f"Message size exceeds the limit of {limit} bytes"
