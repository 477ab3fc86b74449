"""Evaluating resolved condition trees against an item (DynamoDB semantics, pure).

A path that does not resolve (missing attribute, wrong container, index past the end) has no
value; any comparison with it is false, except ``<>`` which is true, and NOT inverts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sockgate.tables.expressions.ast import (
    And,
    Between,
    Call,
    Compare,
    ConditionNode,
    FunctionCondition,
    In,
    Not,
    Operand,
    Or,
    Path,
    PathElement,
    Value,
)
from sockgate.tables.values import AttributeValue, attribute_type, compare, decode_binary, equal

__all__ = ["evaluate", "get_path", "operand_value"]

_SET_MEMBER = {"SS": "S", "NS": "N", "BS": "B"}


def get_path(
    item: Mapping[str, AttributeValue], elements: tuple[PathElement, ...]
) -> AttributeValue | None:
    """The value at a resolved document path, or None when there is none."""
    first = elements[0]
    current = item.get(first) if isinstance(first, str) else None
    for element in elements[1:]:
        if current is None:
            return None
        if isinstance(element, int):
            items = current.get("L")
            current = items[element] if items is not None and element < len(items) else None
        else:
            members = current.get("M")
            current = members.get(element) if members is not None else None
    return current


def _size(value: AttributeValue | None) -> AttributeValue | None:
    if value is None:
        return None
    kind = attribute_type(value)
    raw = value[kind]
    if kind == "S":
        # UNCONFIRMED: DynamoDB (a Java service) measures a string in UTF-16 code units.
        length = len(raw.encode("utf-16-le")) // 2
    elif kind == "B":
        length = len(decode_binary(raw))
    elif kind in ("SS", "NS", "BS", "L", "M"):
        length = len(raw)
    else:
        return None
    return {"N": str(length)}


def operand_value(operand: Operand, item: Mapping[str, AttributeValue]) -> AttributeValue | None:
    """The value of an operand for this item (None when it has none)."""
    if isinstance(operand, Value):
        return operand.value
    if isinstance(operand, Path):
        return get_path(item, operand.elements)
    if operand.name == "size":
        return _size(operand_value(operand.args[0], item))
    raise ValueError(f"{operand.name}() has no value")


def _compare(op: str, left: AttributeValue | None, right: AttributeValue | None) -> bool:
    if op == "=":
        return left is not None and right is not None and equal(left, right)
    if op == "<>":
        return not (left is not None and right is not None and equal(left, right))
    order = compare(left, right) if left is not None and right is not None else None
    if order is None:
        return False
    return {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[op]


def _text(value: AttributeValue) -> tuple[str, Any]:
    kind = attribute_type(value)
    if kind == "B":
        return kind, decode_binary(value["B"])
    return kind, value[kind]


def _function(call: Call, item: Mapping[str, AttributeValue]) -> bool:
    name, args = call.name, call.args
    if name in ("attribute_exists", "attribute_not_exists"):
        exists = operand_value(args[0], item) is not None
        return exists if name == "attribute_exists" else not exists
    first, second = (operand_value(a, item) for a in args)
    if first is None or second is None:
        return False
    if name == "attribute_type":
        return bool(attribute_type(first) == second.get("S"))
    kind, haystack = _text(first)
    needle_kind, needle = _text(second)
    if name == "begins_with":
        return kind == needle_kind and kind in ("S", "B") and haystack.startswith(needle)
    if name == "contains":
        if kind in ("S", "B"):
            return kind == needle_kind and needle in haystack
        if kind in _SET_MEMBER:
            member = _SET_MEMBER[kind]
            return needle_kind == member and any(equal({member: m}, second) for m in haystack)
        if kind == "L":
            return any(equal(element, second) for element in haystack)
        return False
    raise ValueError(f"{name}() is not a condition")


def evaluate(node: ConditionNode, item: Mapping[str, AttributeValue]) -> bool:
    """Whether the item satisfies the resolved condition."""
    if isinstance(node, And):
        return evaluate(node.left, item) and evaluate(node.right, item)
    if isinstance(node, Or):
        return evaluate(node.left, item) or evaluate(node.right, item)
    if isinstance(node, Not):
        return not evaluate(node.inner, item)
    if isinstance(node, FunctionCondition):
        return _function(node.call, item)
    if isinstance(node, Compare):
        return _compare(node.op, operand_value(node.left, item), operand_value(node.right, item))
    if isinstance(node, Between):
        subject = operand_value(node.subject, item)
        low, high = operand_value(node.low, item), operand_value(node.high, item)
        return _compare(">=", subject, low) and _compare("<=", subject, high)
    if isinstance(node, In):
        subject = operand_value(node.subject, item)
        return any(_compare("=", subject, operand_value(o, item)) for o in node.options)
    raise TypeError(f"not a condition: {node!r}")
