"""BatchGetItem (100 keys, 16 MB) and BatchWriteItem (25 requests)."""

from __future__ import annotations

import json
from typing import Any

from sockgate.tables.errors import ValidationException
from sockgate.tables.model import TableMeta
from sockgate.tables.operations.context import Context, Result
from sockgate.tables.operations.exprs import parse_request
from sockgate.tables.operations.items import prepare_put, unchanged
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

__all__ = ["batch_get_item", "batch_write_item"]

_BATCH_GET_BYTES = 16 * 1024 * 1024
_DUPLICATES = "Provided list of item keys contains duplicates"


def _request_items(req: dict[str, Any]) -> dict[str, Any]:
    items: Any = req.get("RequestItems")  # checked next
    checks = Constraints()
    checks.not_null(items, "requestItems")
    checks.enum(
        req.get("ReturnConsumedCapacity"), "returnConsumedCapacity", ("INDEXES", "TOTAL", "NONE")
    )
    if items is not None and not items:
        checks.fail("{}", "requestItems", "have length greater than or equal to 1")
    checks.raise_if_any()
    for name in items:
        Constraints().table_name(name, "requestItems.member.key")
    checked: dict[str, Any] = items
    return checked


def batch_get_item(ctx: Context, req: dict[str, Any]) -> Result:
    """BatchGetItem: found items per table; what passes 16 MB comes back as UnprocessedKeys."""
    requests = _request_items(req)
    if sum(len(spec.get("Keys") or ()) for spec in requests.values()) > 100:
        raise ValidationException("Too many items requested for the BatchGetItem call")
    plans = []
    for name, spec in requests.items():
        meta = require_table(ctx.tables, name)
        keys = spec.get("Keys") or []
        if not keys:
            raise ValidationException(
                "1 validation error detected: Value '[]' at 'requestItems."
                f"{name}.member.keys' failed to satisfy constraint: Member must have length "
                "greater than or equal to 1"
            )
        ex = parse_request(spec, "BatchGetItem", meta)
        seen: set[tuple[bytes, bytes]] = set()
        parsed = []
        for key in keys:
            validate_item(key, context="BatchGetItem")
            key = normalize_item(parse_key(meta, key))
            storage_key = item_key(meta, key)
            if storage_key in seen:
                raise ValidationException(_DUPLICATES)
            seen.add(storage_key)
            parsed.append((key, storage_key))
        plans.append((name, meta, spec, ex, parsed))
    responses: dict[str, list[Any]] = {}
    unprocessed: dict[str, Any] = {}
    consumed = []
    total = 0
    with ctx.store.snapshot():
        for name, meta, spec, ex, parsed in plans:
            found = responses.setdefault(name, [])
            units = 0.0
            for key, (hk, rk) in parsed:
                if total > _BATCH_GET_BYTES:
                    left = unprocessed.setdefault(
                        name, {k: v for k, v in spec.items() if k != "Keys"}
                    )
                    left.setdefault("Keys", []).append(key)
                    continue
                row = ctx.store.get(meta, hk, rk)
                units += capacity_units(row.size if row else 0, read=True,
                                        consistent=bool(spec.get("ConsistentRead")))  # fmt: skip
                if row is None:
                    continue
                total += row.size
                if ex.projection is None:
                    found.append(RawJson(row.text))
                else:
                    found.append(ex.projection.apply(json.loads(row.text)))
            usage = consumed_capacity(req, meta, units, read=True)
            if usage is not None:
                consumed.append(usage)
    out: Result = {"Responses": responses, "UnprocessedKeys": unprocessed}
    if req.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        out["ConsumedCapacity"] = consumed
    return out


def _write_plan(
    ctx: Context, name: str, entries: Any
) -> list[tuple[TableMeta, Any, Any, int | None]]:
    """Validated (meta, item-to-put or None, key, item size) per write request of one table."""
    meta = require_table(ctx.tables, name)
    plan = []
    seen: set[tuple[bytes, bytes]] = set()
    for entry in entries:
        put, delete = entry.get("PutRequest"), entry.get("DeleteRequest")
        if (put is None) == (delete is None):
            raise ValidationException(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly "
                "one of the supported datatypes" if put and delete else
                "1 validation error detected: Value null at 'requestItems."
                f"{name}.member.member' failed to satisfy constraint: Member must not be null"
            )  # fmt: skip
        size = None
        if put is not None:
            item, size = prepare_put(meta, put.get("Item"), "BatchWriteItem")
            key = {n: item[n] for n in meta.key_names}
        else:
            validate_item(delete.get("Key") or {}, context="BatchWriteItem")
            item, key = None, normalize_item(parse_key(meta, delete.get("Key")))
        storage_key = item_key(meta, key)
        if storage_key in seen:
            raise ValidationException(_DUPLICATES)
        seen.add(storage_key)
        plan.append((meta, item, key, size))
    return plan


def batch_write_item(ctx: Context, req: dict[str, Any]) -> Result:
    """BatchWriteItem: validated whole, then applied in one transaction."""
    requests = _request_items(req)
    count = sum(len(entries or ()) for entries in requests.values())
    if count > 25 or any(not entries for entries in requests.values()):
        raise ValidationException(
            "1 validation error detected: Value '{"
            + ", ".join(f"{n}=[{len(e or ())} WriteRequests]" for n, e in requests.items())
            + "}' at 'requestItems' failed to satisfy constraint: Map value must satisfy "
            "constraint: [Member must have length less than or equal to 25, Member must have "
            "length greater than or equal to 1]"
        )
    plans = {name: _write_plan(ctx, name, entries) for name, entries in requests.items()}
    store = ctx.store
    units: dict[str, float] = {}
    with store.transaction():
        for name, plan in plans.items():
            for meta, item, key, size in plan:
                hk, rk = item_key(meta, key)
                old = (
                    store.get_item(meta, hk, rk)
                    if store.needs_old_image(meta) or item is None
                    else None
                )
                if item is None and old is None:
                    units[name] = units.get(name, 0.0) + 1
                    continue
                if not unchanged(old, item):
                    store.apply(meta, old, item, size=size)
                if req.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
                    sizes = [item_size(i) for i in (old, item) if i is not None]
                    used = capacity_units(max(sizes), read=False)
                    units[name] = units.get(name, 0.0) + used
    out: Result = {"UnprocessedItems": {}}
    if req.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        out["ConsumedCapacity"] = [
            consumed_capacity(req, ctx.tables[name], used, read=False)
            for name, used in units.items()
        ]
    return out
