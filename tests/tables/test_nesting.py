"""Deeply nested input over the wire: always DynamoDB's 400, never a RecursionError or a 500."""

from __future__ import annotations

import base64
import http.client
import json
import logging
from typing import Any
from urllib.parse import urlsplit

import pytest
from tables_support import SIGNED, create, error_of

TARGET = "DynamoDB_20120810."
NESTING = (
    "Nesting Levels have exceeded supported limits: "
    "Attributes in the item have nested levels beyond supported limit"
)
ENVELOPED = f"1 validation error detected: {NESTING}"


def post(url: str, operation: str, body: str, target: str = TARGET) -> tuple[int, dict[str, Any]]:
    """POST one raw body; (status, decoded JSON answer)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": target + operation,
        **SIGNED,
    }
    conn.request("POST", "/", body.encode(), headers)
    response = conn.getresponse()
    answer = json.loads(response.read())
    conn.close()
    return response.status, answer


def deep_text(levels: int, kind: str = "M") -> str:
    """The JSON text of an AttributeValue nested ``levels`` levels (built as text: json.dumps
    of a deep value would itself exceed Python's recursion limit)."""
    opening, closing = ('{"M":{"a":', "}}") if kind == "M" else ('{"L":[', "]}")
    return opening * (levels - 1) + '{"S":"x"}' + closing * (levels - 1)


def deep_value(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"S": "x"}
    for _ in range(levels - 1):
        value = {"M": {"a": value}}
    return value


ITEM_X = '{"TableName":"t","Item":{"pk":{"S":"1"},"x":'


def list_at_31() -> dict[str, Any]:
    """A map holding, 31 levels down, a list of one string (at level 32)."""
    value: dict[str, Any] = {"L": [{"S": "x"}]}
    for _ in range(30):
        value = {"M": {"a": value}}
    return value


@pytest.fixture()
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> Any:
    """Fails the test if the table service logged an error or a traceback meanwhile."""
    with caplog.at_level(logging.WARNING, logger="sockgate.tables"):
        yield
    assert [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= 40] == []


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("ListTables", '{"a":' * 3000 + "1" + "}" * 3000),
        ("ListTables", "[" * 5000 + "]" * 5000),
        ("ListTables", '{"a":[' * 150 + "1" + "]}" * 150),
        ("PutItem", ITEM_X + "[" * 5000 + "]" * 5000 + "}}"),
        ("PutItem", ITEM_X + deep_text(10_000) + "}}"),
        ("PutItem", '{"TableName":"t","Item":{"x":' + deep_text(10_000, "L") + "}}"),
        ("GetItem", '{"TableName":"t","Key":{"pk":' + "[" * 2000 + "]" * 2000 + "}}"),
    ],
    ids=["objects", "lists", "alternating", "list-in-item", "maps-in-item", "lists-in-item",
         "key"],
)  # fmt: skip
def test_a_body_nested_too_deep_to_parse_is_a_serialization_exception(
    server: Any, no_tracebacks: None, operation: str, body: str
) -> None:
    status, answer = post(server.url, operation, body)
    assert status == 400
    assert answer == {
        "__type": "com.amazon.coral.service#SerializationException",
        "message": "Document nesting depth (257) exceeds the maximum allowed (256)",
    }


def test_a_body_at_the_depth_limit_is_read(server: Any, no_tracebacks: None) -> None:
    # 256 levels of JSON, none of it a member ListTables knows: read, and then ignored.
    body = '{"x":' + "[" * 255 + "]" * 255 + "}"
    assert post(server.url, "ListTables", body)[0] == 200


def test_brackets_inside_strings_do_not_count_as_nesting(
    ddb: Any, server: Any, table_name: str, no_tracebacks: None
) -> None:
    create(ddb, table_name)
    text = "[{" * 1000 + '\\"]' * 300
    item = json.dumps({"TableName": table_name, "Item": {"pk": {"S": "1"}, "s": {"S": text}}})
    assert post(server.url, "PutItem", item) == (200, {})
    got = ddb.get_item(TableName=table_name, Key={"pk": {"S": "1"}})["Item"]["s"]["S"]
    assert got == text


@pytest.mark.parametrize("levels", [33, 100])
@pytest.mark.parametrize(
    ("operation", "body", "message"),
    [
        ("PutItem", '{"TableName":"%s","Item":{"pk":{"S":"1"},"x":%s}}', ENVELOPED),
        ("GetItem", '{"TableName":"%s","Key":{"pk":%s}}', NESTING),
        ("DeleteItem", '{"TableName":"%s","Key":{"pk":%s}}', ENVELOPED),
        (
            "UpdateItem",
            '{"TableName":"%s","Key":{"pk":{"S":"1"}},"UpdateExpression":"SET x = :v",'
            '"ExpressionAttributeValues":{":v":%s}}',
            ENVELOPED,
        ),
        (
            "BatchWriteItem",
            '{"RequestItems":{"%s":[{"PutRequest":{"Item":{"pk":{"S":"1"},"x":%s}}}]}}',
            NESTING,
        ),
        (
            "TransactWriteItems",
            '{"TransactItems":[{"Put":{"TableName":"%s","Item":{"pk":{"S":"1"},"x":%s}}}]}',
            NESTING,
        ),
        ("Query", '{"TableName":"%s","KeyConditions":{"pk":{"ComparisonOperator":"EQ",'
         '"AttributeValueList":[%s]}}}', NESTING),
        ("Scan", '{"TableName":"%s","ScanFilter":{"x":{"ComparisonOperator":"EQ",'
         '"AttributeValueList":[%s]}}}', NESTING),
        ("PutItem", '{"TableName":"%s","Item":{"pk":{"S":"1"}},"Expected":{"x":{"Value":%s}}}',
         ENVELOPED),
        ("UpdateItem", '{"TableName":"%s","Key":{"pk":{"S":"1"}},'
         '"AttributeUpdates":{"x":{"Action":"PUT","Value":%s}}}', ENVELOPED),
    ],
    ids=["Item", "GetItem-Key", "DeleteItem-Key", "UpdateItem-value", "BatchWriteItem",
         "TransactWriteItems", "KeyConditions", "ScanFilter", "Expected", "AttributeUpdates"],
)  # fmt: skip
def test_values_nested_past_32_levels_get_dynamodb_nesting_message(
    ddb: Any, server: Any, table_name: str, no_tracebacks: None,
    operation: str, body: str, message: str, levels: int,
) -> None:  # fmt: skip
    create(ddb, table_name)
    status, answer = post(server.url, operation, body % (table_name, deep_text(levels)))
    assert status == 400
    assert answer == {"__type": "com.amazon.coral.validate#ValidationException", "message": message}
    assert "Item" not in ddb.get_item(TableName=table_name, Key={"pk": {"S": "1"}})


def test_legacy_values_at_32_levels_are_accepted(ddb: Any, table_name: str) -> None:
    create(ddb, table_name)
    ddb.update_item(
        TableName=table_name,
        Key={"pk": {"S": "1"}},
        AttributeUpdates={"x": {"Action": "PUT", "Value": deep_value(32)}},
    )
    assert ddb.get_item(TableName=table_name, Key={"pk": {"S": "1"}})["Item"]["x"] == deep_value(32)


def test_an_update_cannot_nest_an_item_past_32_levels(
    ddb: Any, table_name: str, no_tracebacks: None
) -> None:
    create(ddb, table_name)
    key = {"pk": {"S": "1"}}
    ddb.put_item(TableName=table_name, Item={**key, "a": deep_value(32), "l": list_at_31()})
    leaf = "a" + ".a" * 31  # the S at level 32
    in_list = "l" + ".a" * 30 + "[5]"  # past the end of the list at level 31: appended at [1]
    attempts = [
        # A small map written where the item is already 32 levels deep...
        {
            "UpdateExpression": f"SET {leaf} = :m",
            "ExpressionAttributeValues": {":m": deep_value(2)},
        },
        # ...appended to a list that deep...
        {
            "UpdateExpression": f"SET {in_list} = :m",
            "ExpressionAttributeValues": {":m": deep_value(2)},
        },
        # ...or an attribute copied into itself, one level down.
        {"UpdateExpression": "SET a.a = a"},
    ]
    for attempt in attempts:
        code, message, _ = error_of(ddb.update_item, TableName=table_name, Key=key, **attempt)
        assert (code, message) == ("ValidationException", NESTING)
    item = ddb.get_item(TableName=table_name, Key=key)["Item"]
    assert (item["a"], item["l"]) == (deep_value(32), list_at_31())
    # At the limit itself the update goes through.
    ddb.update_item(
        TableName=table_name,
        Key=key,
        UpdateExpression=f"SET {leaf} = :m",
        ExpressionAttributeValues={":m": {"M": {}}},
    )


def test_a_forged_shard_iterator_nested_deeply_is_invalid(
    ddb: Any, streams: Any, table_name: str, no_tracebacks: None
) -> None:
    create(
        ddb, table_name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    )
    arn = ddb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
    # Deeper than the JSON guard, and within the model's 2048 characters for an iterator.
    forged = f"{arn}|1|{base64.urlsafe_b64encode(b'[' * 1000).decode()}"
    assert len(forged) <= 2048
    code, message, _ = error_of(streams.get_records, ShardIterator=forged)
    assert (code, message) == ("ValidationException", "Invalid ShardIterator")


def expression_error(server: Any, table_name: str, **request: Any) -> tuple[int, str]:
    status, answer = post(server.url, "UpdateItem" if "UpdateExpression" in request else "Query",
                          json.dumps({"TableName": table_name, **request}))  # fmt: skip
    assert answer.get("__type", "").endswith("#ValidationException"), answer
    return status, answer["message"]


@pytest.mark.parametrize(
    ("request_body", "message"),
    [
        ({"FilterExpression": "(" * 5000 + "a = :v" + ")" * 5000},
         "Invalid FilterExpression: Expression size has exceeded the maximum allowed size; "
         "expression size: 10006"),
        ({"FilterExpression": "NOT " * 5000 + "a = :v"},
         "Invalid FilterExpression: Expression size has exceeded the maximum allowed size; "
         "expression size: 20006"),
        ({"FilterExpression": "NOT " * 900 + "a = :v"},
         "Invalid FilterExpression: The expression contains too many operators; "
         "operator count: 901"),
        ({"FilterExpression": "(" * 900 + "a = :v" + ")" * 900},
         'Invalid FilterExpression: Syntax error; token: "(", near: "((("'),
        ({"FilterExpression": "size(" * 500 + "a" + ")" * 500 + " = :v"},
         'Invalid FilterExpression: Syntax error; token: "(", near: "size(size"'),
        ({"UpdateExpression": "SET a = " + "if_not_exists(b, " * 500 + ":v" + ")" * 500},
         "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size; "
         "expression size: 9010"),
        ({"UpdateExpression": "SET a = " + "if_not_exists(b, " * 150 + ":v" + ")" * 150},
         'Invalid UpdateExpression: Syntax error; token: "(", near: "if_not_exists(b"'),
        ({"ProjectionExpression": ".".join(["a"] * 3000)},
         "Invalid ProjectionExpression: Expression size has exceeded the maximum allowed size; "
         "expression size: 5999"),
    ],
)  # fmt: skip
def test_deep_expressions_are_validation_errors(
    ddb: Any, server: Any, table_name: str, no_tracebacks: None,
    request_body: dict[str, Any], message: str,
) -> None:  # fmt: skip
    create(ddb, table_name)
    request: dict[str, Any] = {**request_body}
    if "UpdateExpression" in request:
        request["Key"] = {"pk": {"S": "1"}}
    else:
        request["KeyConditionExpression"] = "pk = :k"
    values = {":k": {"S": "1"}} if "UpdateExpression" not in request else {}
    if ":v" in json.dumps(request_body):
        values[":v"] = {"S": "x"}
    if values:
        request["ExpressionAttributeValues"] = values
    assert expression_error(server, table_name, **request) == (400, message)


def test_long_document_paths_within_the_size_limit_are_answered(
    ddb: Any, table_name: str, no_tracebacks: None
) -> None:
    create(ddb, table_name)
    key = {"pk": {"S": "1"}}
    ddb.put_item(TableName=table_name, Item={**key, "a": deep_value(32)})
    long_path = ".".join(["a"] * 1500)
    item = ddb.get_item(TableName=table_name, Key=key, ProjectionExpression=long_path)
    assert item["Item"] == {}
    code, message, _ = error_of(
        ddb.put_item, TableName=table_name, Item=key,
        ConditionExpression=f"attribute_exists({long_path})",
    )  # fmt: skip
    assert (code, message) == ("ConditionalCheckFailedException", "The conditional request failed")
