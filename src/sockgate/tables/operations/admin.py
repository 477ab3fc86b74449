"""Table settings: Time to Live, tags, and the account-level Describe* calls."""

from __future__ import annotations

import json
from typing import Any

from sockgate.tables.errors import ResourceNotFoundException, ValidationException
from sockgate.tables.model import TableMeta, table_arn
from sockgate.tables.operations.context import Context, Result
from sockgate.tables.payloads import Constraints, require_table
from sockgate.tables.storage.store import ttl_value

__all__ = [
    "describe_endpoints",
    "describe_limits",
    "describe_time_to_live",
    "list_tags_of_resource",
    "tag_resource",
    "untag_resource",
    "update_time_to_live",
]


def update_time_to_live(ctx: Context, req: dict[str, Any]) -> Result:
    """UpdateTimeToLive: ENABLED at once (AWS passes through ENABLING for up to an hour)."""
    meta = require_table(ctx.tables, req.get("TableName"))
    spec = req.get("TimeToLiveSpecification")
    checks = Constraints()
    checks.not_null(spec, "timeToLiveSpecification")
    checks.raise_if_any()
    assert spec is not None
    enabled, attribute = spec.get("Enabled"), spec.get("AttributeName")
    if not attribute:
        raise ValidationException(
            "1 validation error detected: Value null at "
            "'timeToLiveSpecification.attributeName' failed to satisfy constraint: "
            "Member must not be null"
        )
    if enabled and meta.ttl_enabled:
        raise ValidationException("TimeToLive is already enabled")
    if not enabled and not meta.ttl_enabled:
        raise ValidationException("TimeToLive is already disabled")
    if not enabled and attribute != meta.ttl_attribute:
        raise ValidationException(
            "TimeToLive is active on a different AttributeName: current AttributeName is "
            f"{meta.ttl_attribute}"
        )
    with ctx.store.transaction():
        ctx.store.conn.execute("DELETE FROM ttl WHERE tid=?", (meta.tid,))
        meta = meta.evolve(ttl_enabled=bool(enabled), ttl_attribute=attribute)
        if enabled:
            _index_expiries(ctx, meta)
        ctx.store.save_meta(meta)
    return {"TimeToLiveSpecification": {"Enabled": bool(enabled), "AttributeName": attribute}}


def _index_expiries(ctx: Context, meta: TableMeta) -> None:
    """Note the expiry of every existing item (done once, when TTL is enabled)."""
    for row in list(ctx.store.all_rows(meta)):
        expires = ttl_value(json.loads(row.text), meta.ttl_attribute)
        if expires is not None:
            ctx.store.insert_ttl_row(meta, row.hk, row.rk, expires)


def describe_time_to_live(ctx: Context, req: dict[str, Any]) -> Result:
    """DescribeTimeToLive."""
    meta = require_table(ctx.tables, req.get("TableName"), verbose=True)
    if meta.ttl_enabled:
        desc = {"TimeToLiveStatus": "ENABLED", "AttributeName": meta.ttl_attribute}
    else:
        desc = {"TimeToLiveStatus": "DISABLED"}
    return {"TimeToLiveDescription": desc}


def _table_for_arn(ctx: Context, arn: Any) -> TableMeta:
    """The table an ARN names (tags live on tables)."""
    checks = Constraints()
    checks.not_null(arn, "resourceArn")
    checks.raise_if_any()
    name = str(arn).rpartition(":table/")[2].split("/")[0]
    meta = ctx.tables.get(name)
    if meta is None or table_arn(ctx.region, name) != arn:
        raise ResourceNotFoundException(
            f"Requested resource not found: ResourcArn: {arn} not found"
        )
    return meta


def tag_resource(ctx: Context, req: dict[str, Any]) -> Result:
    """TagResource: add or overwrite tags (50 per resource)."""
    meta = _table_for_arn(ctx, req.get("ResourceArn"))
    tags = dict(meta.tags)
    for tag in req.get("Tags") or ():
        tags[tag["Key"]] = tag["Value"]
    if len(tags) > 50:
        raise ValidationException("Too many tags: a resource can have at most 50 tags")
    with ctx.store.transaction():
        ctx.store.save_meta(meta.evolve(tags=tags))
    return {}


def untag_resource(ctx: Context, req: dict[str, Any]) -> Result:
    """UntagResource."""
    meta = _table_for_arn(ctx, req.get("ResourceArn"))
    drop = set(req.get("TagKeys") or ())
    with ctx.store.transaction():
        ctx.store.save_meta(meta.evolve(tags={k: v for k, v in meta.tags.items() if k not in drop}))
    return {}


def list_tags_of_resource(ctx: Context, req: dict[str, Any]) -> Result:
    """ListTagsOfResource (all tags fit one page)."""
    meta = _table_for_arn(ctx, req.get("ResourceArn"))
    return {"Tags": [{"Key": k, "Value": v} for k, v in meta.tags.items()]}


def describe_limits(ctx: Context, req: dict[str, Any]) -> Result:
    """DescribeLimits: AWS's default account quotas."""
    return {
        "AccountMaxReadCapacityUnits": 80000,
        "AccountMaxWriteCapacityUnits": 80000,
        "TableMaxReadCapacityUnits": 40000,
        "TableMaxWriteCapacityUnits": 40000,
    }


def describe_endpoints(ctx: Context, req: dict[str, Any]) -> Result:
    """DescribeEndpoints: this server (boto3 only calls it when endpoint discovery is on)."""
    return {"Endpoints": [{"Address": "localhost", "CachePeriodInMinutes": 1440}]}
