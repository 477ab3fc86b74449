"""The @connections management API over HTTP: a thin layer on the gateway's verbs.

Paths are matched on the raw (still percent-encoded) path, so an id holding an encoded "/" stays
one segment: `/@connections/{id}` and `/{stage}/@connections/{id}`, with `@` literal or `%40`
(boto3 sends the first, awscurl the second). Errors carry `x-amzn-ErrorType`, which is what
boto3 reads to raise GoneException and friends.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.parse import unquote

from aiohttp import web

from sockgate.gateway.connections import ConnectionInfo
from sockgate.gateway.errors import ForbiddenError, ManagementError, PayloadTooLargeError

__all__ = ["ManagementApi", "ManagementVerbs", "Target", "classify_path", "error_response"]

_CONNECTIONS = "@connections"
_READ_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class Target:
    """What a request path names."""

    kind: Literal["websocket", "connection", "unknown"]
    connection_id: str = ""


_WEBSOCKET = Target("websocket")
_UNKNOWN = Target("unknown")


def classify_path(raw_path: str, stage: str) -> Target:
    """Classify a raw request path for the gateway serving `stage`."""
    segments = raw_path.split("/")[1:]
    if len(segments) > 1 and segments[-1] == "":
        segments.pop()  # one trailing slash
    if segments and unquote(segments[0]) == stage:
        segments = segments[1:]
    if not segments or segments == [""]:
        return _WEBSOCKET
    if len(segments) == 2 and unquote(segments[0]) == _CONNECTIONS and segments[1]:
        return Target("connection", unquote(segments[1]))
    return _UNKNOWN


class ManagementVerbs(Protocol):
    """The in-process verbs the HTTP layer calls (implemented by Gateway)."""

    async def post_to_connection(self, connection_id: str, data: bytes) -> None: ...

    def get_connection(self, connection_id: str) -> ConnectionInfo: ...

    async def delete_connection(self, connection_id: str) -> None: ...


def _headers() -> dict[str, str]:
    return {"x-amzn-RequestId": str(uuid.uuid4())}


def error_response(error: ManagementError) -> web.Response:
    """The HTTP response for a management error, as API Gateway shapes it."""
    headers = _headers()
    headers["x-amzn-ErrorType"] = error.error_type
    # Real GoneExceptions carry no message: boto3 prints "...operation: " with nothing after.
    # {"message": null} would print "None", so a message-less error sends {}.
    body = {} if error.wire_message is None else {"message": error.wire_message}
    return web.json_response(body, status=error.status, headers=headers)


def forbidden() -> web.Response:
    """403 for paths and methods this API does not have."""
    headers = _headers()
    headers["x-amzn-ErrorType"] = ForbiddenError.error_type
    return web.json_response({"message": "Forbidden"}, status=403, headers=headers)


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

    __slots__ = ("_limit", "_verbs")

    def __init__(self, verbs: ManagementVerbs, max_message_bytes: int) -> None:
        self._verbs = verbs
        self._limit = max_message_bytes

    async def handle(self, request: web.BaseRequest, connection_id: str) -> web.StreamResponse:
        """Serve one @connections request."""
        try:
            method = request.method
            if method == "POST":
                data = await _read_body(request, self._limit)
                if data is None:
                    raise PayloadTooLargeError(connection_id, _too_large(self._limit))
                await self._verbs.post_to_connection(connection_id, data)
                return web.Response(status=200, headers=_headers())
            if method == "GET":
                info = self._verbs.get_connection(connection_id)
                return web.json_response(info.to_wire(), headers=_headers())
            if method == "DELETE":
                await self._verbs.delete_connection(connection_id)
                return web.Response(status=204, headers=_headers())
            return forbidden()
        except ManagementError as error:
            return error_response(error)


def _too_large(limit: int) -> str:
    # UNCONFIRMED: AWS's exact message text.
    return f"Message size exceeds the limit of {limit} bytes"
