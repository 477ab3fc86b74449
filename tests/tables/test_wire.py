"""The wire protocol through a raw HTTP client: error shapes, bad input, and surviving it."""

from __future__ import annotations

import http.client
import json
import zlib
from typing import Any
from urllib.parse import urlsplit

from tables_support import SIGNED, create

TARGET = "DynamoDB_20120810."


def call(url: str, target: str, body: bytes | str) -> tuple[int, dict[str, Any], dict[str, str]]:
    """POST one request; (status, decoded JSON, headers)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    data = body.encode() if isinstance(body, str) else body
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target, **SIGNED}
    conn.request("POST", "/", data, headers)
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    return response.status, json.loads(raw), dict(response.getheaders())


def test_error_body_has_type_and_message(server: Any) -> None:
    status, body, headers = call(server.url, TARGET + "DescribeTable", '{"TableName": "nothing"}')
    assert status == 400
    assert body == {
        "__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
        "message": "Requested resource not found: Table: nothing not found",
    }
    assert headers["Content-Type"].startswith("application/x-amz-json-1.0")


def test_validation_errors_use_coral_namespace(server: Any) -> None:
    status, body, _ = call(server.url, TARGET + "ListTables", '{"Limit": 0}')
    assert status == 400
    assert body["__type"] == "com.amazon.coral.validate#ValidationException"
    assert body["message"] == (
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )


def test_a_missing_key_is_named_for_every_item_operation(
    ddb: Any, server: Any, table_name: str
) -> None:
    create(ddb, table_name)
    request = json.dumps({"TableName": table_name})
    for operation in ("GetItem", "DeleteItem", "UpdateItem"):
        status, body, _ = call(server.url, TARGET + operation, request)
        assert status == 400, operation
        assert body["message"] == (
            "1 validation error detected: Value null at 'key' failed to satisfy constraint: "
            "Member must not be null"
        ), operation


def test_malformed_json_is_a_serialization_exception(server: Any) -> None:
    status, body, _ = call(server.url, TARGET + "ListTables", "{not json")
    assert status == 400
    assert body["__type"] == "com.amazon.coral.service#SerializationException"
    status, body, _ = call(server.url, TARGET + "ListTables", "[1, 2]")
    assert body["__type"] == "com.amazon.coral.service#SerializationException"


def test_wrongly_typed_members_never_crash_the_server(
    ddb: Any, server: Any, table_name: str
) -> None:
    create(ddb, table_name)
    bad_bodies = [
        {"TableName": table_name, "Item": {"pk": {"S": 5}}},
        {"TableName": table_name, "Item": {"pk": "flat"}},
        {"TableName": table_name, "Item": []},
        {"TableName": table_name, "Item": {"pk": {"S": "a"}, "n": {"N": "x1"}}},
        {"TableName": 7, "Item": {}},
    ]
    for bad in bad_bodies:
        status, body, _ = call(server.url, TARGET + "PutItem", json.dumps(bad))
        assert status == 400, body
        assert body["__type"].rsplit("#", 1)[1] in ("SerializationException", "ValidationException")
    for bad_query in ({"TableName": table_name, "KeyConditions": "x"},
                      {"TableName": table_name, "Limit": "many"}):  # fmt: skip
        status, body, _ = call(server.url, TARGET + "Query", json.dumps(bad_query))
        assert status == 400, body
    # ...and the server still answers everyone else.
    assert ddb.describe_table(TableName=table_name)["Table"]["ItemCount"] == 0


def test_unknown_operation(server: Any) -> None:
    status, body, _ = call(server.url, TARGET + "FlyToTheMoon", "{}")
    assert status == 400
    assert body["__type"].endswith("#UnknownOperationException")


def test_responses_carry_a_crc32_of_the_body(server: Any) -> None:
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request(
        "POST",
        "/",
        b"{}",
        {"X-Amz-Target": TARGET + "ListTables", "Content-Type": "application/json", **SIGNED},
    )
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    assert int(response.getheader("x-amz-crc32")) == zlib.crc32(raw)
    assert response.getheader("x-amzn-RequestId")


def test_get_is_a_health_check(server: Any) -> None:
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.status == 200
    assert response.read().startswith(b"healthy: dynamodb.")
    conn.close()
