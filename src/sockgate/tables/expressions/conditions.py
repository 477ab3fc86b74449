"""ConditionExpression and FilterExpression: parse once, evaluate against many items."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sockgate.tables.expressions.ast import ConditionNode, Path, walk
from sockgate.tables.expressions.evaluate import evaluate
from sockgate.tables.expressions.parser import parse_condition_tree
from sockgate.tables.expressions.semantics import check_condition
from sockgate.tables.values import AttributeValue

__all__ = ["Condition", "ConditionKind", "parse_condition"]

ConditionKind = Literal["ConditionExpression", "FilterExpression"]


@dataclass(frozen=True)
class Condition:
    """A parsed, resolved and checked condition.

    ``names_used``/``values_used`` feed ``check_placeholders``; ``attribute_names`` are the
    top-level attributes it reads (a Query's FilterExpression may not name key attributes).
    """

    tree: ConditionNode
    kind: str
    names_used: frozenset[str]
    values_used: frozenset[str]

    def evaluate(self, item: Mapping[str, AttributeValue] | None) -> bool:
        """Whether ``item`` (None: no item) satisfies the condition."""
        return evaluate(self.tree, item or {})

    @property
    def attribute_names(self) -> frozenset[str]:
        """The top-level attribute names the condition refers to."""
        return frozenset(
            str(node.elements[0]) for node in walk(self.tree) if isinstance(node, Path)
        )


def parse_condition(
    text: str,
    names: Mapping[str, str] | None,
    values: Mapping[str, Any] | None,
    *,
    kind: ConditionKind = "ConditionExpression",
) -> Condition:
    """Parse a ConditionExpression (or, with ``kind="FilterExpression"``, a FilterExpression).

    Raises ValidationException with DynamoDB's message, prefixed "Invalid <kind>: ", for
    syntax errors, reserved words, undefined placeholders and ill-typed operands.
    """
    tree = parse_condition_tree(text, kind)
    checked = check_condition(tree, dict(names or {}), dict(values or {}), kind)
    return Condition(checked.tree, kind, checked.names_used, checked.values_used)
