"""Request validation from DynamoDB's service model: cases generated from botocore's model for
every operation the service answers (a wrong JSON type, missing required members, a value out
of range, an enum violation), sent over the wire before any table exists, plus exact texts."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.loaders import Loader
from tables_support import create, post

from sockgate.tables.operations import OPERATIONS
from sockgate.tables.validation import validator_for

_LOADER = Loader()
_MODELS = {
    "DynamoDB_20120810": _LOADER.load_service_model("dynamodb", "service-2"),
    "DynamoDBStreams_20120810": _LOADER.load_service_model("dynamodbstreams", "service-2"),
}
# Enums whose values DynamoDB lists in another order than the model (see validation.py).
_ENUM_ORDER = {
    "ReturnValue": "ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW",
    "ScalarAttributeType": "B, N, S",
    "Select": "SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES",
    "ConditionalOperator": "OR, AND",
}
_EXTRA_REQUIRED = {"CreateTable": ["AttributeDefinitions", "KeySchema"]}


def _lower(name: str) -> str:
    return name[:1].lower() + name[1:]


def _operations() -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(target, operation, input shape, all shapes) of every operation the service answers."""
    found = []
    for target in OPERATIONS:
        prefix, name = target.split(".")
        model = _MODELS[prefix]
        shape_name = model["operations"][name]["input"]["shape"]
        found.append((target, name, model["shapes"][shape_name], model["shapes"]))
    return found


OPERATION_CASES = _operations()
IDS = [name for _, name, _, _ in OPERATION_CASES]


def _member_of_type(shape: dict[str, Any], shapes: dict[str, Any], kinds: tuple[str, ...]) -> Any:
    for member, spec in shape["members"].items():
        target = shapes[spec["shape"]]
        if target["type"] in kinds and spec["shape"] != "TableArn":
            return member, spec["shape"], target
    return None


_WRONG = {
    "string": (7, "NUMBER_VALUE cannot be converted to String"),
    "boolean": (7, "NUMBER_VALUE cannot be converted to Boolean"),
    "integer": ("7", "STRING_VALUE cannot be converted to Integer"),
    "long": (True, "TRUE_VALUE cannot be converted to Long"),
    "list": ("str", "Unexpected field type"),
    "map": ("str", "Unexpected field type"),
    "structure": ("str", "Unexpected field type"),
}


@pytest.mark.parametrize(("target", "name", "shape", "shapes"), OPERATION_CASES, ids=IDS)
def test_a_member_of_the_wrong_type_is_a_serialization_exception(
    server: Any, target: str, name: str, shape: dict[str, Any], shapes: dict[str, Any]
) -> None:
    for kind, (value, message) in _WRONG.items():
        found = _member_of_type(shape, shapes, (kind,))
        if found is None:
            continue
        member, _, _ = found
        status, answer = post(server.url, target, {member: value})
        assert status == 400, (name, member)
        assert answer == {
            "__type": "com.amazon.coral.service#SerializationException", "message": message
        }, (name, member)  # fmt: skip


@pytest.mark.parametrize(("target", "name", "shape", "shapes"), OPERATION_CASES, ids=IDS)
def test_missing_required_members_are_reported_together(
    server: Any, target: str, name: str, shape: dict[str, Any], shapes: dict[str, Any]
) -> None:
    required = list(shape.get("required", [])) + _EXTRA_REQUIRED.get(name, [])
    ordered = [m for m in shape["members"] if m in required]
    status, answer = post(server.url, target, {})
    if not ordered:
        assert answer.get("__type", "").split("#")[-1] != "SerializationException"
        return
    assert status == 400
    failures = [
        f"Value null at '{_lower(m)}' failed to satisfy constraint: Member must not be null"
        for m in ordered
    ]
    noun = "error" if len(failures) == 1 else "errors"
    assert answer == {
        "__type": "com.amazon.coral.validate#ValidationException",
        "message": f"{len(failures)} validation {noun} detected: " + "; ".join(failures),
    }


def _ranged_or_enum(shape: dict[str, Any], shapes: dict[str, Any]) -> bool:
    return any(
        ("min" in shapes[s["shape"]] and shapes[s["shape"]]["type"] in ("integer", "long"))
        or "enum" in shapes[s["shape"]]
        for s in shape["members"].values()
    )


RANGED = [case for case in OPERATION_CASES if _ranged_or_enum(case[2], case[3])]


@pytest.mark.parametrize(
    ("target", "name", "shape", "shapes"), RANGED, ids=[case[1] for case in RANGED]
)
def test_out_of_range_and_enum_violations_come_before_the_table(
    server: Any, target: str, name: str, shape: dict[str, Any], shapes: dict[str, Any]
) -> None:
    """Every ranged integer and every enum member wrong at once: all named, in member order,
    with the missing required members, and none of it waits for the (absent) table."""
    required = list(shape.get("required", [])) + _EXTRA_REQUIRED.get(name, [])
    request: dict[str, Any] = {}
    failures: list[str] = []
    for member, spec in shape["members"].items():
        target_shape = shapes[spec["shape"]]
        path = _lower(member)
        if target_shape["type"] in ("integer", "long") and "min" in target_shape:
            value = target_shape["min"] - 1
            request[member] = value
            failures.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: Member must have "
                f"value greater than or equal to {target_shape['min']}"
            )
        elif target_shape["type"] == "string" and "enum" in target_shape:
            request[member] = "nope"
            allowed = _ENUM_ORDER.get(spec["shape"], ", ".join(target_shape["enum"]))
            failures.append(
                f"Value 'nope' at '{path}' failed to satisfy constraint: Member must satisfy "
                f"enum value set: [{allowed}]"
            )
        elif member in required:
            failures.append(
                f"Value null at '{path}' failed to satisfy constraint: Member must not be null"
            )
    status, answer = post(server.url, target, request)
    assert status == 400
    failures = failures[:10]
    noun = "error" if len(failures) == 1 else "errors"
    assert answer["message"] == f"{len(failures)} validation {noun} detected: " + "; ".join(
        failures
    )


# --- exact texts --------------------------------------------------------------------------


def refusal(operation: str, request: dict[str, Any]) -> tuple[str, str]:
    validate = validator_for(operation)
    assert validate is not None
    with pytest.raises(Exception) as caught:
        validate(request)
    return type(caught.value).__name__, str(caught.value)


def test_texts_of_wrong_json_types() -> None:
    """Texts of DynamoDB's deserializer (recorded in dynalite's tests against DynamoDB)."""
    cases = [
        ("BatchWriteItem", {"RequestItems": "str"}, "Unexpected field type"),
        ("BatchWriteItem", {"RequestItems": []}, "Unrecognized collection type java.util.Map"
         "<java.lang.String, java.util.List<com.amazonaws.dynamodb.v20120810.WriteRequest>>"),
        ("BatchWriteItem", {"RequestItems": {"abc": "x"}}, "class sun.reflect.generics."
         "reflectiveObjects.ParameterizedTypeImpl cannot be cast to class java.lang.Class "
         "(sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and java.lang.Class are "
         "in module java.base of loader 'bootstrap')"),
        ("BatchWriteItem", {"RequestItems": {"abc": [5]}}, "Unexpected value type in payload"),
        ("BatchWriteItem", {"RequestItems": {"abc": [[]]}}, "Unrecognized collection type "
         "class com.amazonaws.dynamodb.v20120810.WriteRequest"),
        ("PutItem", {"TableName": True}, "TRUE_VALUE cannot be converted to String"),
        ("PutItem", {"TableName": 1.5}, "DECIMAL_VALUE cannot be converted to String"),
        ("PutItem", {"TableName": []}, "Unrecognized collection type class java.lang.String"),
        ("PutItem", {"TableName": {}}, "Start of structure or map found where not expected"),
        ("PutItem", {"Item": {"a": 5}}, "Unexpected value type in payload"),
        ("GetItem", {"ConsistentRead": "maybe"}, "Unexpected token received from parser"),
        ("GetItem", {"ConsistentRead": []}, "Unrecognized collection type class java.lang.Boolean"),
        ("Query", {"Limit": "5"}, "STRING_VALUE cannot be converted to Integer"),
        ("Query", {"Limit": False}, "FALSE_VALUE cannot be converted to Integer"),
        ("CreateTable", {"KeySchema": {}}, "Start of structure or map found where not expected"),
        ("CreateTable", {"ProvisionedThroughput": []}, "Unrecognized collection type class "
         "com.amazonaws.dynamodb.v20120810.ProvisionedThroughput"),
        ("CreateTable", {"ProvisionedThroughput": {"ReadCapacityUnits": "1"}},
         "STRING_VALUE cannot be converted to Long"),
    ]  # fmt: skip
    for operation, request, message in cases:
        assert refusal(operation, request) == ("SerializationException", message), request


def test_the_first_wrong_type_in_the_document_wins_over_constraints() -> None:
    request = {"TableName": "a", "ReturnValues": "x", "Item": {"a": 1}, "Expected": 5}
    assert refusal("PutItem", request) == (
        "SerializationException",
        "Unexpected value type in payload",
    )


def test_texts_of_constraint_violations() -> None:
    assert refusal("PutItem", {"TableName": "ab", "ReturnValues": "x"}) == (
        "ValidationException",
        "3 validation errors detected: "
        "Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length "
        "greater than or equal to 3; "
        "Value null at 'item' failed to satisfy constraint: Member must not be null; "
        "Value 'x' at 'returnValues' failed to satisfy constraint: Member must satisfy enum "
        "value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
    )
    assert refusal("BatchWriteItem", {"RequestItems": {"aa;": [{"PutRequest": {}}]}}) == (
        "ValidationException",
        "2 validation errors detected: "
        "Value '{aa;=[{PutRequest={}}]}' at 'requestItems' failed to satisfy constraint: Map "
        "keys must satisfy constraint: [Member must have length less than or equal to 255, "
        "Member must have length greater than or equal to 3, Member must satisfy regular "
        "expression pattern: [a-zA-Z0-9_.-]+]; "
        "Value null at 'requestItems.aa;.member.1.member.putRequest.item' failed to satisfy "
        "constraint: Member must not be null",
    )
    assert refusal("BatchWriteItem", {"RequestItems": {"abc": []}}) == (
        "ValidationException",
        "1 validation error detected: Value '{abc=[]}' at 'requestItems' failed to satisfy "
        "constraint: Map value must satisfy constraint: [Member must have length less than or "
        "equal to 25, Member must have length greater than or equal to 1]",
    )
    assert refusal("Scan", {"TableName": "abc", "Segment": -1, "TotalSegments": 1000001}) == (
        "ValidationException",
        "2 validation errors detected: "  # the model's member order: TotalSegments first
        "Value '1000001' at 'totalSegments' failed to satisfy constraint: Member must have "
        "value less than or equal to 1000000; "
        "Value '-1' at 'segment' failed to satisfy constraint: Member must have value greater "
        "than or equal to 0",
    )
    keys = [{"AttributeName": n, "KeyType": "HASH"} for n in "abc"]
    _, message = refusal("CreateTable", {"TableName": "abc", "KeySchema": keys,
                                         "AttributeDefinitions": []})  # fmt: skip
    assert message.endswith(
        "at 'keySchema' failed to satisfy constraint: Member must have length less than or "
        "equal to 2"
    )


def test_at_most_ten_violations_are_named() -> None:
    request = {"RequestItems": {f"a{i}": [] for i in range(8)}}
    _, message = refusal("BatchWriteItem", request)
    assert message.startswith("10 validation errors detected: ")
    assert message.count("failed to satisfy constraint") == 10


def test_lenient_conversions_as_dynamodb_makes_them() -> None:
    request: dict[str, Any] = {"TableName": "abc", "Key": {}, "ConsistentRead": "yes"}
    validate = validator_for("GetItem")
    assert validate is not None
    validate(request)
    assert request["ConsistentRead"] is True
    query: dict[str, Any] = {"TableName": "abc", "Limit": 2.7}
    validator = validator_for("Query")
    assert validator is not None
    validator(query)
    assert query["Limit"] == 2


def test_a_table_arn_is_a_table_name(ddb: Any, table_name: str) -> None:
    create(ddb, table_name)
    arn = ddb.describe_table(TableName=table_name)["Table"]["TableArn"]
    ddb.put_item(TableName=arn, Item={"pk": {"S": "a"}})
    assert ddb.get_item(TableName=arn, Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}


def test_attribute_names_longer_than_the_model_allows() -> None:
    name = "a" * 65536
    kind, message = refusal("PutItem", {"TableName": "abc", "Item": {name: {"S": "x"}}})
    assert kind == "ValidationException"
    assert message.endswith(
        "' at 'item' failed to satisfy constraint: Map keys must satisfy constraint: "
        "[Member must have length less than or equal to 65535]"
    )
