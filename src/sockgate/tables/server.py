"""The network face of the table service: DynamoDB and DynamoDB Streams JSON 1.0 on one port.

An asyncio protocol per connection frames HTTP/1.1 (sockgate.tables.httpwire) and answers
requests one at a time, in order; the engine decides where each operation runs.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import logging
import sqlite3
import uuid
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import cast

from sockgate.errors import ResourceError
from sockgate.tables.access import (
    JSON_TYPES,
    UNKNOWN_OPERATION_BODY,
    authentication_problem,
    content_type,
    preflight_headers,
)
from sockgate.tables.engine import Engine
from sockgate.tables.errors import (
    DynamoDBError,
    InternalServerError,
    SerializationException,
    UnknownOperationException,
)
from sockgate.tables.httpwire import HttpError, Request, RequestParser, status_line
from sockgate.tables.operations import BY_STATEMENT, LOOKUP, OPERATIONS, READ, WRITE, Spec
from sockgate.tables.operations.context import Context
from sockgate.tables.operations.partiql import reads_only
from sockgate.tables.payloads import decode_json, encode
from sockgate.tables.ttl import TtlSweeper, sweep_interval
from sockgate.tables.validation import Validator, validator_for

__all__ = ["TableServer", "execute", "start_server"]

log = logging.getLogger("sockgate.tables")
_JSON = "application/x-amz-json-1.0"
# DynamoDB's limit on an HTTP request's payload (a BatchWriteItem of 25 items of 400 KB and
# its JSON fit); beyond it the answer is an empty 413.
_MAX_BODY = 16 * 1024 * 1024
# On every answer to a request from a browser (one with an Origin header), as DynamoDB sends.
# UNCONFIRMED: the exposed headers (what browser SDKs read: request id and checksum).
_CORS = (
    "Access-Control-Allow-Origin: *\r\n"
    "Access-Control-Expose-Headers: x-amzn-RequestId,x-amzn-ErrorType,x-amz-crc32\r\n"
)
# Pipelined bytes held while a request is being answered before the socket stops being read.
_MAX_PIPELINED = 1024 * 1024
_READ_SIZE = 64 * 1024  # bytes taken from a socket at a time
# Above this a response's head and body are written apart rather than copied into one buffer.
_JOIN_BELOW = 256 * 1024
# How long close() lets requests in progress finish before cutting their connections.
_DRAIN_SECONDS = 5.0


def execute(spec: Spec, validate: Validator | None, ctx: Context, body: bytes) -> bytes:
    """Decode a request body, validate it against the service model, run one operation,
    encode its answer.

    Raises a DynamoDBError for every failure, which the caller sends as the answer.
    """
    payload = decode_json(body) if body.strip() else {}
    if not isinstance(payload, dict):
        raise SerializationException("Start of list found where not expected")
    if validate is not None:
        validate(payload)
    try:
        return encode(spec.fn(ctx, payload))
    except DynamoDBError:
        raise
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as error:
        # A request whose members have the wrong JSON types (boto3 never sends one: it
        # validates parameters first). Answer it as DynamoDB's deserializer would.
        # The model's validation lets through only what an operation's own checks word; a
        # miss is logged and answered without the Python error's text.
        log.warning("malformed %s request: %s", spec.name, error, exc_info=True)
        raise SerializationException("Unexpected value type in payload") from None
    except sqlite3.Error:
        raise  # the engine must see storage failures as they are
    except Exception:
        log.exception("%s failed", spec.name)
        raise InternalServerError("Internal server error") from None


# Per X-Amz-Target: the operation's spec and execute() bound to it (an engine job).
_JOBS: dict[str, tuple[Spec, Callable[[Context, bytes], bytes]]] = {
    target: (spec, functools.partial(execute, spec, validator_for(spec.name)))
    for target, spec in OPERATIONS.items()
}


def _signed(headers: dict[str, str]) -> bool:
    """Whether a request carries a SigV4 header as boto3 sends it (the quick common case)."""
    auth = headers.get("authorization")
    return (
        auth is not None
        and auth.startswith("AWS4-HMAC-SHA256 Credential=")
        and "SignedHeaders=" in auth
        and "Signature=" in auth
        and ("x-amz-date" in headers or "date" in headers)
    )


class _Service:
    """Turns one request into its answer: response bytes now, or later through a callback."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.connections: set[_Connection] = set()
        self.all_closed = asyncio.Event()  # set whenever the last connection closes
        self.read_buffer = memoryview(bytearray(_READ_SIZE))
        self.health = f"healthy: dynamodb.{engine.region}.amazonaws.com ".encode()
        # Request ids shaped like AWS's (52 upper-case alphanumerics), unique per server run;
        # a counter instead of a random id per request keeps a syscall off every request.
        prefix = uuid.uuid4().hex.upper()
        self._request_ids = (f"{prefix}{n:020d}" for n in itertools.count())

    def start(self, request: Request, later: Callable[[list[bytes]], None]) -> list[bytes] | None:
        """The response to a request; or None, and later(response) once the engine is done.

        The front door's checks come in DynamoDB's order (see sockgate.tables.access).
        """
        headers = request.headers
        if request.method != "POST":
            return self._not_post(request)
        kind = headers.get("content-type", "")
        if kind != _JSON:
            kind = content_type(headers)
            if kind not in JSON_TYPES and request.body:
                return self._response(request, 404, UNKNOWN_OPERATION_BODY, None)
            if kind not in JSON_TYPES:
                kind = "application/json"  # an empty body without a type, as DynamoDB answers
        job = _JOBS.get(headers.get("x-amz-target", ""))
        if job is None or not _signed(headers):
            refused = self._refused(request, job is None, kind)
            if refused is not None:
                return refused
        assert job is not None
        spec, run = job
        runs = spec.runs
        if runs == BY_STATEMENT:
            runs = READ if reads_only(request.body) else WRITE
        if runs != LOOKUP:
            done = functools.partial(self._finish, request, later, kind)
            if runs == WRITE:
                self.engine.write_then(done, run, request.body)
            else:
                self.engine.read_then(done, run, request.body)
            return None
        try:
            data = self.engine.lookup(run, request.body)
        except Exception as error:
            return self.error(request, error, kind)
        return self._response(request, 200, data, kind)

    def _not_post(self, request: Request) -> list[bytes]:
        """A CORS preflight, a health check, or DynamoDB's 404 for any other method."""
        if request.method == "OPTIONS" and "origin" in request.headers:
            return self._response(request, 200, b"", None, preflight_headers(request.headers))
        if request.method in ("GET", "HEAD"):
            return self._response(request, 200, self.health, "text/plain")
        return self._response(request, 404, UNKNOWN_OPERATION_BODY, None)

    def _refused(self, request: Request, unknown: bool, kind: str) -> list[bytes] | None:
        """An unknown operation or missing credentials (an unreadable body comes first)."""
        problem: DynamoDBError | None = UnknownOperationException("")
        if not unknown:
            problem = authentication_problem(request.target, request.headers)
            if problem is None:  # signed in a way the quick check does not know
                return None
        try:
            if request.body.strip():
                decode_json(request.body)
        except SerializationException as error:
            problem = error
        assert problem is not None
        return self.error(request, problem, kind)

    def _finish(
        self, request: Request, later: Callable[[list[bytes]], None], kind: str, result: bytes,
        error: BaseException | None,
    ) -> None:  # fmt: skip
        """Answer an operation that start() handed to the engine."""
        if error is not None:
            later(self.error(request, error, kind))
        else:
            later(self._response(request, 200, result, kind))

    def error(self, request: Request, error: BaseException, kind: str = _JSON) -> list[bytes]:
        """The response carrying a failure (an unexpected one is logged)."""
        if not isinstance(error, DynamoDBError):
            log.error("request failed", exc_info=error)
            error = InternalServerError("Internal server error")
        body = json.dumps(error.to_wire()).encode()
        return self._response(request, error.status, body, kind)

    def http_error(self, error: HttpError) -> bytes:
        """The response to a request that could not be framed (the connection then closes)."""
        log.warning("refused an unreadable HTTP request: %s %s", error.status, error.message)
        if error.status == 413:  # DynamoDB answers an oversized body with an empty 413
            return f"{status_line(413)}Content-Length: 0\r\nConnection: close\r\n\r\n".encode()
        body = error.message.encode()
        return (
            f"{status_line(error.status)}Content-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode() + body

    def _response(
        self, request: Request, status: int, body: bytes, kind: str | None = _JSON,
        extra: str = "",
    ) -> list[bytes]:  # fmt: skip
        """The response's bytes: head and body (only the head for HEAD)."""
        connection = ""
        if not request.keep_alive:
            connection = "Connection: close\r\n"
        elif request.http10:
            connection = "Connection: keep-alive\r\n"
        if "origin" in request.headers:
            extra = _CORS + extra
        typed = "" if kind is None else f"Content-Type: {kind}\r\n"
        head = (
            f"{status_line(status)}{typed}"
            f"Content-Length: {len(body)}\r\n"
            f"x-amzn-RequestId: {next(self._request_ids)}\r\n"
            f"x-amz-crc32: {zlib.crc32(body)}\r\n{extra}{connection}\r\n"
        ).encode()
        if request.method == "HEAD":
            return [head]
        if len(body) < _JOIN_BELOW:
            return [head + body]
        return [head, body]


class _Connection(asyncio.BufferedProtocol):
    """One client connection: requests answered one at a time, in the order they came.

    A buffered protocol: asyncio's default read allocates a fresh 256 KB buffer for every
    recv(), which costs more than parsing a small request. Bytes are read into the service's
    one buffer instead and copied out at once (reads run one at a time, on the loop).
    """

    def __init__(self, service: _Service) -> None:
        self._service = service
        self._parser = RequestParser(_MAX_BODY)
        self._transport: asyncio.Transport | None = None
        self._busy = False  # a request is being answered
        self._paused = False  # reading is paused (too much pipelined)
        self._can_write = True
        self._closing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (uvloop's are not asyncio.Transport subclasses, hence the cast).
        self._transport = cast(asyncio.Transport, transport)
        self._service.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._service.connections.discard(self)
        if not self._service.connections:
            self._service.all_closed.set()

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._service.read_buffer

    def buffer_updated(self, nbytes: int) -> None:
        self._parser.feed(self._service.read_buffer[:nbytes])
        if not self._busy:
            self._serve()
        elif self._parser.buffered > _MAX_PIPELINED and not self._paused:
            self._paused = True
            if self._transport is not None:
                self._transport.pause_reading()

    def pause_writing(self) -> None:
        self._can_write = False

    def resume_writing(self) -> None:
        self._can_write = True
        if not self._busy:
            self._serve()

    def close_when_idle(self) -> None:
        """Close now if no request is being answered, else right after its answer."""
        self._closing = True
        if not self._busy and self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        """Drop the connection at once."""
        if self._transport is not None:
            self._transport.abort()

    def _serve(self) -> None:
        """Answer the requests received, until one has to wait or more bytes are needed."""
        while True:
            transport = self._transport
            if transport is None or transport.is_closing() or not self._can_write:
                return
            if self._closing:
                transport.close()
                return
            try:
                request = self._parser.next_request()
            except HttpError as error:
                transport.write(self._service.http_error(error))
                transport.close()
                return
            if request is None:
                if self._parser.continue_due:
                    self._parser.continue_due = False
                    transport.write(f"{status_line(100)}\r\n".encode())
                if self._paused:
                    self._paused = False
                    transport.resume_reading()
                return
            answer = self._service.start(request, functools.partial(self._answered, request))
            if answer is None:
                self._busy = True
                return
            self._send(transport, answer, request.keep_alive)

    def _answered(self, request: Request, response: list[bytes]) -> None:
        self._busy = False
        transport = self._transport
        if transport is None or transport.is_closing():
            return  # the client is gone: nobody to tell
        self._send(transport, response, request.keep_alive)
        self._serve()

    def _send(self, transport: asyncio.Transport, parts: list[bytes], keep_alive: bool) -> None:
        for part in parts:
            transport.write(part)
        if not keep_alive:
            transport.close()


class TableServer:
    """A running table service: .port, .url, and close()."""

    def __init__(
        self, engine: Engine, service: _Service, server: asyncio.Server, host: str, port: int
    ) -> None:
        self.engine = engine
        self.host = host
        self.port = port
        self._service = service
        self._server = server
        self._sweeper = TtlSweeper(engine, sweep_interval())
        self._sweeper.start()

    @property
    def url(self) -> str:
        """The endpoint URL to give boto3 (endpoint_url=...)."""
        return f"http://{self.host}:{self.port}"

    async def close(self) -> None:
        """Stop serving (requests in progress get their answer), then close the database."""
        await self._sweeper.stop()
        self._server.close()
        connections = self._service.connections
        if connections:
            self._service.all_closed.clear()
            for connection in list(connections):
                connection.close_when_idle()
            try:
                await asyncio.wait_for(self._service.all_closed.wait(), _DRAIN_SECONDS)
            except TimeoutError:
                for connection in list(connections):
                    connection.abort()
        self.engine.close()


async def start_server(
    host: str, port: int, data_dir: Path | None, region: str = "us-east-1"
) -> TableServer:
    """Open the store and serve on host:port (0 picks a free port; read it from .port).

    Raises ResourceError (one sentence) when the data folder or the port cannot be used.
    """
    loop = asyncio.get_running_loop()
    try:
        engine = await loop.run_in_executor(None, Engine, data_dir, region)
    except (sqlite3.Error, OSError) as error:
        raise ResourceError(
            f"Cannot open the table data in {data_dir}: {error}. "
            "Choose a writable --data folder (or --in-memory)."
        ) from None
    service = _Service(engine)
    try:
        server = await loop.create_server(lambda: _Connection(service), host, port)
    except OSError as error:
        engine.close()
        raise ResourceError(
            f"Cannot listen on {host}:{port}: {error.strerror or error}. "
            "Choose another --port (0 picks a free one)."
        ) from None
    bound = server.sockets[0].getsockname()[1] if server.sockets else port
    return TableServer(engine, service, server, host, bound)
