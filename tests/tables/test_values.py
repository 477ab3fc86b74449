"""Attribute values: numbers, validation messages, order, equality and sizes."""

from __future__ import annotations

import base64

import pytest

from sockgate.tables.errors import SerializationException, ValidationException
from sockgate.tables.values import (
    add_numbers,
    compare,
    equal,
    item_size,
    key_bytes,
    normalize_number,
    parse_number,
    validate_expression_values,
    validate_item,
    validate_key_attribute,
    validate_value,
    value_size,
)

OVERFLOW = (
    "Number overflow. Attempting to store a number with magnitude larger than supported range"
)
UNDERFLOW = (
    "Number underflow. Attempting to store a number with magnitude smaller than supported range"
)
NOT_NUMERIC = "The parameter cannot be converted to a numeric value"
INVALID = "One or more parameter values were invalid: "


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def refusal(av: object, context: str | None = None) -> str:
    with pytest.raises(ValidationException) as caught:
        if context is None:
            validate_value(av)
        else:
            validate_item({"a": av}, context=context)
    return caught.value.message


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("1.50", "1.5"),
        ("-0", "0"),
        ("1E+2", "100"),
        ("0042.1200", "42.12"),
        ("-.5E-2", "-0.005"),
        ("+7", "7"),
        ("5.", "5"),
        ("0e125", "0"),
        ("1E125", "1" + "0" * 125),
        ("1e-130", "0." + "0" * 129 + "1"),
    ],
)
def test_normalize_number_gives_dynamodb_stored_form(text: str, stored: str) -> None:
    assert normalize_number(text) == stored


# Every literal and message below is a capture of real DynamoDB (dynamodb-conformance,
# tests/tier3/error-messages/valueLayers.test.ts and limits/numberExponent.test.ts).
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1e99999999999", OVERFLOW),
        ("-1e99999999999", OVERFLOW),
        ("1e-99999999999", UNDERFLOW),
        ("1e2147483648", OVERFLOW),
        ("1e2147483647", OVERFLOW),
        ("1e-2147483648", UNDERFLOW),
        ("1e126", OVERFLOW),
        ("1e-131", UNDERFLOW),
        ("0e126", OVERFLOW),
        ("0e-131", UNDERFLOW),
        ("1e9223372036854775808", f"{NOT_NUMERIC}: 1e9223372036854775808"),
        ("abc", f"{NOT_NUMERIC}: abc"),
        ("1.2.3", f"{NOT_NUMERIC}: 1.2.3"),
        ("", f"{NOT_NUMERIC}: "),
        (" 1", f"{NOT_NUMERIC}:  1"),
        ("1 ", f"{NOT_NUMERIC}: 1 "),
        ("0x10", f"{NOT_NUMERIC}: 0x10"),
        ("1e", f"{NOT_NUMERIC}: 1e"),
        ("NaN", f"{NOT_NUMERIC}: NaN"),
        ("Infinity", f"{NOT_NUMERIC}: Infinity"),
        ("١٢", f"{NOT_NUMERIC}: ١٢"),
        (
            "1234567890123456789012345678901234567890",
            "Attempting to store more than 38 significant digits in a Number",
        ),
    ],
)
def test_malformed_numbers_are_refused_with_dynamodb_messages(text: str, message: str) -> None:
    with pytest.raises(ValidationException) as caught:
        parse_number(text)
    assert caught.value.message == message
    assert refusal({"N": text}) == message


def test_range_edges_are_accepted() -> None:
    for text in ("1e-130", "9.9999999999999999999999999999999999999E+125", "0e125", "-1E125"):
        parse_number(text)
    parse_number("1" * 38 + "0" * 80)  # trailing zeros are not significant


def test_operations_wrap_value_errors_as_dynamodb_does() -> None:
    assert refusal({"N": "abc"}, "PutItem") == f"1 validation error detected: {NOT_NUMERIC}: abc"
    assert refusal({"N": "abc"}, "GetItem") == f"{NOT_NUMERIC}: abc"
    assert refusal({"N": ""}, "BatchWriteItem") == NOT_NUMERIC
    assert refusal({"N": ""}, "Query") == f"{NOT_NUMERIC}: "
    nested = {"M": {"x": {"L": [{"N": "1e126"}]}}}
    assert refusal(nested, "UpdateItem") == f"1 validation error detected: {OVERFLOW}"


def test_expression_values_in_the_older_layer_name_the_key() -> None:
    with pytest.raises(ValidationException) as caught:
        validate_expression_values({":v": {"N": "abc"}}, context="TransactWriteItems")
    assert caught.value.message == (
        f"ExpressionAttributeValues contains invalid value: {NOT_NUMERIC}: abc for key :v"
    )
    with pytest.raises(ValidationException) as caught:
        validate_expression_values({":v": {"N": "abc"}}, context="DeleteItem")
    assert caught.value.message == f"1 validation error detected: {NOT_NUMERIC}: abc"


@pytest.mark.parametrize(
    ("av", "current", "older"),
    [
        (
            {"SS": ["b", "a", "b"]},
            f'{INVALID}Input collection ["a", "b", "b"] contains duplicates.',
            f"{INVALID}Input collection [b, a, b] contains duplicates.",
        ),
        (
            {"BS": ["/w==", "AA==", "AA=="]},
            f'{INVALID}Input collection ["AA==","/w==","AA=="]of type BS contains duplicates.',
            f"{INVALID}Input collection [/w==, AA==, AA==]of type BS contains duplicates.",
        ),
        (
            {"NS": ["2", "1", "2"]},
            f"{INVALID}Input collection contains duplicates.",
            "Input collection contains duplicates",
        ),
    ],
)
def test_duplicate_set_members_in_both_layers(av: dict, current: str, older: str) -> None:
    assert refusal(av, "GetItem") == current
    assert refusal(av, "BatchWriteItem") == older


def test_numerically_equal_numbers_are_duplicates() -> None:
    assert "duplicates" in refusal({"NS": ["1", "1.0"]})


@pytest.mark.parametrize(
    ("av", "message"),
    [
        ({"SS": []}, f"{INVALID}An string set  may not be empty"),
        ({"NS": []}, f"{INVALID}An number set  may not be empty"),
        ({"BS": []}, f"{INVALID}Binary sets should not be empty"),
        ({"NS": ["1", ""]}, f"{NOT_NUMERIC}: "),
        ({"NULL": False}, f"{INVALID}Null attribute value types must have the value of true"),
        (
            {},
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ),
        (
            {"S": None},
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ),
        (
            {"S": "a", "N": "1"},
            "Supplied AttributeValue has more than one datatypes set, "
            "must contain exactly one of the supported datatypes",
        ),
    ],
)
def test_malformed_values(av: dict, message: str) -> None:
    assert refusal(av) == message


def test_empty_strings_and_binaries_are_fine_outside_keys() -> None:
    validate_item(
        {"s": {"S": ""}, "b": {"B": ""}, "ss": {"SS": [""]}, "l": {"L": []}, "m": {"M": {}}},
        context="PutItem",
    )


def deep_map(depth: int) -> dict:
    value: dict = {"S": "leaf"}
    for _ in range(depth):
        value = {"M": {"n": value}}
    return value


def test_nesting_beyond_32_levels_is_refused() -> None:
    validate_value(deep_map(31))
    assert refusal(deep_map(32)) == (
        "Nesting Levels have exceeded supported limits: "
        "Attributes in the item have nested levels beyond supported limit"
    )


def test_wrong_json_types_are_serialization_errors() -> None:
    for av in ({"S": 5}, {"N": 1}, {"BOOL": "yes"}, {"L": {}}, {"M": []}, {"B": "not base64!"}):
        with pytest.raises(SerializationException):
            validate_value(av)


def test_key_attributes_may_not_be_empty() -> None:
    validate_key_attribute("pk", {"S": "x"})
    validate_key_attribute("pk", {"N": "0"})
    with pytest.raises(ValidationException) as caught:
        validate_key_attribute("pk", {"B": ""})
    assert caught.value.message == (
        "One or more parameter values are not valid. The AttributeValue for a key attribute "
        "cannot contain an empty binary value. Key: pk"
    )
    with pytest.raises(ValidationException) as caught:
        validate_key_attribute("gsk", {"S": ""}, index_name="byG")
    assert caught.value.message.endswith("empty string value. IndexName: byG, IndexKey: gsk")


def test_compare_orders_each_scalar_type_as_dynamodb_does() -> None:
    assert compare({"S": "a"}, {"S": "b"}) == -1
    assert compare({"S": "Z"}, {"S": "a"}) == -1  # bytes, not locale
    assert compare({"S": "\uffff"}, {"S": "\U0001f600"}) == -1  # UTF-8 order, not UTF-16
    assert compare({"N": "10"}, {"N": "9"}) == 1
    assert compare({"N": "-1.50"}, {"N": "-1.5"}) == 0
    assert compare({"B": b64(b"\x00")}, {"B": b64(b"\xff")}) == -1
    assert compare({"S": "1"}, {"N": "1"}) is None
    assert compare({"BOOL": True}, {"BOOL": True}) is None


def test_equal_is_by_value_and_unordered_for_sets() -> None:
    assert equal({"N": "1.0"}, {"N": "1"})
    assert equal({"SS": ["a", "b"]}, {"SS": ["b", "a"]})
    assert equal({"NS": ["1", "2.0"]}, {"NS": ["2", "1"]})
    assert not equal({"SS": ["a"]}, {"SS": ["a", "b"]})
    assert equal({"L": [{"N": "1"}, {"S": "x"}]}, {"L": [{"N": "1.00"}, {"S": "x"}]})
    assert not equal({"L": [{"N": "1"}, {"S": "x"}]}, {"L": [{"S": "x"}, {"N": "1"}]})
    assert equal({"M": {"a": {"NULL": True}}}, {"M": {"a": {"NULL": True}}})
    assert not equal({"S": "1"}, {"N": "1"})
    assert not equal({"BOOL": True}, {"BOOL": False})


def test_key_bytes_of_strings_and_binaries_are_their_bytes() -> None:
    assert key_bytes({"S": "é"}) == "é".encode()
    assert key_bytes({"B": b64(b"\x00\x01")}) == b"\x00\x01"
    assert key_bytes({"N": "0"}) == key_bytes({"N": "-0.000"})
    assert key_bytes({"N": "1.5"}) == key_bytes({"N": "15E-1"})
    with pytest.raises(ValueError):
        key_bytes({"BOOL": True})


# Measured against AWS to the byte (dynamodb-conformance src/item-size.ts, 2026-08).
@pytest.mark.parametrize(
    ("literal", "size"),
    [
        ("0", 1),
        ("1", 2),
        ("12", 2),
        ("123", 3),
        ("1234", 3),
        ("12345678901234567890123456789012345678", 20),
        ("0042", 2),
        ("100", 2),
        ("1010", 3),
        ("0.0000001", 2),
        ("1E125", 2),
        ("1E-100", 2),
        ("1.5", 3),
        ("15", 2),
        ("1.2", 3),
        ("1.200", 3),
        ("1.234", 4),
        ("3.14159", 5),
        ("123456", 4),
        ("100.5", 4),
        ("0.15", 2),
        ("-42", 3),
        ("-0", 1),
    ],
)
def test_number_sizes_match_aws_captures(literal: str, size: int) -> None:
    assert value_size({"N": literal}) == size


def test_item_size_counts_names_values_and_document_overheads() -> None:
    item = {
        "pk": {"S": "héllo"},  # 2 + 6
        "n": {"N": "3.14159"},  # 1 + 5
        "b": {"B": b64(b"abc")},  # 1 + 3
        "t": {"BOOL": True},  # 1 + 1
        "z": {"NULL": True},  # 1 + 1
        "ss": {"SS": ["a", "bc"]},  # 2 + 3
        "l": {"L": [{"S": "x"}, {"N": "1"}]},  # 1 + 3 + (1+1) + (1+2)
        "m": {"M": {"k": {"S": "v"}}},  # 1 + 3 + (1 + 1 + 1)
        "e": {"M": {}},  # 1 + 3
    }
    assert item_size(item) == 8 + 6 + 4 + 2 + 2 + 5 + 9 + 7 + 4


def test_add_numbers_is_exact_and_refuses_what_cannot_be_stored() -> None:
    assert add_numbers("0.1", "0.2") == "0.3"
    assert add_numbers("1", "1", subtract=True) == "0"
    assert add_numbers("-5", "2.50") == "-2.5"
    assert add_numbers("99999999999999999999999999999999999999", "1") == "1" + "0" * 38
    with pytest.raises(ValidationException, match="Number overflow"):
        add_numbers("9E125", "9E125")
    with pytest.raises(ValidationException, match="38 significant digits"):
        add_numbers("1E38", "0.1")
