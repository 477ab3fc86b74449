"""`stream` events -> StreamEvent (SLS `compile/events/stream.js`, Lambda ESM limits)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sockgate.errors import ConfigError
from sockgate.service.model import StreamEvent
from sockgate.service.schema import RawOnFailure, RawStream
from sockgate.service.validation import join_path, validate_model

__all__ = ["stream_event"]

_STREAM_TYPES = ("dynamodb", "kinesis")


def stream_event(value: Any, function: str, *, file: str, path: str) -> StreamEvent:
    """One `stream` event of `function`, validated; `path` is its key path in the file."""

    def error(message: str, fix: str | None, *keys: str) -> ConfigError:
        return ConfigError(message, file=file, path=join_path(path, *keys), fix=fix)

    if isinstance(value, str):
        raw = RawStream(arn=value)
    elif isinstance(value, dict):
        raw = validate_model(RawStream, value, file=file, path=path)
    else:
        raise error(
            "must be a stream ARN or a mapping with arn",
            "Write it as '- stream: {type: dynamodb, arn: !GetAtt MyTable.StreamArn}'.",
        )
    if raw.arn is None:
        raise error("has no arn", "Add arn: !GetAtt MyTable.StreamArn (and type: dynamodb).")
    arn_key = () if isinstance(value, str) else ("arn",)
    kind = _stream_type(raw, lambda message, fix: error(message, fix, *arn_key))
    if raw.starting_position == "AT_TIMESTAMP":
        if kind != "kinesis":
            raise error(
                "startingPosition AT_TIMESTAMP is only for Kinesis streams",
                "Use TRIM_HORIZON or LATEST for a DynamoDB stream.",
                "startingPosition",
            )
        if raw.starting_position_timestamp is None:
            raise error(
                "startingPosition AT_TIMESTAMP needs startingPositionTimestamp",
                "Add startingPositionTimestamp: <epoch seconds>.",
            )
    return StreamEvent(
        function=function,
        arn=raw.arn,
        type=kind,
        batch_size=raw.batch_size,
        batch_window=raw.batch_window,
        starting_position=raw.starting_position,
        starting_position_timestamp=raw.starting_position_timestamp,
        enabled=raw.enabled,
        maximum_retry_attempts=raw.maximum_retry_attempts,
        maximum_record_age_in_seconds=raw.maximum_record_age_in_seconds,
        bisect_batch_on_function_error=raw.bisect_batch_on_function_error,
        report_batch_item_failures=raw.function_response_type == "ReportBatchItemFailures",
        parallelization_factor=raw.parallelization_factor,
        tumbling_window_in_seconds=raw.tumbling_window_in_seconds,
        filter_patterns=tuple(raw.filter_patterns or ()),
        on_failure=_on_failure(raw, file=file, path=join_path(path, "destinations", "onFailure")),
    )


def _stream_type(raw: RawStream, error: Callable[[str, str], ConfigError]) -> Any:
    """`type`, or the service named by the ARN's third segment (arn:aws:dynamodb:...)."""
    arn = raw.arn
    if isinstance(arn, dict):
        if raw.type is None:
            raise error(
                "type is required when arn is a CloudFormation function",
                "Add type: dynamodb (or kinesis).",
            )
        return raw.type
    if not isinstance(arn, str) or not arn.startswith("arn:") or arn.count(":") < 5:
        raise error(
            f"{arn!r} is not an ARN",
            "Use a stream ARN (arn:aws:dynamodb:...:table/T/stream/...) or "
            "!GetAtt MyTable.StreamArn with type: dynamodb.",
        )
    kind = raw.type or arn.split(":")[2]
    if kind not in _STREAM_TYPES:
        raise error(
            f"the ARN is for '{kind}', but stream events read DynamoDB or Kinesis streams",
            f"Use a '{kind}' event for that service, or a DynamoDB/Kinesis stream ARN.",
        )
    if kind == "dynamodb" and "/stream/" not in arn:
        raise error(
            "the ARN is a table's, not its stream's",
            "Use the stream ARN (…:table/T/stream/<label>) or !GetAtt MyTable.StreamArn.",
        )
    return kind


def _on_failure(raw: RawStream, *, file: str, path: str) -> Any:
    if raw.destinations is None:
        return None
    value = raw.destinations.on_failure
    if isinstance(value, dict):
        target = validate_model(RawOnFailure, value, file=file, path=path)
        arn = target.arn
        if arn is None:
            raise ConfigError("has no arn", file=file, path=path, fix="Add arn: <SQS/SNS ARN>.")
        if isinstance(arn, dict) and target.type is None:
            raise ConfigError(
                "type is required when arn is a CloudFormation function",
                file=file,
                path=path,
                fix="Add type: sqs (or sns).",
            )
        value = arn
    if isinstance(value, str) and not value.startswith("arn:"):
        raise ConfigError(
            f"{value!r} is not an ARN",
            file=file,
            path=path,
            fix="Use an SQS queue or SNS topic ARN, or {arn: !GetAtt Queue.Arn, type: sqs}.",
        )
    if not isinstance(value, (str, dict)):
        raise ConfigError(
            "must be an ARN or a mapping with arn", file=file, path=path, fix="Add an ARN."
        )
    return value
