"""`AWS::Lambda::EventSourceMapping` on a DynamoDB stream -> StreamEvent, with Lambda's defaults.

Batching, retries, bisecting, partial batch responses, filters and on-failure destinations mean
what they mean for `stream` events; where the template is silent, the Lambda API's own defaults
apply (BatchSize 100, not the Framework's 10). Mappings of other sources (SQS, Kinesis, Kafka)
are listed as not run.
"""

from __future__ import annotations

import json
from typing import Any

from sockgate.service.model import StreamEvent
from sockgate.templates.context import Reader, log
from sockgate.templates.functions import FunctionTable

__all__ = ["MAPPING", "read_streams"]

MAPPING = "AWS::Lambda::EventSourceMapping"
_TABLES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")
_POSITIONS = ("TRIM_HORIZON", "LATEST")


def read_streams(reader: Reader, functions: FunctionTable) -> tuple[list[StreamEvent], list[str]]:
    """The DynamoDB stream mappings, and the logical ids of the mappings not run."""
    streams: list[StreamEvent] = []
    skipped: list[str] = []
    for logical_id, properties in reader.of_type(MAPPING):
        arn = properties.get("EventSourceArn")
        if not _is_dynamodb_stream(reader, arn):
            skipped.append(logical_id)
            continue
        key = reader.function_of(
            properties.get("FunctionName"), logical_id, "FunctionName", functions.by_name
        )
        key = functions.require(key, reader, logical_id, "FunctionName")
        streams.append(_stream(reader, logical_id, properties, key, arn))
    return streams, skipped


def _is_dynamodb_stream(reader: Reader, arn: Any) -> bool:
    if isinstance(arn, str):
        return arn.split(":")[2:3] == ["dynamodb"]
    if isinstance(arn, dict) and "Fn::GetAtt" in arn:
        target = arn["Fn::GetAtt"]
        logical_id = target.split(".", 1)[0] if isinstance(target, str) else target[0]
        return reader.type_of(logical_id) in _TABLES
    return False


def _stream(
    reader: Reader, logical_id: str, properties: dict[str, Any], function: str, arn: Any
) -> StreamEvent:
    def number(prop: str, default: int) -> int:
        value = properties.get(prop)
        return default if value is None else int(reader.resolve(value, logical_id, prop))

    position = reader.text(properties.get("StartingPosition"), logical_id, "StartingPosition")
    if position not in _POSITIONS:
        raise reader.error(
            f"is {position!r}; a DynamoDB stream starts at TRIM_HORIZON or LATEST",
            logical_id,
            "StartingPosition",
        )
    enabled = reader.resolve(properties.get("Enabled", True), logical_id, "Enabled")
    types = reader.resolve(
        properties.get("FunctionResponseTypes") or [], logical_id, "FunctionResponseTypes"
    )
    bisect = reader.resolve(
        properties.get("BisectBatchOnFunctionError", False),
        logical_id,
        "BisectBatchOnFunctionError",
    )
    destination = ((properties.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
        "Destination"
    )
    tumbling = properties.get("TumblingWindowInSeconds")
    return StreamEvent(
        function=function,
        arn=arn,
        type="dynamodb",
        batch_size=number("BatchSize", 100),  # the Lambda API's default for DynamoDB streams
        batch_window=number("MaximumBatchingWindowInSeconds", 0),
        starting_position=position,  # type: ignore[arg-type]
        enabled=str(enabled).lower() != "false",
        maximum_retry_attempts=number("MaximumRetryAttempts", -1),
        maximum_record_age_in_seconds=number("MaximumRecordAgeInSeconds", -1),
        bisect_batch_on_function_error=str(bisect).lower() == "true",
        report_batch_item_failures="ReportBatchItemFailures" in types,
        parallelization_factor=number("ParallelizationFactor", 1),
        tumbling_window_in_seconds=None
        if tumbling is None
        else number("TumblingWindowInSeconds", 0),
        filter_patterns=_filters(reader, logical_id, properties.get("FilterCriteria")),
        on_failure=destination,
    )


def _filters(reader: Reader, logical_id: str, criteria: Any) -> tuple[dict[str, Any], ...]:
    if criteria is None:
        return ()
    filters = (criteria or {}).get("Filters") if isinstance(criteria, dict) else None
    if not isinstance(filters, list):
        raise reader.error("must be {Filters: [{Pattern: ...}]}", logical_id, "FilterCriteria")
    patterns = []
    for index, item in enumerate(filters):
        prop = f"FilterCriteria.Filters[{index}].Pattern"
        pattern = reader.resolve((item or {}).get("Pattern"), logical_id, prop)
        if isinstance(pattern, str):
            try:
                pattern = json.loads(pattern)
            except ValueError as error:
                raise reader.error(f"is not JSON: {error}", logical_id, prop) from None
        if not isinstance(pattern, dict):
            raise reader.error("must be a JSON object (an event pattern)", logical_id, prop)
        patterns.append(pattern)
    log.debug("%s: %d filter(s)", logical_id, len(patterns))
    return tuple(patterns)
