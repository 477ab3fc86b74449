"""Record shapes as Lambda delivers them, and the onFailure invocation record, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sockgate.invocation import InvocationResult
from sockgate.streams.failures import DiscardedBatch, invocation_record
from sockgate.streams.records import (
    approximate_epoch,
    item_key,
    lambda_record,
    lane_of,
    parse_stream_arn,
    sequence_sort_key,
)

ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/chat/stream/2024-01-01T00:00:00.000"


def raw(seq: str, pk: str = "a", when: object = 1700000000.5) -> dict:
    return {
        "eventID": "e" + seq,
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": when,
            "Keys": {"pk": {"S": pk}},
            "NewImage": {"pk": {"S": pk}},
            "SequenceNumber": seq,
            "SizeBytes": 10,
            "StreamViewType": "NEW_IMAGE",
        },
    }


def test_lambda_record_adds_the_event_source_arn_and_keeps_everything_else() -> None:
    source = raw("1")
    source["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    record = lambda_record(source, ARN)
    assert record["eventSourceARN"] == ARN
    assert list(record)[-1] == "eventSourceARN"
    assert record["userIdentity"] == source["userIdentity"]
    assert record["dynamodb"] == source["dynamodb"]
    assert "eventSourceARN" not in source  # the input is not changed


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1700000000, 1700000000),
        (1700000000.5, 1700000000.5),
        (datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC), 1700000000),
        (datetime(2023, 11, 14, 22, 13, 20, 500000), 1700000000.5),  # naive = UTC
        ("1700000000.0", 1700000000),
        ("2023-11-14T22:13:20Z", 1700000000),
    ],
)
def test_approximate_creation_time_is_epoch_seconds(value: object, expected: float) -> None:
    assert approximate_epoch(value) == expected
    record = lambda_record(raw("1", when=value), ARN)
    assert record["dynamodb"]["ApproximateCreationDateTime"] == expected


def test_lanes_keep_every_change_of_one_item_together() -> None:
    lanes = {lane_of(raw(str(i), pk="same"), 4) for i in range(20)}
    assert len(lanes) == 1
    spread = {lane_of(raw("1", pk=f"k{i}"), 4) for i in range(200)}
    assert spread == {0, 1, 2, 3}
    assert lane_of(raw("1"), 1) == 0


def test_item_key_is_canonical() -> None:
    a = {"dynamodb": {"Keys": {"pk": {"S": "x"}, "sk": {"N": "1"}}}}
    b = {"dynamodb": {"Keys": {"sk": {"N": "1"}, "pk": {"S": "x"}}}}
    assert item_key(a) == item_key(b)


def test_sequence_sort_key() -> None:
    ordered = sorted(["100", "99", "1000"], key=sequence_sort_key)
    assert ordered == ["99", "100", "1000"]


def test_parse_stream_arn() -> None:
    assert parse_stream_arn(ARN) == {
        "partition": "aws",
        "region": "us-east-1",
        "account": "123456789012",
        "table": "chat",
    }
    with pytest.raises(ValueError):
        parse_stream_arn("arn:aws:sqs:us-east-1:1:queue")


def test_invocation_record_has_lambdas_shape() -> None:
    records = [lambda_record(raw("11", when=1573690399), ARN), lambda_record(raw("12"), ARN)]
    batch = DiscardedBatch(
        records=records,
        shard_id="shardId-1",
        stream_arn=ARN,
        condition="RetryAttemptsExhausted",
        invocations=3,
        last_result=InvocationResult(request_id="req-1", error={"errorType": "Exception"}),
    )
    fn = "arn:aws:lambda:us-east-1:123456789012:function:chat-dev-fan"
    record = invocation_record(batch, fn, now=1573690429.717)
    assert record == {
        "requestContext": {
            "requestId": "req-1",
            "functionArn": fn,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 3,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "version": "1.0",
        "timestamp": "2019-11-14T00:13:49.717Z",
        "DDBStreamBatchInfo": {
            "shardId": "shardId-1",
            "startSequenceNumber": "11",
            "endSequenceNumber": "12",
            "approximateArrivalOfFirstRecord": "2019-11-14T00:13:19Z",
            "approximateArrivalOfLastRecord": "2023-11-14T22:13:20Z",
            "batchSize": 2,
            "streamArn": ARN,
        },
    }


def test_invocation_record_after_a_partial_failure_has_no_function_error() -> None:
    batch = DiscardedBatch(
        records=[lambda_record(raw("1"), ARN)],
        shard_id="s",
        stream_arn=ARN,
        condition="RetryAttemptsExhausted",
        invocations=2,
        last_result=InvocationResult(request_id="r", payload={"batchItemFailures": []}),
    )
    record = invocation_record(batch, "fn", now=0)
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
