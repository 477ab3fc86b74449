"""Storage keys: the order-preserving bytes under which items and index entries are filed."""

from __future__ import annotations

import zlib
from typing import Any

from sockgate.tables.model import IndexMeta, TableMeta
from sockgate.tables.values import key_bytes

__all__ = [
    "index_entry",
    "item_key",
    "key_attributes",
    "partition_hash",
    "projected",
    "successor",
]

Item = dict[str, Any]


def item_key(meta: TableMeta, item: Item) -> tuple[bytes, bytes]:
    """(hash bytes, range bytes) of an item whose key attributes were validated."""
    hk = key_bytes(item[meta.hash_key])
    rk = b"" if meta.range_key is None else key_bytes(item[meta.range_key])
    return hk, rk


def key_attributes(names: tuple[str, ...], item: Item) -> Item:
    """The named attributes of an item (a Keys map or a LastEvaluatedKey)."""
    return {name: item[name] for name in names if name in item}


def index_entry(meta: TableMeta, index: IndexMeta, item: Item) -> tuple[bytes, bytes] | None:
    """(index hash bytes, index range bytes), or None when the item is not in the index."""
    hash_value = item.get(index.hash_key)
    if hash_value is None or meta.key_type(index.hash_key) not in hash_value:
        return None
    if index.range_key is None:
        return key_bytes(hash_value), b""
    range_value = item.get(index.range_key)
    if range_value is None or meta.key_type(index.range_key) not in range_value:
        return None
    return key_bytes(hash_value), key_bytes(range_value)


def projected(meta: TableMeta, index: IndexMeta, item: Item) -> Item:
    """The part of an item an index holds (all of it for ProjectionType ALL)."""
    if index.projection_type == "ALL":
        return item
    names = set(meta.key_names) | set(index.key_names)
    if index.projection_type == "INCLUDE":
        names.update(index.non_key)
    return {name: value for name, value in item.items() if name in names}


def partition_hash(hk: bytes) -> int:
    """The hash that assigns a partition to a Scan segment (stable across restarts)."""
    return zlib.crc32(hk)


def successor(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with prefix (None: no bound)."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])
