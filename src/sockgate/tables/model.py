"""Table metadata: the typed catalog entry of one table and its wire descriptions (pure, no I/O)."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass, field, replace
from typing import Any

__all__ = ["ACCOUNT", "IndexMeta", "TableMeta", "describe_table", "stream_arn", "table_arn"]

# The account every local ARN carries; DynamoDB Local and moto use the same placeholder.
ACCOUNT = "000000000000"


def table_arn(region: str, name: str) -> str:
    """The ARN AWS gives a table."""
    return f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}"


def stream_arn(region: str, name: str, label: str) -> str:
    """The ARN of one of a table's streams."""
    return f"{table_arn(region, name)}/stream/{label}"


@dataclass(frozen=True)
class IndexMeta:
    """A secondary index: GSI (own hash key) or LSI (the table's hash key, another range key)."""

    name: str
    iid: int
    is_global: bool
    hash_key: str
    range_key: str | None
    projection_type: str  # ALL | KEYS_ONLY | INCLUDE
    non_key: tuple[str, ...] = ()
    throughput: tuple[int, int] | None = None  # (read, write) when provisioned

    @property
    def key_names(self) -> tuple[str, ...]:
        """The index's key attribute names, hash first."""
        return (self.hash_key,) if self.range_key is None else (self.hash_key, self.range_key)

    def key_schema(self) -> list[dict[str, str]]:
        """KeySchema as DynamoDB writes it."""
        schema = [{"AttributeName": self.hash_key, "KeyType": "HASH"}]
        if self.range_key is not None:
            schema.append({"AttributeName": self.range_key, "KeyType": "RANGE"})
        return schema

    def projection(self) -> dict[str, Any]:
        """Projection as DynamoDB writes it."""
        out: dict[str, Any] = {"ProjectionType": self.projection_type}
        if self.projection_type == "INCLUDE":
            out["NonKeyAttributes"] = list(self.non_key)
        return out


@dataclass(frozen=True)
class TableMeta:
    """Everything DynamoDB knows about a table except its items."""

    tid: int
    name: str
    created: float
    hash_key: str
    range_key: str | None
    attributes: dict[str, str]  # attribute name -> S | N | B
    billing_mode: str = "PROVISIONED"
    throughput: tuple[int, int] = (0, 0)
    gsis: tuple[IndexMeta, ...] = ()
    lsis: tuple[IndexMeta, ...] = ()
    stream_view: str | None = None  # the view type while a stream is enabled
    stream_label: str | None = None  # the latest stream's label, kept once disabled
    stream_sid: int | None = None  # storage id of the latest stream
    ttl_attribute: str | None = None
    ttl_enabled: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    deletion_protection: bool = False
    table_class: str | None = None
    billing_changed: float | None = None

    @property
    def key_names(self) -> tuple[str, ...]:
        """The table's key attribute names, hash first."""
        return (self.hash_key,) if self.range_key is None else (self.hash_key, self.range_key)

    @property
    def indexes(self) -> tuple[IndexMeta, ...]:
        """Every secondary index, global ones first."""
        return self.gsis + self.lsis

    def index(self, name: str) -> IndexMeta | None:
        """The secondary index of that name, if any."""
        for index in self.indexes:
            if index.name == name:
                return index
        return None

    def key_type(self, attribute: str) -> str:
        """The scalar type (S, N or B) a key attribute is declared with."""
        return self.attributes[attribute]

    def evolve(self, **changes: Any) -> TableMeta:
        """A copy with some fields changed (metadata is shared between threads, so immutable)."""
        return replace(self, **changes)

    def to_json(self) -> str:
        """Serialise for the catalog table."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> TableMeta:
        """Read back what to_json wrote."""
        data = json.loads(text)
        data["throughput"] = tuple(data["throughput"])
        for kind in ("gsis", "lsis"):
            data[kind] = tuple(_index_from_dict(d) for d in data[kind])
        return cls(**data)


def _index_from_dict(data: dict[str, Any]) -> IndexMeta:
    data["non_key"] = tuple(data["non_key"])
    if data["throughput"] is not None:
        data["throughput"] = tuple(data["throughput"])
    return IndexMeta(**data)


def _throughput(meta: TableMeta, pair: tuple[int, int] | None) -> dict[str, Any]:
    read, write = pair or (0, 0)
    if meta.billing_mode == "PAY_PER_REQUEST":
        read, write = 0, 0
    return {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": read, "WriteCapacityUnits": write}


def describe_table(
    meta: TableMeta,
    region: str,
    counts: dict[int | None, tuple[int, int]],
    status: str = "ACTIVE",
) -> dict[str, Any]:
    """TableDescription; counts maps None (the table) or an index id to (items, bytes)."""
    items, size = counts.get(None, (0, 0))
    keys = [{"AttributeName": meta.hash_key, "KeyType": "HASH"}]
    if meta.range_key is not None:
        keys.append({"AttributeName": meta.range_key, "KeyType": "RANGE"})
    arn = table_arn(region, meta.name)
    out: dict[str, Any] = {
        "AttributeDefinitions": [
            {"AttributeName": k, "AttributeType": t} for k, t in meta.attributes.items()
        ],
        "TableName": meta.name,
        "KeySchema": keys,
        "TableStatus": status,
        "CreationDateTime": meta.created,
        "ProvisionedThroughput": _throughput(meta, meta.throughput),
        "TableSizeBytes": size,
        "ItemCount": items,
        "TableArn": arn,
        "TableId": _table_id(meta),
        "DeletionProtectionEnabled": meta.deletion_protection,
    }
    if meta.billing_mode == "PAY_PER_REQUEST" or meta.billing_changed is not None:
        summary: dict[str, Any] = {"BillingMode": meta.billing_mode}
        if meta.billing_mode == "PAY_PER_REQUEST":
            summary["LastUpdateToPayPerRequestDateTime"] = meta.billing_changed or meta.created
        out["BillingModeSummary"] = summary
    if meta.table_class is not None:
        out["TableClassSummary"] = {"TableClass": meta.table_class}
    if meta.lsis:
        out["LocalSecondaryIndexes"] = [_describe_index(meta, i, arn, counts) for i in meta.lsis]
    if meta.gsis:
        out["GlobalSecondaryIndexes"] = [_describe_index(meta, i, arn, counts) for i in meta.gsis]
    if meta.stream_view is not None:
        out["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": meta.stream_view}
    if meta.stream_label is not None:
        out["LatestStreamLabel"] = meta.stream_label
        out["LatestStreamArn"] = f"{arn}/stream/{meta.stream_label}"
    return out


def _describe_index(
    meta: TableMeta, index: IndexMeta, arn: str, counts: dict[int | None, tuple[int, int]]
) -> dict[str, Any]:
    items, size = counts.get(index.iid, (0, 0))
    out: dict[str, Any] = {
        "IndexName": index.name,
        "KeySchema": index.key_schema(),
        "Projection": index.projection(),
        "IndexSizeBytes": size,
        "ItemCount": items,
        "IndexArn": f"{arn}/index/{index.name}",
    }
    if index.is_global:
        out["IndexStatus"] = "ACTIVE"
        out["ProvisionedThroughput"] = _throughput(meta, index.throughput)
    return out


def _table_id(meta: TableMeta) -> str:
    """A version 4 UUID, as DynamoDB's TableId, stable for the table (its storage id, name
    and creation time are hashed: the same table answers the same id after a restart)."""
    seed = f"{meta.tid}:{meta.name}:{meta.created!r}".encode()
    return str(uuid.UUID(bytes=hashlib.sha256(seed).digest()[:16], version=4))
