"""A whole service under test: `sockgate dev` in a background thread, driven from a test.

    svc = ServiceUnderTest("examples/chat").start()
    with svc.connect(query={"name": "ann"}) as ann:
        ...
    svc.reset()     # tables emptied, connections closed, streams skipped, logs cleared
    svc.close()

The service runs on its own event loop in a daemon thread, on free ports, with its tables in
memory and its state (stream positions) in a temporary folder. Every method here is called from
the test's thread and waits for the service's loop; async twins (`adrain`, `clock.aadvance`)
serve async tests without blocking their loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import threading
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from sockgate.invocation import InvocationResult
from sockgate.testing.clients import AsyncConnect, WebSocketClient, connect_sync
from sockgate.testing.clock import TestClock

__all__ = ["ServiceClock", "ServiceUnderTest"]

T = TypeVar("T")

START_TIMEOUT = 60.0  # seconds for the whole service to start
SETTLE_TIMEOUT = 10.0  # seconds for closes, $disconnects and in-flight invocations
LOCAL: dict[str, Any] = {
    "region_name": "us-east-1",
    "aws_access_key_id": "local",
    "aws_secret_access_key": "local",
}


class ServiceUnderTest:
    """One service started for tests (see the module docstring)."""

    def __init__(
        self,
        path: str | Path,
        *,
        stage: str | None = None,
        region: str | None = None,
        environment: Mapping[str, str] | None = None,
        functions: Mapping[str, Mapping[str, Any]] | None = None,
        max_workers: int = 2,
        prewarm: bool = True,
    ) -> None:
        self.path = Path(path)
        self.stage = stage
        self.region = region
        self.environment = dict(environment or {})
        self.functions = {key: dict(value) for key, value in (functions or {}).items()}
        self.max_workers = max_workers
        self.prewarm = prewarm
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Any = None
        self._state_dir: Path | None = None
        self._clock: TestClock | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> ServiceUnderTest:
        """Start every part; raises the service's own error (a ConfigError...) if it cannot."""
        if self._server is not None:
            return self
        self._state_dir = Path(tempfile.mkdtemp(prefix="sockgate-test-"))
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(
            target=loop.run_forever, name=f"sockgate {self.path.name}", daemon=True
        )
        self._thread.start()
        try:
            self._server = self._call(self._start(), START_TIMEOUT)
        except BaseException:
            self.close()
            raise
        return self

    async def _start(self) -> Any:
        from sockgate.runner import DevOptions, DevServer

        assert self._loop is not None and self._state_dir is not None
        self._clock = TestClock(self._loop)
        options = DevOptions(
            path=self.path,
            port=0,
            http_port=0,
            tables_port=0,
            lambda_port=0,
            stage=self.stage,
            region=self.region,
            hot_reload=False,
            max_workers=self.max_workers,
            in_memory_tables=True,
            state_dir=self._state_dir,
            environment=self.environment,
            function_overrides=self.functions,
            clock=self._clock,
            prewarm=self.prewarm,
        )
        server = DevServer(options)
        await server.start()
        server.invocations.logs = []
        return server

    def close(self) -> None:
        """Stop the service (its connections get 1001 and their $disconnect); safe twice."""
        loop, self._loop = self._loop, None
        server, self._server = self._server, None
        if loop is not None:
            if server is not None:
                with contextlib.suppress(Exception):
                    asyncio.run_coroutine_threadsafe(server.close(), loop).result(30)
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(10)
            if not loop.is_running():
                loop.close()
        if self._state_dir is not None:
            shutil.rmtree(self._state_dir, ignore_errors=True)
            self._state_dir = None

    def __enter__(self) -> ServiceUnderTest:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def reset(self, timeout: float = SETTLE_TIMEOUT) -> None:
        """Back to just started: connections closed (with $disconnect), invocations finished,
        tables emptied, stream positions moved past every record, logs cleared."""
        self._call(self._reset(timeout), timeout * 3)

    async def _reset(self, timeout: float) -> None:
        server = self._running
        server.gateway.disconnect_all()
        await server.gateway.settle(timeout)
        await self._idle(timeout)

        async def empty_tables() -> None:
            await asyncio.to_thread(self._empty_tables)

        if server.mappings is not None:
            await server.mappings.skip_to_end(empty_tables)
        else:
            await empty_tables()
        if server.invocations.logs is not None:
            server.invocations.logs.clear()

    # -- where it listens -----------------------------------------------------------------

    @property
    def name(self) -> str:
        """The service's name from serverless.yml."""
        return str(self._running.service.name)

    @property
    def websocket_url(self) -> str:
        """ws://127.0.0.1:PORT/STAGE"""
        return str(self._running.urls["websocket_url"])

    @property
    def management_url(self) -> str:
        """The @connections endpoint_url: http://127.0.0.1:PORT/STAGE"""
        return str(self._running.urls["management_url"])

    @property
    def tables_url(self) -> str:
        """The DynamoDB (and DynamoDB Streams) endpoint_url."""
        return str(self._running.urls["tables_url"])

    @property
    def http_url(self) -> str | None:
        """The HTTP API's base URL, when the service has httpApi or http events."""
        url: str | None = self._running.urls.get("http_url")
        return url

    # -- clients --------------------------------------------------------------------------

    def connect(
        self,
        path: str = "",
        *,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        subprotocols: list[str] | None = None,
        timeout: float = 10.0,
    ) -> WebSocketClient:
        """Open a WebSocket (its $connect has run when this returns); HandshakeRefused with the
        status when $connect or the authorizer refuses. Use it as a context manager."""
        client = connect_sync(
            self._url(path, query), headers=headers, subprotocols=subprotocols, timeout=timeout
        )
        client.service = self
        return client

    def connect_async(
        self,
        path: str = "",
        *,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        subprotocols: list[str] | None = None,
        timeout: float = 10.0,
    ) -> AsyncConnect:
        """The async client: `async with svc.connect_async(...) as ws` or `await ...`."""
        return AsyncConnect(
            self._url(path, query),
            headers=headers,
            subprotocols=subprotocols,
            timeout=timeout,
            service=self,
        )

    def _url(self, path: str, query: Mapping[str, str] | None) -> str:
        url = self.websocket_url + (("/" + path.lstrip("/")) if path else "")
        return f"{url}?{urlencode(query)}" if query else url

    @cached_property
    def management(self) -> Any:
        """boto3's apigatewaymanagementapi client, bound to this service's @connections."""
        import boto3

        return boto3.client("apigatewaymanagementapi", endpoint_url=self.management_url, **LOCAL)

    @cached_property
    def dynamodb(self) -> Any:
        """boto3's DynamoDB client, bound to this service's table service."""
        import boto3

        return boto3.client("dynamodb", endpoint_url=self.tables_url, **LOCAL)

    @cached_property
    def dynamodb_resource(self) -> Any:
        """boto3's DynamoDB resource, bound to this service's table service."""
        import boto3

        return boto3.resource("dynamodb", endpoint_url=self.tables_url, **LOCAL)

    def table(self, logical_id: str) -> Any:
        """The boto3 Table of a table in `resources`, by its logical id ("ChatTable")."""
        return self.dynamodb_resource.Table(self.table_name(logical_id))

    def table_name(self, logical_id: str) -> str:
        """The physical name of a table in `resources`."""
        resources = self._running.resources
        if logical_id not in resources:
            known = ", ".join(sorted(resources)) or "none"
            raise KeyError(f"no table {logical_id!r} in resources (tables: {known})")
        return str(resources[logical_id].ref)

    # -- determinism ----------------------------------------------------------------------

    def drain(self, timeout: float = SETTLE_TIMEOUT) -> None:
        """Return once every stream mapping has delivered every record written so far and no
        invocation is in flight; TimeoutError saying what is still pending otherwise."""
        self._call(self._drain(timeout), timeout + 5)

    async def adrain(self, timeout: float = SETTLE_TIMEOUT) -> None:
        """drain() for async tests."""
        await self._wrap(self._drain(timeout))

    async def _drain(self, timeout: float) -> None:
        server = self._running
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            started = server.invocations.started
            await self._idle(deadline - loop.time())
            if server.mappings is not None:
                await server.mappings.drain(max(0.0, deadline - loop.time()))
            await self._idle(deadline - loop.time())
            if server.invocations.started == started and not server.gateway.busy:
                return

    async def _idle(self, timeout: float) -> None:
        """Wait until no invocation runs and the gateway has none about to start."""
        server = self._running
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                async with asyncio.timeout(max(0.0, deadline - loop.time())):
                    await server.invocations.idle()
            except TimeoutError:
                raise TimeoutError(
                    f"{server.invocations.inflight} invocation(s) still running after "
                    f"{timeout:.1f} s"
                ) from None
            if not server.gateway.busy:
                return
            if loop.time() > deadline:
                raise TimeoutError(f"the gateway is still busy after {timeout:.1f} s")
            await asyncio.sleep(0.002)  # a message or $disconnect task about to invoke

    @property
    def clock(self) -> ServiceClock:
        """The gateway's clock: `svc.clock.advance(601)` runs the idle timeout now."""
        return ServiceClock(self)

    # -- functions ------------------------------------------------------------------------

    def invoke(self, function: str, event: Mapping[str, Any]) -> InvocationResult:
        """Run one function as Lambda would; its result, error and log lines."""
        result: InvocationResult = self._call(self._running.invoke(function, dict(event)), 120)
        return result

    def logs(self, function: str | None = None) -> list[str]:
        """The Lambda log lines (START, handler output, END, REPORT) since the last reset,
        of one function or all."""
        records = self._running.invocations.logs or []
        return [line for key, lines in list(records) if function in (None, key) for line in lines]

    def kill_worker(self, function: str) -> list[int]:
        """Kill a function's worker processes now (an invocation in flight fails with
        Runtime.ExitError, the next one starts cold); the killed process ids."""
        pids: list[int] = self._on_loop(self._running.runtime.kill_workers, function)
        return pids

    def connection_ids(self) -> list[str]:
        """The ids of the open connections."""
        ids: list[str] = self._on_loop(self._running.gateway.connection_ids)
        return ids

    def connection_id_of(self, port: int) -> str | None:
        """The id of the connection whose client uses local `port`."""
        found: str | None = self._on_loop(self._running.gateway.connection_id_of_peer, port)
        return found

    def disconnect(self, connection_id: str, code: int = 1000, reason: str = "") -> None:
        """Close a connection from the server side, as API Gateway would (close frame with
        `code`, then $disconnect); returns once its $disconnect has run. GoneError if not open."""

        async def run() -> None:
            self._running.gateway.disconnect(connection_id, code, reason)
            await self._running.gateway.settle(SETTLE_TIMEOUT)

        self._call(run(), SETTLE_TIMEOUT + 5)

    # -- plumbing -------------------------------------------------------------------------

    @property
    def _running(self) -> Any:
        if self._server is None:
            raise RuntimeError("the service is not running; call start() first")
        return self._server

    def _call(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run `coro` on the service's loop and wait for its result."""
        loop = self._loop
        if loop is None:
            coro.close()
            raise RuntimeError("the service is not running; call start() first")
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def _on_loop(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` called on the service's loop (its parts' state is the loop's)."""

        async def call() -> T:
            return function(*args)

        return self._call(call(), 10)

    def _wrap(self, coro: Coroutine[Any, Any, T]) -> Awaitable[T]:
        """`coro` on the service's loop, awaitable from another loop."""
        assert self._loop is not None
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._loop))

    def _empty_tables(self) -> None:
        """Delete every item of every table in `resources` (run in a thread)."""
        client = self.dynamodb
        for logical_id in self._running.resources:
            name = self.table_name(logical_id)
            keys = [
                k["AttributeName"]
                for k in client.describe_table(TableName=name)["Table"]["KeySchema"]
            ]
            names = {f"#k{i}": key for i, key in enumerate(keys)}
            scan: dict[str, Any] = {
                "TableName": name,
                "ProjectionExpression": ", ".join(names),
                "ExpressionAttributeNames": names,
            }
            while True:
                page = client.scan(**scan)
                items = page.get("Items", [])
                for start in range(0, len(items), 25):
                    requests = [
                        {"DeleteRequest": {"Key": item}} for item in items[start : start + 25]
                    ]
                    pending: dict[str, Any] = {name: requests}
                    while pending:
                        pending = client.batch_write_item(RequestItems=pending).get(
                            "UnprocessedItems", {}
                        )
                if "LastEvaluatedKey" not in page:
                    break
                scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class ServiceClock:
    """`svc.clock`: the gateway's timers, moved forward on request."""

    def __init__(self, service: ServiceUnderTest) -> None:
        self._service = service

    def time(self) -> float:
        """The gateway's monotonic time now, in seconds."""
        clock = self._service._clock
        assert clock is not None
        return clock.time()

    def advance(self, seconds: float) -> int:
        """Move the clock forward, run every timer now due (idle timeout, maximum duration)
        and return once the closes they began have ended and their $disconnect has run.
        Returns how many timers ran."""
        return self._service._call(self._advance(seconds), SETTLE_TIMEOUT + 5)

    async def aadvance(self, seconds: float) -> int:
        """advance() for async tests (their clients answer the close meanwhile)."""
        return await self._service._wrap(self._advance(seconds))

    async def _advance(self, seconds: float) -> int:
        clock = self._service._clock
        assert clock is not None
        ran = clock.advance(seconds)
        if ran:
            await self._service._running.gateway.settle(SETTLE_TIMEOUT)
        return ran
