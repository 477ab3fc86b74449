"""A request's expressions, parsed once: request-level rules around the expression engine.

The engine (sockgate.tables.expressions) parses and evaluates one expression. This module
applies what DynamoDB checks across a request's parameters: legacy and expression parameters
are not mixed, placeholders are only sent with expressions that use them, and legacy
parameters are rewritten as expressions so one evaluator serves both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sockgate.tables import expressions as engine
from sockgate.tables.errors import ValidationException
from sockgate.tables.model import IndexMeta, TableMeta
from sockgate.tables.operations import legacy
from sockgate.tables.values import validate_expression_values, validate_nesting

__all__ = ["Expressions", "parse_request"]

# Per operation: (expression parameters, legacy parameters).
_PARAMETERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "PutItem": (("ConditionExpression",), ("Expected", "ConditionalOperator")),
    "DeleteItem": (("ConditionExpression",), ("Expected", "ConditionalOperator")),
    "UpdateItem": (
        ("UpdateExpression", "ConditionExpression"),
        ("AttributeUpdates", "Expected", "ConditionalOperator"),
    ),
    "GetItem": (("ProjectionExpression",), ("AttributesToGet",)),
    "BatchGetItem": (("ProjectionExpression",), ("AttributesToGet",)),
    "TransactGetItems": (("ProjectionExpression",), ()),
    "ConditionCheck": (("ConditionExpression",), ()),
    "Query": (
        ("ProjectionExpression", "FilterExpression", "KeyConditionExpression"),
        ("AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions"),
    ),
    "Scan": (
        ("ProjectionExpression", "FilterExpression"),
        ("AttributesToGet", "ScanFilter", "ConditionalOperator"),
    ),
}


@dataclass
class Expressions:
    """The parsed expressions of one request (None where the request has none)."""

    condition: Any = None
    update: Any = None
    projection: Any = None
    filter: Any = None
    key: engine.KeyCondition | None = None
    parsed: list[Any] = field(default_factory=list)


def _check_mixing(req: dict[str, Any], exprs: tuple[str, ...], olds: tuple[str, ...]) -> None:
    used = [p for p in exprs if req.get(p) is not None]
    old_used = [p for p in olds if req.get(p) is not None]
    if used and old_used:
        raise ValidationException(
            "Can not use both expression and non-expression parameters in the same request: "
            f"Non-expression parameters: {{{', '.join(old_used)}}} "
            f"Expression parameters: {{{', '.join(used)}}}"
        )
    if req.get("ExpressionAttributeNames") is not None and not used:
        raise ValidationException(
            "ExpressionAttributeNames can only be specified when using expressions"
        )
    value_exprs = [p for p in exprs if p != "ProjectionExpression"]
    if req.get("ExpressionAttributeValues") is not None and not any(
        req.get(p) is not None for p in value_exprs
    ):
        verb = "are" if len(value_exprs) > 1 else "is"
        raise ValidationException(
            "ExpressionAttributeValues can only be specified when using expressions: "
            f"{' and '.join(value_exprs)} {verb} null"
        )


def parse_request(
    req: dict[str, Any], operation: str, meta: TableMeta, index: IndexMeta | None = None
) -> Expressions:
    """Parse and check every expression (or legacy parameter) a request carries."""
    exprs, olds = _PARAMETERS[operation]
    _check_mixing(req, exprs, olds)
    names = req.get("ExpressionAttributeNames")
    values = req.get("ExpressionAttributeValues")
    engine.validate_placeholder_maps(names, values)
    if values:
        validate_expression_values(values, context=operation)
    out = Expressions()
    if req.get("UpdateExpression") is not None:
        out.update = engine.parse_update(req["UpdateExpression"], names, values)
        out.parsed.append(out.update)
    if req.get("ConditionExpression") is not None:
        out.condition = engine.parse_condition(
            req["ConditionExpression"], names, values, kind="ConditionExpression"
        )
        out.parsed.append(out.condition)
    if req.get("KeyConditionExpression") is not None:
        out.key = _key_condition(req["KeyConditionExpression"], names, values, meta, index)
        out.parsed.append(out.key)
    if req.get("FilterExpression") is not None:
        out.filter = engine.parse_condition(
            req["FilterExpression"], names, values, kind="FilterExpression"
        )
        out.parsed.append(out.filter)
    if req.get("ProjectionExpression") is not None:
        out.projection = engine.parse_projection(req["ProjectionExpression"], names)
        out.parsed.append(out.projection)
    if out.parsed:
        engine.check_placeholders(names, values, out.parsed)
    _legacy(req, out, operation, meta, index)
    return out


def _legacy(
    req: dict[str, Any], out: Expressions, operation: str, meta: TableMeta,
    index: IndexMeta | None,
) -> None:  # fmt: skip
    """Rewrite legacy parameters as expressions and parse them the same way."""
    operator = req.get("ConditionalOperator")
    if req.get("Expected"):
        rw = legacy.expected(req["Expected"], operator)
        validate_nesting(rw.values, context=operation)
        out.condition = engine.parse_condition(
            rw.text, rw.names, rw.values, kind="ConditionExpression"
        )
    if req.get("AttributeUpdates"):
        rw = legacy.attribute_updates(req["AttributeUpdates"])
        validate_nesting(rw.values, context=operation)
        out.update = engine.parse_update(rw.text, rw.names, rw.values)
    for param in ("QueryFilter", "ScanFilter"):
        if req.get(param):
            rw = legacy.conditions(req[param], operator)
            validate_nesting(rw.values, context=operation)
            out.filter = engine.parse_condition(
                rw.text, rw.names, rw.values, kind="FilterExpression"
            )
    if req.get("AttributesToGet"):
        rw = legacy.attributes_to_get(req["AttributesToGet"])
        out.projection = engine.parse_projection(rw.text, rw.names)
    if req.get("KeyConditions"):
        rw = legacy.conditions(req["KeyConditions"], "AND")
        validate_nesting(rw.values, context=operation)
        out.key = _key_condition(rw.text, rw.names, rw.values, meta, index)
    if out.filter is not None and req.get("KeyConditionExpression") is not None:
        keys = index.key_names if index is not None else meta.key_names
        for name in keys:
            if name in out.filter.attribute_names:
                raise ValidationException(
                    "Filter Expression can only contain non-primary key attributes: "
                    f"Primary key attribute: {name}"
                )


def _key_condition(
    text: str, names: Any, values: Any, meta: TableMeta, index: IndexMeta | None
) -> engine.KeyCondition:
    """Parse a key condition against the key schema of the table or index queried."""
    keys = index.key_names if index is not None else meta.key_names
    return engine.parse_key_condition(
        text, names, values, keys[0], keys[1] if len(keys) > 1 else None,
        key_types=meta.attributes,
    )  # fmt: skip
