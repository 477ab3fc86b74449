"""Fixtures for the gateway tests: a real gateway on an ephemeral port over LocalInvoke."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import pytest

from sockgate.gateway import Gateway, GatewayConfig
from sockgate.service.model import Authorizer

from .helpers import Handler, LocalInvoke, make_service

StartGateway = Callable[..., Awaitable[tuple[Gateway, LocalInvoke]]]


@pytest.fixture
async def start_gateway() -> AsyncIterator[StartGateway]:
    """start(handlers, routes, **service_and_config_options) -> (gateway, invoke), closed after."""
    started: list[Gateway] = []

    async def start(
        handlers: dict[str, Handler],
        routes: dict[str, str],
        *,
        two_way: Iterable[str] = (),
        authorizer: Authorizer | None = None,
        timeouts: dict[str, float] | None = None,
        expression: str = "$request.body.action",
        **config: Any,
    ) -> tuple[Gateway, LocalInvoke]:
        service = make_service(
            routes,
            two_way=two_way,
            authorizer=authorizer,
            timeouts=timeouts,
            extra_functions=handlers,
            expression=expression,
        )
        invoke = LocalInvoke(handlers, timeouts or {})
        config.setdefault("port", 0)
        gateway = Gateway(service, invoke, GatewayConfig(**config))
        await gateway.start()
        started.append(gateway)
        return gateway, invoke

    yield start
    for gateway in started:
        await gateway.close()
