"""One coroutine per connection: the adapter between aiohttp and the pure `Lifecycle`.

aiohttp reads and writes the frames; `lifecycle.Lifecycle` decides what they mean (routes, close
codes, deadlines, whether a post may go out). Each text message is its own invocation, run
concurrently like Lambda (one task per message, a bounded number in flight per connection: past
the bound the connection stops being read, which pushes back on the client through TCP). A
failing or slow handler affects only its own message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, Protocol

from aiohttp import WSMsgType, web
from aiohttp.http_websocket import WebSocketError

from sockgate.gateway import ids
from sockgate.gateway.config import Clock, GatewayConfig
from sockgate.gateway.connections import Connection, ConnectionRegistry
from sockgate.gateway.events import ConnectionContext, disconnect_event
from sockgate.gateway.handshake import (
    Connector,
    is_upgrade,
    read_handshake,
    refusal,
    upgrade_required,
)
from sockgate.gateway.integration import Integration
from sockgate.gateway.lifecycle import OUTBOUND_BUFFER_LIMIT, Closed, Invoke, Lifecycle, Reply
from sockgate.gateway.limits import ABNORMAL, GOING_AWAY
from sockgate.gateway.responses import message_reply
from sockgate.gateway.routing import RouteTable
from sockgate.gateway.tasks import TaskSet
from sockgate.gateway.wsresponse import GuardedWebSocketResponse, write_frame_now
from sockgate.service.model import WebsocketRoute

__all__ = ["SessionObserver", "Sessions"]

log = logging.getLogger("sockgate.gateway")

MAX_INFLIGHT = 256  # message invocations per connection before its reads pause
CLOSE_TIMEOUT = 5.0  # seconds to wait for the client's half of a closing handshake
_TEXT = WSMsgType.TEXT
_BINARY = WSMsgType.BINARY


# -- inspector hooks (#18) -------------------------------------------------------------------
class SessionObserver(Protocol):
    """Told about connections and frames (the inspector); `Sessions.observer` is None unless
    `sockgate dev` runs the inspector, so each hook costs one attribute check otherwise."""

    def opened(
        self,
        connection_id: str,
        *,
        connected_at: int,
        identity: dict[str, str],
        authorizer: dict[str, Any] | None,
        query: str,
    ) -> None: ...

    def received(
        self, connection_id: str, text: str, route: str | None, request_id: str | None
    ) -> None: ...

    def sent(self, connection_id: str, data: str | bytes, source: str) -> None: ...

    def ended(self, connection_id: str, code: int, reason: str) -> None: ...


class Sessions:
    """The WebSocket side of the gateway: every connection's lifecycle."""

    def __init__(
        self,
        *,
        config: GatewayConfig,
        routes: RouteTable,
        connector: Connector,
        integration: Integration,
        registry: ConnectionRegistry,
    ) -> None:
        self._config = config
        self._routes = routes
        self._connector = connector
        self._integration = integration
        self._registry = registry
        self._messages = TaskSet("message")
        self._disconnects = TaskSet("disconnect")
        self._closers = TaskSet("close")
        # Each connection's handler task, with its Connection once the handshake succeeded.
        self._handlers: dict[asyncio.Task[Any], Connection | None] = {}
        self.closing = False
        self._clock: Clock | None = config.clock  # None: the loop's, set at the first handshake
        self.observer: SessionObserver | None = None  # inspector hook (#18)
        self.lifecycle = Lifecycle(
            routes,
            idle_timeout=config.idle_timeout,
            max_duration=config.max_duration,
            now=config.clock.time if config.clock is not None else _unset_clock,
        )

    # -- handshake ------------------------------------------------------------------------

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """The WebSocket endpoint: GET with Upgrade, or 426."""
        if not is_upgrade(request):
            return upgrade_required()
        if self.closing:
            return refusal(503, '{"message": "Service Unavailable"}')
        if not web.WebSocketResponse().can_prepare(request):
            return refusal(400, '{"message": "Bad Request"}')
        task = asyncio.current_task()
        assert task is not None
        self._handlers[task] = None
        try:
            opened = await self._open(request)
            if isinstance(opened, Connection):
                self._handlers[task] = opened
                await self._live(opened)
                await opened.ws.lingering_close(CLOSE_TIMEOUT)
                return opened.ws
            return opened
        finally:
            del self._handlers[task]

    async def _open(self, request: web.BaseRequest) -> Connection | web.StreamResponse:
        """Authorizer, $connect, 101: the registered connection, or the refusal to send.

        Everything about the handshake lives in this frame and is freed when it returns: an
        idle connection keeps only its Connection.
        """
        handshake = read_handshake(request)
        ctx = self._connector.context(handshake, ids.epoch_ms())
        ctx, decision = await self._connector.run(handshake, ctx)
        if not decision.accepted:
            if decision.problem:
                log.warning(
                    "refused connection %s (%d): %s",
                    ctx.connection_id,
                    decision.status,
                    decision.problem,
                )
            return refusal(decision.status, decision.body)
        if self.closing:
            self._spawn_disconnect(ctx, *GOING_AWAY)
            return refusal(503, '{"message": "Service Unavailable"}')
        config = self._config
        ws = GuardedWebSocketResponse(
            max_frame_bytes=config.max_frame_bytes,
            max_message_bytes=config.max_message_bytes,
            protocols=(decision.protocol,) if decision.protocol else (),
            compress=False,  # API Gateway negotiates no extensions
            autoclose=False,  # we answer close frames ourselves, after forgetting the connection
            autoping=True,
            timeout=CLOSE_TIMEOUT,
        )
        try:
            await ws.prepare(request)
        except (ConnectionError, RuntimeError):
            # The client left while $connect ran; $connect had accepted, so clean up after it.
            log.info("connection %s left during $connect", ctx.connection_id)
            self._spawn_disconnect(ctx, *ABNORMAL)
            return web.Response()  # never reaches anyone; aiohttp drops it quietly
        transport = request.transport
        if transport is not None:
            transport.set_write_buffer_limits(high=OUTBOUND_BUFFER_LIMIT)
        if self._clock is None:
            self._clock = asyncio.get_running_loop()
            self.lifecycle.now = self._clock.time
        now = self._clock.time()
        conn = Connection(ctx, ws, transport, now, now)
        self._registry.add(conn)
        self._arm_timer(conn)
        if self.observer is not None:  # inspector hook (#18)
            self.observer.opened(
                ctx.connection_id,
                connected_at=ctx.connected_at,
                identity=ctx.identity,
                authorizer=ctx.authorizer,
                query=request.query_string,
            )
        return conn

    async def _live(self, conn: Connection) -> None:
        """Read until the connection ends, then forget it and run $disconnect.

        One coroutine frame per open connection (reading inlined) keeps idle connections small.
        """
        receive = conn.ws.receive
        dispatch = self._dispatch
        try:
            while True:
                msg = await receive()
                if msg.type is not _TEXT:
                    await self._on_control(conn, msg)
                    break
                pending = dispatch(conn, msg.data)
                if pending is not None:
                    await pending
        finally:
            self._forget(conn)
            code, reason = self.lifecycle.ended(conn)
            if self.observer is not None:  # inspector hook (#18)
                self.observer.ended(conn.connection_id, code, reason)
            self._spawn_disconnect(conn.ctx, code, reason)
            if conn.closer is not None:
                await asyncio.shield(conn.closer)

    # -- reading --------------------------------------------------------------------------

    async def _on_control(self, conn: Connection, msg: Any) -> None:
        """Everything but a text message ends the read loop; the lifecycle says how."""
        kind = msg.type
        lifecycle = self.lifecycle
        if kind is WSMsgType.CLOSE:
            closed = lifecycle.close_frame(conn, msg.data or 0, msg.extra or "")
        elif kind is WSMsgType.BINARY:  # only if a client pipelined frames before the 101
            closed = lifecycle.binary(conn)
        elif kind is WSMsgType.ERROR and isinstance(msg.data, WebSocketError):
            # aiohttp has already sent the close frame with this code.
            closed = lifecycle.violation(conn, msg.data.code, str(msg.data))
        else:
            # CLOSING (we started the close), CLOSED and other errors (TCP gone) need nothing
            # more: a connection without a recorded code is reported as 1006.
            return
        self._forget(conn)
        if closed.problem:
            log.warning(
                "closed connection %s with %d: %s", conn.connection_id, closed.code, closed.problem
            )
        if closed.answer is not None:
            message = closed.answer_reason.encode()
            await conn.ws.close(code=closed.answer, message=message, drain=False)

    def _dispatch(self, conn: Connection, text: str) -> Coroutine[Any, Any, None] | None:
        """Start the invocation for one message; returns something to await only when the
        reader must wait (a Forbidden frame to send, too many invocations in flight)."""
        action = self.lifecycle.message(conn, text)
        observer = self.observer
        if isinstance(action, Reply):
            if observer is not None:  # inspector hook (#18)
                observer.received(conn.connection_id, text, None, None)
            log.info("connection %s: %s", conn.connection_id, action.problem)
            return self._send_text(conn, action.text)
        if observer is not None:  # inspector hook (#18)
            observer.received(conn.connection_id, text, action.route.route_key, action.request_id)
        if conn.inflight >= MAX_INFLIGHT:
            return self._spawn_when_drained(conn, action)
        conn.inflight += 1
        self._messages.spawn(self._run_message(conn, action))
        return None

    async def _spawn_when_drained(self, conn: Connection, action: Invoke) -> None:
        if conn.inflight >= MAX_INFLIGHT:
            conn.drained = asyncio.get_running_loop().create_future()
            await conn.drained
        conn.inflight += 1
        self._messages.spawn(self._run_message(conn, action))

    async def _run_message(self, conn: Connection, action: Invoke) -> None:
        route = action.route
        try:
            result = await self._integration.call(route.function, action.event)
            reply = message_reply(
                result,
                route.two_way,
                conn.connection_id,
                action.request_id,
                max_bytes=self._config.max_message_bytes,
            )
            if reply.problem:
                log.error(
                    "%s failed for connection %s: %s",
                    route.route_key,
                    conn.connection_id,
                    reply.problem,
                )
            if reply.warning:
                log.warning(
                    "%s for connection %s: %s", route.route_key, conn.connection_id, reply.warning
                )
            if reply.frame is not None:
                await self._send_text(conn, reply.frame)
        finally:
            conn.inflight -= 1
            drained = conn.drained
            if drained is not None and conn.inflight < MAX_INFLIGHT // 2:
                conn.drained = None
                if not drained.done():
                    drained.set_result(None)

    # -- writing --------------------------------------------------------------------------

    async def _send_text(self, conn: Connection, text: str) -> None:
        """Best effort: a frame for a connection that is closing is dropped, as on AWS."""
        if conn.close_code is not None:
            return
        try:
            await conn.ws.send_str(text)
        except (ConnectionError, RuntimeError):
            return
        self.lifecycle.sent(conn)
        if self.observer is not None:  # inspector hook (#18)
            self.observer.sent(conn.connection_id, text, "gateway")

    def check_send(self, conn: Connection) -> None:
        """Raise what PostToConnection answers when a frame cannot go out to `conn` now.

        The outbound buffer is the transport's (the kernel's socket buffers fill first); past
        the lifecycle's limit the client has stopped reading. Never waits.
        """
        transport = conn.transport
        writable = not (
            transport is None
            or transport.is_closing()
            or conn.ws.closed  # aiohttp began the close itself (a protocol error)
        )
        buffered = transport.get_write_buffer_size() if writable and transport else 0
        self.lifecycle.may_post(conn, writable=writable, buffered=buffered)

    def write_data(self, conn: Connection, data: bytes) -> None:
        """PostToConnection's frame, into the transport's buffer now (after check_send).

        UNCONFIRMED: AWS's frame type for non-UTF-8 Data; a text frame would be invalid, so it
        goes out as binary. Data over the 32 KB frame size is sent as one frame.
        """
        opcode = _TEXT if data.isascii() or _is_utf8(data) else _BINARY
        try:
            write_frame_now(conn.ws, conn.transport, data, opcode)
        except ConnectionResetError:
            # Only if the close began after check_send; callers run both in one step.
            return
        self.lifecycle.sent(conn)
        if self.observer is not None:  # inspector hook (#18)
            self.observer.sent(conn.connection_id, data, "post")

    # -- closing --------------------------------------------------------------------------

    def close_connection(self, conn: Connection, code: int, reason: str) -> None:
        """Start a server-side close (DELETE, shutdown); the connection is forgotten now."""
        self._close(conn, self.lifecycle.close(conn, code, reason))

    def _close(self, conn: Connection, closed: Closed | None) -> None:
        if closed is None:  # a close is already under way
            return
        self._forget(conn)
        conn.closer = self._closers.spawn(_close_quietly(conn.ws, closed.code, closed.reason))

    def _forget(self, conn: Connection) -> None:
        self._registry.discard(conn.connection_id)
        if conn.timer is not None:
            conn.timer.cancel()
            conn.timer = None

    def _arm_timer(self, conn: Connection) -> None:
        assert self._clock is not None  # set by the handshake
        conn.timer = self._clock.call_at(self.lifecycle.deadline(conn), self._on_timer, conn)

    def _on_timer(self, conn: Connection) -> None:
        conn.timer = None
        if conn.close_code is not None:
            return
        closed = self.lifecycle.tick(conn)
        if closed is None:
            self._arm_timer(conn)  # activity moved the deadline
            return
        log.info("closing connection %s: %s", conn.connection_id, closed.problem)
        self._close(conn, closed)

    def _spawn_disconnect(self, ctx: ConnectionContext, code: int, reason: str) -> None:
        route = self._routes.disconnect
        if route is not None:
            self._disconnects.spawn(self._run_disconnect(route, ctx, code, reason))

    async def _run_disconnect(
        self, route: WebsocketRoute, ctx: ConnectionContext, code: int, reason: str
    ) -> None:
        event = disconnect_event(ctx, code, reason, ids.request_id(), ids.epoch_ms())
        result = await self._integration.call(route.function, event)
        if result is None:
            log.error("$disconnect timed out for connection %s", ctx.connection_id)
        elif not result.ok:
            error = result.error or {}
            log.error(
                "$disconnect failed for connection %s: %s: %s",
                ctx.connection_id,
                error.get("errorType"),
                error.get("errorMessage"),
            )

    @property
    def busy(self) -> int:
        """Tasks that will still invoke a function: messages, closes, $disconnects."""
        return len(self._messages) + len(self._closers) + len(self._disconnects)

    async def settle(self, timeout: float) -> None:
        """Wait (at most `timeout` s) until every close in progress has ended, handshakes in
        progress included, and its $disconnect has run."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        await self._closers.wait(timeout)
        ending = [task for task, conn in self._handlers.items() if conn is None or conn.close_code]
        if ending:  # a handler spawns its connection's $disconnect as it ends
            await asyncio.wait(ending, timeout=max(0.0, deadline - loop.time()))
        await self._disconnects.wait(max(0.0, deadline - loop.time()))

    async def shutdown(self) -> None:
        """Close every connection with 1001 and wait for their $disconnect invocations."""
        self.closing = True
        for conn in self._registry:
            self.close_connection(conn, *GOING_AWAY)
        if self._handlers:
            await asyncio.wait(list(self._handlers), timeout=CLOSE_TIMEOUT + 1)
        await self._closers.wait(CLOSE_TIMEOUT)
        await self._disconnects.wait(self._config.integration_timeout)
        await self._messages.cancel()
        await self._disconnects.cancel()
        await self._closers.cancel()


def _unset_clock() -> float:
    raise RuntimeError("the gateway's clock is read before the first handshake set it")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


async def _close_quietly(ws: web.WebSocketResponse, code: int, reason: str) -> None:
    """Send a close frame and wait for the client's; a client already gone is not an error."""
    try:
        await ws.close(code=code, message=reason.encode("utf-8"))
    except (ConnectionError, RuntimeError):
        pass
