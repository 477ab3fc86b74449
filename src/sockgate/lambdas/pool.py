"""The worker pool of one function: the processes, their hand-over and their timers.

An invocation is first checked against the function's reserved concurrency and the account's
(throttled ones fail at once, as Lambda's 429). It then takes an idle worker (the most recently
used, the warmest) or waits in a FIFO queue; a worker that finishes hands itself to the oldest
waiter. When to start one more worker, and which idle workers to reclaim, is decided by the pure
functions of scaling.py; this module acts on the decisions.

A worker that timed out, died, ran out of memory, failed its init or belongs to an older
generation (hot reload) is not reused.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import math
import os
import re
import signal
import time
import uuid
from collections import deque
from collections.abc import Coroutine, Mapping
from typing import Any

from sockgate.errors import HandlerError, SockgateError
from sockgate.invocation import InvocationResult
from sockgate.lambdas import pipes, process, scaling
from sockgate.lambdas.environment import log_stream_name, task_root, worker_environment
from sockgate.lambdas.logs import (
    InvocationLog,
    PlatformLog,
    exit_error,
    init_report_line,
    out_of_memory_error,
    timeout_error,
    timeout_line,
)
from sockgate.lambdas.packages import WorkerPython
from sockgate.lambdas.process import Outcome, WorkerProcess, WorkerSpec
from sockgate.service.model import Function, Service

__all__ = ["Account", "RuntimeClosedError", "WorkerPool"]

_NO_MODULE = re.compile(r"No module named '([^']+)'")
# What a worker start is assumed to cost until this function has started one.
_DEFAULT_INIT_S = 0.2
# Workers started whenever invocations queue (one start at a time): one per core keeps every core
# busy while the gateway hands the next invocation over; beyond that, only when starting pays.
_FREE_WORKERS = os.cpu_count() or 1
# How much later than needed an armed look at the queue may come before it is re-armed.
_RECHECK_SLACK_S = 0.005
# Invocations sent ahead to a busy worker wait for it even if another becomes free first: a
# worker holds as many as the function runs in this long on average, and 8 at most.
_AHEAD_BUDGET_S = 0.002
_HELD_AT_MOST = 8
_AHEAD_AFTER = 4  # invocations settled before the average duration is trusted
# A function this short on average is sent ahead to a busy worker even when one is idle.
_BEHIND_RATHER_THAN_IDLE_S = 0.0002


class RuntimeClosedError(SockgateError):
    """An invocation after the runtime was closed."""


class Account:
    """The account's concurrency, shared by the pools of one runtime.

    Functions with reserved concurrency use their reservation; the others share what is left
    of the account limit (`unreserved_capacity`), counted in `unreserved_in_flight`.
    """

    def __init__(self, limit: int = scaling.ACCOUNT_CONCURRENCY, reserved: int = 0) -> None:
        self.limit = limit
        self.unreserved_capacity = max(0, limit - reserved)
        self.unreserved_in_flight = 0


class WorkerPool:
    """Worker processes of one function, one invocation at a time each."""

    def __init__(
        self,
        service: Service,
        function: Function,
        *,
        limit: int,
        environment: Mapping[str, str] | None = None,
        function_environment: Mapping[str, str] | None = None,
        write_bytecode: bool = True,
        account: Account | None = None,
        idle_timeout: float = scaling.IDLE_TIMEOUT_S,
        python: WorkerPython | None = None,
    ) -> None:
        self.function = function
        self.limit = limit
        self.reserved = function.reserved_concurrency
        self.account = account or Account()
        self.idle_timeout = idle_timeout
        self.python = python or WorkerPython()
        self._hinted: set[str] = set()
        self.in_flight = 0  # invocations running or waiting for a worker
        self._platform = PlatformLog(function.log_format, function.system_log_level)
        self._service = service
        self._environment = environment
        self._function_environment = function_environment
        self._write_bytecode = write_bytecode
        self._logger = logging.getLogger(f"sockgate.lambda.{function.key}")
        self._idle: list[WorkerProcess] = []  # the most recently used last
        self._idle_since: dict[WorkerProcess, float] = {}
        self._reclaim_timer: asyncio.TimerHandle | None = None
        self._workers: set[WorkerProcess] = set()
        self._waiters: deque[asyncio.Future[WorkerProcess]] = deque()
        self._running: dict[WorkerProcess, float] = {}  # handed out: since when
        self._assigned: dict[WorkerProcess, int] = {}  # invocations given to each busy worker
        self._starting: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._generation = 0
        self._closed = False
        self._init_s = _Average(_DEFAULT_INIT_S)
        self._duration_s = _Average(0.0)
        self._durations_seen = 0

    def stats(self) -> dict[str, int]:
        """Workers now (for the inspector, #18): busy, idle (warm) and starting, and limits."""
        busy, idle = len(self._running), len(self._idle)
        return {
            "busy": busy,
            "idle": idle,
            "starting": max(0, len(self._workers) - busy - idle),
            "inFlight": self.in_flight,
            "waiting": len(self._waiters),
            # held by busy workers beyond the one each runs (sent ahead of time)
            "sentAhead": sum(self._assigned.values()) - len(self._assigned),
            "limit": self.limit,
        }

    def pids(self) -> list[int]:
        """Process ids of this function's workers (busy, idle or starting)."""
        return sorted(w.pid for w in self._workers if w.pid is not None)

    async def invoke(self, event: dict[str, Any]) -> InvocationResult:
        """Run the function once on `event`, as a synchronous Lambda Invoke."""
        if self._closed:
            raise _closed_error()
        request_id = str(uuid.uuid4())
        try:
            event_json = pipes.encode_event(event)
        except (TypeError, ValueError) as exc:
            raise HandlerError(
                f"The event for function '{self.function.key}' is not JSON: {exc}."
            ) from None
        reason = scaling.throttle(
            in_flight=self.in_flight,
            reserved=self.reserved,
            unreserved_in_flight=self.account.unreserved_in_flight,
            unreserved_capacity=self.account.unreserved_capacity,
        )
        if reason is not None or self.limit == 0:
            return self._throttled(request_id, reason or scaling.RESERVED)
        self._count(1)
        try:
            worker = await self._take()
        except BaseException:
            self._count(-1)
            raise
        # An invocation that started runs to the end, as on Lambda, even if the caller goes:
        # it is driven by the worker's callbacks, and only this future is the caller's.
        result: asyncio.Future[InvocationResult] = asyncio.get_running_loop().create_future()
        self._begin(worker, request_id, event_json, result)
        return await result

    def _count(self, delta: int) -> None:
        self.in_flight += delta
        if self.reserved is None:
            self.account.unreserved_in_flight += delta

    def _throttled(self, request_id: str, reason: str) -> InvocationResult:
        if reason == scaling.RESERVED:
            why = f"reserved concurrency {self.reserved}"
        else:
            why = f"account concurrency {self.account.limit}"
        self._logger.info("Throttled: Rate Exceeded. (%s, %s)", reason, why)
        return _throttled(request_id, reason)

    async def prewarm(self) -> None:
        """Start one worker ahead of the first invocation, if none exists yet."""
        if self.limit == 0 or self._closed or self._workers:
            return
        if self._starting is None:
            self._starting = self._background(self._start())
        await asyncio.shield(self._starting)

    def retire(self) -> None:
        """Let no current worker take another invocation (the code changed)."""
        self._generation += 1
        idle, self._idle = self._idle, []
        for worker in idle:
            self._discard(worker)

    def kill_workers(self) -> list[int]:
        """Kill every worker now, as if its execution environment died (for tests of that path).

        An invocation in flight ends with Runtime.ExitError; the next one starts a new worker.
        Returns the killed process ids.
        """
        pids = self.pids()
        for worker in list(self._workers):
            worker.kill()
        idle, self._idle = self._idle, []
        for worker in idle:
            self._discard(worker)
        return pids

    async def close(self) -> None:
        """Kill every worker; invocations in flight end with Runtime.ExitError."""
        self._closed = True
        self._cancel_timer()
        if self._reclaim_timer is not None:
            self._reclaim_timer.cancel()
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(_closed_error())
        workers = list(self._workers)
        for worker in workers:
            worker.kill()
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await asyncio.gather(*(worker.close() for worker in workers), return_exceptions=True)
        self._idle.clear()
        self._idle_since.clear()
        self._workers.clear()

    async def _take(self) -> WorkerProcess:
        """An idle worker now, or the first one free (or started) for the oldest waiter."""
        if self._closed:
            raise _closed_error()
        # First come, first served: with waiters, wait behind them. A function so short that
        # waking an idle worker costs about as much as the invocation goes behind a busy one,
        # which costs no wake-up at all (the idle ones are reclaimed later).
        tiny = self._duration_s.value <= _BEHIND_RATHER_THAN_IDLE_S
        if tiny and not self._waiters and (busy := self._ahead_target()) is not None:
            return self._assign(busy)
        while self._idle:
            worker = self._idle.pop()
            self._idle_since.pop(worker, None)
            if worker.alive and worker.generation == self._generation:
                return self._assign(worker)
            self._discard(worker)
        if not self._waiters and (busy := self._ahead_target()) is not None:
            return self._assign(busy)
        waiter: asyncio.Future[WorkerProcess] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._scale()
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                worker = waiter.result()  # handed over as the caller left: pass it on
                self._unassign(worker)
                self._release(worker)
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise

    def _scale(self) -> None:
        """Start a worker if scaling.start says so, or look again when it says."""
        if (
            self._closed
            or not self._waiters
            or self._starting is not None
            or len(self._workers) >= self.limit
        ):
            return  # what scaling.start answers at once, without building its Load (hot path)
        loop = asyncio.get_running_loop()
        now = loop.time()
        decision = scaling.start(
            scaling.Load(
                now=now,
                workers=len(self._workers),
                waiting=len(self._waiters),
                running_since=tuple(self._running.values()),
                limit=self.limit,
                free_workers=_FREE_WORKERS,
                init_s=self._init_s.value,
                duration_s=self._duration_s.value,
                starting=self._starting is not None,
            )
        )
        if decision.now:
            self._starting = self._background(self._start())
        elif decision.at is not None:
            # Look again when a start becomes due, unless a look is already due by then
            # (called for every invocation: re-arming a timer each time would cost more).
            if self._timer is None or self._timer.when() > decision.at + _RECHECK_SLACK_S:
                self._cancel_timer()
                self._timer = loop.call_at(decision.at, self._recheck)

    def _recheck(self) -> None:
        self._timer = None
        self._scale()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _start(self) -> None:
        """Start one worker and hand it to the oldest waiter (or keep it idle)."""
        try:
            worker = await self._spawn()
        except BaseException as exc:
            self._starting = None
            if isinstance(exc, Exception) and self._waiters:
                waiter = self._waiters.popleft()
                if not waiter.done():
                    waiter.set_exception(exc)
                self._scale()  # the next waiter tries again, as each invocation would
            raise
        self._starting = None
        if worker.init_duration_ms is not None:
            self._init_s.add(worker.init_duration_ms / 1000)
        if self._closed:
            self._discard(worker)
        else:
            self._hand_over(worker)  # a failed init, too: it is the oldest waiter's answer

    async def _spawn(self) -> WorkerProcess:
        function = self.function
        env = worker_environment(
            self._service,
            self.function,
            parent=os.environ,
            extra=self._environment,
            resolved=self._function_environment,
            stream=log_stream_name(),
        )
        python = self.python
        if python.isolated:
            # The runtime's modules after the layers' (PYTHONPATH), as /var/runtime on Lambda.
            path = [p for p in [env.get("PYTHONPATH"), python.runtime_dir] if p]
            env["PYTHONPATH"] = os.pathsep.join(path)
            env[pipes.PACKAGE_PATH_ENV] = os.pathsep.join(python.package_paths)
        spec = WorkerSpec(
            env,
            task_root(self._service, function),
            self._write_bytecode,
            memory_mb=function.memory_size,
            executable=python.executable,
            isolated=python.isolated,
        )
        worker = WorkerProcess(spec, self._logger, self._generation)
        self._workers.add(worker)
        init_start = self._platform.init_start(function.runtime, self._service.region)
        if init_start is not None:
            self._logger.info(init_start)
        started = time.perf_counter()
        try:
            await worker.start(process.INIT_TIMEOUT + function.timeout)
        except OSError as exc:
            self._discard(worker)
            raise HandlerError(
                f"Cannot start a worker for function '{self.function.key}': {exc}. "
                "Check that the service directory exists and Python can run there."
            ) from None
        except BaseException:
            self._discard(worker)
            raise
        failure = worker.failure
        if failure is not None and not self._closed:  # not a worker our own close() stopped
            init_ms = (time.perf_counter() - started) * 1000
            if failure.timed_out:
                line = init_report_line(init_ms, status="timeout")
            else:
                error = (failure.response or {}).get("error") or {}
                error_type = error.get("errorType", "Runtime.ExitError")
                line = init_report_line(init_ms, status="error", error_type=error_type)
                self._missing_module_hint(str(error.get("errorMessage", "")))
            self._logger.info(line)
        return worker

    def _missing_module_hint(self, message: str) -> None:
        """One line naming the requirement and the fix, for a module the package lacks."""
        match = _NO_MODULE.search(message)
        if match is None or not self.python.isolated:
            return
        module = match.group(1).split(".")[0]
        if module in self._hinted:
            return
        self._hinted.add(module)
        logging.getLogger("sockgate").warning(
            "sockgate: function '%s' imports '%s', which its package does not hold: add the "
            "distribution that provides it to requirements.txt (Lambda would fail the same way), "
            "or run with --shared-env to use your own environment.",
            self.function.key,
            module,
        )

    def _release(self, worker: WorkerProcess) -> None:
        """Reuse `worker` after an invocation, unless it is dead, stale or the pool closed."""
        assigned = self._assigned.get(worker, 0)
        if self._closed or not worker.alive or worker.generation != self._generation:
            if assigned == 0:  # else: discarded once what it was sent has ended
                self._discard(worker)
                self._scale()
        else:
            if assigned == 0:
                self._hand_over(worker)  # to the oldest waiter, or idle
            held = self._held_at_most()
            if held > 1 and self._assigned.get(worker, 0):
                while self._waiters and self._assigned[worker] < held:
                    self._hand_to_waiter(worker)  # it runs one; the next waiters' go ahead

    def _assign(self, worker: WorkerProcess) -> WorkerProcess:
        """Give `worker` one more invocation: busy from now if it was not."""
        count = self._assigned.get(worker, 0) + 1
        self._assigned[worker] = count
        if count == 1:
            self._running[worker] = asyncio.get_running_loop().time()
        return worker

    def _unassign(self, worker: WorkerProcess) -> None:
        """One of `worker`'s invocations ended; the one sent after it, if any, runs from now."""
        count = self._assigned.pop(worker, 0) - 1
        if count > 0:
            self._assigned[worker] = count
            self._running[worker] = asyncio.get_running_loop().time()
        else:
            self._running.pop(worker, None)

    def _ahead_target(self) -> WorkerProcess | None:
        """A busy worker to send the next invocation to ahead of time, if one should take it.

        A worker reads a request sent ahead as soon as it answers the one it runs, without
        sleeping between the two, and writing it wakes no one: under load that takes about a
        third off the gateway's and the worker's CPU per invocation (bench/ANALYSIS.md). An
        invocation sent ahead waits for its worker even if another becomes free first, so a
        worker holds only as many as its function runs in _AHEAD_BUDGET_S on average (none
        for a function slower than that); the least loaded busy worker takes it.
        """
        held = self._held_at_most()
        if held == 1:
            return None
        best: WorkerProcess | None = None
        for worker, count in self._assigned.items():
            if count < held and worker.alive and worker.generation == self._generation:
                if best is None or count < self._assigned[best]:
                    best = worker
        return best

    def _hand_over(self, worker: WorkerProcess) -> None:
        """Give `worker` to the oldest waiter still waiting, or keep it idle if it can serve."""
        if not self._hand_to_waiter(worker):
            if worker.alive:
                self._idle.append(worker)
                self._idle_since[worker] = asyncio.get_running_loop().time()
                self._arm_reclaim()
            else:
                self._discard(worker)
        self._scale()

    def _held_at_most(self) -> int:
        """How many invocations a worker may hold: the one it runs and those sent ahead (none
        until a few have told how long the function takes)."""
        if self._durations_seen < _AHEAD_AFTER:
            return 1
        ahead = _AHEAD_BUDGET_S / max(self._duration_s.value, 1e-6)
        return 1 + min(_HELD_AT_MOST - 1, int(ahead))

    def _hand_to_waiter(self, worker: WorkerProcess) -> bool:
        """Give `worker` the oldest waiter's invocation (to run, or to hold if it is busy);
        False when no one waits."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(self._assign(worker))
                return True
        return False

    def _arm_reclaim(self) -> None:
        if self._reclaim_timer is None and not self._closed:
            due = self._idle_since[self._idle[0]] + self.idle_timeout
            self._reclaim_timer = asyncio.get_running_loop().call_at(due, self._reclaim)

    def _reclaim(self) -> None:
        """Stop the workers idle longer than idle_timeout, keeping one warm (scaling.reclaim)."""
        self._reclaim_timer = None
        if self._closed:
            return
        loop = asyncio.get_running_loop()
        count, again = scaling.reclaim(
            [self._idle_since[worker] for worker in self._idle],
            now=loop.time(),
            idle_s=self.idle_timeout,
            workers=len(self._workers),
        )
        reclaimed, self._idle = self._idle[:count], self._idle[count:]
        for worker in reclaimed:
            self._idle_since.pop(worker, None)
            self._discard(worker)
        if count:
            self._logger.info(
                "Reclaimed %d idle worker%s (idle for %gs; %d left)",
                count,
                "" if count == 1 else "s",
                self.idle_timeout,
                len(self._workers),
            )
        if again is not None:
            self._reclaim_timer = loop.call_at(again, self._reclaim)

    def _discard(self, worker: WorkerProcess) -> None:
        self._workers.discard(worker)
        self._idle_since.pop(worker, None)
        worker.kill()
        self._background(worker.close())

    def _background(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._forget)
        return task

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # Seen by the caller, unless it went away; then it would otherwise go unreported.
            self._logger.debug("invocation task failed", exc_info=task.exception())

    def _begin(
        self,
        worker: WorkerProcess,
        request_id: str,
        event_json: bytes,
        result: asyncio.Future[InvocationResult],
    ) -> None:
        """Send the request to `worker`; its outcome settles `result` and releases the worker."""
        log = InvocationLog(request_id, self._logger)
        init_ms, worker.init_duration_ms = worker.init_duration_ms, None
        init_failed = worker.failure is not None

        def done(outcome: Outcome) -> None:
            if outcome.not_started:  # sent ahead to a worker that ended first: run it elsewhere
                self._unassign(worker)
                self._release(worker)
                self._background(self._again(request_id, event_json, result))
                return
            try:
                settled = self._settle(request_id, outcome, log, init_ms, init_failed)
                # The handler's own time: what one more worker would take off the queue (the
                # round trip through a busy gateway is not).
                self._duration_s.add(settled.duration_ms / 1000)
                self._durations_seen += 1
            except Exception as exc:  # a bug: it must not break the worker's pipe callback
                self._logger.exception("could not settle invocation %s", request_id)
                if not result.done():
                    result.set_exception(exc)
                return
            finally:
                self._count(-1)
                self._unassign(worker)
                self._release(worker)
            if not result.done():
                result.set_result(settled)

        log.start(self._platform.start(request_id))
        if worker.failure is not None:
            done(worker.failure)
            return
        timeout = self.function.timeout
        body = pipes.request(request_id, int(timeout * 1000), event_json)
        try:
            worker.begin(request_id, body, timeout, log, done)
        except Exception:  # its pipe is unusable: the invocation ends as a dead worker's would
            worker.kill()
            done(Outcome(returncode=-signal.SIGKILL))

    async def _again(
        self, request_id: str, event_json: bytes, result: asyncio.Future[InvocationResult]
    ) -> None:
        """An invocation that never started (its worker ended first), on another worker."""
        try:
            worker = await self._take()
        except BaseException as exc:
            self._count(-1)
            if not result.done():
                result.set_exception(exc)
            raise
        self._begin(worker, request_id, event_json, result)

    def _settle(
        self,
        request_id: str,
        outcome: Outcome,
        log: InvocationLog,
        init_ms: float | None,
        init_failed: bool = False,
    ) -> InvocationResult:
        """Turn an outcome into Lambda's result and the END and REPORT lines."""
        function = self.function
        payload: Any = None
        error: dict[str, Any] | None = None
        status = error_type = None
        duration = outcome.elapsed_ms
        max_memory_mb = math.ceil(outcome.rss_kb / 1024)
        if outcome.out_of_memory:
            error = out_of_memory_error(request_id)
            log.write(f"{error['errorMessage']}\nRuntime.OutOfMemory")
            status, error_type = "error", "Runtime.OutOfMemory"
            max_memory_mb = function.memory_size  # Lambda reports the limit it stopped at
        elif outcome.timed_out:
            duration = function.timeout * 1000
            error = timeout_error(request_id, function.timeout)
            log.write(timeout_line(request_id, function.timeout))
            status = "timeout"
        elif outcome.response is None:
            error = exit_error(request_id, outcome.returncode or 0)
            log.write(f"{error['errorMessage']}\nRuntime.ExitError")
            status, error_type = "error", "Runtime.ExitError"
        else:
            response = outcome.response
            duration = response["duration"]
            if response["status"] == "ok":
                payload = response["payload"]
            elif response["status"] == "bytes":
                payload = base64.b64decode(response["payload"])
            else:
                error = response["error"]
                if init_failed:
                    status, error_type = "error", error["errorType"]
        log.finish(
            self._platform.end(
                request_id,
                status=status or ("error" if error is not None else "success"),
                duration_ms=duration,
            ),
            self._platform.report(
                request_id,
                duration_ms=duration,
                memory_size_mb=function.memory_size,
                max_memory_used_mb=max_memory_mb,
                init_duration_ms=init_ms,
                status=status,
                error_type=error_type,
                function_error=(error or {}).get("errorType"),
            ),
        )
        return InvocationResult(
            request_id=request_id,
            payload=payload,
            error=error,
            duration_ms=duration,
            logs=log.lines,
            init_duration_ms=init_ms,
            max_memory_used_mb=max_memory_mb,
        )


class _Average:
    """An exponentially weighted moving average: recent values count most."""

    __slots__ = ("value",)

    def __init__(self, initial: float) -> None:
        self.value = initial

    def add(self, sample: float) -> None:
        self.value += (sample - self.value) * 0.25


def _closed_error() -> RuntimeClosedError:
    return RuntimeClosedError("The Lambda runtime is closed; start a new one to invoke.")


def _throttled(request_id: str, reason: str) -> InvocationResult:
    # What Invoke answers (429): TooManyRequestsException, "Rate Exceeded.", with the reason.
    error = {
        "errorType": "TooManyRequestsException",
        "errorMessage": "Rate Exceeded.",
        "Reason": reason,
        "Type": "User",
    }
    return InvocationResult(request_id=request_id, error=error)
