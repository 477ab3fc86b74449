"""The upgrade request: reading it, running the authorizer and $connect, answering it.

The handshake is held until $connect returns (AWS: $connect and $disconnect routes): the 101 goes
out only after the handler accepted, carrying Sec-WebSocket-Protocol only when the handler returned
one.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

from aiohttp import web

from sockgate.gateway import ids
from sockgate.gateway.authorizers import (
    AuthDecision,
    IdentitySource,
    authorizer_event,
    evaluate,
    missing_identity,
)
from sockgate.gateway.events import (
    ConnectionContext,
    Handshake,
    connect_event,
    handshake_headers,
    identity,
    multi_value,
    parse_query,
    request_context,
)
from sockgate.gateway.integration import Integration
from sockgate.gateway.responses import ConnectDecision, connect_decision
from sockgate.service.model import WebsocketRoute

__all__ = [
    "ConnectAuthorizer",
    "Connector",
    "is_upgrade",
    "read_handshake",
    "refusal",
    "upgrade_required",
]

log = logging.getLogger("sockgate.gateway")


@dataclass(frozen=True, slots=True)
class ConnectAuthorizer:
    """The $connect route's REQUEST authorizer, compiled at startup."""

    function: str
    sources: tuple[IdentitySource, ...]
    method_arn: str


def read_handshake(request: web.BaseRequest) -> Handshake:
    """The upgrade request as the events need it."""
    headers = tuple(
        (name.decode("latin-1"), value.decode("utf-8", "replace"))
        for name, value in request.raw_headers
    )
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    return Handshake(
        headers=headers,
        query_string=request.rel_url.raw_query_string,
        source_ip=request.remote or "",
        domain_name=_without_port(request.headers.get("Host", "")),
        local_port=sockname[1] if sockname else 0,
        scheme=request.scheme,
    )


def _without_port(host: str) -> str:
    if host.startswith("["):  # an IPv6 literal
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rpartition(":")[0] if ":" in host else host


def upgrade_required() -> web.Response:
    """426 for a plain HTTP request to the WebSocket URL (or a path below its stage)."""
    return web.Response(status=426, text="Upgrade Required", headers={"Upgrade": "websocket"})


def is_upgrade(request: web.BaseRequest) -> bool:
    """Whether the request asks to switch to the WebSocket protocol."""
    return request.headers.get("Upgrade", "").lower() == "websocket"


def refusal(status: int, body: str) -> web.Response:
    """An HTTP answer to an upgrade request that is not accepted."""
    return web.Response(status=status, text=body, content_type="application/json")


class Connector:
    """Runs the authorizer and the $connect integration for one upgrade request."""

    __slots__ = ("_api_id", "_authorizer", "_connect", "_integration", "_stage")

    def __init__(
        self,
        *,
        integration: Integration,
        connect_route: WebsocketRoute | None,
        authorizer: ConnectAuthorizer | None,
        api_id: str,
        stage: str,
    ) -> None:
        self._integration = integration
        self._connect = connect_route
        self._authorizer = authorizer
        self._api_id = api_id
        self._stage = stage

    def context(self, handshake: Handshake, now_ms: int) -> ConnectionContext:
        """The event context of a new connection (no authorizer context yet)."""
        domain = handshake.domain_name or "localhost"
        return ConnectionContext(
            connection_id=ids.connection_id(),
            connected_at=now_ms,
            domain_name=domain,
            stage=self._stage,
            api_id=self._api_id,
            identity=identity(handshake.source_ip, handshake.header("User-Agent")),
        )

    async def run(
        self, handshake: Handshake, ctx: ConnectionContext
    ) -> tuple[ConnectionContext, ConnectDecision]:
        """Authorize, then run $connect; returns the final context and how to answer."""
        request_id = ids.request_id()
        now_ms = ctx.connected_at
        trace = ids.trace_id(now_ms / 1000)
        if self._authorizer is not None:
            verdict = await self._authorize(self._authorizer, handshake, ctx, request_id, trace)
            if not verdict.allowed:
                assert verdict.status is not None
                return ctx, ConnectDecision(
                    verdict.status, body=verdict.body, problem=verdict.problem
                )
            ctx = replace(ctx, authorizer=verdict.context)
        if self._connect is None:
            return ctx, ConnectDecision(101)  # the $connect integration is optional
        headers = handshake_headers(handshake, trace, keep_hop_by_hop=False)
        event = connect_event(ctx, handshake, headers, request_id, now_ms)
        result = await self._integration.call(self._connect.function, event)
        return ctx, connect_decision(result)

    async def _authorize(
        self,
        authorizer: ConnectAuthorizer,
        handshake: Handshake,
        ctx: ConnectionContext,
        request_id: str,
        trace: str,
    ) -> AuthDecision:
        query = parse_query(handshake.query_string)
        missing = missing_identity(authorizer.sources, handshake.headers, query[1])
        if missing is not None:
            return AuthDecision(401, problem=f"identity source {missing} is missing or empty")
        headers = multi_value(handshake_headers(handshake, trace, keep_hop_by_hop=True))
        context = request_context(ctx, "$connect", "CONNECT", request_id, ctx.connected_at)
        event = authorizer_event(authorizer.method_arn, headers, query, context)
        started = time.monotonic()
        result = await self._integration.call(authorizer.function, event)
        latency = int((time.monotonic() - started) * 1000)
        return evaluate(result, authorizer.method_arn, latency)
