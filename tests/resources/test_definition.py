"""serverless.yml table resources read into CreateTable requests, without I/O."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sockgate.errors import ConfigError
from sockgate.resources.definition import TableDefinition, table_definitions
from sockgate.service.intrinsics import resolve_intrinsics
from sockgate.service.model import IntrinsicContext

from .conftest import chat_table, make_service


def definitions(tmp_path: Path, resources: dict[str, Any]) -> list[TableDefinition]:
    service = make_service(tmp_path, resources, name="chat")
    ctx = IntrinsicContext(region="eu-west-1", stack_name=service.stack_name)
    return table_definitions(service, lambda value, path: resolve_intrinsics(value, ctx, path=path))


def test_a_full_table_becomes_one_create_table_request(tmp_path: Path) -> None:
    table = chat_table(
        TableName="chat-dev-messages",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "room", "AttributeType": "S"},
            {"AttributeName": "at", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byRoom",
                "KeySchema": [{"AttributeName": "room", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["text"]},
            }
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "byTime",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        TimeToLiveSpecification={"AttributeName": "expiresAt", "Enabled": True},
        Tags=[{"Key": "team", "Value": "chat"}],  # not used locally, not an error
    )
    (definition,) = definitions(tmp_path, {"Messages": table, "Queue": {"Type": "AWS::SQS::Queue"}})
    assert definition.ttl_attribute == "expiresAt"
    assert definition.label == "table chat-dev-messages (Messages)"
    assert definition.create_request() == {
        "TableName": "chat-dev-messages",
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "room", "AttributeType": "S"},
            {"AttributeName": "at", "AttributeType": "N"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "byRoom",
                "KeySchema": [{"AttributeName": "room", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["text"]},
            }
        ],
        "LocalSecondaryIndexes": [
            {
                "IndexName": "byTime",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    }


def test_without_table_name_the_name_is_service_stage_logical_id(tmp_path: Path) -> None:
    (definition,) = definitions(tmp_path, {"ConnectionsTable": chat_table()})
    assert definition.name == "chat-dev-ConnectionsTable"


def test_intrinsics_in_properties_resolve_with_pseudo_parameters(tmp_path: Path) -> None:
    table = chat_table(TableName={"Fn::Sub": "${AWS::StackName}-${AWS::Region}-rooms"})
    (definition,) = definitions(tmp_path, {"Rooms": table})
    assert definition.name == "chat-dev-eu-west-1-rooms"


def test_provisioned_capacity_is_read_and_required(tmp_path: Path) -> None:
    table = chat_table(BillingMode="PROVISIONED")
    with pytest.raises(ConfigError) as caught:
        definitions(tmp_path, {"T": table})
    assert str(caught.value).startswith("resources.Resources.T.Properties: ProvisionedThroughput")
    assert "PAY_PER_REQUEST" in str(caught.value)
    del table["Properties"]["BillingMode"]  # PROVISIONED is CloudFormation's default
    table["Properties"]["ProvisionedThroughput"] = {
        "ReadCapacityUnits": "5",
        "WriteCapacityUnits": 2,
    }
    (definition,) = definitions(tmp_path, {"T": table})
    request = definition.create_request()
    assert request["BillingMode"] == "PROVISIONED"
    assert request["ProvisionedThroughput"] == {"ReadCapacityUnits": 5, "WriteCapacityUnits": 2}


def test_stream_and_ttl_are_optional(tmp_path: Path) -> None:
    table = chat_table(TimeToLiveSpecification={"AttributeName": "ttl", "Enabled": "false"})
    del table["Properties"]["StreamSpecification"]
    (definition,) = definitions(tmp_path, {"T": table})
    assert definition.stream_view_type is None and definition.ttl_attribute is None
    assert "StreamSpecification" not in definition.create_request()


def test_global_tables_are_created_as_plain_on_demand_tables(tmp_path: Path) -> None:
    table = chat_table(BillingMode="PROVISIONED", Replicas=[{"Region": "us-east-1"}])
    table["Type"] = "AWS::DynamoDB::GlobalTable"
    (definition,) = definitions(tmp_path, {"Global": table})
    assert definition.billing_mode == "PAY_PER_REQUEST" and definition.throughput is None


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ({"KeySchema": []}, "KeySchema", "must list the key attributes"),
        (
            {"KeySchema": [{"AttributeName": "pk", "KeyType": "RANGE"}]},
            "KeySchema",
            "one HASH key",
        ),
        (
            {"KeySchema": [{"AttributeName": "pk", "KeyType": "PRIMARY"}]},
            "KeySchema[0]",
            "is not HASH or RANGE",
        ),
        (
            {"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]},
            "AttributeDefinitions",
            "key attribute(s) sk have no AttributeDefinitions entry",
        ),
        (
            {
                "AttributeDefinitions": [
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                    {"AttributeName": "text", "AttributeType": "S"},
                ]
            },
            "AttributeDefinitions",
            "lists text, which no key or index uses",
        ),
        (
            {
                "AttributeDefinitions": [
                    {"AttributeName": "pk", "AttributeType": "STRING"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ]
            },
            "AttributeDefinitions[0]",
            "is not S, N or B",
        ),
        ({"StreamSpecification": {"StreamViewType": "ALL"}}, "StreamSpecification", "is not"),
        (
            {"TimeToLiveSpecification": {"Enabled": True}},
            "TimeToLiveSpecification",
            "needs an AttributeName",
        ),
        ({"BillingMode": "ON_DEMAND"}, "BillingMode", "is not PROVISIONED or PAY_PER_REQUEST"),
        (
            {
                "GlobalSecondaryIndexes": [
                    {"IndexName": "x", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}
                ]
            },  # fmt: skip
            "GlobalSecondaryIndexes[0].Projection",
            "needs a ProjectionType",
        ),
        ({"TableName": {"Fn::ImportValue": "x"}}, "TableName", ""),
    ],
)
def test_bad_definitions_name_the_key_path(
    tmp_path: Path, change: dict[str, Any], path: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        definitions(tmp_path, {"T": chat_table(**change)})
    text = str(caught.value)
    assert text.startswith(f"resources.Resources.T.Properties.{path}")
    assert message in text
