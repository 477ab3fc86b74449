"""The gateway on the network: one aiohttp server for the WebSocket API and @connections.

ws://host:port/{stage}            the WebSocket endpoint (also at /)
http://host:port/{stage}/@connections/{id}   the management API (also at /@connections/{id})
unix:{local_socket}               the same management API for this machine's workers, without
                                  HTTP (see local_channel.py)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial

from aiohttp import web

from sockgate.gateway import ids
from sockgate.gateway.authorizers import method_arn, parse_identity_sources
from sockgate.gateway.config import GatewayConfig
from sockgate.gateway.connections import ConnectionInfo, ConnectionRegistry
from sockgate.gateway.errors import (
    BadRequestError,
    GatewayConfigError,
    GatewayError,
    PayloadTooLargeError,
)
from sockgate.gateway.handshake import ConnectAuthorizer, Connector, is_upgrade, upgrade_required
from sockgate.gateway.integration import Integration
from sockgate.gateway.limits import DELETED, GOING_AWAY
from sockgate.gateway.local_channel import LocalChannel
from sockgate.gateway.management import ManagementApi, Send, classify_path, forbidden
from sockgate.gateway.routing import RouteTable
from sockgate.gateway.session import SessionObserver, Sessions
from sockgate.gateway.tasks import TaskSet
from sockgate.httplog import RefusalLogger
from sockgate.invocation import Invoke
from sockgate.listen import authority, listen
from sockgate.service.model import Service, WebsocketRoute

__all__ = ["INSPECTOR_PREFIX", "Gateway"]

INSPECTOR_PREFIX = "/_sockgate"  # the inspector's pages and API (#18), when mounted

log = logging.getLogger("sockgate.gateway")


class Gateway:
    """API Gateway WebSocket semantics for one service, on one local port.

    With `local_channel` (the default) the gateway also serves @connections on a Unix socket
    (`local_socket`) for worker processes on this machine; HTTP serves everyone else.
    """

    def __init__(
        self,
        service: Service,
        invoke: Invoke,
        config: GatewayConfig,
        *,
        local_channel: bool = True,
    ) -> None:
        self.service = service
        self.config = config
        self.api_id = config.api_id or ids.api_id_for(service.name)
        routes = RouteTable(service.websocket_routes, service.route_selection_expression)
        for route in service.websocket_routes:
            _check_function(
                service, route.function, f"route {route.route_key!r}", _events_path(route)
            )
        self._registry = ConnectionRegistry()
        self._detached = TaskSet("integration")
        timeouts = {key: function.timeout for key, function in service.functions.items()}
        integration = Integration(invoke, config.integration_timeout, timeouts, self._detached)
        connector = Connector(
            integration=integration,
            connect_route=routes.connect,
            authorizer=_compile_authorizer(service, routes.connect, config, self.api_id),
            api_id=self.api_id,
            stage=config.stage,
        )
        self._sessions = Sessions(
            config=config,
            routes=routes,
            connector=connector,
            integration=integration,
            registry=self._registry,
        )
        self._management = ManagementApi(self, config.max_message_bytes)
        self._channel = (
            LocalChannel(self, stage=config.stage, max_message_bytes=config.max_message_bytes)
            if local_channel
            else None
        )
        self._runner: web.ServerRunner | None = None
        self._closed: asyncio.Future[None] | None = None
        self.port = config.port
        # The inspector (#18): serves INSPECTOR_PREFIX when `sockgate dev` mounts it.
        self.inspector: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]] | None = None

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind and serve; with port 0 the bound port is in `self.port` afterwards."""
        # aiohttp's low-level server: every request goes to _dispatch, which classifies the path
        # itself, so an Application's router (a regex match per request) would be pure cost.
        server = web.Server(
            self._dispatch,
            access_log=None,
            logger=RefusalLogger(log),
        )
        runner = web.ServerRunner(server, handle_signals=False, shutdown_timeout=1.0)
        self.port = await listen(
            runner,
            self.config.host,
            self.config.port,
            lambda where: GatewayError(
                f"The gateway cannot listen on {where}; choose another port."
            ),
        )
        self._runner = runner
        if self._channel is not None:
            try:
                await self._channel.start()
            except GatewayError as exc:  # workers then use HTTP, only slower
                log.warning("%s Workers will reach @connections over HTTP.", exc)
                self._channel = None

    async def close(self) -> None:
        """Close every connection with 1001 "Going away", run their $disconnect, stop serving."""
        if self._closed is not None:
            await asyncio.shield(self._closed)
            return
        self._closed = asyncio.get_running_loop().create_future()
        try:
            await self._sessions.shutdown()
            await self._detached.cancel()
            if self._channel is not None:  # after shutdown: $disconnect handlers may still post
                await self._channel.close()
            if self._runner is not None:
                await self._runner.cleanup()
        finally:
            self._closed.set_result(None)

    @property
    def url(self) -> str:
        """The WebSocket URL clients connect to: ws://host:port/{stage}."""
        return f"ws://{self._authority}/{self.config.stage}"

    @property
    def management_url(self) -> str:
        """The @connections endpoint_url for boto3: http://host:port/{stage}."""
        return f"http://{self._authority}/{self.config.stage}"

    @property
    def http_base(self) -> str:
        """http://host:port, where the runtime redirects handler-built management clients."""
        return f"http://{self._authority}"

    @property
    def local_socket(self) -> str | None:
        """The Unix socket serving @connections to local workers, once started (else None)."""
        return self._channel.path if self._channel is not None else None

    @property
    def management_requests(self) -> dict[str, int]:
        """@connections requests served so far, by transport: {"http": n, "channel": n}."""
        channel = self._channel.requests if self._channel is not None else 0
        return {"http": self._management.requests, "channel": channel}

    @property
    def _authority(self) -> str:
        return authority(self.config.host, self.port)

    @property
    def connection_count(self) -> int:
        """How many connections are open."""
        return len(self._registry)

    # -- management verbs -----------------------------------------------------------------

    async def post_to_connection(self, connection_id: str, data: bytes) -> None:
        """Send `data` to a client as one frame; GoneError, PayloadTooLargeError, ..."""
        self.prepare_post(connection_id, data)()

    def prepare_post(self, connection_id: str, data: bytes) -> Send:
        """Check a PostToConnection and return the call that writes its frame.

        Raises what the API answers (BadRequestError, PayloadTooLargeError, GoneError,
        LimitExceededError) and never waits. Call the result before yielding to the event loop:
        the checks hold only until then, and frames to one connection keep the order of the
        calls.
        """
        _check_id(connection_id)
        if len(data) > self.config.max_message_bytes:
            raise PayloadTooLargeError(
                connection_id,
                f"Message size exceeds the limit of {self.config.max_message_bytes} bytes",
            )
        conn = self._registry.get(connection_id)
        self._sessions.check_send(conn)
        return partial(self._sessions.write_data, conn, data)

    def get_connection(self, connection_id: str) -> ConnectionInfo:
        """What GetConnection reports; GoneError when the connection is not open."""
        _check_id(connection_id)
        return self._registry.get(connection_id).info()

    async def delete_connection(self, connection_id: str) -> None:
        """Close a connection with 1000 "Connection Closed Normally"; GoneError if not open."""
        _check_id(connection_id)
        self._sessions.close_connection(self._registry.get(connection_id), *DELETED)

    # -- what tests and tools see of the connections ----------------------------------------

    def observe(self, observer: SessionObserver | None) -> None:
        """Tell `observer` about every connection and frame from now on (None: stop)."""
        self._sessions.observer = observer

    def connection_ids(self) -> list[str]:
        """The ids of the open connections."""
        return [conn.connection_id for conn in self._registry]

    def connection_id_of_peer(self, port: int) -> str | None:
        """The id of the open connection whose client uses local TCP `port`, or None."""
        for conn in self._registry:
            peer = conn.transport.get_extra_info("peername") if conn.transport else None
            if peer and peer[1] == port:
                return conn.connection_id
        return None

    def disconnect(self, connection_id: str, code: int, reason: str) -> None:
        """Close a connection as API Gateway does (close frame with `code`, then $disconnect);
        GoneError if it is not open. `settle()` waits for its $disconnect."""
        self._sessions.close_connection(self._registry.get(connection_id), code, reason)

    def disconnect_all(self) -> int:
        """Close every open connection with 1001 Going away; how many there were."""
        conns = list(self._registry)
        for conn in conns:
            self._sessions.close_connection(conn, *GOING_AWAY)
        return len(conns)

    @property
    def busy(self) -> int:
        """Gateway tasks that will still invoke a function (messages, closes, $disconnects)."""
        return self._sessions.busy

    async def settle(self, timeout: float) -> None:
        """Wait (at most `timeout` s) until every close in progress has run its $disconnect."""
        await self._sessions.settle(timeout)

    # -- HTTP -----------------------------------------------------------------------------

    async def _dispatch(self, request: web.BaseRequest) -> web.StreamResponse:
        target = classify_path(request.rel_url.raw_path, self.config.stage)
        if target.kind == "websocket" and request.method == "GET":
            return await self._sessions.handle(request)
        if target.kind == "connection":
            return await self._management.handle(request, target.connection_id)
        if target.kind == "under_stage" and request.method == "GET" and not is_upgrade(request):
            return upgrade_required()
        inspector = self.inspector  # inspector hook (#18): after every API Gateway path
        if inspector is not None and request.rel_url.raw_path.startswith(INSPECTOR_PREFIX):
            return await inspector(request)
        return forbidden()


def _check_id(connection_id: str) -> None:
    # UNCONFIRMED: AWS's message for a malformed id (LS-4694 reports the 400 itself).
    if not ids.is_connection_id(connection_id):
        raise BadRequestError(connection_id, f"Invalid connectionId: {connection_id}")


def _events_path(route: WebsocketRoute) -> str:
    """The serverless.yml key path of the events that declare `route`."""
    return f"functions.{route.function}.events"


def _check_function(service: Service, key: str, what: str, path: str) -> None:
    if key not in service.functions:
        raise GatewayConfigError(
            f"The WebSocket {what} names function {key!r}, which is not under functions:; "
            "add it or fix the name.",
            path=path,
        )


def _compile_authorizer(
    service: Service, route: WebsocketRoute | None, config: GatewayConfig, api_id: str
) -> ConnectAuthorizer | None:
    if route is None or route.authorizer is None:
        return None
    authorizer = route.authorizer
    path = _events_path(route)
    if authorizer.function is None:
        raise GatewayConfigError(
            f"The $connect authorizer {authorizer.name!r} is an external function (arn), which "
            "sockgate cannot run locally; define it under functions: and name it instead.",
            path=path,
        )
    _check_function(service, authorizer.function, "$connect authorizer", path)
    try:
        sources = parse_identity_sources(authorizer.identity_source)
    except GatewayConfigError as error:
        raise GatewayConfigError(error.message, path=path) from error
    return ConnectAuthorizer(
        function=authorizer.function,
        sources=sources,
        method_arn=method_arn(config.region, api_id, config.stage),
    )
