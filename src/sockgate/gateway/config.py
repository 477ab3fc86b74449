"""The gateway's settings: where it listens, the stage it serves, AWS's quotas and timers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sockgate.gateway.errors import GatewayConfigError
from sockgate.gateway.ids import is_api_id
from sockgate.quotas import QUOTAS

__all__ = ["Clock", "GatewayConfig", "TimerHandle"]


class TimerHandle(Protocol):
    """What Clock.call_at returns: asyncio.TimerHandle's cancel()."""

    def cancel(self) -> None: ...


class Clock(Protocol):
    """The gateway's timers (idle timeout, maximum duration) read this clock.

    An asyncio event loop is one, and the default; sockgate.testing's TestClock moves it
    forward on request.
    """

    def time(self) -> float: ...

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> TimerHandle: ...


@dataclass(frozen=True)
class GatewayConfig:
    """Gateway settings; the defaults are API Gateway's quotas (`sockgate.quotas`).

    `api_id` None derives a stable id from the service name. `port` 0 binds any free port
    (read `Gateway.port` after start).
    """

    host: str = "127.0.0.1"
    port: int = 3001
    stage: str = "dev"
    region: str = "us-east-1"
    api_id: str | None = None  # 10 lowercase alphanumerics
    idle_timeout: float = QUOTAS.idle_timeout
    max_duration: float = QUOTAS.max_duration
    max_message_bytes: int = QUOTAS.max_message_bytes
    max_frame_bytes: int = QUOTAS.max_frame_bytes
    integration_timeout: float = QUOTAS.integration_timeout
    clock: Clock | None = None  # None: the running event loop's clock

    def __post_init__(self) -> None:
        if self.api_id is not None and not is_api_id(self.api_id):
            raise GatewayConfigError(
                f"The API id {self.api_id!r} is not valid: use 10 lowercase letters or digits."
            )
        if not self.stage or "/" in self.stage:
            raise GatewayConfigError(
                f"The stage {self.stage!r} is not valid: use a name without '/'."
            )
        for name in ("idle_timeout", "max_duration", "integration_timeout"):
            if getattr(self, name) <= 0:
                raise GatewayConfigError(f"The gateway's {name} must be a positive number.")
        for name in ("max_message_bytes", "max_frame_bytes"):
            if getattr(self, name) <= 0:
                raise GatewayConfigError(f"The gateway's {name} must be a positive number.")
        if not 0 <= self.port <= 65535:
            raise GatewayConfigError(f"The gateway port {self.port} is not a TCP port (0-65535).")
