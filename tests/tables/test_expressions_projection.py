"""ProjectionExpression: parsing checks and the shape of projected items."""

from __future__ import annotations

import pytest

from sockgate.tables.errors import ValidationException
from sockgate.tables.expressions import parse_projection, project

PREFIX = "Invalid ProjectionExpression: "
ITEM = {
    "a": {"M": {"b": {"S": "x"}, "c": {"N": "1"}}},
    "l": {
        "L": [
            {"S": "0"},
            {"S": "1"},
            {"S": "2"},
            {"M": {"q": {"S": "deep"}, "r": {"S": "no"}}},
        ]
    },
    "t": {"S": "top"},
}


def problem(text: str, names: dict | None = None) -> str:
    with pytest.raises(ValidationException) as caught:
        parse_projection(text, names)
    return caught.value.message.removeprefix(PREFIX)


def test_nested_paths_keep_their_structure_and_lists_close_up() -> None:
    projection = parse_projection("a.b, l[1], l[3].q, t, ghost, a.zz, l[9], a.c.z, l[0].y", None)
    assert projection.apply(ITEM) == {
        "a": {"M": {"b": {"S": "x"}}},
        "l": {"L": [{"S": "1"}, {"M": {"q": {"S": "deep"}}}]},
        "t": {"S": "top"},
    }


def test_list_elements_come_back_in_list_order() -> None:
    assert parse_projection("l[2], l[0]", None).apply(ITEM) == {
        "l": {"L": [{"S": "0"}, {"S": "2"}]}
    }


def test_names_and_projection_of_nothing() -> None:
    projection = parse_projection("#n, #x.#y", {"#n": "t", "#x": "a", "#y": "c"})
    assert projection.apply(ITEM) == {"t": {"S": "top"}, "a": {"M": {"c": {"N": "1"}}}}
    assert projection.names_used == {"#n", "#x", "#y"}
    assert projection.attribute_names == {"t", "a"}
    assert parse_projection("ghost", None).apply(ITEM) == {}


def test_projection_copies_values() -> None:
    projected = parse_projection("a", None).apply(ITEM)
    projected["a"]["M"]["b"]["S"] = "changed"
    assert ITEM["a"]["M"]["b"] == {"S": "x"}


def test_problems() -> None:
    assert problem("a, a.b") == (
        "Two document paths overlap with each other; must remove or rewrite one of these "
        "paths; path one: [a], path two: [a, b]"
    )
    assert problem("a, a").startswith("Two document paths overlap")
    assert problem("a.b, a[0]") == (
        "Two document paths conflict with each other; must remove or rewrite one of these "
        "paths; path one: [a, b], path two: [a, [0]]"
    )
    assert problem("name") == "Attribute name is a reserved keyword; reserved keyword: name"
    assert problem("#x") == (
        "An expression attribute name used in the document path is not defined; attribute name: #x"
    )
    assert problem("a, :v").startswith('Syntax error; token: ":v"')


def test_project_on_resolved_paths() -> None:
    assert project(ITEM, [("a", "c"), ("l", 0)]) == {
        "a": {"M": {"c": {"N": "1"}}},
        "l": {"L": [{"S": "0"}]},
    }
