"""API Gateway's WebSocket quotas and timers: the one home of their defaults.

`sockgate dev`'s flags, `DevOptions`, `GatewayConfig` and the reply checks all start from
`QUOTAS`. The figures are AWS's, from "Amazon API Gateway quotas for configuring and running a
WebSocket API" (docs.aws.amazon.com/apigateway/latest/developerguide/limits.html).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["QUOTAS", "Quotas"]


@dataclass(frozen=True, slots=True)
class Quotas:
    """One WebSocket API's quotas and timers."""

    idle_timeout: float = 600.0  # seconds without a data frame in either direction (10 min)
    max_duration: float = 7200.0  # seconds a connection may live (2 h)
    max_message_bytes: int = 128 * 1024  # a message, and a PostToConnection's Data
    max_frame_bytes: int = 32 * 1024  # one WebSocket frame
    integration_timeout: float = 29.0  # seconds the gateway waits for a route's function


QUOTAS = Quotas()
