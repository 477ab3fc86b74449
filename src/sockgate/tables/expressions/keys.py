"""KeyConditionExpression: ``hash = :v`` and at most one condition on the range key.

Checked in two steps, as DynamoDB does: ``parse_key_condition_expression`` needs no table (syntax,
placeholders, operand types, the shape of each condition) and DynamoDB reports its problems
before it looks the table up; ``ParsedKeyCondition.bind`` then checks the conditions against
the table's key schema. ``parse_key_condition`` does both. Messages are DynamoDB's, from
dynalite's tests against AWS and the 2026 conformance captures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sockgate.tables.errors import ValidationException
from sockgate.tables.expressions.ast import (
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
    Value,
    walk,
)
from sockgate.tables.expressions.parser import parse_condition_tree
from sockgate.tables.expressions.semantics import check_condition, leaves
from sockgate.tables.values import (
    AttributeValue,
    attribute_type,
    compare,
    equal,
    key_bytes,
    validate_key_attribute,
)

__all__ = [
    "KeyCondition",
    "KeyRange",
    "KeyTerm",
    "ParsedKeyCondition",
    "parse_key_condition",
    "parse_key_condition_expression",
]

KIND = "KeyConditionExpression"
_FLIPPED = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


@dataclass(frozen=True)
class KeyTerm:
    """One key condition: ``attribute op values`` (op: = < <= > >= BETWEEN begins_with)."""

    attribute: str
    op: str
    values: tuple[AttributeValue, ...]

    def matches(self, value: AttributeValue | None) -> bool:
        """Whether a key value satisfies this condition."""
        if value is None:
            return False
        if self.op == "begins_with":
            return key_bytes(value).startswith(key_bytes(self.values[0]))
        order = [compare(value, bound) for bound in self.values]
        if any(o is None for o in order):
            return False
        if self.op == "BETWEEN":
            return order[0] >= 0 and order[1] <= 0  # type: ignore[operator]
        first = order[0]
        assert first is not None
        return {
            "=": first == 0,
            "<": first < 0,
            "<=": first <= 0,
            ">": first > 0,
            ">=": first >= 0,
        }[self.op]


@dataclass(frozen=True)
class KeyRange:
    """Bounds on the range key's ``key_bytes`` (None: unbounded on that side)."""

    low: bytes | None
    low_inclusive: bool
    high: bytes | None
    high_inclusive: bool


def _successor(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with ``prefix``."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])


@dataclass(frozen=True)
class KeyCondition:
    """A key condition bound to a key schema: what storage turns into one range read."""

    hash_key: str
    hash_value: AttributeValue
    range_key: str | None
    range_term: KeyTerm | None
    names_used: frozenset[str]
    values_used: frozenset[str]

    @property
    def range_op(self) -> str | None:
        """The range key's operator (= < <= > >= BETWEEN begins_with), or None."""
        return self.range_term.op if self.range_term else None

    @property
    def range_values(self) -> tuple[AttributeValue, ...]:
        """The range condition's operands (two for BETWEEN)."""
        return self.range_term.values if self.range_term else ()

    def range_bounds(self) -> KeyRange:
        """The range condition as bounds on ``key_bytes`` of the range key."""
        term = self.range_term
        if term is None:
            return KeyRange(None, True, None, True)
        first = key_bytes(term.values[0])
        if term.op == "=":
            return KeyRange(first, True, first, True)
        if term.op == "BETWEEN":
            return KeyRange(first, True, key_bytes(term.values[1]), True)
        if term.op == "begins_with":
            return KeyRange(first, True, _successor(first), False)
        if term.op in ("<", "<="):
            return KeyRange(None, True, first, term.op == "<=")
        return KeyRange(first, term.op == ">=", None, True)

    def matches(self, item: Mapping[str, AttributeValue]) -> bool:
        """Whether an item satisfies the key condition."""
        value = item.get(self.hash_key)
        if value is None or not equal(value, self.hash_value):
            return False
        if self.range_term is None or self.range_key is None:
            return True
        return self.range_term.matches(item.get(self.range_key))


def _term(leaf: ConditionNode) -> KeyTerm:
    operands: tuple[Operand, ...]
    if isinstance(leaf, Compare):
        op, operands = leaf.op, (leaf.left, leaf.right)
    elif isinstance(leaf, Between):
        op, operands = "BETWEEN", (leaf.subject, leaf.low, leaf.high)
    elif isinstance(leaf, FunctionCondition):
        op, operands = leaf.call.name, leaf.call.args
    elif isinstance(leaf, In):
        op, operands = "IN", ()
    else:
        raise TypeError(f"not a condition: {leaf!r}")
    if op not in _FLIPPED and op not in ("BETWEEN", "begins_with"):
        raise ValidationException(f"Invalid operator used in KeyConditionExpression: {op}")
    if op in ("BETWEEN", "begins_with") and not isinstance(operands[0], Path):
        raise ValidationException(
            f"Invalid condition in KeyConditionExpression: {op} operator must have the key "
            "attribute as its first operand"
        )
    key: Path | None = None
    for index, operand in enumerate(operands):
        if isinstance(operand, Call):
            raise ValidationException("KeyConditionExpressions cannot contain nested operations")
        if isinstance(operand, Path):
            if key is not None:
                raise ValidationException(
                    "Invalid condition in KeyConditionExpression: "
                    "Multiple attribute names used in one condition"
                )
            if len(operand.elements) > 1:
                raise ValidationException(
                    "KeyConditionExpressions cannot have conditions on nested attributes"
                )
            key = operand
            if index == 1 and op in _FLIPPED:
                op = _FLIPPED[op]  # ":v < sk" is "sk > :v"
    if key is None:
        raise ValidationException(
            "Invalid condition in KeyConditionExpression: No key attribute specified"
        )
    values = tuple(o.value for o in operands if isinstance(o, Value) and o.value is not None)
    return KeyTerm(str(key.elements[0]), op, values)


@dataclass(frozen=True)
class ParsedKeyCondition:
    """A key condition checked for everything that needs no table."""

    terms: tuple[KeyTerm, ...]
    names_used: frozenset[str]
    values_used: frozenset[str]

    def bind(
        self,
        hash_key: str,
        range_key: str | None,
        *,
        key_types: Mapping[str, str] | None = None,
    ) -> KeyCondition:
        """Check the conditions against a key schema (``key_types``: attribute → S/N/B)."""
        schema = 1 if range_key is None else 2
        if len(self.terms) > schema:
            raise ValidationException(
                f"The number of query conditions ({len(self.terms)}) exceeds the number of key "
                f"attributes defined in the schema ({schema})"
            )
        by_name = {term.attribute: term for term in self.terms}
        if hash_key not in by_name:
            raise ValidationException(f"Query condition missed key schema element: {hash_key}")
        hash_term = by_name[hash_key]
        if set(by_name) - {hash_key, range_key} or hash_term.op != "=":
            raise ValidationException("Query key condition not supported")
        for term in self.terms:
            wanted = (key_types or {}).get(term.attribute)
            if wanted and any(attribute_type(v) != wanted for v in term.values):
                raise ValidationException(
                    "One or more parameter values were invalid: "
                    "Condition parameter type does not match schema type"
                )
            if term.op != "begins_with":
                for value in term.values:
                    validate_key_attribute(term.attribute, value)
        range_term = by_name.get(range_key) if range_key is not None else None
        return KeyCondition(
            hash_key, hash_term.values[0], range_key, range_term, self.names_used, self.values_used
        )


def parse_key_condition_expression(
    text: str, names: Mapping[str, str] | None, values: Mapping[str, Any] | None
) -> ParsedKeyCondition:
    """Parse and check a KeyConditionExpression as far as DynamoDB does before the table."""
    tree = parse_condition_tree(text, KIND)
    checked = check_condition(tree, dict(names or {}), dict(values or {}), KIND)
    for node in walk(checked.tree):
        if isinstance(node, Or | Not):
            operator = "OR" if isinstance(node, Or) else "NOT"
            raise ValidationException(
                f"Invalid operator used in KeyConditionExpression: {operator}"
            )
    terms = [_term(leaf) for leaf in leaves(checked.tree)]
    names_seen = [term.attribute for term in terms]
    if len(set(names_seen)) != len(names_seen):
        raise ValidationException(
            f"Invalid {KIND}: KeyConditionExpressions must only contain one condition per key"
        )
    return ParsedKeyCondition(tuple(terms), checked.names_used, checked.values_used)


def parse_key_condition(
    text: str,
    names: Mapping[str, str] | None,
    values: Mapping[str, Any] | None,
    hash_key: str,
    range_key: str | None,
    *,
    key_types: Mapping[str, str] | None = None,
) -> KeyCondition:
    """Parse a KeyConditionExpression and bind it to a key schema in one step."""
    parsed = parse_key_condition_expression(text, names, values)
    return parsed.bind(hash_key, range_key, key_types=key_types)
