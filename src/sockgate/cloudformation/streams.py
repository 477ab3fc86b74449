"""`stream` events: one `AWS::Lambda::EventSourceMapping` each, plus the role's read grants."""

from __future__ import annotations

import json
from typing import Any

from sockgate.cloudformation import naming
from sockgate.cloudformation.intrinsics import get_att, resource_type_of
from sockgate.service.model import Service, StreamEvent

__all__ = ["mapping_logical_id", "stream_resources", "stream_statements"]

_READ_ACTIONS = {
    "dynamodb": [
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:DescribeStream",
        "dynamodb:ListStreams",
    ],
    "kinesis": [
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:DescribeStream",
        "kinesis:ListStreams",
    ],
}


def _stream_name(arn: Any) -> str:
    """The name in the logical id, found the way the Framework's stream.js finds it."""
    if isinstance(arn, str):
        parts = arn.split("/")
        return parts[1] if len(parts) > 1 else arn
    if "Fn::GetAtt" in arn:
        target = arn["Fn::GetAtt"]
        return str(target[0] if isinstance(target, list) else str(target).split(".")[0])
    if "Fn::ImportValue" in arn:
        return (
            json.dumps(arn["Fn::ImportValue"])
            if isinstance(arn["Fn::ImportValue"], dict)
            else str(arn["Fn::ImportValue"])
        )
    if "Ref" in arn:
        return str(arn["Ref"])
    if "Fn::Join" in arn:
        last = arn["Fn::Join"][1][-1]
        return str(last).split("/")[-1]
    # Not a form the Framework handles (e.g. Fn::Sub): any stable text will do.
    return json.dumps(arn, sort_keys=True)


def mapping_logical_id(event: StreamEvent) -> str:
    """`{Fn}EventSourceMapping{Type}{StreamName}`, e.g. BroadcastEventSourceMappingDynamodbChat."""
    return naming.stream_mapping(event.function, event.type, _stream_name(event.arn))


def _destination_is_sns(arn: Any, resources: dict[str, Any]) -> bool:
    if isinstance(arn, str):
        return arn.split(":")[2:3] == ["sns"]
    return resource_type_of(arn, resources) == "AWS::SNS::Topic"


def _mapping(service: Service, event: StreamEvent, role_deps: list[str]) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "BatchSize": event.batch_size,
        "Enabled": event.enabled,
        "EventSourceArn": event.arn,
        "FunctionName": get_att(naming.lambda_function(event.function), "Arn"),
        "StartingPosition": event.starting_position,
        "MaximumBatchingWindowInSeconds": event.batch_window,
        "MaximumRetryAttempts": event.maximum_retry_attempts,
        "MaximumRecordAgeInSeconds": event.maximum_record_age_in_seconds,
        "BisectBatchOnFunctionError": event.bisect_batch_on_function_error,
        "ParallelizationFactor": event.parallelization_factor,
    }
    if event.starting_position_timestamp is not None:
        properties["StartingPositionTimestamp"] = event.starting_position_timestamp
    if event.report_batch_item_failures:
        properties["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
    if event.tumbling_window_in_seconds is not None:
        properties["TumblingWindowInSeconds"] = event.tumbling_window_in_seconds
    if event.filter_patterns:
        # Lambda takes each pattern as a JSON string, as the Framework's JSON.stringify does.
        properties["FilterCriteria"] = {
            "Filters": [
                {"Pattern": json.dumps(p, separators=(",", ":"), ensure_ascii=False)}
                for p in event.filter_patterns
            ]
        }
    if event.on_failure is not None:
        properties["DestinationConfig"] = {"OnFailure": {"Destination": event.on_failure}}
    return {
        "Type": "AWS::Lambda::EventSourceMapping",
        "DependsOn": list(role_deps),
        "Properties": properties,
    }


def stream_resources(service: Service, role_deps: list[str]) -> dict[str, Any]:
    """One mapping per stream event, named `{Fn}EventSourceMapping{Type}{StreamName}`."""
    resources: dict[str, Any] = {}
    for event in service.streams:
        resources[mapping_logical_id(event)] = _mapping(service, event, role_deps)
    return resources


def stream_statements(service: Service) -> list[dict[str, Any]]:
    """Per function (in function order): stream read grants and on-failure destinations."""
    statements: list[dict[str, Any]] = []
    resources = service.resources
    for key in service.functions:
        events = [event for event in service.streams if event.function == key]
        for stream_type in ("dynamodb", "kinesis"):
            arns = [e.arn for e in events if e.type == stream_type]
            if arns:
                statements.append(
                    {"Effect": "Allow", "Action": _READ_ACTIONS[stream_type], "Resource": arns}
                )
        failures = [e.on_failure for e in events if e.on_failure is not None]
        sns = [arn for arn in failures if _destination_is_sns(arn, resources)]
        sqs = [arn for arn in failures if not _destination_is_sns(arn, resources)]
        if sns:
            statements.append({"Effect": "Allow", "Action": ["sns:Publish"], "Resource": sns})
        if sqs:
            statements.append(
                {
                    "Effect": "Allow",
                    "Action": ["sqs:ListQueues", "sqs:SendMessage"],
                    "Resource": sqs,
                }
            )
    return statements
