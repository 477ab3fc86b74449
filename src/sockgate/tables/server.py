"""The HTTP face of the table service: DynamoDB and DynamoDB Streams JSON 1.0 on one port."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import sqlite3
import uuid
import zlib
from pathlib import Path
from typing import Any

from aiohttp import web

from sockgate.errors import ResourceError
from sockgate.tables.engine import Engine
from sockgate.tables.errors import (
    DynamoDBError,
    InternalServerError,
    SerializationException,
    UnknownOperationException,
)
from sockgate.tables.operations import OPERATIONS, Spec
from sockgate.tables.operations.context import Context
from sockgate.tables.protocol import encode
from sockgate.tables.ttl import TtlSweeper, sweep_interval

__all__ = ["TableServer", "execute", "start_server"]

log = logging.getLogger("sockgate.tables")
_JSON = "application/x-amz-json-1.0"
# Large enough for a BatchWriteItem of 25 items of 400 KB, with JSON overhead.
_MAX_BODY = 64 * 1024 * 1024


def execute(spec: Spec, ctx: Context, body: bytes) -> bytes:
    """Decode a request body, run one operation, encode its answer (runs on a store thread)."""
    try:
        payload = json.loads(body) if body.strip() else {}
    except (ValueError, UnicodeDecodeError) as error:
        raise SerializationException(f"Unable to parse request body as JSON: {error}") from None
    if not isinstance(payload, dict):
        raise SerializationException("Start of list found where not expected")
    try:
        return encode(spec.fn(ctx, payload))
    except DynamoDBError:
        raise
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as error:
        # A request whose members have the wrong JSON types (boto3 never sends one: it
        # validates parameters first). Answer it as DynamoDB's deserializer would.
        log.warning("malformed %s request", spec.name, exc_info=True)
        raise SerializationException(f"Unexpected value in request: {error}") from None


class TableServer:
    """A running table service: .port, .url, and close()."""

    def __init__(self, engine: Engine, runner: web.AppRunner, host: str, port: int) -> None:
        self.engine = engine
        self.host = host
        self.port = port
        self._runner = runner
        self._sweeper = TtlSweeper(engine, sweep_interval())
        self._sweeper.start()

    @property
    def url(self) -> str:
        """The endpoint URL to give boto3 (endpoint_url=...)."""
        return f"http://{self.host}:{self.port}"

    async def close(self) -> None:
        """Stop serving, finish queued writes, close the database."""
        await self._sweeper.stop()
        await self._runner.cleanup()
        await asyncio.get_running_loop().run_in_executor(None, self.engine.close)


def _error_response(error: DynamoDBError, request_id: str) -> web.Response:
    body = json.dumps(error.to_wire()).encode()
    return _response(error.status, body, request_id)


def _response(status: int, body: bytes, request_id: str) -> web.Response:
    headers = {
        "x-amzn-RequestId": request_id,
        "x-amz-crc32": str(zlib.crc32(body)),
    }
    return web.Response(status=status, body=body, content_type=_JSON, headers=headers)


def make_app(engine: Engine) -> web.Application:
    """The aiohttp application routing by X-Amz-Target."""
    # Request ids shaped like AWS's (52 upper-case alphanumerics), unique per server run;
    # a counter instead of a random id per request keeps a syscall off every request.
    prefix = uuid.uuid4().hex.upper()
    request_ids = (f"{prefix}{n:020d}" for n in itertools.count())

    async def handle(request: web.Request) -> web.Response:
        request_id = next(request_ids)
        target = request.headers.get("X-Amz-Target", "")
        spec = OPERATIONS.get(target)
        if spec is None:
            return _error_response(
                UnknownOperationException(f"Unknown operation: {target}"), request_id
            )
        try:
            body = await request.read()
            run = engine.write if spec.write else engine.read
            data = await run(_bound(spec), body)
        except DynamoDBError as error:
            return _error_response(error, request_id)
        except Exception:
            log.exception("%s failed", spec.name)
            return _error_response(InternalServerError("Internal server error"), request_id)
        return _response(200, data, request_id)

    async def health(request: web.Request) -> web.Response:
        return web.Response(text=f"healthy: dynamodb.{engine.region}.amazonaws.com ")

    app = web.Application(client_max_size=_MAX_BODY)
    app.router.add_post("/{tail:.*}", handle)
    app.router.add_get("/{tail:.*}", health)
    return app


def _bound(spec: Spec) -> Any:
    def run(ctx: Context, body: bytes) -> bytes:
        return execute(spec, ctx, body)

    return run


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
    runner = web.AppRunner(make_app(engine), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as error:
        await runner.cleanup()
        await loop.run_in_executor(None, engine.close)
        raise ResourceError(
            f"Cannot listen on {host}:{port}: {error.strerror or error}. "
            "Choose another --port (0 picks a free one)."
        ) from None
    sockets = site._server.sockets if site._server is not None else []  # type: ignore[union-attr]
    return TableServer(engine, runner, host, sockets[0].getsockname()[1] if sockets else port)
