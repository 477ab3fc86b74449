"""Placeholder bookkeeping across every expression of a request."""

from __future__ import annotations

import pytest

from sockgate.tables.errors import ValidationException
from sockgate.tables.expressions import (
    check_placeholders,
    parse_condition,
    parse_projection,
    parse_update,
    validate_placeholder_maps,
)


def refusal(call, *args) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationException) as caught:
        call(*args)
    return caught.value.message


def test_maps_must_be_non_empty_and_well_keyed() -> None:
    validate_placeholder_maps(None, None)
    validate_placeholder_maps({"#a_1": "x"}, {":0": {"S": "v"}})
    assert (
        refusal(validate_placeholder_maps, {}, None) == "ExpressionAttributeNames must not be empty"
    )
    assert (
        refusal(validate_placeholder_maps, None, {})
        == "ExpressionAttributeValues must not be empty"
    )
    assert refusal(validate_placeholder_maps, {"a": "a"}, None) == (
        'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"'
    )
    assert refusal(validate_placeholder_maps, None, {"a": {"S": "b"}}) == (
        'ExpressionAttributeValues contains invalid key: Syntax error; key: "a"'
    )
    assert "invalid key" in refusal(validate_placeholder_maps, {"#a-b": "x"}, None)


def test_every_placeholder_must_be_used_by_some_expression() -> None:
    names = {"#a": "a", "#p": "p", "#c": "c"}
    values = {":v": {"S": "x"}, ":w": {"N": "1"}}
    update = parse_update("SET #a = :v", names, values)
    condition = parse_condition("attribute_exists(#c) AND n < :w", names, values)
    projection = parse_projection("#p", names)
    check_placeholders(names, values, [update, condition, projection])
    assert refusal(check_placeholders, names, values, [update, projection]) == (
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#c}"
    )
    assert refusal(check_placeholders, {"#a": "a"}, values | {":z": {"S": "z"}}, [update]) == (
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w, :z}"
    )
    assert refusal(check_placeholders, names, values, [update]) == (
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#p, #c}"
    )


def test_maps_without_expressions_are_refused() -> None:
    check_placeholders(None, None, [])
    assert refusal(check_placeholders, None, {":v": {"S": "x"}}, []) == (
        "ExpressionAttributeValues can only be specified when using expressions"
    )
    assert refusal(check_placeholders, {"#a": "a"}, None, []) == (
        "ExpressionAttributeNames can only be specified when using expressions"
    )
