"""Query and Scan: one ordered range read, the 1 MB page, filters, projections, Select."""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate, islice
from operator import itemgetter
from typing import Any

from sockgate.tables.errors import ValidationException
from sockgate.tables.expressions import KeyCondition
from sockgate.tables.model import IndexMeta, TableMeta
from sockgate.tables.operations.context import Context, Result
from sockgate.tables.operations.exprs import Expressions, parse_request
from sockgate.tables.payloads import Constraints, RawItems, consumed_capacity, require_table
from sockgate.tables.storage.reads import KeyRange, query_rows, scan_rows
from sockgate.tables.values import key_bytes, validate_item

__all__ = ["PAGE_BYTES", "query", "scan"]

PAGE_BYTES = 1024 * 1024
_CHUNK = 256  # rows taken from SQLite at a time
_INVALID = "One or more parameter values were invalid: "
_SELECT = ("ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT")


@dataclass
class _Plan:
    """What a Query or Scan reads and returns."""

    meta: TableMeta
    index: IndexMeta | None
    ex: Expressions
    limit: int | None
    count_only: bool
    full: bool  # read whole items from the table even through a projected index

    @property
    def key_names(self) -> tuple[str, ...]:
        names = self.meta.key_names
        if self.index is not None:
            names = tuple(dict.fromkeys(self.index.key_names + names))
        return names


def _plan(ctx: Context, req: dict[str, Any], operation: str) -> _Plan:
    meta = require_table(ctx.tables, req.get("TableName"))
    checks = Constraints()
    checks.int_range(req.get("Limit"), "limit", 1)
    checks.enum(req.get("Select"), "select", _SELECT)
    checks.enum(
        req.get("ReturnConsumedCapacity"), "returnConsumedCapacity", ("INDEXES", "TOTAL", "NONE")
    )
    if req.get("IndexName") is not None:
        checks.table_name(req["IndexName"], "indexName")
    checks.raise_if_any()
    index = None
    if req.get("IndexName") is not None:
        index = meta.index(req["IndexName"])
        if index is None:
            raise ValidationException(
                f"The table does not have the specified index: {req['IndexName']}"
            )
        if index.is_global and req.get("ConsistentRead"):
            raise ValidationException(
                "Consistent reads are not supported on global secondary indexes"
            )
    select = req.get("Select")
    has_projection = req.get("ProjectionExpression") is not None or req.get("AttributesToGet")
    if select == "SPECIFIC_ATTRIBUTES" and not has_projection:
        raise ValidationException(
            f"{_INVALID}Select type SPECIFIC_ATTRIBUTES requires AttributesToGet or "
            "ProjectionExpression"
        )
    if has_projection and select not in (None, "SPECIFIC_ATTRIBUTES"):
        what = "ProjectionExpression" if req.get("ProjectionExpression") else "AttributesToGet"
        raise ValidationException(
            f"{_INVALID}Cannot specify the {what} when choosing to get {_select_words(select)}"
        )
    full = False
    if index is not None and select == "ALL_ATTRIBUTES" and index.projection_type != "ALL":
        if index.is_global:
            raise ValidationException(
                f"{_INVALID}Select type ALL_ATTRIBUTES is not supported for global secondary "
                f"index {index.name} because its projection type is not ALL"
            )
        full = True  # an LSI fetches the rest of the item from the table
    ex = parse_request(req, operation, meta, index)
    return _Plan(meta, index, ex, req.get("Limit"), select == "COUNT", full)


def _select_words(select: str | None) -> str:
    return {
        "COUNT": "only the Count",
        "ALL_ATTRIBUTES": "ALL_ATTRIBUTES",
        "ALL_PROJECTED_ATTRIBUTES": "ALL_PROJECTED_ATTRIBUTES",
    }.get(select or "", str(select))


def _start_key(plan: _Plan, req: dict[str, Any], *, scan: bool) -> tuple[bytes, ...] | None:
    """ExclusiveStartKey as the storage tuple the range read continues after."""
    start = req.get("ExclusiveStartKey")
    if start is None:
        return None
    validate_item(start, context="Scan" if scan else "Query")
    names = plan.key_names
    invalid = (
        "The provided starting key is invalid: The provided key element does not match the schema"
    )
    if not isinstance(start, dict) or set(start) != set(names):
        raise ValidationException(invalid)
    for name in names:
        if set(start[name]) != {plan.meta.key_type(name)}:
            raise ValidationException(invalid)
    meta, index = plan.meta, plan.index
    hk = key_bytes(start[meta.hash_key])
    rk = b"" if meta.range_key is None else key_bytes(start[meta.range_key])
    if index is None:
        return (hk, rk) if scan else (rk,)
    ihk = key_bytes(start[index.hash_key])
    irk = b"" if index.range_key is None else key_bytes(start[index.range_key])
    return (ihk, irk, hk, rk) if scan else (irk, hk, rk)


def _bounds(key: KeyCondition) -> KeyRange:
    """The range-key bytes a key condition selects."""
    bounds = key.range_bounds()
    return KeyRange(bounds.low, bounds.low_inclusive, bounds.high, bounds.high_inclusive)


def _page(plan: _Plan, req: dict[str, Any], rows: Iterator[tuple[bytes, int]]) -> Result:
    """Read rows until Limit or 1 MB, then filter, project and count."""
    ex = plan.ex
    limit = plan.limit
    texts: list[bytes] = []
    size = 0
    truncated = False
    # Rows are taken a chunk at a time with C-level helpers (running sizes, a bisection for
    # the 1 MB cut): per-row Python work is most of what a large page costs. Parsing
    # happens after, and only when needed.
    while not truncated:
        want = _CHUNK if limit is None else min(_CHUNK, limit - len(texts))
        chunk = list(islice(rows, want))
        if not chunk:
            break
        running = list(accumulate(map(itemgetter(1), chunk), initial=size))
        # The row that reaches 1 MB is the last one of the page.
        cut = bisect_left(running, PAGE_BYTES, 1)
        if cut < len(running):
            chunk = chunk[:cut]
            truncated = True
        texts.extend(map(itemgetter(0), chunk))
        size = running[len(chunk)]
        if len(texts) == limit:
            truncated = True
    scanned = len(texts)
    items: list[Any]
    if ex.filter is None and ex.projection is None:
        items = RawItems(texts)
        parsed_last = None
    else:
        parsed = [json.loads(text) for text in texts]
        parsed_last = parsed[-1] if parsed else None
        if ex.filter is not None:
            parsed = [item for item in parsed if ex.filter.evaluate(item)]
        if ex.projection is not None and not plan.count_only:
            parsed = [ex.projection.apply(item) for item in parsed]
        items = parsed
    out: Result = {}
    if not plan.count_only:
        out["Items"] = items
    out["Count"] = len(items)
    out["ScannedCount"] = scanned
    if truncated and texts:
        last = parsed_last if parsed_last is not None else json.loads(texts[-1])
        out["LastEvaluatedKey"] = {n: last[n] for n in plan.key_names if n in last}
    consistent = bool(req.get("ConsistentRead"))
    units = max(1, -(-size // 4096)) * (1 if consistent else 0.5)
    index = plan.index
    if index is None:
        consumed = consumed_capacity(req, plan.meta, units, read=True)
    else:
        consumed = consumed_capacity(
            req, plan.meta, 0.0, read=True, index=index.name, is_global=index.is_global,
            index_units=units,
        )  # fmt: skip
    if consumed is not None:
        out["ConsumedCapacity"] = consumed
    return out


def query(ctx: Context, req: dict[str, Any]) -> Result:
    """Query: one partition of the table or an index, read as a key range."""
    plan = _plan(ctx, req, "Query")
    key = plan.ex.key
    if key is None:
        raise ValidationException(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in "
            "the request."
        )
    start = _start_key(plan, req, scan=False)
    forward = req.get("ScanIndexForward", True) is not False
    rows = query_rows(
        ctx.store.conn, plan.meta, plan.index, key_bytes(key.hash_value), _bounds(key), start,
        forward, plan.full,
    )  # fmt: skip
    return _page(plan, req, rows)


def scan(ctx: Context, req: dict[str, Any]) -> Result:
    """Scan: the whole table or index in key order, optionally one segment of it."""
    plan = _plan(ctx, req, "Scan")
    segment: Any = req.get("Segment")  # checked next
    total: Any = req.get("TotalSegments")
    checks = Constraints()
    checks.int_range(total, "totalSegments", 1, 1000000)
    checks.int_range(segment, "segment", 0, 999999)
    checks.raise_if_any()
    if total is not None and segment is None:
        raise ValidationException(
            "The Segment parameter is required but was not present in the request when "
            "parameter TotalSegments is present"
        )
    if segment is not None and total is None:
        raise ValidationException(
            "The TotalSegments parameter is required but was not present in the request when "
            "Segment parameter is present"
        )
    if segment is not None and total is not None and segment >= total:
        raise ValidationException(
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
            f"Segment: {segment} is not less than TotalSegments: {total}"
        )
    start = _start_key(plan, req, scan=True)
    split = None if total is None or total == 1 else (segment, total)
    rows = scan_rows(ctx.store.conn, plan.meta, plan.index, split, start, plan.full)
    return _page(plan, req, rows)
