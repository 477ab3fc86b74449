"""provision_tables against a real endpoint: create, keep, update, report."""

from __future__ import annotations

import copy
import socket
from pathlib import Path
from typing import Any

import pytest

from sockgate.errors import ResourceError
from sockgate.resources import provision_tables

from .conftest import REGION, chat_table, make_service

GSI = {
    "IndexName": "byRoom",
    "KeySchema": [{"AttributeName": "room", "KeyType": "HASH"}],
    "Projection": {"ProjectionType": "ALL"},
}
ATTRS = [
    {"AttributeName": "pk", "AttributeType": "S"},
    {"AttributeName": "sk", "AttributeType": "S"},
    {"AttributeName": "room", "AttributeType": "S"},
]


def provision(service: Any, endpoint: str) -> tuple[dict[str, Any], list[str]]:
    log: list[str] = []
    attrs = provision_tables(service, endpoint_url=endpoint, region=REGION, log=log.append)
    return attrs, log


def full_table() -> dict[str, Any]:
    return chat_table(
        AttributeDefinitions=ATTRS,
        GlobalSecondaryIndexes=[GSI],
        TimeToLiveSpecification={"AttributeName": "expiresAt", "Enabled": True},
    )


def test_tables_are_created_with_everything_declared(
    tmp_path: Path, endpoint: str, dynamodb: Any
) -> None:
    service = make_service(tmp_path, {"Chat": full_table(), "Plain": chat_table()})
    attrs, log = provision(service, endpoint)
    name = f"{service.stack_name}-Chat"
    assert log == [
        f"table {name} (Chat): created",
        f"table {service.stack_name}-Plain (Plain): created",
    ]
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {
        "pk": "HASH",
        "sk": "RANGE",
    }
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["byRoom"]
    assert table["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expiresAt")
    chat = attrs["Chat"]
    assert chat.ref == name
    assert chat.attributes == {"Arn": table["TableArn"], "StreamArn": table["LatestStreamArn"]}


def test_a_restart_keeps_existing_tables_and_their_data(
    tmp_path: Path, endpoint: str, dynamodb: Any
) -> None:
    service = make_service(tmp_path, {"Chat": full_table()})
    first, _ = provision(service, endpoint)
    name = first["Chat"].ref
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "room#1"}, "sk": {"S": "conn#1"}})
    again, log = provision(service, endpoint)
    assert log == [f"table {name} (Chat): exists, kept with its data"]
    assert again == first
    assert dynamodb.scan(TableName=name)["Count"] == 1


def test_stream_gsi_and_ttl_changes_are_applied(
    tmp_path: Path, endpoint: str, dynamodb: Any
) -> None:
    declared = full_table()
    service = make_service(tmp_path, {"Chat": declared})
    first, _ = provision(service, endpoint)
    name = first["Chat"].ref
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"S": "b"}})

    changed = copy.deepcopy(declared)
    props = changed["Properties"]
    props["StreamSpecification"] = {"StreamViewType": "KEYS_ONLY"}
    props["AttributeDefinitions"] = [*ATTRS[:2], {"AttributeName": "at", "AttributeType": "N"}]
    props["GlobalSecondaryIndexes"] = [
        {
            "IndexName": "byTime",
            "KeySchema": [{"AttributeName": "at", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }
    ]
    props["TimeToLiveSpecification"] = {"AttributeName": "ttl", "Enabled": True}
    attrs, log = provision(make_service(tmp_path, {"Chat": changed}, service.name), endpoint)
    label = f"table {name} (Chat)"
    assert log == [
        f"{label}: stream view type NEW_AND_OLD_IMAGES -> KEYS_ONLY (disabled and enabled "
        "again: a new stream ARN)",
        f"{label}: GSI byRoom removed",
        f"{label}: GSI byTime added",
        f"{label}: TTL attribute expiresAt -> ttl",
    ]
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["StreamSpecification"]["StreamViewType"] == "KEYS_ONLY"
    assert attrs["Chat"].attributes["StreamArn"] == table["LatestStreamArn"]
    assert attrs["Chat"].attributes["StreamArn"] != first["Chat"].attributes["StreamArn"]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["byTime"]
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert ttl.get("AttributeName") == "ttl"
    assert dynamodb.scan(TableName=name)["Count"] == 1  # the data stayed

    del props["StreamSpecification"]
    attrs, log = provision(make_service(tmp_path, {"Chat": changed}, service.name), endpoint)
    assert log == [f"{label}: stream disabled (was KEYS_ONLY)"]
    assert "StreamArn" not in attrs["Chat"].attributes


def test_key_schema_changes_are_reported_and_the_table_is_left_alone(
    tmp_path: Path, endpoint: str, dynamodb: Any
) -> None:
    service = make_service(tmp_path, {"Chat": chat_table()})
    first, _ = provision(service, endpoint)
    name = first["Chat"].ref
    rekeyed = chat_table(
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    attrs, log = provision(make_service(tmp_path, {"Chat": rekeyed}, service.name), endpoint)
    assert log == [
        f"table {name} (Chat): KeySchema changed (was pk HASH S + sk RANGE S, now id HASH S); "
        "DynamoDB cannot change it in place — delete .sockgate/ or the table to recreate it"
    ]
    assert attrs == first
    keys = dynamodb.describe_table(TableName=name)["Table"]["KeySchema"]
    assert {k["AttributeName"] for k in keys} == {"pk", "sk"}


def test_an_unreachable_endpoint_is_one_clear_error(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago, and nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    service = make_service(tmp_path, {"Chat": chat_table()})
    with pytest.raises(ResourceError) as caught:
        provision_tables(service, endpoint_url=f"http://127.0.0.1:{port}", region=REGION)
    text = str(caught.value)
    assert text.startswith(f"Cannot reach DynamoDB at http://127.0.0.1:{port}")
    assert "Traceback" not in text


def test_a_rejected_table_is_one_clear_error(tmp_path: Path, endpoint: str) -> None:
    # An LSI needs a table with a sort key: DynamoDB (and the table service) refuse it.
    table = chat_table(
        TableName="lsi-without-sort-key",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "at", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        LocalSecondaryIndexes=[
            {
                "IndexName": "byTime",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    with pytest.raises(ResourceError) as caught:
        provision_tables(make_service(tmp_path, {"Bad": table}), endpoint_url=endpoint,
                         region=REGION)  # fmt: skip
    text = str(caught.value)
    assert text.startswith("table lsi-without-sort-key (Bad): CreateTable failed: Validation")
    assert "\n" not in text


def test_no_tables_means_no_endpoint_is_needed(tmp_path: Path) -> None:
    service = make_service(tmp_path, {"Queue": {"Type": "AWS::SQS::Queue"}})
    assert provision_tables(service, endpoint_url="http://127.0.0.1:9", region=REGION) == {}


def test_moto_agrees_on_what_is_created(tmp_path: Path, moto_endpoint: str) -> None:
    """The same provisioning against moto (the oracle), for the plain create path."""
    service = make_service(tmp_path, {"Chat": full_table()})
    attrs, log = provision(service, moto_endpoint)
    assert log == [f"table {service.stack_name}-Chat (Chat): created"]
    assert set(attrs["Chat"].attributes) == {"Arn", "StreamArn"}
    again, log = provision(service, moto_endpoint)
    assert again == attrs and log == [
        f"table {attrs['Chat'].ref} (Chat): exists, kept with its data"
    ]
