"""The retry / bisect / partial-failure state machine and response judging, without I/O."""

from __future__ import annotations

from typing import Any

import pytest

from sockgate.invocation import InvocationResult
from sockgate.streams.retry import (
    Judgement,
    LaneRetry,
    Outcome,
    RetryPolicy,
    judge,
    retry_delay,
)

SEQS = ["100", "200", "300", "400"]
OK = Judgement(Outcome.SUCCESS)
FAIL = Judgement(Outcome.FAILURE, reason="Exception")


def ok(payload: Any = None) -> InvocationResult:
    return InvocationResult(request_id="r", payload=payload)


def error(kind: str = "Exception") -> InvocationResult:
    return InvocationResult(request_id="r", error={"errorType": kind, "errorMessage": "boom"})


# -- judge -----------------------------------------------------------------------------------


def test_function_error_and_timeout_fail_the_batch() -> None:
    assert judge(error(), SEQS, False).outcome is Outcome.FAILURE
    timed_out = judge(error("Sandbox.Timedout"), SEQS, True)
    assert timed_out == Judgement(Outcome.FAILURE, reason="Sandbox.Timedout")


def test_without_report_batch_item_failures_the_return_value_is_ignored() -> None:
    response = {"batchItemFailures": [{"itemIdentifier": "200"}]}
    assert judge(ok(response), SEQS, False).outcome is Outcome.SUCCESS
    assert judge(ok("anything"), SEQS, False).outcome is Outcome.SUCCESS


@pytest.mark.parametrize(
    "payload",
    [None, {}, {"batchItemFailures": None}, {"batchItemFailures": []}, {"other": 1}],
)
def test_complete_success_responses(payload: Any) -> None:
    assert judge(ok(payload), SEQS, True).outcome is Outcome.SUCCESS


def test_partial_failure_resumes_from_the_lowest_reported_record() -> None:
    response = {"batchItemFailures": [{"itemIdentifier": "400"}, {"itemIdentifier": "200"}]}
    assert judge(ok(response), SEQS, True) == Judgement(Outcome.PARTIAL, failed_from=1)
    first = {"batchItemFailures": [{"itemIdentifier": "100"}]}
    assert judge(ok(first), SEQS, True) == Judgement(Outcome.PARTIAL, failed_from=0)


@pytest.mark.parametrize(
    "payload",
    [
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"itemIdentifer": "200"}]},  # misspelt key
        {"batchItemFailures": [{"itemIdentifier": "999"}]},  # not in the batch
        {"batchItemFailures": [{"itemIdentifier": 200}]},  # not a string
        {"batchItemFailures": [{"itemIdentifier": "200"}, {"itemIdentifier": ""}]},
        {"batchItemFailures": ["200"]},
        {"batchItemFailures": "200"},
        "not an object",
        [1, 2],
    ],
)
def test_invalid_responses_fail_the_whole_batch(payload: Any) -> None:
    judgement = judge(ok(payload), SEQS, True)
    assert judgement.outcome is Outcome.FAILURE
    assert "invalid batch response" in judgement.reason


# -- LaneRetry -------------------------------------------------------------------------------


def test_success_acknowledges_the_batch() -> None:
    lane = LaneRetry(RetryPolicy())
    assert lane.batch_limit(10) == 10
    step = lane.after_invoke(4, OK)
    assert (step.ack, step.discard, step.delay) == (4, 0, 0.0)
    assert not lane.retrying


def test_failure_retries_the_same_records_with_growing_pauses() -> None:
    lane = LaneRetry(RetryPolicy(maximum_retry_attempts=-1))
    delays = []
    for _ in range(5):
        step = lane.after_invoke(3, FAIL)
        assert (step.ack, step.discard) == (0, 0)
        assert lane.batch_limit(10) == 3  # pinned: new records wait behind the retry
        assert lane.retrying
        delays.append(step.delay)
    assert delays == sorted(delays) and delays[0] > 0
    assert lane.after_invoke(3, OK).ack == 3
    assert lane.batch_limit(10) == 10


def test_maximum_retry_attempts_then_discard() -> None:
    lane = LaneRetry(RetryPolicy(maximum_retry_attempts=2))
    assert lane.after_invoke(3, FAIL).discard == 0  # retry 1
    assert lane.after_invoke(3, FAIL).discard == 0  # retry 2
    step = lane.after_invoke(3, FAIL)
    assert (step.ack, step.discard, step.condition, step.invocations) == (
        0,
        3,
        "RetryAttemptsExhausted",
        3,
    )
    assert not lane.retrying and lane.batch_limit(10) == 10


def test_zero_retries_discards_after_the_first_failure() -> None:
    lane = LaneRetry(RetryPolicy(maximum_retry_attempts=0))
    step = lane.after_invoke(2, FAIL)
    assert (step.discard, step.invocations) == (2, 1)


def test_bisect_narrows_to_the_poison_record_without_consuming_retries() -> None:
    # 8 records, record index 5 is poison; maximumRetryAttempts 1 applies to the poison alone.
    lane = LaneRetry(RetryPolicy(maximum_retry_attempts=1, bisect=True))
    records = list(range(8))
    delivered: list[list[int]] = []
    discarded: list[list[int]] = []
    while records:
        size = min(lane.batch_limit(8), len(records))
        batch = records[:size]
        delivered.append(batch)
        step = lane.after_invoke(size, FAIL if 5 in batch else OK)
        del records[: step.ack]
        if step.discard:
            discarded.append(records[: step.discard])
            del records[: step.discard]
    assert discarded == [[5]]
    assert delivered == [
        [0, 1, 2, 3, 4, 5, 6, 7],  # fails: split 4 + 4
        [0, 1, 2, 3],
        [4, 5, 6, 7],  # fails: split 2 + 2
        [4, 5],  # fails: split 1 + 1
        [4],
        [5],  # fails: retry 1
        [5],  # fails: exhausted
        [6, 7],
    ]


def test_bisect_splits_odd_batches_larger_half_first() -> None:
    lane = LaneRetry(RetryPolicy(bisect=True))
    lane.after_invoke(5, FAIL)
    assert lane.segments == [3, 2]


def test_bisect_does_not_split_a_single_record() -> None:
    lane = LaneRetry(RetryPolicy(bisect=True, maximum_retry_attempts=0))
    assert lane.after_invoke(1, FAIL).discard == 1


def test_partial_failure_acknowledges_before_and_retries_from_the_reported_record() -> None:
    lane = LaneRetry(RetryPolicy(report_batch_item_failures=True))
    step = lane.after_invoke(4, Judgement(Outcome.PARTIAL, failed_from=2))
    assert (step.ack, step.discard) == (2, 0) and step.delay > 0
    assert lane.batch_limit(10) == 2  # exactly the two unacknowledged records
    assert lane.after_invoke(2, OK).ack == 2
    assert lane.batch_limit(10) == 10


def test_partial_failure_with_bisect_cuts_at_the_record_not_in_half() -> None:
    lane = LaneRetry(RetryPolicy(bisect=True, report_batch_item_failures=True))
    step = lane.after_invoke(8, Judgement(Outcome.PARTIAL, failed_from=3))
    assert step.ack == 3 and lane.segments == [5]


def test_partial_failures_count_as_attempts() -> None:
    lane = LaneRetry(RetryPolicy(maximum_retry_attempts=1, report_batch_item_failures=True))
    assert lane.after_invoke(4, Judgement(Outcome.PARTIAL, failed_from=1)).ack == 1
    step = lane.after_invoke(3, Judgement(Outcome.PARTIAL, failed_from=1))
    assert (step.ack, step.discard, step.condition) == (1, 2, "RetryAttemptsExhausted")


def test_record_age() -> None:
    lane = LaneRetry(RetryPolicy(maximum_record_age=60))
    assert not lane.too_old(1000.0, 1060.0)
    assert lane.too_old(1000.0, 1060.5)
    assert not lane.too_old(None, 5000.0)
    assert not LaneRetry(RetryPolicy()).too_old(0.0, 1e9)  # -1: no limit


def test_expire_discards_the_head_batch_with_record_age_exceeded() -> None:
    lane = LaneRetry(RetryPolicy(maximum_record_age=60))
    lane.after_invoke(3, FAIL)
    step = lane.expire(3)
    assert (step.discard, step.condition, step.invocations) == (3, "RecordAgeExceeded", 1)
    assert not lane.retrying


def test_pin_keeps_the_rest_of_a_segment() -> None:
    lane = LaneRetry(RetryPolicy(bisect=True))
    lane.after_invoke(10, FAIL)  # segments [5, 5]
    lane.pin(3)  # the payload limit cut the first half to 3 records
    assert lane.segments == [3, 2, 5]


def test_retry_delay_grows_and_is_capped() -> None:
    assert retry_delay(1) == pytest.approx(0.1)
    assert retry_delay(2) == pytest.approx(0.2)
    assert retry_delay(50) == 5.0
