"""The invoke port: what the gateway, the HTTP API and the stream mappings call to run a
function, and what an invocation returns. `sockgate.lambdas.Runtime.invoke` implements it; the
callers import only this module, never the runtime."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["InvocationResult", "Invoke"]


@dataclass(frozen=True, slots=True)
class InvocationResult:
    """The outcome of one Lambda invocation.

    `payload` is the handler's JSON-decoded return value when it succeeded. `error` is Lambda's
    error object when it failed ({"errorMessage", "errorType", "stackTrace", "requestId"}, or
    {"errorType": "Sandbox.Timedout", "errorMessage": "RequestId: ... Error: Task timed out
    after N.NN seconds"}).
    """

    request_id: str
    payload: Any = None
    error: dict[str, Any] | None = None
    duration_ms: float = 0.0
    logs: list[str] = field(default_factory=list)
    # Filled in by sockgate.lambdas: the REPORT line's Init Duration (cold starts only) and memory.
    init_duration_ms: float | None = None
    max_memory_used_mb: int = 0

    @property
    def ok(self) -> bool:
        """True when the handler returned normally."""
        return self.error is None

    @property
    def throttled(self) -> bool:
        """True when Lambda refused to run it (429 TooManyRequestsException: reserved or
        account concurrency reached); the handler did not run."""
        return self.error is not None and self.error.get("errorType") == "TooManyRequestsException"

    @property
    def timed_out(self) -> bool:
        """True when the invocation hit the function's timeout."""
        return self.error is not None and self.error.get("errorType") == "Sandbox.Timedout"


# invoke(function_key, event) -> result; what the gateway and the stream poller call.
Invoke = Callable[[str, dict[str, Any]], Awaitable[InvocationResult]]
