"""Exact texts and behaviours of #15's smaller gaps, through boto3."""

from __future__ import annotations

import re
import uuid
from typing import Any

from tables_support import create, error_of, post


def test_table_id_is_a_version_4_uuid(ddb: Any, table_name: str) -> None:
    create(ddb, table_name)
    table_id = ddb.describe_table(TableName=table_name)["Table"]["TableId"]
    assert uuid.UUID(table_id).version == 4
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", table_id
    )
    assert ddb.describe_table(TableName=table_name)["Table"]["TableId"] == table_id


def create_error(
    ddb: Any, name: str, keys: list[dict[str, str]], attrs: list[dict[str, str]]
) -> str:
    _, message, _ = error_of(
        ddb.create_table, TableName=name, KeySchema=keys, AttributeDefinitions=attrs,
        BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip
    return message


def test_create_table_key_schema_texts(ddb: Any, table_name: str) -> None:
    attrs = [{"AttributeName": "a", "AttributeType": "S"}]
    twice = [{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "a", "KeyType": "HASH"}]
    assert create_error(ddb, table_name, twice, attrs) == (
        "Both the Hash Key and the Range Key element in the KeySchema have the same name"
    )
    three = [{"AttributeName": n, "KeyType": "HASH"} for n in "abc"]
    message = create_error(ddb, table_name, three, attrs)
    assert message.startswith("1 validation error detected: Value '[")
    assert message.endswith(
        "' at 'keySchema' failed to satisfy constraint: Member must have length less than or "
        "equal to 2"
    )


def test_invalid_key_type_and_attribute_type(server: Any) -> None:
    status, answer = post(server.url, "DynamoDB_20120810.CreateTable", {
        "TableName": "abc",
        "KeySchema": [{"AttributeName": "a", "KeyType": "HASHISH"}],
        "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "X"}],
    })  # fmt: skip
    assert status == 400
    assert answer["message"] == (
        "2 validation errors detected: "
        "Value 'X' at 'attributeDefinitions.1.member.attributeType' failed to satisfy "
        "constraint: Member must satisfy enum value set: [B, N, S]; "
        "Value 'HASHISH' at 'keySchema.1.member.keyType' failed to satisfy constraint: Member "
        "must satisfy enum value set: [HASH, RANGE]"
    )


def test_limit_zero_and_empty_transact_items(server: Any) -> None:
    _, answer = post(server.url, "DynamoDB_20120810.Query", {"TableName": "abc", "Limit": 0})
    assert answer["message"] == (
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member "
        "must have value greater than or equal to 1"
    )
    _, answer = post(server.url, "DynamoDB_20120810.TransactWriteItems", {"TransactItems": []})
    assert answer["message"] == (
        "1 validation error detected: Value '[]' at 'transactItems' failed to satisfy "
        "constraint: Member must have length greater than or equal to 1"
    )


def test_transact_get_with_a_key_off_the_schema_is_cancelled(ddb: Any, table_name: str) -> None:
    create(ddb, table_name)
    code, message, response = error_of(ddb.transact_get_items, TransactItems=[
        {"Get": {"TableName": table_name, "Key": {"pk": {"S": "a"}}}},
        {"Get": {"TableName": table_name, "Key": {"other": {"S": "a"}}}},
    ])  # fmt: skip
    assert code == "TransactionCanceledException"
    assert message.endswith("[None, ValidationError]")
    assert response["CancellationReasons"] == [
        {"Code": "None"},
        {
            "Code": "ValidationError",
            "Message": "The provided key element does not match the schema",
        },
    ]


def test_client_request_token_is_idempotent(ddb: Any, table_name: str) -> None:
    create(ddb, table_name)
    update = {"Update": {
        "TableName": table_name, "Key": {"pk": {"S": "n"}},
        "UpdateExpression": "ADD c :one", "ExpressionAttributeValues": {":one": {"N": "1"}},
    }}  # fmt: skip
    token = str(uuid.uuid4())
    ddb.transact_write_items(TransactItems=[update], ClientRequestToken=token)
    ddb.transact_write_items(TransactItems=[update], ClientRequestToken=token)
    assert ddb.get_item(TableName=table_name, Key={"pk": {"S": "n"}})["Item"]["c"] == {"N": "1"}
    other = {"Put": {"TableName": table_name, "Item": {"pk": {"S": "m"}}}}
    code, message, _ = error_of(
        ddb.transact_write_items, TransactItems=[other], ClientRequestToken=token
    )
    assert code == "IdempotentParameterMismatchException"
    assert (
        message == "The request uses the same client token as a previous, but different, request."
    )
    ddb.transact_write_items(TransactItems=[update], ClientRequestToken=str(uuid.uuid4()))
    assert ddb.get_item(TableName=table_name, Key={"pk": {"S": "n"}})["Item"]["c"] == {"N": "2"}


def test_a_transaction_over_4_mb_is_refused(ddb: Any, table_name: str) -> None:
    create(ddb, table_name)
    big = "x" * 390_000
    puts = [{"Put": {"TableName": table_name, "Item": {"pk": {"S": str(i)}, "v": {"S": big}}}}
            for i in range(11)]  # fmt: skip
    code, message, _ = error_of(ddb.transact_write_items, TransactItems=puts)
    assert (code, message) == (
        "ValidationException",
        "Transaction item size has exceeded the 4 MB limit",
    )
    assert "Item" not in ddb.get_item(TableName=table_name, Key={"pk": {"S": "0"}})
