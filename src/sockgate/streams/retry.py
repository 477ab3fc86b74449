"""What happens after an invocation of a batch: acknowledge, retry, bisect, or give up (pure).

The state machine holds one lane of one shard (a whole shard when ParallelizationFactor is 1).
The lane's pending records are in order; a batch is always a prefix of them. After each
invocation the lane asks `LaneRetry.after_invoke` and gets back how many records at the head
are acknowledged, how many are discarded to onFailure, and whether to pause before retrying.

Choices on points AWS's documentation leaves open:
- Bisecting does not consume retries: each half starts with a fresh retry budget, so a poison
  record is isolated first and then retried `maximumRetryAttempts` times on its own.
- A partial batch response (ReportBatchItemFailures) counts as one failed attempt for the
  records it leaves unacknowledged; with bisect on, the batch is cut at the reported record
  and the rest retried, not halved (as AWS documents).
- A retried batch holds exactly the records that failed; new records wait behind it.
- A batch whose oldest record is older than maximumRecordAgeInSeconds is discarded whole
  (condition RecordAgeExceeded) before it is invoked again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from sockgate.invocation import InvocationResult

__all__ = [
    "Judgement",
    "LaneRetry",
    "Outcome",
    "RetryPolicy",
    "Step",
    "judge",
    "retry_delay",
]

RETRY_ATTEMPTS_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_AGE_EXCEEDED = "RecordAgeExceeded"


class Outcome(Enum):
    """How an invocation of a batch ended."""

    SUCCESS = "success"  # the whole batch is acknowledged
    PARTIAL = "partial"  # records before `failed_from` are acknowledged
    FAILURE = "failure"  # function error, timeout, or an invalid batch response


@dataclass(frozen=True, slots=True)
class Judgement:
    """An invocation's outcome, read from its result."""

    outcome: Outcome
    failed_from: int = 0  # PARTIAL: index of the first record to retry
    reason: str = ""  # FAILURE: why, for the log


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """The mapping's error-handling settings."""

    maximum_retry_attempts: int = -1  # -1: until the record expires
    maximum_record_age: float = -1  # seconds; -1: no limit
    bisect: bool = False
    report_batch_item_failures: bool = False


@dataclass(frozen=True, slots=True)
class Step:
    """What the lane does next, at the head of its pending records."""

    ack: int = 0  # acknowledge this many records
    discard: int = 0  # then send this many to onFailure and move past them
    condition: str = ""  # the onFailure condition when discard > 0
    invocations: int = 0  # invocations of the discarded batch (approximateInvokeCount)
    delay: float = 0.0  # pause before the next invocation (a retry)


def judge(
    result: InvocationResult, sequences: Sequence[str], report_batch_item_failures: bool
) -> Judgement:
    """Classify an invocation of a batch whose records have `sequences`, in order."""
    if not result.ok:
        error = result.error or {}
        return Judgement(Outcome.FAILURE, reason=str(error.get("errorType") or "Unhandled"))
    if not report_batch_item_failures:
        return Judgement(Outcome.SUCCESS)  # the return value is ignored
    payload = result.payload
    if payload is None:
        return Judgement(Outcome.SUCCESS)  # null EventResponse
    if not isinstance(payload, dict):
        # UNCONFIRMED: AWS does not say; a response that is not an EventResponse object
        # cannot be read, and AWS treats unreadable responses as a complete failure.
        return Judgement(Outcome.FAILURE, reason="invalid batch response (not an object)")
    failures = payload.get("batchItemFailures")
    if failures is None or failures == []:
        return Judgement(Outcome.SUCCESS)  # null/empty list or empty EventResponse
    if not isinstance(failures, list):
        return Judgement(Outcome.FAILURE, reason="invalid batch response (not a list)")
    index = {seq: i for i, seq in enumerate(sequences)}
    lowest = len(sequences)
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in index:
            return Judgement(
                Outcome.FAILURE, reason=f"invalid batch response (itemIdentifier {identifier!r})"
            )
        lowest = min(lowest, index[identifier])
    return Judgement(Outcome.PARTIAL, failed_from=lowest)


def retry_delay(attempt: int) -> float:
    """Pause before retry number `attempt` (1-based): 0.1 s doubling up to 5 s.

    AWS retries with a backoff it does not document; locally a short, growing pause keeps a
    failing handler from spinning while staying quick to observe.
    """
    return min(0.1 * 2.0 ** max(attempt - 1, 0), 5.0)


class LaneRetry:
    """Retry, bisect and partial-failure state for the head of one lane."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.segments: list[int] = []  # pinned batch sizes at the head (bisect halves, retries)
        self.attempts = 0  # failed attempts of the current head batch (counts toward retries)
        self.invocations = 0  # invocations of the current head batch

    @property
    def retrying(self) -> bool:
        """True when the next batch is a retry or a bisected half (no batching window)."""
        return bool(self.segments)

    def batch_limit(self, batch_size: int) -> int:
        """The size of the next batch: a pinned segment, else up to `batch_size`."""
        return self.segments[0] if self.segments else batch_size

    def pin(self, count: int) -> None:
        """Fix the head batch at `count` records (it was cut short, e.g. by payload size)."""
        if self.segments:
            if count < self.segments[0]:
                self.segments[0:1] = [count, self.segments[0] - count]
        else:
            self.segments = [count]

    def too_old(self, oldest_record_time: float | None, now: float) -> bool:
        """Whether a batch whose oldest record was written at that time is past its age."""
        limit = self.policy.maximum_record_age
        if limit < 0 or oldest_record_time is None:
            return False
        return now - oldest_record_time > limit

    def expire(self, count: int) -> Step:
        """The head batch of `count` records is too old: discard it before invoking."""
        step = Step(discard=count, condition=RECORD_AGE_EXCEEDED, invocations=self.invocations)
        self._next_segment()
        return step

    def after_invoke(self, count: int, judgement: Judgement) -> Step:
        """Advance after invoking the head batch of `count` records."""
        self.invocations += 1
        if judgement.outcome is Outcome.SUCCESS:
            self._next_segment()
            return Step(ack=count)
        if judgement.outcome is Outcome.PARTIAL:
            acked = judgement.failed_from
            return self._failed(count - acked, ack=acked, bisectable=False)
        return self._failed(count, ack=0, bisectable=self.policy.bisect)

    def _failed(self, remaining: int, *, ack: int, bisectable: bool) -> Step:
        if bisectable and remaining > 1:
            first = math.ceil(remaining / 2)
            self._set_head([first, remaining - first])
            self.attempts = 0  # splits do not consume retries (AWS: BisectBatchOnFunctionError)
            self.invocations = 0
            return Step(ack=ack)
        self.attempts += 1
        limit = self.policy.maximum_retry_attempts
        if limit >= 0 and self.attempts > limit:
            step = Step(
                ack=ack,
                discard=remaining,
                condition=RETRY_ATTEMPTS_EXHAUSTED,
                invocations=self.invocations,
            )
            self._next_segment()
            return step
        self._set_head([remaining])
        return Step(ack=ack, delay=retry_delay(self.attempts))

    def _set_head(self, sizes: list[int]) -> None:
        if self.segments:
            self.segments[0:1] = sizes
        else:
            self.segments = list(sizes)

    def _next_segment(self) -> None:
        if self.segments:
            self.segments.pop(0)
        self.attempts = 0
        self.invocations = 0
