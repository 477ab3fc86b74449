"""The inspector's HTTP side, mounted on the gateway's port under /_sockgate/.

    GET    /_sockgate/                          the page (index.html, app.js, app.css)
    GET    /_sockgate/api/state                 everything recorded, plus the overview
    GET    /_sockgate/api/events                server-sent events: each new record as it happens,
                                                the overview every TICK seconds while connected
    GET    /_sockgate/api/invocations/{seq}     one invocation in full (event, result, logs); the
                                                state and the events carry them without those
    POST   /_sockgate/api/connections/{id}      {"data": text}: PostToConnection, as a backend
    DELETE /_sockgate/api/connections/{id}      DeleteConnection
    POST   /_sockgate/api/invoke                {"function", "event"}: invoke (re-run), recorded
    POST   /_sockgate/api/tables/{Operation}    DynamoDB JSON, forwarded to the table service

Nothing here runs unless a page asks: the only loop is the one of an open event stream. Writes
(POST, DELETE) must be JSON and come from the page's own origin, so another site open in the
same browser cannot drive them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from importlib import resources
from typing import Any, Protocol
from urllib.parse import unquote

from aiohttp import ClientError, ClientSession, ClientTimeout, web
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from sockgate.errors import SockgateError
from sockgate.inspector.recorder import Recorder
from sockgate.invocation import Invoke

__all__ = ["PREFIX", "TABLE_OPERATIONS", "Inspector"]

log = logging.getLogger("sockgate.inspector")

PREFIX = "/_sockgate"
TICK = 2.0  # seconds between overview updates on an open event stream
GATHER = 0.05  # seconds an event stream waits after an update for more to send at once
TABLE_OPERATIONS = frozenset(
    {"ListTables", "DescribeTable", "Scan", "Query", "GetItem", "PutItem", "DeleteItem"}
)
_STATIC = {
    "/": ("index.html", "text/html"),
    "/app.js": ("app.js", "text/javascript"),
    "/app.css": ("app.css", "text/css"),
}


class Verbs(Protocol):
    """The gateway's management verbs the page uses (sockgate.gateway.Gateway)."""

    async def post_to_connection(self, connection_id: str, data: bytes) -> None: ...

    async def delete_connection(self, connection_id: str) -> None: ...


class Inspector:
    """The inspector's request handler; `handle` is what the gateway calls."""

    def __init__(
        self,
        recorder: Recorder,
        *,
        verbs: Verbs,
        invoke: Invoke,
        tables_url: str | None,
        region: str = "us-east-1",
        describe: Callable[[], dict[str, Any]],
        pools: Callable[[], dict[str, Any]],
        streams: Callable[[], list[dict[str, Any]]],
    ) -> None:
        self.recorder = recorder
        self.verbs = verbs
        self.invoke = invoke
        self.tables_url = tables_url
        self.region = region
        self.describe = describe
        self.pools = pools
        self.streams = streams
        self._static: dict[str, bytes] = {}
        self._session: ClientSession | None = None
        self._closing = asyncio.Event()
        self._streams: set[asyncio.Task[Any]] = set()

    async def close(self) -> None:
        """End the open event streams and the table service client."""
        self._closing.set()
        for subscriber in list(self.recorder.subscribers):
            subscriber.push("bye", {})
        if self._streams:
            await asyncio.wait(list(self._streams), timeout=1.0)
        if self._session is not None:
            await self._session.close()

    # -- routing ------------------------------------------------------------------------------

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """Serve one request under PREFIX."""
        path = request.rel_url.raw_path[len(PREFIX) :] or "/"
        method = request.method
        if path == "/" and request.rel_url.raw_path == PREFIX:
            raise web.HTTPFound(PREFIX + "/")
        if method == "GET":
            if path in _STATIC:
                return self._file(*_STATIC[path])
            if path == "/api/state":
                return _json(self.state())
            if path == "/api/overview":
                return _json(self.overview())
            if path == "/api/events":
                return await self._events(request)
            if path.startswith("/api/invocations/"):
                return self._invocation(path.rsplit("/", 1)[1])
            return _error(404, f"no inspector page at {path}")
        if method not in ("POST", "DELETE"):
            return _error(405, f"{method} is not served here")
        refused = _check_write(request)
        if refused is not None:
            return refused
        parts = path.split("/")  # "", "api", kind, name
        if len(parts) == 4 and parts[1] == "api":
            name = unquote(parts[3])
            if parts[2] == "connections":
                return await self._connection(request, name)
            if parts[2] == "tables" and method == "POST":
                return await self._table(request, name)
        if path == "/api/invoke" and method == "POST":
            return await self._invoke(request)
        return _error(404, f"no inspector action at {method} {path}")

    def _file(self, name: str, content_type: str) -> web.Response:
        body = self._static.get(name)
        if body is None:
            body = (resources.files("sockgate.inspector") / "static" / name).read_bytes()
            self._static[name] = body
        return web.Response(
            body=body,
            content_type=content_type,
            charset="utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    # -- what the page reads ----------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """The snapshot a page starts from (invocations without their bulk)."""
        snapshot = self.recorder.snapshot()
        snapshot["invocations"] = [_slim(record) for record in snapshot["invocations"]]
        return {**snapshot, "overview": self.overview()}

    def _invocation(self, seq: str) -> web.Response:
        record = self.recorder.find_invocation(int(seq)) if seq.isdigit() else None
        if record is None:
            return _error(404, f"invocation {seq} is no longer kept (--inspector-history)")
        return _json(record)

    def overview(self) -> dict[str, Any]:
        """Routes, worker pools, the charts' series and the streams' positions, now."""
        return {
            "service": self.describe(),
            "pools": self.pools(),
            "series": self.recorder.metrics.series(),
            "streams": self.streams(),
            "streamTotals": self.recorder.stream_totals,
            "open": len(self.recorder.open),
        }

    async def _events(self, request: web.BaseRequest) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        subscriber = self.recorder.subscribe()
        task = asyncio.current_task()
        if task is not None:
            self._streams.add(task)
        loop = asyncio.get_running_loop()
        try:
            await response.write(b"retry: 1000\n\n")
            next_tick = loop.time()
            while not self._closing.is_set():
                chunks: list[str] = []
                if loop.time() >= next_tick:
                    chunks.append(_event("overview", self.overview()))
                    next_tick = loop.time() + TICK
                else:
                    try:
                        async with asyncio.timeout(next_tick - loop.time()):
                            kind, record = await subscriber.next()
                    except TimeoutError:
                        continue
                    if kind == "bye":
                        break
                    chunks.append(_event(kind, record))
                    # Under load, one write (and one wake-up of this task) per GATHER, not per
                    # update: a human reads no faster, and the gateway keeps its CPU.
                    await asyncio.sleep(GATHER)
                    for kind, record in subscriber.pending():  # what queued meanwhile, at once
                        if kind == "bye":
                            break
                        chunks.append(_event(kind, record))
                await response.write("".join(chunks).encode())
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.recorder.unsubscribe(subscriber)
            if task is not None:
                self._streams.discard(task)
        return response

    # -- what the page does --------------------------------------------------------------------

    async def _connection(self, request: web.BaseRequest, connection_id: str) -> web.Response:
        try:
            if request.method == "DELETE":
                await self.verbs.delete_connection(connection_id)
            else:
                body = await _body(request)
                data = body.get("data")
                if not isinstance(data, str):
                    return _error(400, 'send {"data": "<text>"}')
                await self.verbs.post_to_connection(connection_id, data.encode("utf-8"))
        except SockgateError as error:
            status = int(getattr(error, "status", 400))
            return _error(status, f"{type(error).__name__}: {error}")
        except ValueError as error:
            return _error(400, str(error))
        return _json({"ok": True})

    async def _invoke(self, request: web.BaseRequest) -> web.Response:
        try:
            body = await _body(request)
        except ValueError as error:
            return _error(400, str(error))
        function, event = body.get("function"), body.get("event")
        if not isinstance(function, str) or not isinstance(event, dict):
            return _error(400, 'send {"function": "<key>", "event": {...}}')
        try:
            result = await self.invoke(function, event)
        except Exception as error:  # an unknown function: the runtime's own sentence
            return _error(400, str(error))
        record = self.recorder.find_request(result.request_id)
        return _json({"ok": result.ok, "invocation": record})

    async def _table(self, request: web.BaseRequest, operation: str) -> web.Response:
        if operation not in TABLE_OPERATIONS:
            return _error(400, f"{operation} is not one of {sorted(TABLE_OPERATIONS)}")
        if self.tables_url is None:
            return _error(503, "no table endpoint")
        body = await request.read()
        if self._session is None:
            self._session = ClientSession(timeout=ClientTimeout(total=30))
        headers = _signed(self.tables_url, self.region, operation, body)
        try:
            async with self._session.post(self.tables_url, data=body, headers=headers) as reply:
                payload = await reply.read()
                return web.Response(
                    status=reply.status, body=payload, content_type="application/json"
                )
        except (ClientError, TimeoutError) as error:
            return _error(502, f"the table service did not answer: {error}")


def _signed(url: str, region: str, operation: str, body: bytes) -> dict[str, str]:
    """Headers of a DynamoDB request signed as boto3 signs one, with the dummy credentials
    the workers use (the table service accepts any)."""
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"DynamoDB_20120810.{operation}",
        },
    )
    SigV4Auth(Credentials("local", "local"), "dynamodb", region).add_auth(request)
    return {key: str(value) for key, value in request.headers.items()}


def _check_write(request: web.BaseRequest) -> web.Response | None:
    """Writes come from the page: JSON (a cross-site form cannot send it without a
    preflight, which is never answered) and, when the browser says, from this origin."""
    if request.content_type != "application/json" and request.method != "DELETE":
        return _error(415, "send JSON (Content-Type: application/json)")
    origin = request.headers.get("Origin")
    if origin is not None and origin.split("://", 1)[-1] != request.host:
        return _error(403, f"requests from {origin} are not accepted")
    return None


async def _body(request: web.BaseRequest) -> dict[str, Any]:
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError:
        raise ValueError("the body is not JSON") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


_BULK = ("event", "payload", "logs")  # an invocation's parts the page fetches when shown


def _slim(record: dict[str, Any]) -> dict[str, Any]:
    """An invocation without its event, result and logs (a list row needs none of them)."""
    return {key: value for key, value in record.items() if key not in _BULK}


def _event(kind: str, record: dict[str, Any]) -> str:
    if kind == "invocation":
        record = _slim(record)
    return f"event: {kind}\ndata: {json.dumps(record, default=str, separators=(',', ':'))}\n\n"


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(data, default=str, separators=(",", ":")),
        content_type="application/json",
    )


def _error(status: int, message: str) -> web.Response:
    return _json({"message": message}, status)
