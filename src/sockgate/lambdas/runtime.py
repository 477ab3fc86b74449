"""The Lambda runtime of a service: one worker pool per function, optional hot reload."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Mapping
from typing import Any

from sockgate.errors import HandlerError
from sockgate.invocation import InvocationResult
from sockgate.lambdas import scaling
from sockgate.lambdas.packages import WorkerPython
from sockgate.lambdas.pool import Account, RuntimeClosedError, WorkerPool
from sockgate.service.model import Service

__all__ = ["Runtime"]

log = logging.getLogger("sockgate.lambda")


class Runtime:
    """Runs a service's Python handlers in worker processes, as AWS Lambda would.

    `environment` is added to every worker (endpoints of the local services);
    `function_environment[key]` is that function's resolved environment (when absent, the
    function's plain scalar values are used). Each function runs up to `max_workers` workers at
    once (its reserved concurrency caps it lower); further invocations queue. Invocations beyond
    a function's reserved concurrency, or beyond `account_concurrency` for the functions without
    one, are throttled as Lambda throttles them. Idle workers beyond one per function stop after
    `idle_timeout` seconds.
    """

    def __init__(
        self,
        service: Service,
        *,
        environment: Mapping[str, str] | None = None,
        function_environment: Mapping[str, Mapping[str, str]] | None = None,
        max_workers: int = 8,
        hot_reload: bool = False,
        prewarm: bool = True,
        account_concurrency: int = scaling.ACCOUNT_CONCURRENCY,
        idle_timeout: float = scaling.IDLE_TIMEOUT_S,
        pythons: Mapping[str, WorkerPython] | None = None,
    ) -> None:
        if max_workers < 1:
            raise HandlerError(f"max_workers must be at least 1, not {max_workers}.")
        if account_concurrency < 1:
            raise HandlerError(
                f"The account concurrency must be at least 1, not {account_concurrency}."
            )
        reserved = sum(max(0, f.reserved_concurrency or 0) for f in service.functions.values())
        self.account = Account(account_concurrency, reserved)
        self.service = service
        self.hot_reload = hot_reload
        self._prewarm = prewarm
        function_environment = function_environment or {}
        self._pools: dict[str, WorkerPool] = {}
        for key, function in service.functions.items():
            limit = max_workers
            if function.reserved_concurrency is not None:
                limit = max(0, min(limit, function.reserved_concurrency))
            self._pools[key] = WorkerPool(
                service,
                function,
                limit=limit,
                environment=environment,
                function_environment=function_environment.get(key),
                write_bytecode=not hot_reload,
                account=self.account,
                idle_timeout=idle_timeout,
                python=(pythons or {}).get(key),
            )
        self._stop = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    async def start(self) -> None:
        """Start the reload watcher (if enabled) and prewarm one worker per function."""
        if self.hot_reload:
            from sockgate.lambdas.reload import watch_python_files

            self._spawn(watch_python_files(self.service.directory, self._reloaded, self._stop))
        if self._prewarm:
            self._spawn(self._prewarm_all())

    def invoke(self, function_key: str, event: dict[str, Any]) -> Awaitable[InvocationResult]:
        """Invoke a function synchronously; Lambda's own errors come back in the result.

        The pool's coroutine itself, not one wrapped around it: a frame less on every message.
        """
        if self._closed:
            return _raising(
                RuntimeClosedError("The Lambda runtime is closed; start a new one to invoke.")
            )
        pool = self._pools.get(function_key)
        if pool is None:
            known = ", ".join(sorted(self._pools)) or "none"
            return _raising(
                HandlerError(
                    f"No function '{function_key}' in service '{self.service.name}' "
                    f"(functions: {known})."
                )
            )
        return pool.invoke(event)

    def pool_stats(self) -> dict[str, dict[str, int]]:
        """Each function's workers now (WorkerPool.stats), for the inspector (#18)."""
        return {key: pool.stats() for key, pool in self._pools.items()}

    def worker_pids(self, function_key: str) -> list[int]:
        """Process ids of a function's current workers: for tests and diagnostics."""
        pool = self._pools.get(function_key)
        return pool.pids() if pool else []

    def kill_workers(self, function_key: str) -> list[int]:
        """Kill a function's workers at once (WorkerPool.kill_workers); their process ids."""
        pool = self._pools.get(function_key)
        return pool.kill_workers() if pool else []

    def reload(self) -> None:
        """Retire every worker so that the next invocations import the code anew."""
        for pool in self._pools.values():
            pool.retire()
        if self._prewarm and not self._closed:
            self._spawn(self._prewarm_all())

    async def close(self) -> None:
        """Stop watching and kill every worker; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        tasks = list(self._tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=2.0)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await asyncio.gather(*(pool.close() for pool in self._pools.values()))

    def _reloaded(self, name: str) -> None:
        log.info("Reloaded: %s changed", name)
        self.reload()

    async def _prewarm_all(self) -> None:
        # One at a time: a cold start is CPU-bound, and invocations need the CPU more.
        for pool in self._pools.values():
            if self._closed:
                return
            with contextlib.suppress(Exception):
                await pool.prewarm()

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def _raising(error: Exception) -> InvocationResult:
    """An invocation that fails when awaited, as a coroutine's would."""
    raise error
