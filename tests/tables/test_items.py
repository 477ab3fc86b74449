"""PutItem, GetItem, UpdateItem, DeleteItem through boto3: values, conditions, ReturnValues."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from tables_support import create, error_of

KEY = {"pk": {"S": "a"}, "sk": {"N": "1"}}


@pytest.fixture()
def table(ddb: Any, table_name: str) -> str:
    create(ddb, table_name, "S", "N")
    return table_name


def test_put_then_get_round_trips_every_type(ddb: Any, table: str) -> None:
    item = {
        **KEY,
        "s": {"S": "héllo"}, "n": {"N": "-12.5"}, "b": {"B": b"\x00\xff"}, "t": {"BOOL": True},
        "z": {"NULL": True}, "l": {"L": [{"S": "x"}, {"N": "2"}]},
        "m": {"M": {"inner": {"SS": ["a", "b"]}}}, "ns": {"NS": ["1", "2.5"]},
        "bs": {"BS": [b"a", b"b"]}, "empty": {"S": ""},
    }  # fmt: skip
    ddb.put_item(TableName=table, Item=item)
    got = ddb.get_item(TableName=table, Key=KEY)["Item"]
    assert got["s"] == {"S": "héllo"} and got["b"] == {"B": b"\x00\xff"}
    assert got["m"] == {"M": {"inner": {"SS": ["a", "b"]}}}
    assert sorted(got["ns"]["NS"]) == ["1", "2.5"]
    assert got == item | {"ns": got["ns"]}


def test_numbers_are_stored_in_canonical_form(ddb: Any, table: str) -> None:
    ddb.put_item(
        TableName=table, Item={"pk": {"S": "a"}, "sk": {"N": "1.0"}, "v": {"N": "0012.500"}}
    )
    got = ddb.get_item(TableName=table, Key=KEY)["Item"]
    assert got["sk"] == {"N": "1"} and got["v"] == {"N": "12.5"}


def test_get_missing_item_has_no_item_key(ddb: Any, table: str) -> None:
    assert "Item" not in ddb.get_item(TableName=table, Key=KEY)


def test_projection_expression(ddb: Any, table: str) -> None:
    ddb.put_item(
        TableName=table,
        Item={**KEY, "a": {"M": {"b": {"S": "x"}, "c": {"S": "y"}}}, "d": {"S": "z"}},
    )
    got = ddb.get_item(
        TableName=table,
        Key=KEY,
        ProjectionExpression="#a.b, d",
        ExpressionAttributeNames={"#a": "a"},
    )["Item"]
    assert got == {"a": {"M": {"b": {"S": "x"}}}, "d": {"S": "z"}}


def test_key_errors(ddb: Any, table: str) -> None:
    cases = [
        ({"pk": {"S": "a"}}, "The provided key element does not match the schema"),
        ({"pk": {"S": "a"}, "sk": {"S": "1"}},
         "The provided key element does not match the schema"),
        ({"pk": {"S": ""}, "sk": {"N": "1"}},
         "One or more parameter values were invalid: The AttributeValue for a key attribute "
         "cannot contain an empty string value. Key: pk"),
    ]  # fmt: skip
    for key, message in cases:
        assert error_of(ddb.get_item, TableName=table, Key=key)[:2] == (
            "ValidationException",
            message,
        )
    code, message, _ = error_of(
        ddb.put_item, TableName=table, Item={"pk": {"S": "a"}, "sk": {"S": "1"}}
    )
    assert message == (
        "One or more parameter values were invalid: Type mismatch for key sk expected: N actual: S"
    )
    code, message, _ = error_of(
        ddb.put_item, TableName=table, Item={"pk": {"S": ""}, "sk": {"N": "1"}}
    )
    assert message == (
        "One or more parameter values are not valid. The AttributeValue for a key attribute "
        "cannot contain an empty string value. Key: pk"
    )


def test_item_over_400_kb_is_refused(ddb: Any, table: str) -> None:
    big = {**KEY, "blob": {"S": "x" * (400 * 1024)}}
    code, message, _ = error_of(ddb.put_item, TableName=table, Item=big)
    assert (code, message) == (
        "ValidationException",
        "Item size has exceeded the maximum allowed size",
    )
    fits = {**KEY, "blob": {"S": "x" * (400 * 1024 - 20)}}
    ddb.put_item(TableName=table, Item=fits)


def test_condition_expression_and_failure_with_old_item(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={**KEY, "v": {"N": "1"}})
    code, message, response = error_of(
        ddb.put_item, TableName=table, Item={**KEY, "v": {"N": "2"}},
        ConditionExpression="attribute_not_exists(pk)",
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )  # fmt: skip
    assert (code, message) == ("ConditionalCheckFailedException", "The conditional request failed")
    assert response["Item"] == {**KEY, "v": {"N": "1"}}
    ddb.put_item(
        TableName=table, Item={**KEY, "v": {"N": "2"}}, ConditionExpression="v = :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )  # fmt: skip
    assert ddb.get_item(TableName=table, Key=KEY)["Item"]["v"] == {"N": "2"}


def test_put_and_delete_return_all_old(ddb: Any, table: str) -> None:
    assert "Attributes" not in ddb.put_item(TableName=table, Item=KEY, ReturnValues="ALL_OLD")
    old = ddb.put_item(TableName=table, Item={**KEY, "x": {"S": "1"}}, ReturnValues="ALL_OLD")
    assert old["Attributes"] == KEY
    gone = ddb.delete_item(TableName=table, Key=KEY, ReturnValues="ALL_OLD")
    assert gone["Attributes"] == {**KEY, "x": {"S": "1"}}
    code, message, _ = error_of(ddb.put_item, TableName=table, Item=KEY, ReturnValues="ALL_NEW")
    assert message == "ReturnValues can only be ALL_OLD or NONE"


def test_update_item_creates_and_returns_every_kind(ddb: Any, table: str) -> None:
    new = ddb.update_item(
        TableName=table, Key=KEY, UpdateExpression="SET a = :a, c = :c ADD n :one",
        ExpressionAttributeValues={":a": {"S": "x"}, ":c": {"L": []}, ":one": {"N": "1"}},
        ReturnValues="ALL_NEW",
    )["Attributes"]  # fmt: skip
    assert new == {**KEY, "a": {"S": "x"}, "c": {"L": []}, "n": {"N": "1"}}

    def update(returns: str, expression: str = "SET a = :b ADD n :one") -> Any:
        return ddb.update_item(
            TableName=table, Key=KEY, UpdateExpression=expression,
            ExpressionAttributeValues={":b": {"S": "y"}, ":one": {"N": "1"}}, ReturnValues=returns,
        ).get("Attributes")  # fmt: skip

    assert update("UPDATED_OLD") == {"a": {"S": "x"}, "n": {"N": "1"}}
    assert update("UPDATED_NEW") == {"a": {"S": "y"}, "n": {"N": "3"}}
    assert update("ALL_OLD")["n"] == {"N": "3"}
    assert update("NONE") is None
    assert ddb.get_item(TableName=table, Key=KEY)["Item"]["n"] == {"N": "5"}


def test_update_item_cannot_touch_the_key(ddb: Any, table: str) -> None:
    code, message, _ = error_of(
        ddb.update_item, TableName=table, Key=KEY, UpdateExpression="SET pk = :v",
        ExpressionAttributeValues={":v": {"S": "b"}},
    )  # fmt: skip
    assert message == (
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute "
        "is part of the key"
    )


def test_placeholder_errors(ddb: Any, table: str) -> None:
    code, message, _ = error_of(
        ddb.update_item, TableName=table, Key=KEY, UpdateExpression="SET a = :a",
        ExpressionAttributeValues={":a": {"S": "x"}, ":unused": {"S": "y"}},
    )  # fmt: skip
    assert (code, message) == (
        "ValidationException",
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}",
    )
    code, message, _ = error_of(
        ddb.update_item, TableName=table, Key=KEY, UpdateExpression="SET a = :missing"
    )
    assert message == (
        "Invalid UpdateExpression: An expression attribute value used in expression is not "
        "defined; attribute value: :missing"
    )
    code, message, _ = error_of(
        ddb.put_item, TableName=table, Item=KEY, ConditionExpression="a = = b"
    )
    assert message.startswith('Invalid ConditionExpression: Syntax error; token: "="')


def test_legacy_expected_and_attribute_updates(ddb: Any, table: str) -> None:
    ddb.update_item(
        TableName=table, Key=KEY,
        AttributeUpdates={"v": {"Action": "PUT", "Value": {"N": "1"}}},
        Expected={"v": {"Exists": False}},
    )  # fmt: skip
    code, _, _ = error_of(
        ddb.update_item, TableName=table, Key=KEY,
        AttributeUpdates={"v": {"Action": "ADD", "Value": {"N": "1"}}},
        Expected={"v": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "5"}]}},
    )  # fmt: skip
    assert code == "ConditionalCheckFailedException"
    code, message, _ = error_of(
        ddb.update_item, TableName=table, Key=KEY,
        AttributeUpdates={"v": {"Action": "ADD", "Value": {"N": "1"}}},
        ConditionExpression="attribute_exists(v)",
    )  # fmt: skip
    assert message == (
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {AttributeUpdates} Expression parameters: "
        "{ConditionExpression}"
    )


def test_delete_with_condition(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={**KEY, "v": {"N": "1"}})
    code, _, _ = error_of(
        ddb.delete_item, TableName=table, Key=KEY, ConditionExpression="v > :v",
        ExpressionAttributeValues={":v": {"N": "1"}},
    )  # fmt: skip
    assert code == "ConditionalCheckFailedException"
    ddb.delete_item(TableName=table, Key=KEY, ConditionExpression="attribute_exists(v)")
    assert "Item" not in ddb.get_item(TableName=table, Key=KEY)


def test_consumed_capacity(ddb: Any, table: str) -> None:
    put = ddb.put_item(TableName=table, Item=KEY, ReturnConsumedCapacity="TOTAL")
    assert put["ConsumedCapacity"]["TableName"] == table
    assert put["ConsumedCapacity"]["CapacityUnits"] == 1.0
    got = ddb.get_item(
        TableName=table, Key=KEY, ReturnConsumedCapacity="INDEXES", ConsistentRead=True
    )
    assert got["ConsumedCapacity"]["CapacityUnits"] == 1.0
    assert got["ConsumedCapacity"]["Table"]["CapacityUnits"] == 1.0


def test_resource_api_works_unchanged(server: Any, table: str) -> None:
    resource = boto3.resource(
        "dynamodb", endpoint_url=server.url, region_name="us-east-1",
        aws_access_key_id="x", aws_secret_access_key="y",
    )  # fmt: skip
    handle = resource.Table(table)
    handle.put_item(Item={"pk": "r", "sk": 2, "tags": {"a", "b"}, "nested": {"x": [1, "two"]}})
    got = handle.get_item(Key={"pk": "r", "sk": 2})["Item"]
    assert got["tags"] == {"a", "b"} and got["nested"] == {"x": [1, "two"]}
    from boto3.dynamodb.conditions import Key

    assert handle.query(KeyConditionExpression=Key("pk").eq("r"))["Count"] == 1
