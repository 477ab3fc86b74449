"""Failing batches: retries, onFailure, bisect, partial batch responses, record age."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from sockgate.invocation import InvocationResult
from sockgate.service.model import StreamEvent
from sockgate.testing.polling import eventually

from .conftest import Handlers, make_service, running

DLQ = "arn:aws:sqs:us-east-1:123456789012:fan-dlq"


def pks(records: list[dict[str, Any]]) -> list[str]:
    return [r["dynamodb"]["Keys"]["pk"]["S"] for r in records]


def failures(state: Path, function: str = "fan") -> list[dict[str, Any]]:
    path = state / "failures" / f"{function}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_a_failing_batch_is_retried_until_it_succeeds(
    make_table, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    table.put("a")
    table.put("b")
    attempts = []

    def fan(event: dict[str, Any]) -> None:
        attempts.append(pks(event["Records"]))
        if len(attempts) < 3:
            raise RuntimeError("not yet")

    handlers.behaviours["fan"] = fan
    log: list[str] = []
    service = make_service(tmp_path, StreamEvent(function="fan", arn=table.stream_arn))
    async with running(service, handlers, endpoint, tmp_path / "state", log=log):
        await eventually(lambda: len(handlers.records()) == 2, what="a successful invocation")
    assert attempts == [["a", "b"]] * 3
    assert failures(tmp_path / "state") == []
    retry_lines = [line for line in log if "failed" in line]
    assert len(retry_lines) == 2
    assert "batch of 2 record(s)" in retry_lines[0]
    assert "(RuntimeError: not yet, request " in retry_lines[0]
    assert "retry 1 in 0.1 s" in retry_lines[0]


async def test_exhausted_retries_go_to_on_failure_and_unblock_the_shard(
    make_table, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    table.put("poison")

    def fan(event: dict[str, Any]) -> None:
        if "poison" in pks(event["Records"]):
            raise ValueError("cannot handle poison")

    handlers.behaviours["fan"] = fan
    event = StreamEvent(
        function="fan", arn=table.stream_arn, maximum_retry_attempts=2, on_failure=DLQ
    )
    state = tmp_path / "state"
    log: list[str] = []
    async with running(make_service(tmp_path, event), handlers, endpoint, state, log=log):
        await eventually(lambda: failures(state), what="the onFailure record")
        table.put("good")
        await eventually(lambda: pks(handlers.records()) == ["good"], what="the next record")

    poisoned = [inv for inv in handlers.invocations if "poison" in pks(inv.records)]
    assert len(poisoned) == 3  # the first attempt and two retries
    (record,) = failures(state)
    shard_id = record["DDBStreamBatchInfo"]["shardId"]
    seq = poisoned[0].sequences[0]
    arrival = record["DDBStreamBatchInfo"]["approximateArrivalOfFirstRecord"]
    account = table.stream_arn.split(":")[4]
    assert record == {
        "requestContext": {
            "requestId": poisoned[-1].result.request_id,
            "functionArn": f"arn:aws:lambda:us-east-1:{account}:function:chat-dev-fan",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 3,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "version": "1.0",
        "timestamp": record["timestamp"],
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": seq,
            "endSequenceNumber": seq,
            "approximateArrivalOfFirstRecord": arrival,
            "approximateArrivalOfLastRecord": arrival,
            "batchSize": 1,
            "streamArn": table.stream_arn,
        },
    }
    assert shard_id.startswith("shardId-")
    assert record["timestamp"].endswith("Z") and len(record["timestamp"]) == 24
    assert arrival.endswith("Z") and len(arrival) == 20
    (line,) = [line for line in log if "gave up" in line]
    assert f"onFailure {DLQ}" in line and "RetryAttemptsExhausted after 3 invocation(s)" in line
    assert str(state / "failures" / "fan.jsonl") in line


async def test_without_a_destination_the_skipped_batch_is_still_logged_and_kept(
    make_table, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    table.put("poison")
    handlers.behaviours["fan"] = lambda event: 1 / 0
    event = StreamEvent(function="fan", arn=table.stream_arn, maximum_retry_attempts=0)
    state = tmp_path / "state"
    log: list[str] = []
    async with running(make_service(tmp_path, event), handlers, endpoint, state, log=log):
        await eventually(lambda: failures(state), what="the failure record")
    assert len(handlers.invocations) == 1
    assert any("no onFailure destination" in line for line in log)


async def test_bisect_narrows_a_batch_down_to_the_poison_record(
    make_table, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    for i in range(8):
        table.put(f"k{i}")

    def fan(event: dict[str, Any]) -> None:
        if "k5" in pks(event["Records"]):
            raise ValueError("k5 is poison")

    handlers.behaviours["fan"] = fan
    event = StreamEvent(
        function="fan",
        arn=table.stream_arn,
        batch_size=8,
        bisect_batch_on_function_error=True,
        maximum_retry_attempts=0,
    )
    state = tmp_path / "state"
    async with running(make_service(tmp_path, event), handlers, endpoint, state):
        await eventually(lambda: len(handlers.records()) == 7, what="the seven good records")
        await eventually(lambda: failures(state), what="the poison record")

    assert [pks(inv.records) for inv in handlers.invocations] == [
        [f"k{i}" for i in range(8)],
        ["k0", "k1", "k2", "k3"],
        ["k4", "k5", "k6", "k7"],
        ["k4", "k5"],
        ["k4"],
        ["k5"],
        ["k6", "k7"],
    ]
    (record,) = failures(state)
    info = record["DDBStreamBatchInfo"]
    poison_seq = handlers.invocations[5].sequences[0]
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == (poison_seq, poison_seq)
    assert info["batchSize"] == 1 and record["requestContext"]["approximateInvokeCount"] == 1


async def test_batch_item_failures_resume_from_the_first_failed_record(
    make_table, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    for i in range(5):
        table.put(f"k{i}")

    def fan(event: dict[str, Any]) -> dict[str, Any]:
        records = event["Records"]
        if len(handlers.invocations) == 0:  # first call: k2 and k4 failed
            failed = [r["dynamodb"]["SequenceNumber"] for r in records if pks([r])[0] in "k4 k2"]
            return {"batchItemFailures": [{"itemIdentifier": seq} for seq in failed]}
        return {"batchItemFailures": []}

    handlers.behaviours["fan"] = fan
    event = StreamEvent(function="fan", arn=table.stream_arn, report_batch_item_failures=True)
    async with running(make_service(tmp_path, event), handlers, endpoint, tmp_path / "s"):
        await eventually(lambda: len(handlers.invocations) == 2, what="the retry")
        table.put("next")
        await eventually(lambda: len(handlers.invocations) == 3, what="the next batch")
    assert [pks(inv.records) for inv in handlers.invocations] == [
        ["k0", "k1", "k2", "k3", "k4"],
        ["k2", "k3", "k4"],
        ["next"],
    ]


async def test_an_invalid_item_identifier_fails_the_whole_batch(
    make_table, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    table.put("a")
    table.put("b")
    answers = [{"batchItemFailures": [{"itemIdentifier": ""}]}, None]
    handlers.behaviours["fan"] = lambda event: answers[min(len(handlers.invocations), 1)]
    event = StreamEvent(function="fan", arn=table.stream_arn, report_batch_item_failures=True)
    async with running(make_service(tmp_path, event), handlers, endpoint, tmp_path / "s"):
        await eventually(lambda: len(handlers.invocations) == 2, what="the retry")
    assert [pks(inv.records) for inv in handlers.invocations] == [["a", "b"], ["a", "b"]]


async def test_without_the_response_type_batch_item_failures_are_ignored(
    make_table, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    table.put("a")
    handlers.behaviours["fan"] = lambda event: {"batchItemFailures": [{"itemIdentifier": "x"}]}
    service = make_service(tmp_path, StreamEvent(function="fan", arn=table.stream_arn))
    async with running(service, handlers, endpoint, tmp_path / "s"):
        await eventually(lambda: len(handlers.invocations) == 1, what="the first batch")
        table.put("sentinel")  # records are in order: a retry of "a" would come first
        await eventually(lambda: len(handlers.invocations) == 2, what="the sentinel")
    assert [pks(inv.records) for inv in handlers.invocations] == [["a"], ["sentinel"]]


async def test_timeouts_and_invoker_errors_are_retried(
    make_table, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    table.put("a")
    calls: list[str] = []

    async def invoke(function: str, event: dict[str, Any]) -> InvocationResult:
        calls.append(function)
        if len(calls) == 1:
            return InvocationResult(
                request_id="r1",
                error={
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": "RequestId: r1 Error: Task timed out after 6.00 seconds",
                },
            )
        if len(calls) == 2:
            raise ConnectionError("worker pool is restarting")
        return InvocationResult(request_id="r3")

    log: list[str] = []
    service = make_service(tmp_path, StreamEvent(function="fan", arn=table.stream_arn))
    async with running(service, invoke, endpoint, tmp_path / "s", log=log):
        await eventually(lambda: len(calls) == 3, what="the third attempt")
    failed = [line for line in log if "failed" in line]
    assert (
        "(Sandbox.Timedout: RequestId: r1 Error: Task timed out after 6.00 seconds, request r1)"
        in failed[0]
    )
    assert "(ConnectionError: worker pool is restarting, request " in failed[1]


async def test_records_older_than_the_maximum_age_are_discarded_unprocessed(
    make_table, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    table.put("old")
    event = StreamEvent(
        function="fan", arn=table.stream_arn, maximum_record_age_in_seconds=60, on_failure=DLQ
    )
    state = tmp_path / "state"
    later = lambda: time.time() + 3600  # noqa: E731  (an hour from now, the record is old)
    async with running(make_service(tmp_path, event), handlers, endpoint, state, clock=later):
        await eventually(lambda: failures(state), what="the discarded record")
    assert handlers.invocations == []
    (record,) = failures(state)
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert "functionError" not in record["responseContext"]


async def test_a_broken_invoker_answer_restarts_the_shard_from_its_checkpoint(
    make_table, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    table.put("a")
    calls: list[list[str]] = []

    async def invoke(function: str, event: dict[str, Any]) -> Any:
        calls.append(pks(event["Records"]))
        return None if len(calls) == 1 else InvocationResult(request_id="ok")  # a bug, then fine

    log: list[str] = []
    service = make_service(tmp_path, StreamEvent(function="fan", arn=table.stream_arn))
    async with running(service, invoke, endpoint, tmp_path / "s", log=log):
        await eventually(lambda: len(calls) == 2, what="the shard to restart")
        table.put("b")
        await eventually(lambda: len(calls) == 3, what="the next record")
    assert calls == [["a"], ["a"], ["b"]]
    assert any("stopped on an error: AttributeError" in line for line in log)
