"""Single-item operations: PutItem, GetItem, UpdateItem, DeleteItem."""

from __future__ import annotations

import json
from typing import Any

from sockgate.tables.errors import ConditionalCheckFailedException, ValidationException
from sockgate.tables.expressions.update import UpdateResult
from sockgate.tables.model import TableMeta
from sockgate.tables.operations.context import Context, Result
from sockgate.tables.operations.exprs import Expressions, parse_request
from sockgate.tables.payloads import (
    Constraints,
    RawJson,
    capacity_units,
    consumed_capacity,
    normalize_item,
    parse_key,
    require_table,
    validate_index_keys,
    validate_put_keys,
)
from sockgate.tables.storage.keys import item_key
from sockgate.tables.values import (
    MAX_ITEM_SIZE,
    NESTING,
    equal,
    item_size,
    nests_too_deep,
    validate_item,
)

__all__ = [
    "check_condition",
    "delete_item",
    "get_item",
    "prepare_put",
    "put_item",
    "unchanged",
    "update_item",
    "updated_item",
]

Item = dict[str, Any]
_RETURN_VALUES = ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW")


def _return_values(req: dict[str, Any], allowed: tuple[str, ...]) -> str:
    value = req.get("ReturnValues") or "NONE"
    checks = Constraints()
    checks.enum(value, "returnValues", _RETURN_VALUES)
    checks.enum(
        req.get("ReturnValuesOnConditionCheckFailure"),
        "returnValuesOnConditionCheckFailure",
        ("ALL_OLD", "NONE"),
    )
    checks.enum(
        req.get("ReturnConsumedCapacity"), "returnConsumedCapacity", ("INDEXES", "TOTAL", "NONE")
    )
    checks.raise_if_any()
    if value not in allowed:
        raise ValidationException("ReturnValues can only be ALL_OLD or NONE")
    return value


def unchanged(old: Item | None, new: Item | None) -> bool:
    """Whether a write leaves the item as it was (then DynamoDB writes no stream record)."""
    if old is None or new is None:
        return old is None and new is None
    return equal({"M": old}, {"M": new})


def check_condition(ex: Expressions, old: Item | None, want_item: bool) -> None:
    """Raise ConditionalCheckFailedException when the request's condition is false."""
    if ex.condition is None:
        return
    if not ex.condition.evaluate(old or {}):
        raise ConditionalCheckFailedException(item=old if want_item and old else None)


def prepare_put(meta: TableMeta, item: Any, context: str) -> tuple[Item, int]:
    """Validate and normalise an item about to be written whole; (item, its size)."""
    if not isinstance(item, dict):
        Constraints().not_null(None, "item")
        raise ValidationException(
            "1 validation error detected: Value null at 'item' failed to satisfy constraint: "
            "Member must not be null"
        )
    validate_item(item, context=context)
    item = normalize_item(item)
    validate_put_keys(meta, item)
    size = item_size(item)
    if size > MAX_ITEM_SIZE:
        raise ValidationException("Item size has exceeded the maximum allowed size")
    return item, size


def _capacity(req: dict[str, Any], meta: TableMeta, old: Item | None, new: Item | None) -> Result:
    if req.get("ReturnConsumedCapacity") not in ("TOTAL", "INDEXES"):
        return {}
    sizes = [item_size(i) for i in (old, new) if i is not None] or [0]
    units = capacity_units(max(sizes), read=False)
    consumed = consumed_capacity(req, meta, units, read=False)
    return {} if consumed is None else {"ConsumedCapacity": consumed}


def _collection_metrics(req: dict[str, Any], meta: TableMeta, item: Item | None) -> Result:
    if req.get("ReturnItemCollectionMetrics") != "SIZE" or not meta.lsis or item is None:
        return {}
    key = {meta.hash_key: item[meta.hash_key]}
    return {"ItemCollectionMetrics": {"ItemCollectionKey": key, "SizeEstimateRangeGB": [0.0, 1.0]}}


def put_item(ctx: Context, req: dict[str, Any]) -> Result:
    """PutItem: replace the whole item, optionally under a condition."""
    meta = require_table(ctx.tables, req.get("TableName"))
    returns = _return_values(req, ("NONE", "ALL_OLD"))
    ex = parse_request(req, "PutItem", meta)
    item, size = prepare_put(meta, req.get("Item"), "PutItem")
    store = ctx.store
    hk, rk = item_key(meta, item)
    with store.transaction():
        need_old = ex.condition is not None or returns != "NONE" or store.needs_old_image(meta)
        old = store.get_item(meta, hk, rk) if need_old else None
        check_condition(ex, old, req.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD")
        if not unchanged(old, item):
            store.apply(meta, old, item, size=size)
    out: Result = {}
    if returns == "ALL_OLD" and old is not None:
        out["Attributes"] = old
    out.update(_capacity(req, meta, old, item))
    out.update(_collection_metrics(req, meta, item))
    return out


def get_item(ctx: Context, req: dict[str, Any]) -> Result:
    """GetItem: the stored JSON is sent as it is unless a projection applies."""
    meta = require_table(ctx.tables, req.get("TableName"))
    checks = Constraints()
    checks.not_null(req.get("Key"), "key")
    checks.enum(
        req.get("ReturnConsumedCapacity"), "returnConsumedCapacity", ("INDEXES", "TOTAL", "NONE")
    )
    checks.raise_if_any()
    validate_item(req["Key"], context="GetItem")
    ex = parse_request(req, "GetItem", meta)
    key = normalize_item(parse_key(meta, req["Key"]))
    hk, rk = item_key(meta, key)
    row = ctx.store.get(meta, hk, rk)
    out: Result = {}
    if row is not None:
        if ex.projection is None:
            out["Item"] = RawJson(row.text)
        else:
            out["Item"] = ex.projection.apply(json.loads(row.text))
    units = capacity_units(
        row.size if row else 0, read=True, consistent=bool(req.get("ConsistentRead"))
    )
    consumed = consumed_capacity(req, meta, units, read=True)
    if consumed is not None:
        out["ConsumedCapacity"] = consumed
    return out


def _require_key(req: dict[str, Any]) -> None:
    checks = Constraints()
    checks.not_null(req.get("Key"), "key")
    checks.raise_if_any()


def delete_item(ctx: Context, req: dict[str, Any]) -> Result:
    """DeleteItem, optionally under a condition."""
    meta = require_table(ctx.tables, req.get("TableName"))
    returns = _return_values(req, ("NONE", "ALL_OLD"))
    _require_key(req)
    validate_item(req["Key"], context="DeleteItem")
    ex = parse_request(req, "DeleteItem", meta)
    key = normalize_item(parse_key(meta, req["Key"]))
    hk, rk = item_key(meta, key)
    store = ctx.store
    with store.transaction():
        old = store.get_item(meta, hk, rk)
        check_condition(ex, old, req.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD")
        if old is not None:
            store.apply(meta, old, None)
    out: Result = {}
    if returns == "ALL_OLD" and old is not None:
        out["Attributes"] = old
    out.update(_capacity(req, meta, old, None))
    out.update(_collection_metrics(req, meta, old))
    return out


def updated_item(
    meta: TableMeta, ex: Expressions, key: Item, old: Item | None
) -> tuple[Item, UpdateResult | None]:
    """The item after the request's update (created from the key if absent), checked."""
    base = dict(old) if old is not None else dict(key)
    if ex.update is None:
        return base, None
    ex.update.forbid_key_updates(meta.key_names)
    result = ex.update.apply(base, existed=old is not None)
    new = normalize_item(result.item)
    # A value within the limit can be written at a path that is already deep, or an
    # attribute copied into itself (SET a.b = a): the attributes written must still nest 32
    # levels at most (a list append lands at another index than written, so each attribute is
    # checked whole). UNCONFIRMED: DynamoDB's wording here; it is its message for a nested item.
    for name in {elements[0] for elements in result.paths}:
        if nests_too_deep(new.get(str(name))):
            raise ValidationException(NESTING)
    validate_index_keys(meta, new)
    if item_size(new) > MAX_ITEM_SIZE:
        raise ValidationException("Item size to update has exceeded the maximum allowed size")
    return new, result


def update_item(ctx: Context, req: dict[str, Any]) -> Result:
    """UpdateItem: SET/REMOVE/ADD/DELETE (or AttributeUpdates), creating the item if absent."""
    meta = require_table(ctx.tables, req.get("TableName"))
    returns = _return_values(req, _RETURN_VALUES)
    _require_key(req)
    validate_item(req["Key"], context="UpdateItem")
    ex = parse_request(req, "UpdateItem", meta)
    key = normalize_item(parse_key(meta, req["Key"]))
    hk, rk = item_key(meta, key)
    store = ctx.store
    with store.transaction():
        old = store.get_item(meta, hk, rk)
        check_condition(ex, old, req.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD")
        new, result = updated_item(meta, ex, key, old)
        if not unchanged(old, new):
            store.apply(meta, old, new)
    out: Result = {}
    attributes = _returned(returns, old, new, result)
    if attributes is not None:
        out["Attributes"] = attributes
    out.update(_capacity(req, meta, old, new))
    out.update(_collection_metrics(req, meta, new))
    return out


def _returned(
    returns: str, old: Item | None, new: Item, result: UpdateResult | None
) -> Item | None:
    """The Attributes of an UpdateItem answer for each ReturnValues."""
    if returns == "ALL_OLD":
        return old or None
    if returns == "ALL_NEW":
        return new
    if result is None:
        return None
    if returns == "UPDATED_OLD":
        return (result.updated_old() if old is not None else None) or None
    if returns == "UPDATED_NEW":
        return normalize_item(result.updated_new()) or None
    return None
