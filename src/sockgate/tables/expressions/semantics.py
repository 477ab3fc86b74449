"""Placeholder resolution and DynamoDB's static checks of condition-shaped expressions.

DynamoDB reports one problem per expression, by category in this order (dynalite calibrated
it against AWS): redundant parentheses, unknown function, misused function, reserved word,
then the first condition (in the order written) that has a problem, where a condition's own
problems rank: undefined placeholder, operand count, identical operands, operand types.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from typing import Any, TypeVar, cast

from sockgate.tables.errors import ValidationException
from sockgate.tables.expressions.ast import (
    AddAction,
    And,
    Arithmetic,
    Between,
    Call,
    Compare,
    ConditionNode,
    DeleteAction,
    FunctionCondition,
    In,
    Node,
    Not,
    Operand,
    Or,
    Path,
    RemoveAction,
    SetAction,
    Value,
    walk,
)
from sockgate.tables.expressions.reserved import is_reserved
from sockgate.tables.values import attribute_type, compare

__all__ = [
    "MAX_OPERATORS",
    "Resolver",
    "check_condition",
    "incorrect_operand",
    "leaves",
    "misused",
    "operator_count",
    "path_clash",
    "reserved_word",
]


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _replace(node: Any, **changes: Any) -> Any:
    """dataclasses.replace without its introspection on every call (resolution replaces every
    node of every expression of every request)."""
    cls: type = type(node)
    values = {name: getattr(node, name) for name in _field_names(cls)}
    values.update(changes)
    return type(node)(**values)


MAX_OPERATORS = 300
MAX_IN_OPERANDS = 100
CONDITION_FUNCTIONS = {
    "attribute_exists": 1,
    "attribute_not_exists": 1,
    "attribute_type": 2,
    "begins_with": 2,
    "contains": 2,
    "size": 1,
}
BETWEEN = "The BETWEEN operator requires "
ORDERING = frozenset({"<", "<=", ">", ">="})
SCALARS = frozenset({"S", "N", "B"})
TYPE_NAMES = frozenset({"S", "N", "B", "NULL", "SS", "BOOL", "L", "BS", "NS", "M"})
_N = TypeVar("_N", bound=Node)


def incorrect_operand(name: str, kind: str) -> str:
    """DynamoDB's wrong-operand-type message for a function or operator."""
    return (
        "Incorrect operand type for operator or function; "
        f"operator or function: {name}, operand type: {kind}"
    )


def misused(name: str) -> str:
    """DynamoDB's message for a function used where it may not be."""
    return f"The function is not allowed to be used this way in an expression; function: {name}"


def reserved_word(nodes: list[Node]) -> str | None:
    """The first bare path name that is a reserved word, as written."""
    for node in nodes:
        if isinstance(node, Path):
            for element in node.raw:
                if (
                    isinstance(element, str)
                    and not element.startswith("#")
                    and is_reserved(element)
                ):
                    return f"Attribute name is a reserved keyword; reserved keyword: {element}"
    return None


def static_type(operand: Operand) -> str | None:
    """The type an operand is known to have before any item is read."""
    if isinstance(operand, Value) and operand.value is not None:
        return attribute_type(operand.value)
    if isinstance(operand, Call) and operand.name == "size":
        return "N"
    return None


class Resolver:
    """Replaces ``#name`` and ``:value`` placeholders, noting which were used.

    An undefined placeholder does not raise here: ``undefined`` keeps the first one met, in
    the order written, so the caller can rank it against other problems.
    """

    def __init__(self, names: dict[str, str] | None, values: dict[str, Any] | None) -> None:
        self.names = names or {}
        self.values = values or {}
        self.names_used: dict[str, None] = {}
        self.values_used: dict[str, None] = {}
        self.undefined: str | None = None
        self.undefined_name: str | None = None
        self.undefined_value: str | None = None

    def _name(self, element: str | int) -> str | int:
        if not isinstance(element, str) or not element.startswith("#"):
            return element
        if element in self.names:
            self.names_used[element] = None
            return self.names[element]
        message = (
            "An expression attribute name used in the document path is not defined; "
            f"attribute name: {element}"
        )
        self.undefined_name = self.undefined_name or message
        self.undefined = self.undefined or message
        return element

    def resolve(self, node: _N) -> _N:
        """``node`` with every placeholder below it replaced."""
        return cast(_N, self._resolve(node))

    def _resolve(self, node: Node) -> Any:
        if isinstance(node, Path):
            return _replace(node, elements=tuple(self._name(e) for e in node.raw))
        if isinstance(node, Value):
            return self._value(node)
        if isinstance(node, Call):
            return _replace(node, args=tuple(self._resolve(a) for a in node.args))
        if isinstance(node, Compare | Arithmetic | And | Or):
            return _replace(node, left=self._resolve(node.left), right=self._resolve(node.right))
        if isinstance(node, Between):
            subject, low, high = (self._resolve(n) for n in (node.subject, node.low, node.high))
            return _replace(node, subject=subject, low=low, high=high)
        if isinstance(node, In):
            options = tuple(self._resolve(o) for o in node.options)
            return _replace(node, subject=self._resolve(node.subject), options=options)
        if isinstance(node, FunctionCondition):
            return _replace(node, call=self._resolve(node.call))
        if isinstance(node, Not):
            return _replace(node, inner=self._resolve(node.inner))
        if isinstance(node, SetAction | AddAction | DeleteAction):
            return _replace(node, path=self._resolve(node.path), value=self._resolve(node.value))
        if isinstance(node, RemoveAction):
            return _replace(node, path=self._resolve(node.path))
        raise TypeError(f"cannot resolve {node!r}")

    def _value(self, node: Value) -> Value:
        if node.ref in self.values:
            self.values_used[node.ref] = None
            resolved: Value = _replace(node, value=self.values[node.ref])
            return resolved
        message = (
            "An expression attribute value used in expression is not defined; "
            f"attribute value: {node.ref}"
        )
        self.undefined_value = self.undefined_value or message
        self.undefined = self.undefined or message
        return node


def _misused_function(nodes: list[Node]) -> str | None:
    for node in nodes:
        if isinstance(node, FunctionCondition) and node.call.name == "size":
            name: str | None = "size"
        elif isinstance(node, Compare | Between | In | Call):
            operands = node.args if isinstance(node, Call) else _operands(node)
            name = next(
                (o.name for o in operands if isinstance(o, Call) and o.name != "size"), None
            )
        else:
            name = None
        if name is not None:
            return misused(name)
    return None


def _operands(node: Compare | Between | In) -> tuple[Operand, ...]:
    if isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, Between):
        return (node.subject, node.low, node.high)
    return (node.subject, *node.options)


def leaves(node: ConditionNode) -> list[Compare | Between | In | FunctionCondition]:
    """The comparisons and function conditions under ``node``, in the order written."""
    return _leaves(list(walk(node)))


def _leaves(nodes: list[Node]) -> list[Compare | Between | In | FunctionCondition]:
    return [n for n in nodes if isinstance(n, Compare | Between | In | FunctionCondition)]


# The problems of one condition take the condition and its nodes (walk(leaf), done once).


def _count_problem(leaf: ConditionNode, nodes: list[Node]) -> str | None:
    for node in nodes:
        if isinstance(node, Call) and len(node.args) != CONDITION_FUNCTIONS[node.name]:
            return (
                "Incorrect number of operands for operator or function; "
                f"operator or function: {node.name}, number of operands: {len(node.args)}"
            )
    if isinstance(leaf, In) and len(leaf.options) > MAX_IN_OPERANDS:
        count = len(leaf.options)
        return f"The IN operator is provided with too many operands; number of operands: {count}"
    return None


def _distinct_problem(leaf: ConditionNode, nodes: list[Node]) -> str | None:
    pairs: list[tuple[str, Operand, Operand]] = []
    if isinstance(leaf, Compare):
        pairs.append((leaf.op, leaf.left, leaf.right))
    for node in nodes:
        if isinstance(node, Call) and len(node.args) == 2:
            pairs.append((node.name, node.args[0], node.args[1]))
    for name, first, second in pairs:
        if (
            isinstance(first, Path)
            and isinstance(second, Path)
            and first.elements == second.elements
        ):
            return (
                "The first operand must be distinct from the remaining operands for this "
                f"operator or function; operator: {name}, first operand: {first.describe()}"
            )
    return None


def _call_problem(call: Call) -> str | None:
    name, args = call.name, call.args
    if name in ("attribute_exists", "attribute_not_exists") and not isinstance(args[0], Path):
        return f"Operator or function requires a document path; operator or function: {name}"
    if name == "begins_with":
        for arg in args:
            kind = static_type(arg)
            if kind is not None and kind not in ("S", "B"):
                return incorrect_operand(name, kind)
    if name == "attribute_type":
        kind = static_type(args[1])
        if kind != "S":
            # What AWS prints when the type operand is not a value (dynalite's capture).
            return incorrect_operand(name, kind or "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}")
        wanted = args[1].value["S"]  # type: ignore[union-attr,index]
        if wanted not in TYPE_NAMES:
            return (
                f"Invalid attribute type name found; type: {wanted}, "
                "valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"
            )
    if name == "size" and static_type(args[0]) in ("N", "BOOL", "NULL"):
        return incorrect_operand(name, str(static_type(args[0])))
    return None


def _bound(value: dict[str, Any]) -> str:
    kind = attribute_type(value)
    return f"AttributeValue: {{{kind}:{value[kind]}}}"


def _type_problem(leaf: ConditionNode, nodes: list[Node]) -> str | None:
    calls = [n for n in nodes if isinstance(n, Call)]
    for call in reversed(calls):  # inner calls are checked first, as they finish parsing first
        if problem := _call_problem(call):
            return problem
    name = leaf.op if isinstance(leaf, Compare) else "BETWEEN" if isinstance(leaf, Between) else ""
    if isinstance(leaf, Compare | Between) and (name in ORDERING or name == "BETWEEN"):
        for operand in _operands(leaf):
            kind = static_type(operand)
            if kind is not None and kind not in SCALARS:
                return incorrect_operand(name, kind)
    if isinstance(leaf, Between) and isinstance(leaf.low, Value) and isinstance(leaf.high, Value):
        low, high = leaf.low.value, leaf.high.value
        if low is not None and high is not None:
            bounds = f"lower bound operand: {_bound(low)}, upper bound operand: {_bound(high)}"
            if attribute_type(low) != attribute_type(high):
                return f"{BETWEEN}same data type for lower and upper bounds; {bounds}"
            if (compare(low, high) or 0) > 0:
                return f"{BETWEEN}upper bound to be greater than or equal to lower bound; {bounds}"
    return None


@dataclass(frozen=True)
class CheckedCondition:
    """A resolved condition tree and the placeholders it used."""

    tree: ConditionNode
    names_used: frozenset[str]
    values_used: frozenset[str]


def operator_count(nodes: list[Node]) -> int:
    """Operators and functions, as DynamoDB counts them against its limit of 300."""
    return sum(
        isinstance(n, Compare | Between | In | Not | And | Or | Call | Arithmetic) for n in nodes
    )


def check_condition(
    tree: ConditionNode, names: dict[str, str] | None, values: dict[str, Any] | None, kind: str
) -> CheckedCondition:
    """Resolve a parsed condition and raise DynamoDB's first static problem with it."""

    def fail(message: str) -> ValidationException:
        return ValidationException(f"Invalid {kind}: {message}")

    nodes = list(walk(tree))
    count = operator_count(nodes)
    if count > MAX_OPERATORS:
        raise fail(f"The expression contains too many operators; operator count: {count}")
    if any(getattr(n, "parens", 0) >= 2 for n in nodes):
        raise fail("The expression has redundant parentheses;")
    for node in nodes:
        if isinstance(node, Call) and node.name not in CONDITION_FUNCTIONS:
            raise fail(f"Invalid function name; function: {node.name}")
    for problem in (_misused_function(nodes), reserved_word(nodes)):
        if problem:
            raise fail(problem)
    resolver = Resolver(names, values)
    for leaf in _leaves(nodes):
        resolver.undefined = None
        resolved = resolver.resolve(leaf)
        below = list(walk(resolved))
        problem = resolver.undefined or _count_problem(resolved, below)
        problem = problem or _distinct_problem(resolved, below) or _type_problem(resolved, below)
        if problem:
            raise fail(problem)
    resolver = Resolver(names, values)
    return CheckedCondition(
        resolver.resolve(tree), frozenset(resolver.names_used), frozenset(resolver.values_used)
    )


def path_clash(paths: list[Path], kind: str) -> None:
    """Refuse two paths where one contains the other (overlap) or they disagree on a step's kind.

    Checked in the order written, each path against every earlier one; an overlap anywhere
    outranks a conflict anywhere.
    """
    overlap = conflict = None
    for later_index, later in enumerate(paths):
        for earlier in paths[:later_index]:
            problem = _clash(earlier.elements, later.elements)
            if problem == "overlap" and overlap is None:
                overlap = (earlier, later)
            if problem == "conflict" and conflict is None:
                conflict = (earlier, later)
    for found, verb in ((overlap, "overlap"), (conflict, "conflict")):
        if found is not None:
            raise ValidationException(
                f"Invalid {kind}: Two document paths {verb} with each other; must remove or "
                f"rewrite one of these paths; path one: {found[0].describe()}, "
                f"path two: {found[1].describe()}"
            )


def _clash(one: tuple[str | int, ...], two: tuple[str | int, ...]) -> str | None:
    for a, b in zip(one, two, strict=False):
        if isinstance(a, int) != isinstance(b, int):
            return "conflict"
        if a != b:
            return None
    return "overlap"
