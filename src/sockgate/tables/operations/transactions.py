"""TransactWriteItems and TransactGetItems: all-or-nothing over up to 100 items."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sockgate.tables.errors import (
    IdempotentParameterMismatchException,
    TransactionCanceledException,
    ValidationException,
)
from sockgate.tables.model import TableMeta
from sockgate.tables.operations.context import Context, Result
from sockgate.tables.operations.exprs import Expressions, parse_request
from sockgate.tables.operations.items import prepare_put, unchanged, updated_item
from sockgate.tables.payloads import (
    Constraints,
    RawJson,
    capacity_units,
    consumed_capacity,
    normalize_item,
    parse_key,
    require_table,
)
from sockgate.tables.storage.keys import item_key
from sockgate.tables.values import item_size, validate_item

__all__ = ["transact_get_items", "transact_write_items"]

_KINDS = ("ConditionCheck", "Put", "Delete", "Update")
_EXPRESSION_OPERATION = {
    "ConditionCheck": "ConditionCheck",
    "Put": "PutItem",
    "Delete": "DeleteItem",
    "Update": "UpdateItem",
}


@dataclass
class _Action:
    """One validated action of a TransactWriteItems request."""

    kind: str
    meta: TableMeta
    key: dict[str, Any]
    item: dict[str, Any] | None
    ex: Expressions
    want_item: bool


def _transact_items(req: dict[str, Any]) -> list[dict[str, Any]]:
    items: Any = req.get("TransactItems")  # checked next
    checks = Constraints()
    checks.not_null(items, "transactItems")
    if items is not None and not 1 <= len(items) <= 100:
        bound = "less than or equal to 100" if items else "greater than or equal to 1"
        checks.fail(f"[{len(items)} items]", "transactItems", f"have length {bound}")
    checks.enum(
        req.get("ReturnConsumedCapacity"), "returnConsumedCapacity", ("INDEXES", "TOTAL", "NONE")
    )
    checks.raise_if_any()
    checked: list[dict[str, Any]] = items
    return checked


def _action(ctx: Context, entry: dict[str, Any]) -> _Action:
    kinds = [k for k in _KINDS if entry.get(k) is not None]
    if len(kinds) != 1:
        raise ValidationException(
            "TransactItems can only contain one of Check, Put, Update or Delete"
        )
    kind = kinds[0]
    spec = entry[kind]
    meta = require_table(ctx.tables, spec.get("TableName"))
    operation = _EXPRESSION_OPERATION[kind]
    if kind == "ConditionCheck" and spec.get("ConditionExpression") is None:
        raise ValidationException(
            "1 validation error detected: Value null at 'transactItems.1.member.conditionCheck."
            "conditionExpression' failed to satisfy constraint: Member must not be null"
        )
    ex = parse_request(spec, operation, meta)
    item = None
    if kind == "Put":
        item, _ = prepare_put(meta, spec.get("Item"), "TransactWriteItems")
        key = {n: item[n] for n in meta.key_names}
    else:
        validate_item(spec.get("Key") or {}, context="TransactWriteItems")
        key = normalize_item(parse_key(meta, spec.get("Key")))
    want = spec.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
    return _Action(kind, meta, key, item, ex, want)


_KEY_MISMATCH = "The provided key element does not match the schema"
# How long DynamoDB remembers a ClientRequestToken, and the most a transaction may write.
TOKEN_SECONDS = 600
MAX_TRANSACTION_SIZE = 4 * 1024 * 1024
# Members of a request that do not make it another request under the same token.
_NOT_COMPARED = ("ClientRequestToken", "ReturnConsumedCapacity", "ReturnItemCollectionMetrics")


def _replayed(ctx: Context, req: dict[str, Any]) -> bool:
    """Whether the request repeats one already done under its ClientRequestToken.

    Raises IdempotentParameterMismatchException for the token of a different request. The
    payloads are compared as decoded JSON, so the order of members does not matter.
    UNCONFIRMED: the message (as ExtendDB's conformance-tested service words it).
    """
    token = req.get("ClientRequestToken")
    if token is None:
        return False
    tokens = ctx.store.catalog.transaction_tokens
    now = ctx.now()
    for old in [t for t, (when, _) in tokens.items() if now - when > TOKEN_SECONDS]:
        del tokens[old]
    payload = {k: v for k, v in req.items() if k not in _NOT_COMPARED}
    seen = tokens.get(token)
    if seen is None:
        return False
    if seen[1] != payload:
        raise IdempotentParameterMismatchException(
            "The request uses the same client token as a previous, but different, request."
        )
    return True


def _remember(ctx: Context, req: dict[str, Any]) -> None:
    token = req.get("ClientRequestToken")
    if token is not None:
        payload = {k: v for k, v in req.items() if k not in _NOT_COMPARED}
        ctx.store.catalog.transaction_tokens[token] = (ctx.now(), payload)


def transact_write_items(ctx: Context, req: dict[str, Any]) -> Result:
    """TransactWriteItems: every condition holds and every write lands, or nothing does."""
    entries = _transact_items(req)
    if _replayed(ctx, req):
        return {}
    actions = [_action(ctx, entry) for entry in entries]
    written = sum(item_size(a.item) if a.item is not None else item_size(a.key) for a in actions)
    if written > MAX_TRANSACTION_SIZE:
        # UNCONFIRMED: the text (ExtendDB's); DynamoDB documents the 4 MB aggregate limit.
        raise ValidationException("Transaction item size has exceeded the 4 MB limit")
    targets = set()
    for action in actions:
        target = (action.meta.tid, item_key(action.meta, action.key))
        if target in targets:
            raise ValidationException(
                "Transaction request cannot include multiple operations on one item"
            )
        targets.add(target)
    store = ctx.store
    units: dict[str, float] = {}
    with store.transaction():
        reasons: list[dict[str, Any]] = []
        writes = []
        for action in actions:
            hk, rk = item_key(action.meta, action.key)
            old = store.get_item(action.meta, hk, rk)
            reason, new = _evaluate(action, old)
            reasons.append(reason)
            writes.append((action, old, new))
        if any(reason["Code"] != "None" for reason in reasons):
            raise TransactionCanceledException(reasons)
        _remember(ctx, req)
        for action, old, new in writes:
            if action.kind != "ConditionCheck" and not unchanged(old, new):
                store.apply(action.meta, old, new)
            sizes = [item_size(i) for i in (old, new) if i is not None] or [0]
            used = 2 * capacity_units(max(sizes), read=action.kind == "ConditionCheck")
            units[action.meta.name] = units.get(action.meta.name, 0.0) + used
    out: Result = {}
    if req.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        out["ConsumedCapacity"] = [
            consumed_capacity(req, ctx.tables[name], used, read=False)
            for name, used in units.items()
        ]
    return out


def _evaluate(action: _Action, old: dict[str, Any] | None) -> tuple[dict[str, Any], Any]:
    """(CancellationReason, item after the action) for one action against the current item."""
    if action.ex.condition is not None and not action.ex.condition.evaluate(old or {}):
        reason: dict[str, Any] = {
            "Code": "ConditionalCheckFailed",
            "Message": "The conditional request failed",
        }
        if action.want_item and old is not None:
            reason["Item"] = old
        return reason, None
    if action.kind == "Put":
        return {"Code": "None"}, action.item
    if action.kind == "Delete":
        return {"Code": "None"}, None
    if action.kind == "ConditionCheck":
        return {"Code": "None"}, old
    try:
        new, _ = updated_item(action.meta, action.ex, action.key, old)
    except ValidationException as error:
        return {"Code": "ValidationError", "Message": error.message}, None
    return {"Code": "None"}, new


def transact_get_items(ctx: Context, req: dict[str, Any]) -> Result:
    """TransactGetItems: up to 100 items read from one snapshot."""
    gets = []
    reasons: list[dict[str, Any]] = []
    for entry in _transact_items(req):
        spec = entry.get("Get")
        if spec is None:
            raise ValidationException(
                "1 validation error detected: Value null at 'transactItems.1.member.get' failed "
                "to satisfy constraint: Member must not be null"
            )
        meta = require_table(ctx.tables, spec.get("TableName"))
        validate_item(spec.get("Key") or {}, context="TransactGetItems")
        ex = parse_request(spec, "TransactGetItems", meta)
        try:
            key = normalize_item(parse_key(meta, spec.get("Key")))
        except ValidationException as error:
            # A key that does not fit the schema cancels the read, as a reason of its own
            # (an empty or oversized key value stays a ValidationException of the request).
            if error.message != _KEY_MISMATCH:
                raise
            reasons.append({"Code": "ValidationError", "Message": error.message})
            continue
        reasons.append({"Code": "None"})
        gets.append((meta, item_key(meta, key), ex))
    if len(gets) != len(reasons):
        raise TransactionCanceledException(reasons)
    responses: list[dict[str, Any]] = []
    units: dict[str, float] = {}
    with ctx.store.snapshot():
        for meta, (hk, rk), ex in gets:
            row = ctx.store.get(meta, hk, rk)
            used = 2 * capacity_units(row.size if row else 0, read=True, consistent=True)
            units[meta.name] = units.get(meta.name, 0.0) + used
            if row is None:
                responses.append({})
            elif ex.projection is None:
                responses.append({"Item": RawJson(row.text)})
            else:
                responses.append({"Item": ex.projection.apply(json.loads(row.text))})
    out: Result = {"Responses": responses}
    if req.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        out["ConsumedCapacity"] = [
            consumed_capacity(req, ctx.tables[name], used, read=True)
            for name, used in units.items()
        ]
    return out
