"""The expression lexer and parser: what parses, and DynamoDB's syntax-error messages."""

from __future__ import annotations

import pytest

from sockgate.tables.errors import ValidationException
from sockgate.tables.expressions import (
    parse_condition,
    parse_key_condition_expression,
    parse_projection,
    parse_update,
)
from sockgate.tables.expressions.ast import And, Compare, FunctionCondition, Not, Or
from sockgate.tables.expressions.tokens import tokenize

VALUES = {":v": {"S": "x"}, ":w": {"S": "y"}, ":n": {"N": "1"}}


def message(call, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationException) as caught:
        call(*args, **kwargs)
    return caught.value.message


def condition_error(text: str, kind: str = "ConditionExpression") -> str:
    used = {k: v for k, v in VALUES.items() if k in text}
    return message(parse_condition, text, None, used, kind=kind)


def test_tokens_follow_dynamodb_lexical_rules() -> None:
    kinds = [(t.kind, t.text) for t in tokenize("a_1 #_x :9 [12] <> <= >= _ é")]
    assert kinds == [
        ("name", "a_1"),
        ("name_ref", "#_x"),
        ("value_ref", ":9"),
        ("op", "["),
        ("number", "12"),
        ("op", "]"),
        ("op", "<>"),
        ("op", "<="),
        ("op", ">="),
        ("unknown", "_"),
        ("unknown", "é"),
        ("eof", "<EOF>"),
    ]
    assert [t.kind for t in tokenize("# :")][:2] == ["unknown", "unknown"]


# "near" is the source from the token before through the token after (AWS captures).
@pytest.mark.parametrize(
    ("call", "text", "expected"),
    [
        ("update", "INVALID SYNTAX HERE", 'Syntax error; token: "INVALID", near: "INVALID SYNTAX"'),
        ("update", "SET _123 = :v", 'Syntax error; token: "_", near: "SET _123"'),
        ("condition", "a-b", 'Syntax error; token: "-", near: "a-b"'),
        ("projection", "!!", 'Syntax error; token: "!", near: "!!"'),
        ("projection", "a b", 'Syntax error; token: "b", near: "a b"'),
        ("projection", "a,", 'Syntax error; token: "<EOF>", near: ","'),
        ("update", "SET a = :v +", 'Syntax error; token: "<EOF>", near: "+"'),
        ("update", "SET a = :v + :w + :n", 'Syntax error; token: "+", near: ":w + :n"'),
        ("condition", "a = 5", 'Syntax error; token: "5", near: "= 5"'),
        ("condition", "a != :v", 'Syntax error; token: "!", near: "a !="'),
        ("condition", "a IN ()", 'Syntax error; token: ")", near: "()"'),
        ("condition", "(a = :v) = :w", 'Syntax error; token: "=", near: ") = :w"'),
        ("update", "SET :v = :w", 'Syntax error; token: ":v", near: "SET :v ="'),
        ("update", "SET a[:v] = :w", 'Syntax error; token: ":v", near: "[:v]"'),
        (
            "update",
            "SET a = if_not_exists(a, :v + :w)",
            'Syntax error; token: "+", near: ":v + :w"',
        ),
        ("update", "HELLO b = :v", 'Syntax error; token: "HELLO", near: "HELLO b"'),
        ("update", "SET a = _f(:v)", 'Syntax error; token: "_", near: "= _f"'),
        ("update", "ADD a b", 'Syntax error; token: "b", near: "a b"'),
    ],
)
def test_syntax_errors_name_the_token_and_its_neighbours(
    call: str, text: str, expected: str
) -> None:
    used = {k: v for k, v in VALUES.items() if k in text}
    if call == "update":
        got = message(parse_update, text, None, used)
        prefix = "Invalid UpdateExpression: "
    elif call == "projection":
        got = message(parse_projection, text, None)
        prefix = "Invalid ProjectionExpression: "
    else:
        got = condition_error(text)
        prefix = "Invalid ConditionExpression: "
    assert got == prefix + expected


def test_each_kind_names_itself_in_errors() -> None:
    assert condition_error("a-b", "FilterExpression").startswith("Invalid FilterExpression: ")
    got = message(parse_key_condition_expression, "a-b", None, None)
    assert got.startswith("Invalid KeyConditionExpression: Syntax error")


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_expressions(text: str) -> None:
    assert condition_error(text) == "Invalid ConditionExpression: The expression can not be empty;"
    assert message(parse_update, text, None, None) == (
        "Invalid UpdateExpression: The expression can not be empty;"
    )
    assert message(parse_projection, text, None) == (
        "Invalid ProjectionExpression: The expression can not be empty;"
    )


def test_expressions_are_limited_to_4096_bytes_as_written() -> None:
    paths = ", ".join(f"a{i:04d}" for i in range(820))  # 820 * 5 + 819 * 2 = 5738 bytes
    assert "Expression size has exceeded the maximum allowed size" in message(
        parse_projection, paths, None
    )
    fits = ", ".join(f"a{i:03d}" for i in range(682))[:4096].rstrip(", ")
    parse_projection(fits, None)
    # Aliases count as written, not as substituted.
    names = {f"#a{i}": "n" * 300 + str(i) for i in range(30)}
    parse_projection(", ".join(names), names)


def test_too_deep_nesting_is_a_syntax_error_not_a_crash() -> None:
    text = "(" * 150 + "a = :v" + ")" * 150
    assert "Syntax error" in condition_error(text)


def test_precedence_is_not_then_and_then_or() -> None:
    tree = parse_condition("a = :v OR b = :v AND NOT c = :v", None, {":v": VALUES[":v"]}).tree
    assert isinstance(tree, Or)
    assert isinstance(tree.right, And)
    assert isinstance(tree.right.right, Not)
    grouped = parse_condition("(a = :v OR b = :v) AND c = :v", None, {":v": VALUES[":v"]}).tree
    assert isinstance(grouped, And) and isinstance(grouped.left, Or)


def test_keywords_are_case_insensitive_and_functions_are_not() -> None:
    tree = parse_condition("a between :v and :w or not attribute_exists(b)", None, VALUES | {}).tree
    assert isinstance(tree, Or) and isinstance(tree.right, Not)
    assert isinstance(tree.right.inner, FunctionCondition)
    parse_update("set a = :v remove b", None, {":v": VALUES[":v"]})
    assert message(parse_update, "SET a = LIST_APPEND(:v, :w)", None, VALUES) == (
        "Invalid UpdateExpression: Invalid function name; function: LIST_APPEND"
    )


def test_parenthesised_operands_and_functions() -> None:
    tree = parse_condition("(size(a)) > :n AND (b) = :v", None, VALUES).tree
    assert isinstance(tree, And) and isinstance(tree.left, Compare)
    parse_update("SET a = (:n + :n), b = (:n) - :n", None, {":n": VALUES[":n"]})


def test_whitespace_is_ignored() -> None:
    parse_update("  set   b=:v  ", None, {":v": VALUES[":v"]})
    parse_condition("a.b [ 1 ] . c=:v", None, {":v": VALUES[":v"]})


def test_pathologically_long_chains_are_refused_not_crashed() -> None:
    nots = "NOT " * 1000 + "a = :v"
    assert "too many operators; operator count: 1001" in condition_error(nots)
    chain = " AND ".join(["a=:v"] * 400)
    assert "too many operators" in condition_error(chain)
