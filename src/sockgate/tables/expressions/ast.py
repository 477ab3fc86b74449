"""The syntax tree of DynamoDB expressions (immutable dataclasses).

The parser builds nodes with placeholders as written (``Path.raw`` holds ``#name`` refs,
``Value.value`` is unset); resolution fills ``Path.elements`` and ``Value.value``. ``parens``
counts the parentheses written directly around a node, which DynamoDB checks for redundancy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

__all__ = [
    "AddAction",
    "And",
    "Arithmetic",
    "Between",
    "Call",
    "Compare",
    "ConditionNode",
    "DeleteAction",
    "FunctionCondition",
    "In",
    "Node",
    "Not",
    "Operand",
    "Or",
    "Path",
    "PathElement",
    "RemoveAction",
    "SetAction",
    "SetValue",
    "UpdateAction",
    "Value",
    "children",
    "walk",
]

PathElement: TypeAlias = str | int


def describe_path(elements: tuple[PathElement, ...]) -> str:
    """A path as DynamoDB prints it in messages: ``[a, b, [0]]``."""
    return "[" + ", ".join(f"[{e}]" if isinstance(e, int) else e for e in elements) + "]"


@dataclass(frozen=True, slots=True)
class Path:
    """A document path: top-level name, then ``.name`` and ``[index]`` steps."""

    raw: tuple[PathElement, ...]
    elements: tuple[PathElement, ...] = ()
    parens: int = 0

    def describe(self) -> str:
        """The resolved path as DynamoDB prints it: ``[a, b, [0]]``."""
        return describe_path(self.elements)

    def __str__(self) -> str:
        out = ""
        for element in self.elements or self.raw:
            out += f"[{element}]" if isinstance(element, int) else f".{element}"
        return out[1:] if out.startswith(".") else out


@dataclass(frozen=True, slots=True)
class Value:
    """A ``:placeholder`` from ExpressionAttributeValues."""

    ref: str
    value: dict[str, Any] | None = None
    parens: int = 0


@dataclass(frozen=True, slots=True)
class Call:
    """A function call: size(), begins_with(), if_not_exists(), list_append(), ..."""

    name: str
    args: tuple[Operand, ...]
    parens: int = 0


Operand: TypeAlias = Path | Value | Call


@dataclass(frozen=True, slots=True)
class Compare:
    """``left op right`` with op one of = <> < <= > >=."""

    op: str
    left: Operand
    right: Operand
    parens: int = 0


@dataclass(frozen=True, slots=True)
class Between:
    """``subject BETWEEN low AND high`` (both bounds inclusive)."""

    subject: Operand
    low: Operand
    high: Operand
    parens: int = 0


@dataclass(frozen=True, slots=True)
class In:
    """``subject IN (option, ...)``."""

    subject: Operand
    options: tuple[Operand, ...]
    parens: int = 0


@dataclass(frozen=True, slots=True)
class FunctionCondition:
    """A function used as a condition: attribute_exists(a), begins_with(a, :v), ..."""

    call: Call
    parens: int = 0


@dataclass(frozen=True, slots=True)
class Not:
    """``NOT condition``."""

    inner: ConditionNode
    parens: int = 0


@dataclass(frozen=True, slots=True)
class And:
    """``left AND right``."""

    left: ConditionNode
    right: ConditionNode
    parens: int = 0


@dataclass(frozen=True, slots=True)
class Or:
    """``left OR right``."""

    left: ConditionNode
    right: ConditionNode
    parens: int = 0


ConditionNode: TypeAlias = Compare | Between | In | FunctionCondition | Not | And | Or


@dataclass(frozen=True, slots=True)
class Arithmetic:
    """``left + right`` or ``left - right`` on the right-hand side of SET."""

    op: str
    left: Operand
    right: Operand
    parens: int = 0


SetValue: TypeAlias = Operand | Arithmetic


@dataclass(frozen=True, slots=True)
class SetAction:
    """``SET path = value``."""

    path: Path
    value: SetValue


@dataclass(frozen=True, slots=True)
class RemoveAction:
    """``REMOVE path``."""

    path: Path


@dataclass(frozen=True, slots=True)
class AddAction:
    """``ADD path :value`` (numbers and sets)."""

    path: Path
    value: Value


@dataclass(frozen=True, slots=True)
class DeleteAction:
    """``DELETE path :set`` (removes members from a set)."""

    path: Path
    value: Value


UpdateAction: TypeAlias = SetAction | RemoveAction | AddAction | DeleteAction
Node: TypeAlias = ConditionNode | Operand | Arithmetic | UpdateAction


# Every expression check walks the tree several times: a node's children are looked up by
# its class rather than by testing it against each class in turn.
_CHILDREN: dict[type, Callable[[Any], tuple[Node, ...]]] = {
    Call: lambda node: node.args,
    Compare: lambda node: (node.left, node.right),
    Arithmetic: lambda node: (node.left, node.right),
    Between: lambda node: (node.subject, node.low, node.high),
    In: lambda node: (node.subject, *node.options),
    FunctionCondition: lambda node: (node.call,),
    Not: lambda node: (node.inner,),
    And: lambda node: (node.left, node.right),
    Or: lambda node: (node.left, node.right),
    SetAction: lambda node: (node.path, node.value),
    AddAction: lambda node: (node.path, node.value),
    DeleteAction: lambda node: (node.path, node.value),
    RemoveAction: lambda node: (node.path,),
}


def children(node: Node) -> tuple[Node, ...]:
    """The direct children of a node, in the order they are written."""
    get = _CHILDREN.get(type(node))
    return () if get is None else get(node)


def walk(node: Node) -> Iterator[Node]:
    """Every node under ``node`` (itself first), in the order they are written.

    Iterative, so a pathologically deep tree is counted and refused, not a stack overflow.
    """
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))
