"""BatchGetItem, BatchWriteItem, TransactWriteItems, TransactGetItems through boto3."""

from __future__ import annotations

from typing import Any

import pytest
from tables_support import create, error_of


@pytest.fixture()
def table(ddb: Any, table_name: str) -> str:
    create(
        ddb, table_name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    )
    return table_name


def key(i: int | str) -> dict[str, Any]:
    return {"pk": {"S": str(i)}}


def test_batch_write_then_batch_get(ddb: Any, table: str) -> None:
    writes = [{"PutRequest": {"Item": {**key(i), "v": {"N": str(i)}}}} for i in range(25)]
    assert ddb.batch_write_item(RequestItems={table: writes})["UnprocessedItems"] == {}
    got = ddb.batch_get_item(RequestItems={table: {"Keys": [key(i) for i in range(0, 30, 3)],
                                                   "ProjectionExpression": "v"}})  # fmt: skip
    assert sorted(int(i["v"]["N"]) for i in got["Responses"][table]) == list(range(0, 25, 3))
    assert got["UnprocessedKeys"] == {}
    ddb.batch_write_item(RequestItems={table: [{"DeleteRequest": {"Key": key(0)}}]})
    assert "Item" not in ddb.get_item(TableName=table, Key=key(0))


def test_batch_limits_and_duplicates(ddb: Any, table: str) -> None:
    too_many = [{"PutRequest": {"Item": key(i)}} for i in range(26)]
    code, message, _ = error_of(ddb.batch_write_item, RequestItems={table: too_many})
    assert code == "ValidationException"
    assert "Member must have length less than or equal to 25" in message
    code, message, _ = error_of(
        ddb.batch_get_item, RequestItems={table: {"Keys": [key(i) for i in range(101)]}}
    )
    # One table's list is held to 100 by the model; more than 100 over tables, by the service.
    assert message.startswith("1 validation error detected: Value '[")
    assert message.endswith(
        f"' at 'requestItems.{table}.member.keys' failed to satisfy constraint: "
        "Member must have length less than or equal to 100"
    )
    keys = [key(i) for i in range(60)]
    code, message, _ = error_of(
        ddb.batch_get_item,
        RequestItems={table: {"Keys": keys}, f"{table}-2": {"Keys": keys}},
    )
    assert message == "Too many items requested for the BatchGetItem call"
    twice = [{"PutRequest": {"Item": key(1)}}, {"DeleteRequest": {"Key": key(1)}}]
    code, message, _ = error_of(ddb.batch_write_item, RequestItems={table: twice})
    assert message == "Provided list of item keys contains duplicates"
    # A refused batch wrote nothing.
    bad = [{"PutRequest": {"Item": key(7)}}, {"PutRequest": {"Item": {"nokey": {"S": "x"}}}}]
    error_of(ddb.batch_write_item, RequestItems={table: bad})
    assert "Item" not in ddb.get_item(TableName=table, Key=key(7))


def test_transaction_commits_all(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={**key("acct"), "balance": {"N": "10"}})
    ddb.put_item(TableName=table, Item=key("bank"))
    ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": table, "Key": key("acct"), "UpdateExpression": "ADD balance :d",
                    "ConditionExpression": "balance >= :n",
                    "ExpressionAttributeValues": {":d": {"N": "-4"}, ":n": {"N": "4"}}}},
        {"Put": {"TableName": table, "Item": {**key("log"), "amount": {"N": "4"}}}},
        {"ConditionCheck": {"TableName": table, "Key": key("bank"),
                            "ConditionExpression": "attribute_exists(pk)"}},
    ])  # fmt: skip
    got = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": table, "Key": key("acct")}},
        {"Get": {"TableName": table, "Key": key("log"), "ProjectionExpression": "amount"}},
        {"Get": {"TableName": table, "Key": key("missing")}},
    ])["Responses"]  # fmt: skip
    assert got[0]["Item"]["balance"] == {"N": "6"}
    assert got[1]["Item"] == {"amount": {"N": "4"}}
    assert got[2] == {}


def test_transaction_cancelled_writes_nothing(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={**key("a"), "v": {"N": "1"}})
    code, message, response = error_of(ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": table, "Item": {**key("a"), "v": {"N": "2"}},
                 "ConditionExpression": "v = :two",
                 "ExpressionAttributeValues": {":two": {"N": "2"}},
                 "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        {"Put": {"TableName": table, "Item": key("b")}},
    ])  # fmt: skip
    assert code == "TransactionCanceledException"
    assert message == (
        "Transaction cancelled, please refer cancellation reasons for specific reasons "
        "[ConditionalCheckFailed, None]"
    )
    assert response["CancellationReasons"] == [
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed",
         "Item": {**key("a"), "v": {"N": "1"}}},
        {"Code": "None"},
    ]  # fmt: skip
    assert "Item" not in ddb.get_item(TableName=table, Key=key("b"))
    assert ddb.get_item(TableName=table, Key=key("a"))["Item"]["v"] == {"N": "1"}


def test_transaction_rules(ddb: Any, table: str) -> None:
    code, message, _ = error_of(ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": table, "Item": key("x")}},
        {"Delete": {"TableName": table, "Key": key("x")}},
    ])  # fmt: skip
    assert message == "Transaction request cannot include multiple operations on one item"
    many = [{"Put": {"TableName": table, "Item": key(i)}} for i in range(101)]
    code, message, _ = error_of(ddb.transact_write_items, TransactItems=many)
    assert code == "ValidationException" and "less than or equal to 100" in message
