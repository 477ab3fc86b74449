"""Calling a route's function under the gateway's integration timeout (29 s on AWS).

When the gateway gives up, Lambda keeps running (WebSocket quotas: integration timeout). A function
whose own timeout is within the gateway's is awaited directly; one that may outlive it runs as a
detached task the gateway stops waiting for, so the handler still finishes in its worker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from sockgate.gateway.tasks import TaskSet
from sockgate.invocation import InvocationResult, Invoke

__all__ = ["Integration"]

log = logging.getLogger("sockgate.gateway")


class Integration:
    """Invokes functions for the gateway; None means the integration timed out."""

    __slots__ = ("_detach", "_invoke", "_tasks", "_timeout")

    def __init__(
        self,
        invoke: Invoke,
        timeout: float,
        function_timeouts: Mapping[str, float],
        tasks: TaskSet,
    ) -> None:
        self._invoke = invoke
        self._timeout = timeout
        self._detach = frozenset(key for key, t in function_timeouts.items() if t > timeout)
        self._tasks = tasks

    async def call(self, function_key: str, event: dict[str, Any]) -> InvocationResult | None:
        """Invoke `function_key`; an invoker failure becomes a function error result."""
        timeout = asyncio.timeout(self._timeout)
        try:
            async with timeout:
                if function_key in self._detach:
                    # `Invoke` promises an Awaitable; every invoker is a coroutine function.
                    call = self._invoke(function_key, event)
                    task: asyncio.Task[InvocationResult]
                    task = self._tasks.spawn(call)  # type: ignore[arg-type]
                    return await asyncio.shield(task)
                return await self._invoke(function_key, event)
        except Exception as exc:
            if isinstance(exc, TimeoutError) and timeout.expired():
                return None
            return _invoker_failed(function_key, exc)  # the invoker failed, not the handler


def _invoker_failed(function_key: str, exc: BaseException) -> InvocationResult:
    log.error("could not invoke function %r: %s", function_key, exc)
    return InvocationResult(
        request_id="",
        error={"errorType": "Sockgate.InvokeError", "errorMessage": str(exc)},
    )
