"""Create (or bring up to date) the service's DynamoDB tables on any DynamoDB endpoint."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from sockgate.errors import ConfigError, ResourceError
from sockgate.resources.changes import Change, plan_changes
from sockgate.resources.definition import TableDefinition, table_definitions
from sockgate.service.intrinsics import resolve_intrinsics
from sockgate.service.model import IntrinsicContext, ResourceAttrs, Service

__all__ = ["provision_tables"]

# How long to wait for a table or index to become ACTIVE: instant locally, minutes on AWS
# when a new GSI backfills a large table.
ACTIVE_TIMEOUT = 900.0


def provision_tables(
    service: Service,
    *,
    endpoint_url: str | None,
    region: str,
    log: Callable[[str], None] = print,
) -> dict[str, ResourceAttrs]:
    """Create every `AWS::DynamoDB::Table` of `resources.Resources` that does not exist yet.

    An existing table keeps its data; differences DynamoDB can apply in place (stream, GSIs,
    TTL) are applied and logged, others are logged as one line each. Returns what `Ref` and
    `Fn::GetAtt` give for each table (name; Arn and StreamArn), by logical id.
    """
    context = IntrinsicContext(region=region, stack_name=service.stack_name)

    def resolve(value: Any, path: str) -> Any:
        return resolve_intrinsics(value, context, path=path)

    definitions = table_definitions(service, resolve)
    _check_unique_names(definitions)
    if not definitions:
        return {}
    client = _client(endpoint_url, region)
    where = endpoint_url or f"AWS ({region})"
    try:
        return {d.logical_id: _provision(client, d, log) for d in definitions}
    except BotoCoreError as exc:  # connection refused, timeouts, bad endpoint URL
        raise ResourceError(
            f"Cannot reach DynamoDB at {where} ({exc}); start the table service or check "
            "--dynamodb-endpoint."
        ) from exc
    finally:
        client.close()


def _client(endpoint_url: str | None, region: str) -> Any:
    credentials: dict[str, Any] = {}
    if endpoint_url and not os.environ.get("AWS_ACCESS_KEY_ID"):
        # Local endpoints do not check credentials; boto3 still needs some to sign.
        credentials = {"aws_access_key_id": "sockgate", "aws_secret_access_key": "sockgate"}
    config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5)
    return boto3.client(
        "dynamodb", endpoint_url=endpoint_url, region_name=region, config=config, **credentials
    )


def _check_unique_names(definitions: list[TableDefinition]) -> None:
    seen: dict[str, str] = {}
    for definition in definitions:
        other = seen.setdefault(definition.name, definition.logical_id)
        if other != definition.logical_id:
            raise ConfigError(
                f"tables {other} and {definition.logical_id} are both named {definition.name!r}",
                path=f"resources.Resources.{definition.logical_id}.Properties.TableName",
            )


class _ApiError(ResourceError):
    """A DynamoDB API call that failed, with its error code."""

    def __init__(self, definition: TableDefinition, operation: str, code: str, text: str):
        self.code = code
        self.detail = f"{operation} failed: {code}: {text}"
        super().__init__(f"{definition.label}: {self.detail}")


def _provision(
    client: Any, definition: TableDefinition, log: Callable[[str], None]
) -> ResourceAttrs:
    table = _describe(client, definition)
    if table is None:
        _call(client, definition, "CreateTable", definition.create_request())
        table = _wait_active(client, definition)
        if definition.ttl_attribute:
            spec = {"AttributeName": definition.ttl_attribute, "Enabled": True}
            _call(
                client,
                definition,
                "UpdateTimeToLive",
                {"TableName": definition.name, "TimeToLiveSpecification": spec},
            )
        log(f"{definition.label}: created")
    else:
        ttl = _call(client, definition, "DescribeTimeToLive", {"TableName": definition.name})
        plan = plan_changes(definition, table, ttl.get("TimeToLiveDescription"))
        for change in plan.changes:
            _apply(client, definition, change, log)
        for problem in plan.problems:
            log(problem)
        if plan.changes:
            table = _wait_active(client, definition)
        elif not plan.problems:
            log(f"{definition.label}: exists, kept with its data")
    return _attributes(table)


def _describe(client: Any, definition: TableDefinition) -> dict[str, Any] | None:
    """The table, once no longer CREATING/UPDATING; None when it does not exist."""
    try:
        table = _call(client, definition, "DescribeTable", {"TableName": definition.name})
    except _ApiError as exc:
        if exc.code == "ResourceNotFoundException":
            return None
        raise
    if table["Table"].get("TableStatus") == "DELETING":
        _wait_gone(client, definition)
        return None
    return _wait_active(client, definition)


def _apply(
    client: Any, definition: TableDefinition, change: Change, log: Callable[[str], None]
) -> None:
    try:
        for operation, params in change.steps:
            _call(client, definition, operation, params)
            if operation == "UpdateTable":
                _wait_active(client, definition)
    except _ApiError as exc:
        log(f"{definition.label}: could not apply: {change.description} ({exc.detail})")
        return
    log(f"{definition.label}: {change.description}")


def _attributes(table: Mapping[str, Any]) -> ResourceAttrs:
    attributes = {"Arn": str(table["TableArn"])}
    stream = table.get("StreamSpecification") or {}
    if stream.get("StreamEnabled") and table.get("LatestStreamArn"):
        attributes["StreamArn"] = str(table["LatestStreamArn"])
    return ResourceAttrs(ref=str(table["TableName"]), attributes=attributes)


def _wait_active(client: Any, definition: TableDefinition) -> dict[str, Any]:
    """Poll DescribeTable until the table and its indexes are ACTIVE."""
    deadline = time.monotonic() + ACTIVE_TIMEOUT
    pause = 0.02
    while True:
        table = _call(client, definition, "DescribeTable", {"TableName": definition.name})
        table = table["Table"]
        indexes = table.get("GlobalSecondaryIndexes", [])
        if table.get("TableStatus") == "ACTIVE" and all(
            index.get("IndexStatus", "ACTIVE") == "ACTIVE" for index in indexes
        ):
            return dict(table)
        if time.monotonic() > deadline:
            raise ResourceError(
                f"{definition.label} is still {table.get('TableStatus')} after "
                f"{ACTIVE_TIMEOUT:.0f} s."
            )
        time.sleep(pause)  # DynamoDB has no way to wait on a status change but polling
        pause = min(pause * 1.5, 2.0)


def _wait_gone(client: Any, definition: TableDefinition) -> None:
    deadline = time.monotonic() + ACTIVE_TIMEOUT
    while time.monotonic() < deadline:
        try:
            _call(client, definition, "DescribeTable", {"TableName": definition.name})
        except _ApiError as exc:
            if exc.code == "ResourceNotFoundException":
                return
            raise
        time.sleep(0.5)
    raise ResourceError(f"{definition.label} is still being deleted; try again later.")


def _call(
    client: Any, definition: TableDefinition, operation: str, params: dict[str, Any]
) -> dict[str, Any]:
    method = getattr(client, _snake(operation))
    try:
        return dict(method(**params))
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code, text = str(error.get("Code", "")), str(error.get("Message", ""))
        raise _ApiError(definition, operation, code, text) from exc


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")
