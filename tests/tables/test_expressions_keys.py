"""KeyConditionExpression: shape checks, binding to a key schema, and key ranges."""

from __future__ import annotations

import pytest

from sockgate.tables.errors import ValidationException
from sockgate.tables.expressions import (
    KeyRange,
    parse_key_condition,
    parse_key_condition_expression,
)
from sockgate.tables.values import key_bytes

VALUES = {
    ":p": {"S": "q"},
    ":n": {"N": "1"},
    ":m": {"N": "5"},
    ":b": {"BOOL": True},
    ":f": {"BOOL": False},
    ":s": {"S": "a"},
    ":e": {"S": ""},
}
SCHEMA_TYPE = (
    "One or more parameter values were invalid: Condition parameter type does not match schema type"
)
OPERAND = (
    "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
    "operator or function: "
)


def problem(text: str, *, range_type: str = "N", range_key: str | None = "sk") -> str:
    values = {k: v for k, v in VALUES.items() if k in text}
    with pytest.raises(ValidationException) as caught:
        parse_key_condition(
            text, None, values, "pk", range_key, key_types={"pk": "S", "sk": range_type}
        )
    return caught.value.message


def unbound_problem(text: str) -> str:
    values = {k: v for k, v in VALUES.items() if k in text}
    with pytest.raises(ValidationException) as caught:
        parse_key_condition_expression(text, None, values)
    return caught.value.message


# Captured against AWS (dynamodb-conformance queryKeyConditionOperands, 2026-10).
@pytest.mark.parametrize(
    ("text", "range_type", "expected"),
    [
        ("pk = :p AND begins_with(sk, :n)", "S", OPERAND + "begins_with, operand type: N"),
        ("pk = :p AND begins_with(sk, :b)", "S", OPERAND + "begins_with, operand type: BOOL"),
        ("pk = :p AND begins_with(sk, :n)", "N", OPERAND + "begins_with, operand type: N"),
        ("pk = :p AND begins_with(sk, :s)", "N", SCHEMA_TYPE),
        ("pk = :p AND sk < :b", "N", OPERAND + "<, operand type: BOOL"),
        ("pk = :p AND :b >= sk", "N", OPERAND + ">=, operand type: BOOL"),
        ("pk = :p AND sk BETWEEN :f AND :b", "N", OPERAND + "BETWEEN, operand type: BOOL"),
        ("pk = :p AND sk = :b", "N", SCHEMA_TYPE),
        (
            "pk = :p AND sk > :n AND sk < :m",
            "N",
            "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one "
            "condition per key",
        ),
        (
            "pk = :p AND sk > :n AND extra = :m",
            "N",
            "The number of query conditions (3) exceeds the number of key attributes defined in "
            "the schema (2)",
        ),
    ],
)
def test_operand_types_and_counts(text: str, range_type: str, expected: str) -> None:
    assert problem(text, range_type=range_type) == expected


def test_problems_are_reported_in_the_order_written() -> None:
    undefined = (
        "An expression attribute value used in expression is not defined; attribute value: :x"
    )
    assert problem("pk = :x AND begins_with(sk, :n)").endswith(undefined)
    assert problem("begins_with(sk, :n) AND pk = :x").startswith(OPERAND + "begins_with")
    assert problem("pk = :p AND begins_with(sk, :n) AND sk = :x").startswith(OPERAND)


# dynalite's tests against AWS: checked before the table is looked up.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "a > :n and size(b) > :n or a > :n",
            "Invalid operator used in KeyConditionExpression: OR",
        ),
        ("a in (:n, :m)", "Invalid operator used in KeyConditionExpression: IN"),
        (
            "attribute_exists(a)",
            "Invalid operator used in KeyConditionExpression: attribute_exists",
        ),
        ("contains(a.d, :s)", "Invalid operator used in KeyConditionExpression: contains"),
        ("not a > :n", "Invalid operator used in KeyConditionExpression: NOT"),
        ("a <> :n", "Invalid operator used in KeyConditionExpression: <>"),
        (
            ":s between a and :s",
            "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key "
            "attribute as its first operand",
        ),
        (
            "begins_with(:s, b)",
            "Invalid condition in KeyConditionExpression: begins_with operator must have the key "
            "attribute as its first operand",
        ),
        ("size(b) > :n AND a = :n", "KeyConditionExpressions cannot contain nested operations"),
        ("a between :n and size(b)", "KeyConditionExpressions cannot contain nested operations"),
        (
            "b > a.b",
            "Invalid condition in KeyConditionExpression: Multiple attribute names used in one "
            "condition",
        ),
        (
            "b between c[1] and :n",
            "Invalid condition in KeyConditionExpression: Multiple attribute names used in one "
            "condition",
        ),
        ("a.d > :n", "KeyConditionExpressions cannot have conditions on nested attributes"),
        ("b[0] > :n", "KeyConditionExpressions cannot have conditions on nested attributes"),
        (":s > :s", "Invalid condition in KeyConditionExpression: No key attribute specified"),
        (
            "b > :n AND b < :n AND c = :n",
            "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one "
            "condition per key",
        ),
        (
            "a between :n and :s",
            "Invalid KeyConditionExpression: The BETWEEN operator requires same data type for "
            "lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound "
            "operand: AttributeValue: {S:a}",
        ),
    ],
)
def test_shape_problems_need_no_table(text: str, expected: str) -> None:
    assert unbound_problem(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sk = :n", "Query condition missed key schema element: pk"),
        ("pk < :p", "Query key condition not supported"),
        ("pk = :p AND extra = :n", "Query key condition not supported"),
        ("begins_with(pk, :p)", "Query key condition not supported"),
        (
            "pk = :e",
            "One or more parameter values are not valid. The AttributeValue for a key attribute "
            "cannot contain an empty string value. Key: pk",
        ),
    ],
)
def test_binding_to_the_key_schema(text: str, expected: str) -> None:
    assert problem(text) == expected


def test_hash_only_table() -> None:
    assert problem("pk = :p AND sk = :n", range_key=None) == (
        "The number of query conditions (2) exceeds the number of key attributes defined in the "
        "schema (1)"
    )
    key = parse_key_condition("pk = :p", None, {":p": VALUES[":p"]}, "pk", None)
    assert key.range_term is None and key.range_bounds() == KeyRange(None, True, None, True)


def test_bound_condition_exposes_hash_and_range() -> None:
    parsed = parse_key_condition_expression(
        "#s BETWEEN :n AND :m AND #p = :p", {"#s": "sk", "#p": "pk"}, VALUES
    )
    assert parsed.names_used == {"#s", "#p"}
    assert parsed.values_used == {":n", ":m", ":p"}
    key = parsed.bind("pk", "sk", key_types={"pk": "S", "sk": "N"})
    assert key.hash_value == {"S": "q"}
    assert key.range_op == "BETWEEN"
    assert key.range_values == ({"N": "1"}, {"N": "5"})
    assert key.range_bounds() == KeyRange(key_bytes({"N": "1"}), True, key_bytes({"N": "5"}), True)


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ("sk = :s", (b"a", True, b"a", True)),
        ("sk < :s", (None, True, b"a", False)),
        ("sk <= :s", (None, True, b"a", True)),
        (":s < sk", (b"a", False, None, True)),
        ("sk >= :s", (b"a", True, None, True)),
        ("begins_with(sk, :s)", (b"a", True, b"b", False)),
    ],
)
def test_range_bounds(text: str, bounds: tuple) -> None:
    values = {":p": VALUES[":p"], ":s": VALUES[":s"]}
    key = parse_key_condition(f"pk = :p AND {text}", None, values, "pk", "sk")
    assert key.range_bounds() == KeyRange(*bounds)


def test_begins_with_bounds_past_0xff_and_matching() -> None:
    prefix = {":p": {"S": "q"}, ":x": {"B": "/w=="}}  # b"\xff"
    key = parse_key_condition("pk = :p AND begins_with(sk, :x)", None, prefix, "pk", "sk")
    assert key.range_bounds() == KeyRange(b"\xff", True, None, False)
    values = {":p": {"S": "q"}, ":s": {"S": "ab"}}
    key = parse_key_condition("pk = :p AND begins_with(sk, :s)", None, values, "pk", "sk")
    assert key.matches({"pk": {"S": "q"}, "sk": {"S": "abc"}})
    assert not key.matches({"pk": {"S": "q"}, "sk": {"S": "b"}})
    assert not key.matches({"pk": {"S": "r"}, "sk": {"S": "abc"}})
    between = parse_key_condition("pk = :p AND sk BETWEEN :n AND :m", None, VALUES, "pk", "sk")
    assert between.matches({"pk": {"S": "q"}, "sk": {"N": "5.0"}})
    assert not between.matches({"pk": {"S": "q"}, "sk": {"N": "5.01"}})
