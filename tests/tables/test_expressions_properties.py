"""Property tests: conditions rendered to text, parsed and evaluated agree with a reference."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sockgate.tables.expressions import parse_condition, parse_update

ATTRIBUTES = ["a", "b", "c"]
SCALARS = st.one_of(st.integers(-3, 3), st.sampled_from(["", "a", "ab", "b", "é"]))


def wire(value: Any) -> dict[str, str]:
    return {"N": str(value)} if isinstance(value, int) else {"S": value}


@dataclass(frozen=True)
class Leaf:
    op: str  # = <> < <= > >= BETWEEN IN exists not_exists begins_with
    attribute: str
    operands: tuple[Any, ...]


@dataclass(frozen=True)
class Node:
    op: str  # AND OR NOT
    children: tuple[Any, ...]


@st.composite
def leaves(draw: st.DrawFn) -> Leaf:
    op = draw(
        st.sampled_from(
            [
                "=",
                "<>",
                "<",
                "<=",
                ">",
                ">=",
                "BETWEEN",
                "IN",
                "exists",
                "not_exists",
                "begins_with",
            ]
        )
    )
    attribute = draw(st.sampled_from(ATTRIBUTES))
    if op == "BETWEEN":
        kind = draw(st.sampled_from([int, str]))
        pool = st.integers(-3, 3) if kind is int else st.sampled_from(["", "a", "ab", "b"])
        low, high = sorted([draw(pool), draw(pool)])
        return Leaf(op, attribute, (low, high))
    if op == "IN":
        return Leaf(op, attribute, tuple(draw(st.lists(SCALARS, min_size=1, max_size=3))))
    if op in ("exists", "not_exists"):
        return Leaf(op, attribute, ())
    if op == "begins_with":
        return Leaf(op, attribute, (draw(st.sampled_from(["", "a", "b"])),))
    return Leaf(op, attribute, (draw(SCALARS),))


conditions = st.recursive(
    leaves(),
    lambda inner: st.one_of(
        st.builds(lambda c: Node("NOT", (c,)), inner),
        st.builds(lambda x, y: Node("AND", (x, y)), inner, inner),
        st.builds(lambda x, y: Node("OR", (x, y)), inner, inner),
    ),
    max_leaves=6,
)
items = st.dictionaries(st.sampled_from(ATTRIBUTES), SCALARS)


def same_type(x: Any, y: Any) -> bool:
    return isinstance(x, int) == isinstance(y, int)


def reference(node: Leaf | Node, item: dict[str, Any]) -> bool:
    """DynamoDB's semantics, written directly on Python values."""
    if isinstance(node, Node):
        results = [reference(child, item) for child in node.children]
        return {
            "NOT": lambda: not results[0],
            "AND": lambda: all(results),
            "OR": lambda: any(results),
        }[node.op]()
    present = node.attribute in item
    value = item.get(node.attribute)
    if node.op == "exists":
        return present
    if node.op == "not_exists":
        return not present
    if node.op == "begins_with":
        return present and isinstance(value, str) and value.startswith(node.operands[0])
    if node.op == "IN":
        return present and any(same_type(value, o) and value == o for o in node.operands)
    if node.op == "BETWEEN":
        low, high = node.operands
        return present and same_type(value, low) and low <= value <= high
    other = node.operands[0]
    equal = present and same_type(value, other) and value == other
    if node.op == "=":
        return equal
    if node.op == "<>":
        return not equal
    if not (present and same_type(value, other)):
        return False
    return {"<": value < other, "<=": value <= other, ">": value > other, ">=": value >= other}[
        node.op
    ]


class Renderer:
    """Writes a condition as text with placeholders, minimal parentheses and varied spelling."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.values: dict[str, dict[str, str]] = {}
        self.names: dict[str, str] = {}

    def word(self, word: str) -> str:
        return self.draw(st.sampled_from([word, word.lower(), word.capitalize()]))

    def value(self, python_value: Any) -> str:
        ref = f":v{len(self.values)}"
        self.values[ref] = wire(python_value)
        return ref

    def name(self, attribute: str) -> str:
        if self.draw(st.booleans()):
            return attribute
        ref = f"#n{len(self.names)}"
        self.names[ref] = attribute
        return ref

    def render(self, node: Leaf | Node, strength: int = 0) -> str:
        if isinstance(node, Leaf):
            return self.leaf(node)
        own = {"OR": 1, "AND": 2, "NOT": 3}[node.op]
        if node.op == "NOT":
            text = f"{self.word('NOT')} {self.render(node.children[0], own)}"
        else:
            left = self.render(node.children[0], own)
            right = self.render(node.children[1], own + 1)
            text = f"{left} {self.word(node.op)} {right}"
        return f"({text})" if own < strength else text

    def leaf(self, leaf: Leaf) -> str:
        path = self.name(leaf.attribute)
        if leaf.op in ("exists", "not_exists"):
            return f"attribute_{leaf.op}({path})"
        if leaf.op == "begins_with":
            return f"begins_with({path}, {self.value(leaf.operands[0])})"
        if leaf.op == "BETWEEN":
            low, high = (self.value(v) for v in leaf.operands)
            return f"{path} {self.word('BETWEEN')} {low} {self.word('AND')} {high}"
        if leaf.op == "IN":
            options = ", ".join(self.value(v) for v in leaf.operands)
            return f"{path} {self.word('IN')} ({options})"
        return f"{path} {leaf.op} {self.value(leaf.operands[0])}"


@settings(max_examples=150, deadline=None)
@given(conditions, st.lists(items, min_size=1, max_size=4), st.data())
def test_parsed_conditions_evaluate_like_the_reference(
    condition: Leaf | Node, cases: list[dict[str, Any]], data: st.DataObject
) -> None:
    renderer = Renderer(data.draw)
    text = renderer.render(condition)
    parsed = parse_condition(text, renderer.names or None, renderer.values, kind="FilterExpression")
    assert parsed.values_used == set(renderer.values)
    assert parsed.names_used == set(renderer.names)
    for item in cases:
        wire_item = {k: wire(v) for k, v in item.items()}
        assert parsed.evaluate(wire_item) is reference(condition, item), text


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(ATTRIBUTES), st.integers(-100, 100)), st.integers(-100, 100))
def test_counter_updates_agree_with_arithmetic(item: dict[str, int], step: int) -> None:
    update = parse_update(
        "SET a = if_not_exists(a, :zero) + :step ADD b :step REMOVE c",
        None,
        {":zero": {"N": "0"}, ":step": {"N": str(step)}},
    )
    result = update.apply({k: wire(v) for k, v in item.items()})
    assert result.item.get("a") == {"N": str(item.get("a", 0) + step)}
    assert result.item.get("b") == {"N": str(item.get("b", 0) + step)}
    assert "c" not in result.item
