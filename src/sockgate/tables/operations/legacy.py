"""Legacy parameters (Expected, AttributeUpdates, KeyConditions, Query/ScanFilter,
AttributesToGet) rewritten as expressions, so one evaluator serves both (pure)."""

from __future__ import annotations

from typing import Any

from sockgate.tables.errors import ValidationException

__all__ = ["Rewritten", "attribute_updates", "attributes_to_get", "conditions", "expected"]

_INVALID = "One or more parameter values were invalid: "
_BINARY = {"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}
# Argument count of each ComparisonOperator (None: one or more).
_ARITY: dict[str, int | None] = {
    **dict.fromkeys(_BINARY, 1), "NOT_NULL": 0, "NULL": 0, "CONTAINS": 1, "NOT_CONTAINS": 1,
    "BEGINS_WITH": 1, "IN": None, "BETWEEN": 2,
}  # fmt: skip


class Rewritten:
    """Expression text plus the placeholders it introduced."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}
        self.text = ""

    def name(self, attribute: str) -> str:
        """A #placeholder for an attribute name."""
        key = f"#{self.prefix}{len(self.names)}"
        self.names[key] = attribute
        return key

    def value(self, av: Any) -> str:
        """A :placeholder for a value."""
        key = f":{self.prefix}{len(self.values)}"
        self.values[key] = av
        return key


def _comparison(out: Rewritten, attribute: str, op: str, args: list[Any]) -> str:
    arity = _ARITY.get(op)
    if op not in _ARITY:
        raise ValidationException(f"{_INVALID}Unsupported operator on ComparisonOperator: {op}")
    if (arity is None and not args) or (arity is not None and len(args) != arity):
        raise ValidationException(
            f"{_INVALID}Invalid number of argument(s) for the {op} ComparisonOperator"
        )
    path = out.name(attribute)
    if op in _BINARY:
        return f"{path} {_BINARY[op]} {out.value(args[0])}"
    if op == "NOT_NULL":
        return f"attribute_exists({path})"
    if op == "NULL":
        return f"attribute_not_exists({path})"
    if op == "CONTAINS":
        return f"contains({path}, {out.value(args[0])})"
    if op == "NOT_CONTAINS":
        return f"NOT contains({path}, {out.value(args[0])})"
    if op == "BEGINS_WITH":
        return f"begins_with({path}, {out.value(args[0])})"
    if op == "IN":
        return f"{path} IN ({', '.join(out.value(a) for a in args)})"
    return f"{path} BETWEEN {out.value(args[0])} AND {out.value(args[1])}"


def expected(spec: dict[str, Any], operator: str | None, prefix: str = "e") -> Rewritten:
    """Expected (with ConditionalOperator) as a ConditionExpression in .text."""
    out = Rewritten(prefix)
    parts = []
    for attribute, condition in spec.items():
        if "ComparisonOperator" in condition:
            args = condition.get("AttributeValueList") or []
            if "Value" in condition and not args:
                args = [condition["Value"]]
            parts.append(_comparison(out, attribute, condition["ComparisonOperator"], args))
        elif condition.get("Exists") is False:
            if "Value" in condition:
                raise ValidationException(
                    f"{_INVALID}Value cannot be used when Exists is false for Attribute: "
                    f"{attribute}"
                )
            parts.append(f"attribute_not_exists({out.name(attribute)})")
        elif "Value" in condition:
            parts.append(f"{out.name(attribute)} = {out.value(condition['Value'])}")
        else:
            raise ValidationException(
                f"{_INVALID}Value must be provided when Exists is true for Attribute: {attribute}"
            )
    out.text = f" {operator or 'AND'} ".join(f"({p})" for p in parts)
    return out


def conditions(spec: dict[str, Any], operator: str | None, prefix: str = "f") -> Rewritten:
    """QueryFilter / ScanFilter / KeyConditions (ComparisonOperator form) as an expression."""
    out = Rewritten(prefix)
    parts = []
    for attribute, condition in spec.items():
        op = condition.get("ComparisonOperator")
        parts.append(_comparison(out, attribute, op, condition.get("AttributeValueList") or []))
    out.text = f" {operator or 'AND'} ".join(parts)
    return out


def attribute_updates(spec: dict[str, Any], prefix: str = "u") -> Rewritten:
    """AttributeUpdates as an UpdateExpression."""
    out = Rewritten(prefix)
    sets, removes, adds, deletes = [], [], [], []
    for attribute, update in spec.items():
        action = update.get("Action") or "PUT"
        value = update.get("Value")
        path = out.name(attribute)
        if action == "PUT":
            if value is None:
                raise ValidationException(
                    f"{_INVALID}Only DELETE action is allowed when no attribute value is "
                    f"specified: {attribute}"
                )
            sets.append(f"{path} = {out.value(value)}")
        elif action == "DELETE":
            (deletes.append(f"{path} {out.value(value)}") if value is not None
             else removes.append(path))  # fmt: skip
        elif action == "ADD":
            adds.append(f"{path} {out.value(value)}")
        else:
            raise ValidationException(f"{_INVALID}Unknown Action: {action}")
    clauses = []
    for keyword, items in (("SET", sets), ("REMOVE", removes), ("ADD", adds), ("DELETE", deletes)):
        if items:
            clauses.append(f"{keyword} {', '.join(items)}")
    out.text = " ".join(clauses)
    return out


def attributes_to_get(names: list[str], prefix: str = "p") -> Rewritten:
    """AttributesToGet as a ProjectionExpression."""
    out = Rewritten(prefix)
    if len(set(names)) != len(names):
        raise ValidationException(f"{_INVALID}Duplicate value in attribute name: {names[0]}")
    out.text = ", ".join(out.name(n) for n in names)
    return out
