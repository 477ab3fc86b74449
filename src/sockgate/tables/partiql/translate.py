"""PartiQL statements as the table service's own requests (pure).

A statement becomes the request of an existing operation, written with expression
placeholders: SELECT becomes a Query when its WHERE pins the partition key with ``=`` (or
``IN``: one Query per value), with the sort key's condition as key condition and the rest as
filter, and a Scan otherwise; INSERT a PutItem under ``attribute_not_exists``; UPDATE an
UpdateItem under ``attribute_exists``; DELETE a DeleteItem. Conditions, streams and
validation stay those of the operations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sockgate.tables.errors import ValidationException
from sockgate.tables.model import TableMeta
from sockgate.tables.partiql.parser import (
    And,
    Arith,
    Between,
    Call,
    Compare,
    In,
    Is,
    Not,
    Or,
    Path,
    Select,
    Update,
    Value,
)

__all__ = [
    "INCOMPLETE_KEY",
    "Placeholders",
    "ReadPlan",
    "conjuncts",
    "full_key",
    "plan_select",
    "update_expression",
]

INCOMPLETE_KEY = "Where clause does not contain a mandatory equality on all key attributes"
Request = dict[str, Any]


@dataclass
class Placeholders:
    """Names (#n0) and values (:v0) of the expressions written for one request."""

    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    _by_name: dict[str, str] = field(default_factory=dict)

    def name(self, text: str) -> str:
        found = self._by_name.get(text)
        if found is None:
            found = f"#n{len(self._by_name)}"
            self._by_name[text] = found
            self.names[found] = text
        return found

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return placeholder

    def path(self, path: Path) -> str:
        text = ""
        for part in path.parts:
            if isinstance(part, int):
                text += f"[{part}]"
            else:
                text += ("." if text else "") + self.name(part)
        return text

    def operand(self, node: Any) -> str:
        if isinstance(node, Path):
            return self.path(node)
        if isinstance(node, Value):
            return self.value(node.value)
        if isinstance(node, Call):
            return f"{node.name}({', '.join(self.operand(a) for a in node.args)})"
        if isinstance(node, Arith):
            return f"{self.operand(node.left)} {node.op} {self.operand(node.right)}"
        raise ValidationException(f"Unsupported token in expression: {node}")

    def condition(self, node: Any) -> str:
        if isinstance(node, Compare):
            return f"{self.operand(node.left)} {node.op} {self.operand(node.right)}"
        if isinstance(node, Between):
            low, high = self.operand(node.low), self.operand(node.high)
            return f"{self.operand(node.operand)} BETWEEN {low} AND {high}"
        if isinstance(node, In):
            listed = ", ".join(self.operand(v) for v in node.values)
            return f"{self.operand(node.operand)} IN ({listed})"
        if isinstance(node, Is):
            return self._is(node)
        if isinstance(node, And):
            return " AND ".join(self.term(i) for i in node.items)
        if isinstance(node, Or):
            return " OR ".join(self.term(i) for i in node.items)
        if isinstance(node, Not):
            return f"NOT {self.term(node.item)}"
        if isinstance(node, Call):
            return self.operand(node)
        raise ValidationException(
            "WHERE clause must contain an expression that resolves to a boolean"
        )

    def term(self, node: Any) -> str:
        """A condition as an operand of AND, OR or NOT: in parentheses only when compound
        (DynamoDB refuses redundant ones)."""
        text = self.condition(node)
        return f"({text})" if isinstance(node, And | Or) else text

    def _is(self, node: Is) -> str:
        if not isinstance(node.operand, Path):
            raise ValidationException(
                "The left hand side argument to IS must be a Variable Reference, Literal, or Path"
            )
        path = self.path(node.operand)
        if node.what == "MISSING":
            return f"attribute_exists({path})" if node.negated else f"attribute_not_exists({path})"
        test = f"attribute_type({path}, {self.value({'S': 'NULL'})})"
        return f"NOT {test}" if node.negated else test

    def into(self, request: Request) -> Request:
        """The request with the placeholders it uses."""
        if self.names:
            request["ExpressionAttributeNames"] = dict(self.names)
        if self.values:
            request["ExpressionAttributeValues"] = dict(self.values)
        return request


def conjuncts(where: Any) -> list[Any]:
    """The top-level AND terms of a WHERE (none without one)."""
    if where is None:
        return []
    if isinstance(where, And):
        found: list[Any] = []
        for item in where.items:
            found.extend(conjuncts(item))
        return found
    return [where]


def _equality(term: Any) -> tuple[str, Any] | None:
    """(attribute, value) of a term ``name = value`` (either way round)."""
    if not isinstance(term, Compare) or term.op != "=":
        return None
    left, right = term.left, term.right
    if isinstance(right, Path) and isinstance(left, Value):
        left, right = right, left
    if isinstance(left, Path) and len(left.parts) == 1 and isinstance(right, Value):
        return str(left.parts[0]), right.value
    return None


def full_key(meta: TableMeta, where: Any) -> tuple[dict[str, Any], list[Any]]:
    """(the key a single-item statement names, its other conditions).

    Every key attribute needs exactly one ``=``; ValidationException otherwise.
    """
    key: dict[str, Any] = {}
    rest: list[Any] = []
    for term in conjuncts(where):
        found = _equality(term)
        if found is not None and found[0] in meta.key_names:
            if found[0] in key:
                raise ValidationException(
                    f"Multiple conditions on same key {found[0]}. Only single item "
                    "Update/Insert/Delete are supported"
                )
            key[found[0]] = found[1]
        else:
            rest.append(term)
    if len(key) != len(meta.key_names):
        raise ValidationException(INCOMPLETE_KEY)
    return key, rest


def update_expression(statement: Update, names: Placeholders) -> str:
    """The UpdateExpression of an UPDATE: SET, REMOVE, and ADD/DELETE for set_add/set_delete."""
    sets: list[str] = []
    adds: list[str] = []
    deletes: list[str] = []
    for target, operand in statement.sets:
        if isinstance(operand, Call) and operand.name in ("set_add", "set_delete"):
            suffix = operand.name[4:].upper()
            if len(operand.args) != 2:
                raise ValidationException(f"SET_{suffix} must have exactly two arguments")
            if operand.args[0] != target:
                raise ValidationException(
                    f"The first argument to SET_{suffix} must equal the assignment value"
                )
            value = operand.args[1]
            if not isinstance(value, Value) or next(iter(value.value)) not in ("SS", "NS", "BS"):
                raise ValidationException(
                    f"The second argument to SET_{suffix} must be a value with type SET"
                )
            clause = f"{names.path(target)} {names.value(value.value)}"
            (adds if suffix == "ADD" else deletes).append(clause)
        else:
            sets.append(f"{names.path(target)} = {names.operand(operand)}")
    parts = []
    if sets:
        parts.append("SET " + ", ".join(sets))
    if statement.removes:
        parts.append("REMOVE " + ", ".join(names.path(p) for p in statement.removes))
    if adds:
        parts.append("ADD " + ", ".join(adds))
    if deletes:
        parts.append("DELETE " + ", ".join(deletes))
    return " ".join(parts)


@dataclass
class ReadPlan:
    """How a SELECT runs: "Query" or "Scan", and one request per partition key it names."""

    operation: str
    requests: list[Request]


def plan_select(meta: TableMeta, statement: Select) -> ReadPlan:
    """The Query or Scan requests of a SELECT (without Limit, ConsistentRead, start key)."""
    hash_key, range_key = meta.hash_key, meta.range_key
    if statement.index is not None:
        index = meta.index(statement.index)
        if index is None:
            raise ValidationException(
                f"The table does not have the specified index: {statement.index}"
            )
        hash_key, range_key = index.hash_key, index.range_key
    terms = conjuncts(statement.where)
    partitions: list[Any] | None = None
    rest: list[Any] = []
    for term in terms:
        found = _equality(term)
        if partitions is None and found is not None and found[0] == hash_key:
            partitions = [found[1]]
        elif partitions is None and _in_on(term, hash_key):
            partitions = [v.value for v in term.values]
        else:
            rest.append(term)
    if partitions is None:
        return ReadPlan("Scan", [_request(meta, statement, None, None, terms, "")])
    sort_term = next((t for t in rest if range_key and _on_sort_key(t, range_key)), None)
    filters = [t for t in rest if t is not sort_term]
    return ReadPlan(
        "Query",
        [_request(meta, statement, hash_key, value, filters, sort_term) for value in partitions],
    )


def _in_on(term: Any, name: str) -> bool:
    return isinstance(term, In) and isinstance(term.operand, Path) and term.operand.parts == (name,)


def _on_sort_key(term: Any, name: str) -> bool:
    """Whether a term can be a Query's sort-key condition."""
    target = (name,)
    if isinstance(term, Compare) and term.op in ("=", "<", "<=", ">", ">="):
        paths = [o for o in (term.left, term.right) if isinstance(o, Path)]
        values = [o for o in (term.left, term.right) if isinstance(o, Value)]
        return len(paths) == 1 and len(values) == 1 and paths[0].parts == target
    if isinstance(term, Between):
        return (
            isinstance(term.operand, Path)
            and term.operand.parts == target
            and isinstance(term.low, Value)
            and isinstance(term.high, Value)
        )
    if isinstance(term, Call) and term.name == "begins_with" and len(term.args) == 2:
        first, second = term.args
        return isinstance(first, Path) and first.parts == target and isinstance(second, Value)
    return False


def _request(
    meta: TableMeta, statement: Select, hash_key: str | None, value: Any, filters: list[Any],
    sort_term: Any,
) -> Request:  # fmt: skip
    names = Placeholders()
    request: Request = {"TableName": meta.name}
    if statement.index is not None:
        request["IndexName"] = statement.index
    if hash_key is not None:
        key = f"{names.name(hash_key)} = {names.value(value)}"
        if sort_term:
            key += f" AND {names.condition(sort_term)}"
        request["KeyConditionExpression"] = key
    if filters:
        request["FilterExpression"] = names.condition(
            filters[0] if len(filters) == 1 else And(tuple(filters))
        )
    if statement.projection is not None:
        request["ProjectionExpression"] = ", ".join(names.path(p) for p in statement.projection)
    return names.into(request)
