"""`sockgate dev`: wire the table service, the tables, the runtime, the gateway and the streams.

The parts know nothing of each other; this module starts them in dependency order and stops
them in reverse:

    table service (child process)  ->  tables from resources  ->  intrinsics resolved
    ->  gateway (binds)  ->  worker runtime (knows the gateway's URL)  ->  stream mappings
    ->  HTTP API  ->  banner and ready file
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sockgate import eventloop
from sockgate.errors import ConfigError, HandlerError
from sockgate.invocation import InvocationResult, Invoke
from sockgate.quotas import QUOTAS
from sockgate.service.model import IntrinsicContext, ResourceAttrs, Service
from sockgate.supervisor import TableServiceProcess

__all__ = ["DevOptions", "DevServer", "invoke_once", "run_dev"]

log = logging.getLogger("sockgate")


@dataclass(frozen=True, slots=True)
class DevOptions:
    """What `sockgate dev` was asked for; defaults match the CLI's."""

    path: Path = Path(".")
    host: str = "127.0.0.1"
    port: int = 3001
    http_port: int = 3000
    tables_port: int = 8000
    lambda_port: int = 3002  # Lambda's Invoke API (AWS_ENDPOINT_URL_LAMBDA)
    # Workers import only what the service's package holds (lambdas/packages.py); True: from
    # sockgate's own environment, for people who manage their environment themselves.
    shared_env: bool = False
    params: tuple[str, ...] = ()  # --param NAME=VALUE (also ssm:/path=VALUE, cf:stack.Output=...)
    stage: str | None = None
    region: str | None = None
    dynamodb_endpoint: str | None = None  # None: run the embedded table service
    hot_reload: bool = True
    max_workers: int = 8
    account_concurrency: int = 1000  # Lambda's default account quota; beyond it, 429s
    worker_idle_timeout: float = 300.0  # idle workers beyond one per function stop after this
    idle_timeout: float = QUOTAS.idle_timeout
    max_duration: float = QUOTAS.max_duration
    max_message_bytes: int = QUOTAS.max_message_bytes
    max_frame_bytes: int = QUOTAS.max_frame_bytes
    ready_file: Path | None = None
    # A template instead of PATH's serverless.yml (sockgate.templates): the file, the stack of
    # a CDK cloud assembly holding several, and parameter values (SAM CLI's overrides).
    template: Path | None = None
    stack: str | None = None
    parameter_overrides: Mapping[str, str] | None = None
    # For the pytest plugin (sockgate.testing); the CLI leaves them unset.
    in_memory_tables: bool = False  # the embedded table service keeps no files
    state_dir: Path | None = None  # None: PATH/.sockgate (stream positions, table data)
    environment: Mapping[str, str] | None = None  # added to every function's environment
    # Function settings replaced after loading, by Function field: {"fn": {"timeout": 1}};
    # an "environment" entry is merged into the function's own.
    function_overrides: Mapping[str, Mapping[str, Any]] | None = None
    clock: Any = None  # the gateway's timers (sockgate.gateway.config.Clock); None: the loop's
    prewarm: bool = True  # start one worker per function ahead of its first invocation
    inspector: bool = True  # the inspector page at /_sockgate/ on the gateway's port (#18)
    inspector_history: int = 1000  # records of each kind the inspector keeps


def function_environments(service: Service, ctx: IntrinsicContext) -> dict[str, dict[str, str]]:
    """Each function's environment with intrinsics resolved and values as Lambda sees them."""
    from sockgate.service.environment import environment_string
    from sockgate.service.intrinsics import resolve_intrinsics

    result: dict[str, dict[str, str]] = {}
    for key, function in service.functions.items():
        env: dict[str, str] = {}
        for name, value in function.environment.items():
            resolved = resolve_intrinsics(value, ctx, path=f"functions.{key}.environment.{name}")
            text = environment_string(resolved)
            if text is not None:
                env[name] = text
        result[key] = env
    return result


class DevServer:
    """Everything `sockgate dev` runs, started and stopped as one."""

    def __init__(self, options: DevOptions) -> None:
        self.options = options
        self.service: Service | None = None
        self.urls: dict[str, str] = {}
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self._runtime: Any = None
        self._runtime_ready = asyncio.Event()
        # Parts, for the pytest plugin (sockgate.testing) to reach in; None until started.
        self.gateway: Any = None
        self.extra_gateways: dict[str, Any] = {}  # a template's further WebSocket APIs
        self.mappings: Any = None
        self.resources: dict[str, ResourceAttrs] = {}
        self.invocations = InvocationCounter()
        # The inspector (#18): a recorder every part reports to, and the invoke port recorded.
        self.recorder: Any = None
        self.inspector_url: str | None = None
        self._port: Invoke = self._invoke
        if options.inspector:
            from sockgate.inspector import Recorder, recording

            self.recorder = Recorder(options.inspector_history)
            self._port = recording(self.recorder, self._invoke)

    async def start(self) -> None:
        """Load the service and start every part; raises SockgateError on a user error."""
        from sockgate.templates import load_path

        options = self.options
        overrides = {k: v for k, v in (("stage", options.stage), ("region", options.region)) if v}
        if options.params:  # --param, one per line: ${param:}, local ${ssm:} and ${cf:} values
            overrides["param"] = "\n".join(options.params)
        service = await asyncio.to_thread(
            load_path,
            options.path,
            stage=options.stage,
            region=options.region,
            options=overrides,
            template=options.template,
            stack=options.stack,
            parameters=options.parameter_overrides,
        )
        if options.function_overrides:
            service = _override_functions(service, options.function_overrides)
        self.service = service
        try:
            await self._start_parts(service)
        except BaseException:
            await self.close()
            raise

    async def _start_parts(self, service: Service) -> None:
        from sockgate.lambdas import Runtime
        from sockgate.service.intrinsics import resolve_intrinsics

        options = self.options
        state_dir = options.state_dir or service.directory / ".sockgate"
        gateway = self._gateway(service)  # checks the routes before anything starts
        endpoint = options.dynamodb_endpoint or await self._start_table_service(state_dir)
        self.urls["tables_url"] = endpoint
        tables = await self._provision(service, endpoint)
        self.resources = dict(tables)  # the tables, by logical id (sockgate.testing reads them)
        # What intrinsics see: a template's functions, stages and other resources, the tables.
        resources = {**service.local_resources, **tables}
        self.gateway = gateway

        # The network side binds first: handlers' environment may name the APIs' endpoints.
        await gateway.start()
        self._closers.append(gateway.close)
        self.urls["websocket_url"] = gateway.url
        self.urls["management_url"] = gateway.management_url
        api = ResourceAttrs(
            ref=gateway.api_id,
            attributes={
                "ApiId": gateway.api_id,
                "ApiEndpoint": gateway.url.rsplit("/", 1)[0],
            },
        )
        resources.update(dict.fromkeys(service.websocket_api_ids, api))
        await self._start_extra_apis(service, resources)
        if service.http_routes:
            await self._start_http_api(service, resources)

        ctx = IntrinsicContext(
            region=service.region, stack_name=service.stack_name, resources=resources
        )
        environments = function_environments(service, ctx)
        for extra in service.extra_websocket_apis:  # their functions' @connections calls
            own = _management_environment(self.extra_gateways[extra.logical_id])
            for key in extra.functions:
                environments[key].update(own)
        for environment in environments.values():
            environment.update(options.environment or {})
        await self._start_invoke_api(service)
        from sockgate.lambdas.packages import prepare

        pythons = await asyncio.to_thread(
            prepare, service, state_dir, shared=options.shared_env, log=log.info
        )
        runtime = Runtime(
            service,
            environment=self._worker_environment(endpoint, gateway),
            function_environment=environments,
            max_workers=options.max_workers,
            hot_reload=options.hot_reload,
            prewarm=options.prewarm,
            account_concurrency=options.account_concurrency,
            idle_timeout=options.worker_idle_timeout,
            pythons=pythons,
        )
        await runtime.start()
        # Closed after the gateway, whose shutdown still invokes $disconnect handlers.
        self._closers.insert(self._closers.index(gateway.close), runtime.close)
        self._runtime = runtime
        self._runtime_ready.set()

        if service.streams:
            from sockgate.streams import EventSourceMappings

            mappings = EventSourceMappings(
                service,
                self._port,
                endpoint_url=endpoint,
                region=service.region,
                state_dir=state_dir / "streams",
                log=log.info,
                resolve_arn=lambda value, path: str(resolve_intrinsics(value, ctx, path=path)),
                observer=self.recorder,
            )
            await mappings.start()
            self._closers.append(mappings.close)
            self.mappings = mappings
        if self.recorder is not None:
            await self._mount_inspector(service, gateway, endpoint)

    async def _mount_inspector(self, service: Service, gateway: Any, tables_url: str) -> None:
        from sockgate.inspector import PREFIX, Inspector, describe_service

        recorder = self.recorder
        recorder.memory_sizes = {k: f.memory_size for k, f in service.functions.items()}
        description = describe_service(service)
        inspector = Inspector(
            recorder,
            verbs=gateway,
            invoke=self._port,
            tables_url=tables_url,
            region=service.region,
            describe=lambda: description,
            pools=self._runtime.pool_stats,
            streams=lambda: self.mappings.positions() if self.mappings is not None else [],
        )
        gateway.observe(recorder)
        gateway.inspector = inspector.handle
        self._closers.append(inspector.close)  # before the gateway's: open pages let go
        self.inspector_url = f"{gateway.http_base}{PREFIX}/"

    def _gateway(self, service: Service, port: int | None = None) -> Any:
        from sockgate.gateway import Gateway, GatewayConfig
        from sockgate.gateway.errors import GatewayConfigError

        options = self.options
        config = GatewayConfig(
            host=options.host,
            port=options.port if port is None else port,
            stage=service.stage,
            region=service.region,
            idle_timeout=options.idle_timeout,
            max_duration=options.max_duration,
            max_message_bytes=options.max_message_bytes,
            max_frame_bytes=options.max_frame_bytes,
            clock=options.clock,
        )
        try:
            return Gateway(service, self._port, config)
        except GatewayConfigError as error:
            raise ConfigError(
                error.message, file=str(service.config_file), path=error.path
            ) from None

    async def _start_extra_apis(
        self, service: Service, resources: dict[str, ResourceAttrs]
    ) -> None:
        """A template's further WebSocket APIs: a gateway each, on --port + 10, + 20, ..."""
        for index, extra in enumerate(service.extra_websocket_apis, start=1):
            api_service = service.model_copy(
                update={
                    "name": f"{service.name}-{extra.logical_id}",  # its own API id
                    "stage": extra.stage,
                    "route_selection_expression": extra.route_selection_expression,
                    "websocket_routes": extra.routes,
                    "overridden_websocket_routes": (),
                    "extra_websocket_apis": (),
                }
            )
            port = self.options.port + 10 * index if self.options.port else 0
            gateway = self._gateway(api_service, port)
            await gateway.start()
            self._closers.append(gateway.close)
            self.extra_gateways[extra.logical_id] = gateway
            resources[extra.logical_id] = ResourceAttrs(
                ref=gateway.api_id,
                attributes={"ApiId": gateway.api_id, "ApiEndpoint": gateway.url.rsplit("/", 1)[0]},
            )

    async def _start_table_service(self, state_dir: Path) -> str:
        assert self.service is not None
        data_dir = None if self.options.in_memory_tables else state_dir / "tables"
        tables = TableServiceProcess(
            "127.0.0.1", self.options.tables_port, data_dir, self.service.region
        )
        self._closers.append(tables.close)
        return await tables.start()

    async def _provision(self, service: Service, endpoint: str) -> dict[str, ResourceAttrs]:
        from sockgate.resources import provision_tables

        return await asyncio.to_thread(
            provision_tables,
            service,
            endpoint_url=endpoint,
            region=service.region,
            log=log.info,
        )

    async def _start_http_api(self, service: Service, resources: dict[str, ResourceAttrs]) -> None:
        from sockgate.httpapi import HttpApi

        http_api = HttpApi(
            service,
            self._port,
            host=self.options.host,
            port=self.options.http_port,
            stage=service.stage,
        )
        await http_api.start()
        self._closers.append(http_api.close)
        self.urls["http_url"] = http_api.url
        api = ResourceAttrs(
            ref="http-api",
            attributes={
                "ApiId": "http-api",
                "ApiEndpoint": http_api.url.rstrip("/"),
            },
        )
        resources.update(dict.fromkeys(service.http_api_ids, api))

    async def _start_invoke_api(self, service: Service) -> None:
        from sockgate.lambdas.invoke_server import InvokeServer

        server = InvokeServer(
            service, self._port, host=self.options.host, port=self.options.lambda_port
        )
        await server.start()
        self._closers.append(server.close)  # closed before the runtime
        self.urls["lambda_url"] = server.url

    def _worker_environment(self, tables_url: str, gateway: Any) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL_LAMBDA": self.urls["lambda_url"],
            "AWS_ENDPOINT_URL_DYNAMODB": tables_url,
            "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": tables_url,
            **_management_environment(gateway),
        }

    async def _invoke(self, function_key: str, event: dict[str, Any]) -> InvocationResult:
        # The gateway serves as soon as it binds; the runtime needs the gateway's URL first.
        if not self._runtime_ready.is_set():
            await self._runtime_ready.wait()
        counter = self.invocations
        counter.begin()
        try:
            result: InvocationResult = await self._runtime.invoke(function_key, event)
        finally:
            counter.end()
        if counter.logs is not None:
            counter.logs.append((function_key, result.logs))
        return result

    async def invoke(self, function_key: str, event: dict[str, Any]) -> InvocationResult:
        """Invoke a function as the gateway and the stream mappings do (counted, logged and
        recorded by the inspector)."""
        return await self._port(function_key, event)

    @property
    def runtime(self) -> Any:
        """The Lambda runtime (sockgate.lambdas.Runtime), once started."""
        return self._runtime

    async def close(self) -> None:
        """Stop every part that started, newest first; safe to call twice."""
        closers, self._closers = self._closers, []
        for close in reversed(closers):
            try:
                await close()
            except Exception:  # one part failing to stop must not keep the others running
                log.exception("error while stopping")

    def banner(self) -> str:
        """What `sockgate dev` prints once everything listens."""
        service = self.service
        assert service is not None
        lines = [
            f"sockgate dev: service {service.name}, stage {service.stage}, region {service.region}"
            f" ({service.source}: {_shown(service.config_file)})"
        ]
        labels = (
            ("websocket_url", "WebSocket"),
            ("management_url", "@connections"),
            ("http_url", "HTTP API"),
            ("tables_url", "DynamoDB"),
            ("lambda_url", "Lambda"),
        )
        serves_page = any(
            r.method in ("GET", "*") and r.path == "/" and r.kind == "httpApi"
            for r in service.http_routes
        )
        for key, label in labels:
            if key in self.urls:
                hint = "  <- open this in a browser" if key == "http_url" and serves_page else ""
                lines.append(f"  {label:<13} {self.urls[key]}{hint}")
        if self.inspector_url is not None:
            lines.append(f"  {'Inspector':<13} {self.inspector_url}")
        lines.append(f"  {'Event loop':<13} {eventloop.loop_name(asyncio.get_running_loop())}")
        if service.websocket_routes:
            lines.append("  routes:")
            for route in service.websocket_routes:
                extra = " (two-way)" if route.two_way else ""
                extra += f" (authorizer: {route.authorizer.name})" if route.authorizer else ""
                lines.append(f"    {route.route_key:<20} -> {route.function}{extra}")
        for http_route in service.http_routes:
            # REST (`http`) routes live under the stage, HTTP API routes at the root.
            path = (
                f"/{service.stage}{http_route.path}"
                if http_route.kind == "http"
                else http_route.path
            )
            lines.append(f"    {http_route.method} {path:<16} -> {http_route.function}")
        for stream in service.streams:
            lines.append(f"    stream {stream.type:<13} -> {stream.function}")
        for other in service.extra_websocket_apis:
            gateway = self.extra_gateways[other.logical_id]
            lines.append(f"  WebSocket API {other.logical_id}, stage {other.stage}:")
            lines.append(f"  {'WebSocket':<13} {gateway.url}")
            lines.append(f"  {'@connections':<13} {gateway.management_url}")
            for route in other.routes:
                two_way = " (two-way)" if route.two_way else ""
                lines.append(f"    {route.route_key:<20} -> {route.function}{two_way}")
        return "\n".join(lines)

    def write_ready_file(self) -> None:
        """Write the URLs as JSON, atomically, for tools and tests that started us on port 0."""
        path = self.options.ready_file
        if path is None:
            return
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.urls))
        os.replace(tmp, path)


def _shown(path: Path) -> str:
    """A path as the banner shows it: relative to the current folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _management_environment(gateway: Any) -> dict[str, str]:
    """What carries a worker's @connections calls to `gateway`: its URLs, and its Unix socket
    unless SOCKGATE_LOCAL_CHANNEL=off asks for HTTP only (to compare the two, or to watch the
    requests on the wire)."""
    from sockgate.channel.wire import SOCKET_ENV

    env = {
        "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": gateway.management_url,
        "SOCKGATE_GATEWAY_URL": gateway.http_base,
    }
    wanted = os.environ.get("SOCKGATE_LOCAL_CHANNEL", "on").lower() not in ("0", "off", "no")
    if wanted and gateway.local_socket:
        env[SOCKET_ENV] = gateway.local_socket
    return env


class InvocationCounter:
    """Invocations in flight and started so far, for waiting until the service is idle.

    `logs`, when a list, receives (function key, log lines) of every finished invocation.
    """

    __slots__ = ("_idle", "inflight", "logs", "started")

    def __init__(self) -> None:
        self.inflight = 0
        self.started = 0
        self.logs: list[tuple[str, list[str]]] | None = None
        self._idle: asyncio.Event | None = None

    def begin(self) -> None:
        """An invocation starts."""
        self.inflight += 1
        self.started += 1

    def end(self) -> None:
        """An invocation ended."""
        self.inflight -= 1
        if self.inflight == 0 and self._idle is not None:
            self._idle.set()

    async def idle(self) -> None:
        """Return once no invocation is in flight."""
        while self.inflight:
            if self._idle is None:
                self._idle = asyncio.Event()
            self._idle.clear()
            await self._idle.wait()


def _override_functions(service: Service, overrides: Mapping[str, Mapping[str, Any]]) -> Service:
    functions = dict(service.functions)
    for key, changes in overrides.items():
        function = functions.get(key)
        if function is None:
            known = ", ".join(sorted(functions)) or "none"
            raise ConfigError(
                f"function_overrides names {key!r}, which is not a function ({known})"
            )
        update = dict(changes)
        if "environment" in update:
            update["environment"] = {**function.environment, **update["environment"]}
        unknown = set(update) - set(type(function).model_fields)
        if unknown:
            raise ConfigError(
                f"function_overrides for {key!r} names unknown settings {sorted(unknown)}; "
                "use Function's fields (timeout, memory_size, environment, reserved_concurrency)"
            )
        functions[key] = function.model_copy(update=update)
    return service.model_copy(update={"functions": functions})


async def run_dev(options: DevOptions) -> None:
    """Run until SIGINT or SIGTERM, then shut down gracefully."""
    server = DevServer(options)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # SIGHUP: terminal closed
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await server.start()
    try:
        print(server.banner(), flush=True)
        server.write_ready_file()
        await stop.wait()
        log.info("shutting down")
    finally:
        await server.close()


async def invoke_once(options: DevOptions, function: str, event: Any) -> InvocationResult:
    """Start the service on ephemeral ports, invoke one function once, stop (`sockgate invoke`).

    `function` is the key under `functions:` or the deployed name.
    """
    server = DevServer(replace(options, port=0, http_port=0, tables_port=0, lambda_port=0))
    await server.start()
    try:
        assert server.service is not None
        key = _function_key(server.service, function)
        return await server.invoke(key, event)
    finally:
        await server.close()


def _function_key(service: Service, function: str) -> str:
    if function in service.functions:
        return function
    for key, candidate in service.functions.items():
        if candidate.name == function:
            return key
    known = ", ".join(sorted(service.functions)) or "none"
    raise HandlerError(
        f"No function '{function}' in service '{service.name}' (functions: {known}). "
        "Name it by its key under functions:."
    )
