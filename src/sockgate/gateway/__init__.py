"""API Gateway WebSocket semantics on aiohttp: the endpoint, routes, events, @connections."""

from sockgate.gateway.config import GatewayConfig
from sockgate.gateway.connections import ConnectionInfo
from sockgate.gateway.errors import (
    BadRequestError,
    ForbiddenError,
    GatewayConfigError,
    GatewayError,
    GoneError,
    LimitExceededError,
    ManagementError,
    PayloadTooLargeError,
)
from sockgate.gateway.server import Gateway

__all__ = [
    "BadRequestError",
    "ConnectionInfo",
    "ForbiddenError",
    "Gateway",
    "GatewayConfig",
    "GatewayConfigError",
    "GatewayError",
    "GoneError",
    "LimitExceededError",
    "ManagementError",
    "PayloadTooLargeError",
]
