"""UpdateExpression: SET, REMOVE, ADD and DELETE clauses, checked and applied as DynamoDB does.

Semantics (Alternator's and the conformance suite's tests against AWS): every right-hand side
is read from the item as it was before the update; list indexes refer to the original
positions; SET past a list's end appends (several appends in index order); REMOVE of a
missing leaf does nothing, but a missing or wrong-typed parent is an error unless the item
did not exist; DELETE that empties a set removes the attribute.
"""

from __future__ import annotations

import copy
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from typing import Any

from sockgate.tables.errors import ValidationException
from sockgate.tables.expressions.ast import (
    AddAction,
    Arithmetic,
    Call,
    DeleteAction,
    Path,
    PathElement,
    RemoveAction,
    SetAction,
    SetValue,
    UpdateAction,
    Value,
    walk,
)
from sockgate.tables.expressions.evaluate import get_path
from sockgate.tables.expressions.parser import Clause, parse_update_tree
from sockgate.tables.expressions.projection import project
from sockgate.tables.expressions.semantics import (
    MAX_OPERATORS,
    Resolver,
    incorrect_operand,
    misused,
    operator_count,
    path_clash,
    reserved_word,
)
from sockgate.tables.values import (
    AttributeValue,
    Item,
    add_numbers,
    attribute_type,
    decode_binary,
    normalize_number,
)

__all__ = ["UpdateExpression", "UpdateResult", "parse_update"]

KIND = "UpdateExpression"
UPDATE_FUNCTIONS = {"if_not_exists": 2, "list_append": 2}
_TYPE_WORDS = {
    "S": "STRING",
    "N": "NUMBER",
    "B": "BINARY",
    "NULL": "NULL",
    "BOOL": "BOOLEAN",
    "L": "LIST",
    "M": "MAP",
}
INVALID_PATH = "The document path provided in the update expression is invalid for update"
MISSING = "The provided expression refers to an attribute that does not exist in the item"
WRONG_TYPE = "An operand in the update expression has an incorrect data type"


def _fail(message: str) -> ValidationException:
    return ValidationException(f"Invalid {KIND}: {message}")


def _function_problem(value: SetValue) -> str | None:
    for node in reversed(list(walk(value))):  # inner functions first, as they finish parsing first
        if isinstance(node, Call):
            if len(node.args) != UPDATE_FUNCTIONS[node.name]:
                return (
                    "Incorrect number of operands for operator or function; "
                    f"operator or function: {node.name}, number of operands: {len(node.args)}"
                )
            if node.name == "if_not_exists" and not isinstance(node.args[0], Path):
                return (
                    "Operator or function requires a document path; "
                    "operator or function: if_not_exists"
                )
            wanted, operands = ("L", node.args) if node.name == "list_append" else (None, ())
        elif isinstance(node, Arithmetic):
            wanted, operands = "N", (node.left, node.right)
        else:
            continue
        for operand in operands:
            if isinstance(operand, Value) and operand.value is not None:
                kind = attribute_type(operand.value)
                if kind != wanted:
                    return incorrect_operand(node.name if isinstance(node, Call) else node.op, kind)
    return None


def _check(clauses: list[Clause], resolver: Resolver) -> list[UpdateAction]:  # noqa: C901 (to split)
    """Resolve the actions and raise DynamoDB's first problem, ranked as DynamoDB ranks them."""
    actions = [action for _, group in clauses for action in group]
    nodes = [node for action in actions for node in walk(action)]
    count = operator_count(nodes)
    if count > MAX_OPERATORS:
        raise _fail(f"The expression contains too many operators; operator count: {count}")
    if problem := reserved_word(nodes):
        raise _fail(problem)
    for node in nodes:
        if isinstance(node, Call) and node.name not in UPDATE_FUNCTIONS:
            raise _fail(f"Invalid function name; function: {node.name}")
    for node in nodes:
        nested = [a for a in getattr(node, "args", ()) if isinstance(a, Call)]
        if any(a.name == "list_append" for a in nested):
            raise _fail(misused("list_append"))
    seen: set[str] = set()
    for word, _ in clauses:
        if word in seen:
            raise _fail(f'The "{word}" section can only be used once in an update expression;')
        seen.add(word)
    resolved = [resolver.resolve(action) for action in actions]
    for undefined in (resolver.undefined_name, resolver.undefined_value):
        if undefined:
            raise _fail(undefined)
    path_clash([action.path for action in resolved], KIND)
    for action in resolved:
        if isinstance(action, AddAction | DeleteAction) and action.value.value is not None:
            kind = attribute_type(action.value.value)
            operator = "ADD" if isinstance(action, AddAction) else "DELETE"
            if kind in _TYPE_WORDS and not (operator == "ADD" and kind == "N"):
                raise _fail(
                    "Incorrect operand type for operator or function; "
                    f"operator: {operator}, operand type: {_TYPE_WORDS[kind]}"
                )
    for action in resolved:
        if isinstance(action, SetAction) and (problem := _function_problem(action.value)):
            raise _fail(problem)
    return resolved


# ---- applying ------------------------------------------------------------------------------


def _set_key(kind: str, member: str) -> Any:
    if kind == "NS":
        return normalize_number(member)  # "1.0" and "1" are one member
    return decode_binary(member) if kind == "BS" else member


def _read(value: SetValue, item: Item) -> AttributeValue:
    if isinstance(value, Value):
        assert value.value is not None
        return value.value
    if isinstance(value, Path):
        found = get_path(item, value.elements)
        if found is None:
            raise ValidationException(MISSING)
        return found
    if isinstance(value, Arithmetic):
        left, right = _read(value.left, item), _read(value.right, item)
        if attribute_type(left) != "N" or attribute_type(right) != "N":
            raise ValidationException(WRONG_TYPE)
        return {"N": add_numbers(left["N"], right["N"], subtract=value.op == "-")}
    if value.name == "if_not_exists":
        found = get_path(item, value.args[0].elements)  # type: ignore[union-attr]
        return found if found is not None else _read(value.args[1], item)
    head, tail = _read(value.args[0], item), _read(value.args[1], item)
    if attribute_type(head) != "L" or attribute_type(tail) != "L":
        raise ValidationException(WRONG_TYPE)
    return {"L": head["L"] + tail["L"]}


def _container(item: Item, elements: tuple[PathElement, ...]) -> dict[str, Any] | list[Any] | None:
    """The map (or list) that holds the last step of a path, or None when there is none."""
    if len(elements) == 1:
        return item
    parent = get_path(item, elements[:-1])
    if parent is None:
        return None
    wanted = "L" if isinstance(elements[-1], int) else "M"
    return parent.get(wanted) if wanted in parent else None


def _put(item: Item, elements: tuple[PathElement, ...], value: AttributeValue) -> None:
    container = _container(item, elements)
    last = elements[-1]
    if container is None:
        raise ValidationException(INVALID_PATH)
    if isinstance(container, list):
        assert isinstance(last, int)
        if last < len(container):
            container[last] = value
        else:
            container.append(value)
    else:
        container[str(last)] = value


def _delete(item: Item, elements: tuple[PathElement, ...]) -> None:
    container = _container(item, elements)
    last = elements[-1]
    if isinstance(container, list) and isinstance(last, int) and last < len(container):
        del container[last]
    elif isinstance(container, dict):
        container.pop(str(last), None)


def _add(item: Item, action: AddAction) -> None:
    elements, value = action.path.elements, action.value.value
    assert value is not None
    current = get_path(item, elements)
    if current is None:
        _put(item, elements, copy.deepcopy(value))
        return
    kind = attribute_type(current)
    if kind != attribute_type(value) or kind not in ("N", "SS", "NS", "BS"):
        raise ValidationException(WRONG_TYPE)
    if kind == "N":
        _put(item, elements, {"N": add_numbers(current["N"], value["N"])})
        return
    have = {_set_key(kind, m) for m in current[kind]}
    extra = [m for m in value[kind] if _set_key(kind, m) not in have]
    _put(item, elements, {kind: current[kind] + extra})


def _remove_members(item: Item, action: DeleteAction, existed: bool) -> None:
    elements, value = action.path.elements, action.value.value
    assert value is not None
    if _container(item, elements) is None:
        if existed:
            raise ValidationException(INVALID_PATH)
        return
    current = get_path(item, elements)
    if current is None:
        return
    kind = attribute_type(current)
    if kind != attribute_type(value):
        raise ValidationException(WRONG_TYPE)
    gone = {_set_key(kind, m) for m in value[kind]}
    remaining = [m for m in current[kind] if _set_key(kind, m) not in gone]
    if remaining:
        _put(item, elements, {kind: remaining})
    else:
        _delete(item, elements)


def _order(path: Path) -> tuple[tuple[int, Any], ...]:
    return tuple((0, e) if isinstance(e, int) else (1, e) for e in path.elements)


def _append_order(item: Item, path: Path) -> tuple[Any, ...]:
    """Sort key keeping SETs as written, except appends past a list's end go last, by index."""
    container = _container(item, path.elements)
    last = path.elements[-1]
    if isinstance(container, list) and isinstance(last, int) and last >= len(container):
        return (1, _order(path))
    return (0,)


@dataclass(frozen=True)
class UpdateResult:
    """The item after an update, the item before it, and the paths the expression wrote."""

    item: Item
    old: Item
    paths: tuple[tuple[PathElement, ...], ...]

    def updated_new(self) -> Item:
        """ReturnValues=UPDATED_NEW: the written paths as they are after the update."""
        return project(self.item, self.paths)

    def updated_old(self) -> Item:
        """ReturnValues=UPDATED_OLD: the written paths as they were before the update."""
        return project(self.old, self.paths)


@dataclass(frozen=True)
class UpdateExpression:
    """A parsed, resolved and checked UpdateExpression; ``apply`` runs it on an item."""

    actions: tuple[UpdateAction, ...]
    names_used: frozenset[str] = field(default_factory=frozenset)
    values_used: frozenset[str] = field(default_factory=frozenset)

    @property
    def updated_paths(self) -> tuple[tuple[PathElement, ...], ...]:
        """The paths the expression writes, in the order written."""
        return tuple(action.path.elements for action in self.actions)

    @property
    def attribute_names(self) -> frozenset[str]:
        """The top-level attributes the expression writes."""
        return frozenset(str(elements[0]) for elements in self.updated_paths)

    def forbid_key_updates(self, key_names: Container[str]) -> None:
        """Refuse an expression that writes a key attribute, with DynamoDB's message."""
        for action in self.actions:
            name = action.path.elements[0]
            if name in key_names:
                raise ValidationException(
                    "One or more parameter values were invalid: Cannot update attribute "
                    f"{name}. This attribute is part of the key"
                )

    def apply(self, item: Mapping[str, AttributeValue], *, existed: bool = True) -> UpdateResult:
        """Run the update on ``item`` (a new dict; the input is not modified).

        ``existed`` is False when the item is new (``item`` then holds just its key): DynamoDB
        then ignores REMOVE and DELETE on paths whose parents are missing.
        """
        old: Item = dict(item)
        new = copy.deepcopy(old)
        sets = [
            (a, copy.deepcopy(_read(a.value, old)))
            for a in self.actions
            if isinstance(a, SetAction)
        ]
        for set_action, value in sorted(sets, key=lambda pair: _append_order(old, pair[0].path)):
            _put(new, set_action.path.elements, value)
        for action in self.actions:
            if isinstance(action, AddAction):
                _add(new, action)
            elif isinstance(action, DeleteAction):
                _remove_members(new, action, existed)
        removes: list[Path] = []
        for action in self.actions:
            if isinstance(action, RemoveAction):
                if _container(old, action.path.elements) is None:
                    if existed:
                        raise ValidationException(INVALID_PATH)
                elif get_path(old, action.path.elements) is not None:
                    removes.append(action.path)
        for path in sorted(removes, key=_order, reverse=True):
            _delete(new, path.elements)
        return UpdateResult(new, old, self.updated_paths)


def parse_update(
    text: str, names: Mapping[str, str] | None, values: Mapping[str, Any] | None
) -> UpdateExpression:
    """Parse an UpdateExpression; clauses in any order, each at most once.

    Raises ValidationException ("Invalid UpdateExpression: ...") for syntax errors, reserved
    words, unknown or misused functions, repeated clauses, undefined placeholders, overlapping
    or conflicting paths and ill-typed operands.
    """
    clauses = parse_update_tree(text)
    resolver = Resolver(dict(names or {}), dict(values or {}))
    actions = _check(clauses, resolver)
    return UpdateExpression(
        tuple(actions), frozenset(resolver.names_used), frozenset(resolver.values_used)
    )
