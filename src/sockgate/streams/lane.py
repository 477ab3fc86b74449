"""One lane of a shard: batches its records in order and invokes the function with them.

A shard has one lane, or `parallelizationFactor` lanes that split its records by item key.
A lane invokes one batch at a time; a failing batch blocks the lane until it succeeds, is
bisected away, or is given up on (retry.py decides which).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sockgate.invocation import InvocationResult
from sockgate.streams.batching import batch_length, batch_ready
from sockgate.streams.context import MappingContext
from sockgate.streams.failures import DiscardedBatch, invocation_record
from sockgate.streams.observer import BatchReport
from sockgate.streams.records import record_time
from sockgate.streams.retry import LaneRetry, Outcome, Step, judge

__all__ = ["Lane", "Pending"]


@dataclass(frozen=True, slots=True)
class Pending:
    """A record waiting in a lane."""

    record: dict[str, Any]
    sequence: str
    size: int  # bytes in the invocation payload
    arrived: float  # monotonic time it was read


class Lane:
    """Batches, invokes, retries; reports acknowledged records to its shard."""

    def __init__(
        self,
        ctx: MappingContext,
        shard_id: str,
        acknowledge: Callable[[Sequence[str]], Awaitable[None]],
    ) -> None:
        self.ctx = ctx
        self.shard_id = shard_id
        self._acknowledge = acknowledge
        self.pending: deque[Pending] = deque()
        self.retry = LaneRetry(ctx.policy)
        self.flush = False  # no more records will come (the shard ended): no window wait
        self._wakeup = asyncio.Event()  # records arrived, flush set, or stopping
        self._stopping = asyncio.Event()

    def put(self, item: Pending) -> None:
        """Queue a record read from the shard."""
        self.pending.append(item)
        self._wakeup.set()

    def end_of_shard(self) -> None:
        """The shard is closed and fully read: send what is pending without waiting."""
        self.flush = True
        self._wakeup.set()

    def stop(self) -> None:
        """Stop after the invocation in flight, if any; do not start another."""
        self._stopping.set()
        self._wakeup.set()

    async def run(self) -> None:
        """Invoke batches until stopped."""
        while await self._next_batch_ready():
            limit = self.retry.batch_limit(self.ctx.batch_size)
            window = list(islice(self.pending, limit))
            count = batch_length([item.size for item in window], limit)
            if count < limit and self.retry.retrying:
                self.retry.pin(count)  # cut by the payload limit: retry exactly these
            batch = window[:count]
            if self.retry.too_old(record_time(batch[0].record), self.ctx.clock()):
                expired = self.retry.expire(count)
                await self._apply(expired, batch, None)
                if self.ctx.observer is not None:
                    self._observe(batch, "expired", expired, None)
                continue
            result = await self._invoke(batch)
            judgement = judge(result, [item.sequence for item in batch], self._reports_items)
            step = self.retry.after_invoke(count, judgement)
            if judgement.outcome is not Outcome.SUCCESS and not step.discard:
                self._log_failure(batch, result, judgement.reason, step)
            await self._apply(step, batch, result)
            if self.ctx.observer is not None:
                self._observe(batch, judgement.outcome.value, step, result)
            if step.delay:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), step.delay)

    @property
    def _reports_items(self) -> bool:
        return self.ctx.policy.report_batch_item_failures

    async def _next_batch_ready(self) -> bool:
        """Wait until a batch should be invoked; False when stopping."""
        while not self._stopping.is_set():
            limit = self.retry.batch_limit(self.ctx.batch_size)
            wait = batch_ready(
                len(self.pending),
                limit,
                first_arrival=self.pending[0].arrived if self.pending else 0.0,
                window=self.ctx.batch_window,
                now=time.monotonic(),
                flush=self.flush or self.retry.retrying,
            )
            if wait is None:
                return True
            self._wakeup.clear()
            timeout = None if wait == float("inf") else wait
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout)
        return False

    async def _invoke(self, batch: Sequence[Pending]) -> InvocationResult:
        event = {"Records": [item.record for item in batch]}
        try:
            return await self.ctx.invoke(self.ctx.function_key, event)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the invoker itself failed: a failed attempt, retried
            return InvocationResult(
                request_id=str(uuid.uuid4()),
                error={"errorType": type(exc).__name__, "errorMessage": str(exc)},
            )

    async def _apply(
        self, step: Step, batch: Sequence[Pending], result: InvocationResult | None
    ) -> None:
        done = [self.pending.popleft().sequence for _ in range(step.ack)]
        if step.discard:
            discarded = [self.pending.popleft() for _ in range(step.discard)]
            await self._discard(discarded, step, result)
            done.extend(item.sequence for item in discarded)
        if done:
            await self._acknowledge(done)

    async def _discard(
        self, items: Sequence[Pending], step: Step, result: InvocationResult | None
    ) -> None:
        batch = DiscardedBatch(
            records=[item.record for item in items],
            shard_id=self.shard_id,
            stream_arn=self.ctx.stream_arn,
            condition=step.condition,
            invocations=step.invocations,
            last_result=result,
        )
        record = invocation_record(batch, self.ctx.function_arn, self.ctx.clock())
        write = self.ctx.failures.write
        await self.ctx.store.run(write, self.ctx.function_key, record, self.ctx.destination)

    def _observe(
        self,
        batch: Sequence[Pending],
        outcome: str,
        step: Step,
        result: InvocationResult | None,
    ) -> None:
        """Report the batch to the mapping's observer (the inspector, #18)."""
        assert self.ctx.observer is not None
        failed = outcome in ("failure", "partial")
        self.ctx.observer.batch(
            BatchReport(
                mapping_id=self.ctx.mapping_id,
                function_key=self.ctx.function_key,
                shard_id=self.shard_id,
                records=len(batch),
                size=sum(item.size for item in batch),
                first_sequence=batch[0].sequence,
                last_sequence=batch[-1].sequence,
                outcome=outcome,
                acked=step.ack,
                discarded=step.discard,
                condition=step.condition,
                retry=step.delay > 0,
                bisected=failed and not step.discard and not step.delay,
                request_id=result.request_id if result is not None else None,
                event_names=tuple(str(item.record.get("eventName", "")) for item in batch),
            )
        )

    def _log_failure(
        self, batch: Sequence[Pending], result: InvocationResult, reason: str, step: Step
    ) -> None:
        first, last = batch[0].sequence, batch[-1].sequence
        if step.delay:
            then = f"retry {self.retry.attempts} in {step.delay:.1f} s"
        else:
            then = f"bisected into {self.retry.segments[0]} + {self.retry.segments[1]} records"
        if result.ok and reason == "":
            reason = "partial batch failure"
        message = str((result.error or {}).get("errorMessage") or "")
        if message:  # the operator's first question is why, not just which type
            reason = f"{reason or 'Unhandled'}: {message[:200]}"
        self.ctx.log(
            f"{self.ctx.name}: batch of {len(batch)} record(s) ({first}..{last}) failed "
            f"({reason or 'Unhandled'}, request {result.request_id}); {then}"
        )
