"""What to change on an existing table so it matches its definition (pure).

DynamoDB can change a table's stream, its global secondary indexes and its TTL in place; it
cannot change the key schema or the local secondary indexes. The first become UpdateTable /
UpdateTimeToLive steps, the others one clear problem line each. Capacity (BillingMode,
ProvisionedThroughput) has no effect locally and is not compared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sockgate.resources.definition import TableDefinition

__all__ = ["Change", "Plan", "plan_changes"]

_RECREATE = "DynamoDB cannot change it in place — delete .sockgate/ or the table to recreate it"


@dataclass(frozen=True)
class Change:
    """One change, as the API calls that make it (in order) and a line for the log."""

    description: str
    steps: tuple[tuple[str, dict[str, Any]], ...]  # (UpdateTable | UpdateTimeToLive, params)


@dataclass
class Plan:
    """Changes to apply, and differences that cannot be applied."""

    changes: list[Change] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def plan_changes(
    desired: TableDefinition, table: Mapping[str, Any], ttl: Mapping[str, Any] | None
) -> Plan:
    """Compare a definition with DescribeTable's `Table` and DescribeTimeToLive's description."""
    plan = Plan()
    _key_schema(desired, table, plan)
    _local_indexes(desired, table, plan)
    _stream(desired, table, plan)
    _global_indexes(desired, table, plan)
    _ttl(desired, ttl or {}, plan)
    return plan


def _key_schema(desired: TableDefinition, table: Mapping[str, Any], plan: Plan) -> None:
    types = {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", [])}
    current = _describe_keys(
        [(k["AttributeName"], k["KeyType"]) for k in table.get("KeySchema", [])], types
    )
    wanted = _describe_keys(desired.key_schema, desired.attributes)
    if current != wanted:
        plan.problems.append(
            f"{desired.label}: KeySchema changed (was {current}, now {wanted}); {_RECREATE}"
        )


def _describe_keys(keys: Sequence[tuple[str, str]], types: Mapping[str, str]) -> str:
    ordered = sorted(keys, key=lambda k: k[1] != "HASH")
    return " + ".join(f"{name} {kind} {types.get(name, '?')}" for name, kind in ordered)


def _local_indexes(desired: TableDefinition, table: Mapping[str, Any], plan: Plan) -> None:
    current = {
        index["IndexName"]: _index_shape(index) for index in table.get("LocalSecondaryIndexes", [])
    }
    wanted = {name: _index_shape(index) for name, index in desired.lsis.items()}
    if current != wanted:
        plan.problems.append(
            f"{desired.label}: LocalSecondaryIndexes changed (was {_names(current)}, now "
            f"{_names(wanted)}); {_RECREATE}"
        )


def _names(indexes: Mapping[str, Any]) -> str:
    return ", ".join(sorted(indexes)) or "none"


def _index_shape(index: Mapping[str, Any]) -> tuple[Any, ...]:
    keys = tuple((k["AttributeName"], k["KeyType"]) for k in index.get("KeySchema", []))
    projection = index.get("Projection") or {}
    return (
        tuple(sorted(keys, key=lambda k: k[1] != "HASH")),
        projection.get("ProjectionType", "ALL"),
        tuple(sorted(projection.get("NonKeyAttributes") or ())),
    )


def _stream(desired: TableDefinition, table: Mapping[str, Any], plan: Plan) -> None:
    spec = table.get("StreamSpecification") or {}
    current = spec.get("StreamViewType") if spec.get("StreamEnabled") else None
    wanted = desired.stream_view_type
    if current == wanted:
        return
    name = desired.name
    disable = ("UpdateTable", {"TableName": name, "StreamSpecification": {"StreamEnabled": False}})
    enable = (
        "UpdateTable",
        {
            "TableName": name,
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": wanted},
        },
    )
    if wanted is None:
        plan.changes.append(Change(f"stream disabled (was {current})", (disable,)))
    elif current is None:
        plan.changes.append(Change(f"stream enabled ({wanted})", (enable,)))
    else:
        plan.changes.append(
            Change(
                f"stream view type {current} -> {wanted} (disabled and enabled again: "
                "a new stream ARN)",
                (disable, enable),
            )
        )


def _global_indexes(desired: TableDefinition, table: Mapping[str, Any], plan: Plan) -> None:
    current = {
        index["IndexName"]: _index_shape(index) for index in table.get("GlobalSecondaryIndexes", [])
    }
    for name in sorted(set(current) - set(desired.gsis)):
        plan.changes.append(Change(f"GSI {name} removed", (_delete_gsi(desired, name),)))
    for name in desired.gsis:
        if name not in current:
            plan.changes.append(Change(f"GSI {name} added", (_create_gsi(desired, name),)))
        elif current[name] != _index_shape(desired.gsis[name]):
            plan.changes.append(
                Change(
                    f"GSI {name} changed (deleted and created again)",
                    (_delete_gsi(desired, name), _create_gsi(desired, name)),
                )
            )


def _delete_gsi(desired: TableDefinition, name: str) -> tuple[str, dict[str, Any]]:
    update = {"Delete": {"IndexName": name}}
    return "UpdateTable", {"TableName": desired.name, "GlobalSecondaryIndexUpdates": [update]}


def _create_gsi(desired: TableDefinition, name: str) -> tuple[str, dict[str, Any]]:
    index = desired.gsis[name]
    keys = tuple((k["AttributeName"], k["KeyType"]) for k in index["KeySchema"])
    return "UpdateTable", {
        "TableName": desired.name,
        "AttributeDefinitions": desired.key_attributes(keys),
        "GlobalSecondaryIndexUpdates": [{"Create": desired.gsi_request(name)}],
    }


def _ttl(desired: TableDefinition, ttl: Mapping[str, Any], plan: Plan) -> None:
    status = ttl.get("TimeToLiveStatus", "DISABLED")
    current = ttl.get("AttributeName") if status in ("ENABLED", "ENABLING") else None
    wanted = desired.ttl_attribute
    if current == wanted:
        return

    def step(attribute: str, enabled: bool) -> tuple[str, dict[str, Any]]:
        spec = {"AttributeName": attribute, "Enabled": enabled}
        return "UpdateTimeToLive", {"TableName": desired.name, "TimeToLiveSpecification": spec}

    if wanted is None:
        assert current is not None
        plan.changes.append(Change(f"TTL disabled (was {current})", (step(current, False),)))
    elif current is None:
        plan.changes.append(Change(f"TTL enabled on {wanted}", (step(wanted, True),)))
    else:
        plan.changes.append(
            Change(
                f"TTL attribute {current} -> {wanted}", (step(current, False), step(wanted, True))
            )
        )
