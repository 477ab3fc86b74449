"""Differences between a declared table and an existing one, without I/O."""

from __future__ import annotations

from typing import Any

from sockgate.resources.changes import plan_changes
from sockgate.resources.definition import TableDefinition

KEYS = (("pk", "HASH"), ("sk", "RANGE"))
GSI = {
    "KeySchema": [{"AttributeName": "room", "KeyType": "HASH"}],
    "Projection": {"ProjectionType": "ALL"},
}


def declared(**changes: Any) -> TableDefinition:
    values: dict[str, Any] = {
        "logical_id": "Chat",
        "name": "chat-dev-Chat",
        "key_schema": KEYS,
        "attributes": {"pk": "S", "sk": "S", "room": "S"},
        "billing_mode": "PAY_PER_REQUEST",
        "throughput": None,
        "gsis": {"byRoom": GSI},
        "stream_view_type": "NEW_IMAGE",
        "ttl_attribute": "expiresAt",
    }
    values.update(changes)
    return TableDefinition(**values)


def existing(**changes: Any) -> dict[str, Any]:
    table: dict[str, Any] = {
        "TableName": "chat-dev-Chat",
        "KeySchema": [
            {"AttributeName": "sk", "KeyType": "RANGE"},  # order does not matter
            {"AttributeName": "pk", "KeyType": "HASH"},
        ],
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "room", "AttributeType": "S"},
        ],
        "GlobalSecondaryIndexes": [
            {"IndexName": "byRoom", "IndexStatus": "ACTIVE", "ItemCount": 3, **GSI}
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        "BillingModeSummary": {"BillingMode": "PROVISIONED"},  # capacity is not compared
    }
    table.update(changes)
    return table


TTL_ON = {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresAt"}


def test_an_unchanged_table_needs_nothing() -> None:
    plan = plan_changes(declared(), existing(), TTL_ON)
    assert plan.changes == [] and plan.problems == []


def test_stream_changes() -> None:
    off = plan_changes(declared(stream_view_type=None), existing(), TTL_ON)
    assert [c.description for c in off.changes] == ["stream disabled (was NEW_IMAGE)"]
    assert off.changes[0].steps == (
        ("UpdateTable", {"TableName": "chat-dev-Chat",
                         "StreamSpecification": {"StreamEnabled": False}}),
    )  # fmt: skip
    on = plan_changes(declared(), existing(StreamSpecification=None), TTL_ON)
    assert [c.description for c in on.changes] == ["stream enabled (NEW_IMAGE)"]
    disabled = existing(StreamSpecification={"StreamEnabled": False})
    assert len(plan_changes(declared(), disabled, TTL_ON).changes) == 1
    view = plan_changes(declared(stream_view_type="KEYS_ONLY"), existing(), TTL_ON)
    (change,) = view.changes
    assert change.description.startswith("stream view type NEW_IMAGE -> KEYS_ONLY")
    assert [params["StreamSpecification"] for _, params in change.steps] == [
        {"StreamEnabled": False},
        {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    ]


def test_global_secondary_indexes_are_added_removed_and_recreated() -> None:
    other = {
        "KeySchema": [{"AttributeName": "sk", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    }
    plan = plan_changes(declared(gsis={"bySk": other}), existing(), TTL_ON)
    assert [c.description for c in plan.changes] == ["GSI byRoom removed", "GSI bySk added"]
    (_, remove), (_, add) = plan.changes[0].steps[0], plan.changes[1].steps[0]
    assert remove["GlobalSecondaryIndexUpdates"] == [{"Delete": {"IndexName": "byRoom"}}]
    assert add["AttributeDefinitions"] == [{"AttributeName": "sk", "AttributeType": "S"}]
    assert add["GlobalSecondaryIndexUpdates"] == [{"Create": {"IndexName": "bySk", **other}}]

    changed = {**GSI, "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a"]}}
    (change,) = plan_changes(declared(gsis={"byRoom": changed}), existing(), TTL_ON).changes
    assert change.description == "GSI byRoom changed (deleted and created again)"
    assert [list(p["GlobalSecondaryIndexUpdates"][0]) for _, p in change.steps] == [
        ["Delete"],
        ["Create"],
    ]


def test_ttl_changes() -> None:
    off = plan_changes(declared(ttl_attribute=None), existing(), TTL_ON)
    assert [c.description for c in off.changes] == ["TTL disabled (was expiresAt)"]
    assert off.changes[0].steps == (
        ("UpdateTimeToLive", {"TableName": "chat-dev-Chat",
         "TimeToLiveSpecification": {"AttributeName": "expiresAt", "Enabled": False}}),
    )  # fmt: skip
    on = plan_changes(declared(), existing(), {"TimeToLiveStatus": "DISABLED"})
    assert [c.description for c in on.changes] == ["TTL enabled on expiresAt"]
    moved = plan_changes(declared(ttl_attribute="ttl"), existing(), TTL_ON)
    assert [c.description for c in moved.changes] == ["TTL attribute expiresAt -> ttl"]
    assert len(moved.changes[0].steps) == 2
    assert plan_changes(declared(ttl_attribute=None), existing(), None).changes == []


def test_key_schema_changes_are_reported_not_applied() -> None:
    plan = plan_changes(declared(key_schema=(("pk", "HASH"),)), existing(), TTL_ON)
    assert plan.changes == []
    assert plan.problems == [
        "table chat-dev-Chat (Chat): KeySchema changed (was pk HASH S + sk RANGE S, now "
        "pk HASH S); DynamoDB cannot change it in place — delete .sockgate/ or the table to "
        "recreate it"
    ]
    retyped = declared(attributes={"pk": "N", "sk": "S", "room": "S"})
    assert "now pk HASH N + sk RANGE S" in plan_changes(retyped, existing(), TTL_ON).problems[0]


def test_local_index_changes_are_reported_not_applied() -> None:
    lsi = {
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "room", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }
    plan = plan_changes(declared(lsis={"byRoomLocal": lsi}), existing(), TTL_ON)
    assert plan.changes == []
    assert plan.problems == [
        "table chat-dev-Chat (Chat): LocalSecondaryIndexes changed (was none, now "
        "byRoomLocal); DynamoDB cannot change it in place — delete .sockgate/ or the table to "
        "recreate it"
    ]
