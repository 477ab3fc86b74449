"""`stream` events: shorthand and object forms, defaults, ranges, type inference, errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sockgate.errors import ConfigError
from sockgate.service import Service, StreamEvent

STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/2024-01-01T00:00:00.000"
KINESIS_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/S"


def with_events(events: str) -> str:
    return (
        "service: chat\nprovider: {name: aws}\nfunctions:\n"
        f"  worker:\n    handler: handler.handler\n    events:\n{events}\n"
    )


def test_shorthand_and_defaults(load: Callable[..., Service]) -> None:
    service = load(with_events(f"      - stream: {STREAM_ARN}"))
    assert service.streams == (StreamEvent(function="worker", arn=STREAM_ARN),)
    stream = service.streams[0]
    assert (stream.type, stream.batch_size, stream.starting_position) == (
        "dynamodb",
        10,
        "TRIM_HORIZON",
    )
    assert (stream.maximum_retry_attempts, stream.maximum_record_age_in_seconds) == (-1, -1)


def test_object_form_with_every_setting(load: Callable[..., Service]) -> None:
    service = load(
        with_events(
            """\
      - stream:
          type: dynamodb
          arn: !GetAtt ChatTable.StreamArn
          batchSize: 100
          batchWindow: 5
          startingPosition: LATEST
          enabled: false
          maximumRetryAttempts: 3
          maximumRecordAgeInSeconds: 120
          bisectBatchOnFunctionError: true
          functionResponseType: ReportBatchItemFailures
          parallelizationFactor: 2
          tumblingWindowInSeconds: 60
          destinations:
            onFailure: {arn: !GetAtt Dlq.Arn, type: sqs}
          filterPatterns:
            - eventName: [INSERT]
              dynamodb: {NewImage: {status: {S: [DONE]}}}"""
        )
    )
    assert service.streams == (
        StreamEvent(
            function="worker",
            arn={"Fn::GetAtt": ["ChatTable", "StreamArn"]},
            type="dynamodb",
            batch_size=100,
            batch_window=5,
            starting_position="LATEST",
            enabled=False,
            maximum_retry_attempts=3,
            maximum_record_age_in_seconds=120,
            bisect_batch_on_function_error=True,
            report_batch_item_failures=True,
            parallelization_factor=2,
            tumbling_window_in_seconds=60,
            filter_patterns=(
                {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"status": {"S": ["DONE"]}}}},
            ),
            on_failure={"Fn::GetAtt": ["Dlq", "Arn"]},
        ),
    )


def test_type_inferred_from_arn_and_string_destination(load: Callable[..., Service]) -> None:
    service = load(
        with_events(
            f"      - stream: {{arn: '{KINESIS_ARN}', startingPosition: AT_TIMESTAMP, "
            "startingPositionTimestamp: 1700000000, "
            "destinations: {onFailure: 'arn:aws:sns:us-east-1:1:topic'}}"
        )
    )
    stream = service.streams[0]
    assert (stream.type, stream.starting_position, stream.starting_position_timestamp) == (
        "kinesis",
        "AT_TIMESTAMP",
        1700000000,
    )
    assert stream.on_failure == "arn:aws:sns:us-east-1:1:topic"


@pytest.mark.parametrize(
    ("setting", "key", "message"),
    [
        ("batchSize: 0", "batchSize", "must be between 1 and 10000, got 0"),
        ("batchSize: 10001", "batchSize", "must be between 1 and 10000"),
        ("batchWindow: 301", "batchWindow", "must be between 0 and 300"),
        ("maximumRetryAttempts: -2", "maximumRetryAttempts", "must be between -1 and 10000"),
        ("maximumRecordAgeInSeconds: 30", "maximumRecordAgeInSeconds", "must be -1 or between 60"),
        ("maximumRecordAgeInSeconds: 604801", "maximumRecordAgeInSeconds", "604800"),
        ("parallelizationFactor: 11", "parallelizationFactor", "must be between 1 and 10"),
        ("tumblingWindowInSeconds: 901", "tumblingWindowInSeconds", "must be between 0 and 900"),
        ("startingPosition: OLDEST", "startingPosition", "must be one of"),
        ("functionResponseType: All", "functionResponseType", "ReportBatchItemFailures"),
        ("enabled: perhaps", "enabled", "must be true or false"),
        ("filterPatterns: []", "filterPatterns", "at least 1"),
        ("startingPosition: AT_TIMESTAMP", "startingPosition", "only for Kinesis"),
    ],
)
def test_out_of_range_values_name_the_key_and_range(
    load_error: Callable[..., ConfigError], setting: str, key: str, message: str
) -> None:
    error = load_error(with_events(f"      - stream: {{arn: '{STREAM_ARN}', {setting}}}"))
    assert error.path == f"functions.worker.events[0].stream.{key}"
    assert message in error.message
    assert error.fix


@pytest.mark.parametrize(
    ("stream", "path", "message"),
    [
        ("{arn: !GetAtt T.StreamArn}", "stream.arn", "type is required"),
        ("{type: dynamodb}", "stream", "has no arn"),
        ("not-an-arn", "stream", "is not an ARN"),
        ("{arn: 5, type: dynamodb}", "stream.arn", "is not an ARN"),
        ("arn:aws:sqs:us-east-1:1:queue", "stream", "the ARN is for 'sqs'"),
        ("arn:aws:dynamodb:us-east-1:1:table/T", "stream", "a table's, not its stream's"),
        ("{arn: x, foo: 1}", "stream", "unknown key 'foo'"),
        ("[a]", "stream", "must be a stream ARN or a mapping"),
        (
            f"{{arn: '{KINESIS_ARN}', startingPosition: AT_TIMESTAMP}}",
            "stream",
            "needs startingPositionTimestamp",
        ),
        (
            f"{{arn: '{STREAM_ARN}', destinations: {{onFailure: {{arn: !GetAtt Q.Arn}}}}}}",
            "stream.destinations.onFailure",
            "type is required",
        ),
        (
            f"{{arn: '{STREAM_ARN}', destinations: {{onFailure: queue}}}}",
            "stream.destinations.onFailure",
            "is not an ARN",
        ),
        (
            f"{{arn: '{STREAM_ARN}', destinations: {{onFailure: {{type: sqs}}}}}}",
            "stream.destinations.onFailure",
            "has no arn",
        ),
        (
            f"{{arn: '{STREAM_ARN}', destinations: {{}}}}",
            "stream.destinations.onFailure",
            "is required",
        ),
        (
            f"{{arn: '{STREAM_ARN}', destinations: {{onFailure: {{arn: x, type: email}}}}}}",
            "stream.destinations.onFailure.type",
            "must be one of 'sns' or 'sqs'",
        ),
    ],
)
def test_stream_errors(
    load_error: Callable[..., ConfigError], stream: str, path: str, message: str
) -> None:
    error = load_error(with_events(f"      - stream: {stream}"))
    assert error.path == f"functions.worker.events[0].{path}"
    assert message in error.message
