"""ConditionExpression / FilterExpression: static checks and evaluation against items."""

from __future__ import annotations

import base64

import pytest

from sockgate.tables.errors import ValidationException
from sockgate.tables.expressions import parse_condition

PREFIX = "Invalid ConditionExpression: "
OPERAND = "Incorrect operand type for operator or function; operator or function: "
MISUSED = "The function is not allowed to be used this way in an expression; function: "
NO_VALUE = "An expression attribute value used in expression is not defined; attribute value: "
NO_NAME = "An expression attribute name used in the document path is not defined; attribute name: "
TYPE_NAME = "Invalid attribute type name found; type: "
LOWER = "lower bound operand: AttributeValue: "
VALUES = {
    ":s": {"S": "ab"},
    ":t": {"S": "b"},
    ":n": {"N": "5"},
    ":m": {"N": "10"},
    ":b": {"BOOL": True},
    ":l": {"L": [{"S": "x"}]},
    ":type": {"S": "N"},
    ":bad": {"S": "X"},
    ":bin": {"B": base64.b64encode(b"\x01\x02").decode()},
}


def problem(text: str, names: dict | None = None) -> str:
    with pytest.raises(ValidationException) as caught:
        parse_condition(text, names, VALUES)
    assert caught.value.message.startswith(PREFIX)
    return caught.value.message.removeprefix(PREFIX)


def holds(text: str, item: dict | None, names: dict | None = None) -> bool:
    return parse_condition(text, names, VALUES, kind="FilterExpression").evaluate(item)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("((a = :s))", "The expression has redundant parentheses;"),
        ("((a)) = :s", "The expression has redundant parentheses;"),
        ("foo(a) = :s", "Invalid function name; function: foo"),
        ("if_not_exists(a, :s)", "Invalid function name; function: if_not_exists"),
        (
            "size(a)",
            MISUSED + "size",
        ),
        (
            "attribute_exists(a) = :b",
            MISUSED + "attribute_exists",
        ),
        (
            "begins_with(contains(a, :s), :s)",
            MISUSED + "contains",
        ),
        ("status = :s", "Attribute name is a reserved keyword; reserved keyword: status"),
        ("a.Data = :s", "Attribute name is a reserved keyword; reserved keyword: Data"),
        (
            "a = :nope",
            NO_VALUE + ":nope",
        ),
        (
            "#nope = :s",
            NO_NAME + "#nope",
        ),
        (
            "begins_with(a)",
            "Incorrect number of operands for operator or function; "
            "operator or function: begins_with, number of operands: 1",
        ),
        (
            "a = a",
            "The first operand must be distinct from the remaining operands for this operator "
            "or function; operator: =, first operand: [a]",
        ),
        (
            "contains(#d, #d)",
            "The first operand must be distinct from the remaining operands for this operator "
            "or function; operator: contains, first operand: [data]",
        ),
        (
            "begins_with(a, :n)",
            OPERAND + "begins_with, operand type: N",
        ),
        (
            "begins_with(size(a), :s)",
            OPERAND + "begins_with, operand type: N",
        ),
        (
            "size(:n) > :n",
            OPERAND + "size, operand type: N",
        ),
        (
            "a < :b",
            OPERAND + "<, operand type: BOOL",
        ),
        (
            "a BETWEEN :l AND :l",
            OPERAND + "BETWEEN, operand type: L",
        ),
        (
            "attribute_type(a, b)",
            OPERAND + "attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}",
        ),
        (
            "attribute_type(a, :bad)",
            TYPE_NAME + "X, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
        ),
        (
            "attribute_exists(:s)",
            "Operator or function requires a document path; operator or function: attribute_exists",
        ),
        (
            "a BETWEEN :n AND :s",
            "The BETWEEN operator requires same data type for lower and upper bounds; "
            + LOWER
            + "{N:5}, upper bound operand: AttributeValue: {S:ab}",
        ),
        (
            "a BETWEEN :m AND :n",
            "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
            + LOWER
            + "{N:10}, upper bound operand: AttributeValue: {N:5}",
        ),
    ],
)
def test_static_problems_use_dynamodb_messages(text: str, expected: str) -> None:
    assert problem(text, {"#d": "data"} if "#d" in text else None) == expected


def test_problems_are_ranked_like_dynamodb() -> None:
    # A category outranks another wherever it appears...
    assert problem("status = :nope AND ((b = :s))") == "The expression has redundant parentheses;"
    assert problem("begins_with(a, :n) AND status = :s").startswith("Attribute name is a reserved")
    # ...and within the condition category the first condition written wins.
    assert problem("a = :nope AND begins_with(b, :n)").startswith("An expression attribute value")
    assert problem("begins_with(b, :n) AND a = :nope").startswith("Incorrect operand type")


def test_in_takes_at_most_100_operands_and_300_operators_in_all() -> None:
    values = {f":v{i}": {"N": str(i)} for i in range(101)}
    parse_condition("a IN (" + ", ".join(list(values)[:100]) + ")", None, values)
    with pytest.raises(ValidationException) as caught:
        parse_condition("a IN (" + ", ".join(values) + ")", None, values)
    assert caught.value.message == (
        f"{PREFIX}The IN operator is provided with too many operands; number of operands: 101"
    )
    many = " OR ".join(f"a{i} = :v" for i in range(151))  # 151 comparisons + 150 ORs
    with pytest.raises(ValidationException) as caught:
        parse_condition(many, None, {":v": {"N": "1"}}, kind="FilterExpression")
    assert caught.value.message == (
        "Invalid FilterExpression: The expression contains too many operators; operator count: 301"
    )


def test_placeholders_used_are_recorded() -> None:
    condition = parse_condition(
        "#a = :s AND b.#c[0] > :n", {"#a": "x", "#c": "y", "#z": "z"}, VALUES
    )
    assert condition.names_used == {"#a", "#c"}
    assert condition.values_used == {":s", ":n"}
    assert condition.attribute_names == {"x", "b"}


ITEM = {
    "s": {"S": "abc"},
    "n": {"N": "7"},
    "bin": {"B": base64.b64encode(b"\x01\x02\x03").decode()},
    "ss": {"SS": ["x", "ab"]},
    "ns": {"NS": ["5", "6"]},
    "l": {"L": [{"S": "ab"}, {"N": "5"}, {"M": {"deep": {"S": "b"}}}]},
    "m": {"M": {"sub1": {"N": "10"}, "the key": {"S": "ab"}}},
    "t": {"BOOL": True},
    "z": {"NULL": True},
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("s = :s", False),
        ("begins_with(s, :s)", True),
        ("begins_with(s, :t)", False),
        ("begins_with(bin, :bin)", True),
        ("contains(s, :t)", True),
        ("contains(ss, :s)", True),
        ("contains(ss, :t)", False),
        ("contains(ns, :n)", True),
        ("contains(l, :s)", True),
        ("contains(l, :t)", False),
        ("contains(bin, :bin)", True),
        ("contains(n, :n)", False),
        ("n > :n AND n < :m", True),
        ("n BETWEEN :n AND :m", True),
        ("m.sub1 BETWEEN :n AND :m", True),
        ("n BETWEEN :s AND :t", False),
        ("s > :n", False),
        ("s <> :n", True),
        ("ghost <> :n", True),
        ("ghost = :n", False),
        ("NOT ghost = :n", True),
        ("ghost < :n", False),
        ("n IN (:s, :n, :m)", False),
        ("m.sub1 IN (:s, :m)", True),
        ("attribute_exists(m.sub1) AND attribute_not_exists(m.sub2)", True),
        ("attribute_exists(l[2].deep) AND attribute_not_exists(l[3])", True),
        ("l[2].deep = :t AND l[0] = :s", True),
        ("attribute_exists(s[0]) OR attribute_exists(l.x)", False),
        ("attribute_type(n, :type)", True),
        ("attribute_type(s, :type)", False),
        ("attribute_type(ghost, :type)", False),
        ("size(s) = :n", False),
        ("size(ss) < :n AND size(l) < :n AND size(m) < :n AND size(bin) < :n", True),
        ("size(n) > :n OR size(t) > :n OR size(z) > :n OR size(ghost) > :n", False),
        ("t = :b", True),
        ("begins_with(#k, :s)", True),
        ("#m.#k = :s", True),
    ],
)
def test_evaluation(text: str, expected: bool) -> None:
    names = {k: v for k, v in {"#k": "s", "#m": "m"}.items() if k in text}
    if "#m.#k" in text:
        names = {"#m": "m", "#k": "the key"}
    assert holds(text, ITEM, names or None) is expected


def test_evaluation_of_a_missing_item() -> None:
    assert holds("attribute_not_exists(pk)", None)
    assert not holds("attribute_exists(pk)", None)
    assert holds("pk <> :s", {})


def test_size_of_a_string_counts_characters() -> None:
    assert holds("size(s) = :n", {"s": {"S": "héllo"}})


def test_numbers_compare_numerically_and_strings_bytewise() -> None:
    assert holds("a < :m", {"a": {"N": "9.5"}})
    assert holds("a > :s", {"a": {"S": "b"}})
    assert not holds("a > :s", {"a": {"S": "B"}})
    assert holds("a = :n", {"a": {"N": "5.000"}})
