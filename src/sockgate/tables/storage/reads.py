"""Range reads for Query and Scan: one ordered SQL range over the table or an index."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from sockgate.tables.model import IndexMeta, TableMeta
from sockgate.tables.storage.keys import partition_hash

__all__ = ["KeyRange", "query_rows", "scan_rows"]


@dataclass(frozen=True)
class KeyRange:
    """Bounds on the range key bytes (None: unbounded on that side)."""

    lo: bytes | None = None
    lo_inclusive: bool = True
    hi: bytes | None = None
    hi_inclusive: bool = True


def _source(
    meta: TableMeta, index: IndexMeta | None, full: bool, with_hash: bool = False
) -> tuple[str, list[object]]:
    """SELECT ... FROM ... WHERE <partition of the table or index> (without the hash term)."""
    # Only the JSON text and the size are read (and the index hash when a Scan segment needs
    # it): keys for LastEvaluatedKey come from the text of the last item, so nothing else
    # crosses into Python per row.
    if index is None:
        return "SELECT t.item, t.size FROM items t WHERE t.tid=?", [meta.tid]
    extra = ", i.ihk" if with_hash else ""
    if full or index.projection_type == "ALL":
        # The entry names the base item; read it from the table in the same statement.
        sql = (
            f"SELECT t.item, t.size{extra} FROM idx i"
            " JOIN items t ON t.tid=i.tid AND t.hk=i.hk AND t.rk=i.rk"
            " WHERE i.tid=? AND i.iid=?"
        )
    else:
        sql = f"SELECT i.item, i.size{extra} FROM idx i WHERE i.tid=? AND i.iid=?"
    return sql, [meta.tid, index.iid]


def query_rows(
    conn: sqlite3.Connection,
    meta: TableMeta,
    index: IndexMeta | None,
    hash_bytes: bytes,
    bounds: KeyRange,
    start: tuple[bytes, ...] | None,
    forward: bool,
    full: bool = False,
) -> Iterator[tuple[bytes, int]]:
    """(JSON, size) of one partition's items in range-key order, after start.

    start (exclusive) is (rk,) for the table and (irk, hk, rk) for an index.
    """
    sql, args = _source(meta, index, full)
    if index is None:
        col, order = "t.rk", ["t.rk"]
        sql += " AND t.hk=?"
    else:
        col, order = "i.irk", ["i.irk", "i.hk", "i.rk"]
        sql += " AND i.ihk=?"
    args.append(hash_bytes)
    if bounds.lo is not None:
        sql += f" AND {col} {'>=' if bounds.lo_inclusive else '>'} ?"
        args.append(bounds.lo)
    if bounds.hi is not None:
        sql += f" AND {col} {'<=' if bounds.hi_inclusive else '<'} ?"
        args.append(bounds.hi)
    if start is not None:
        sql += (
            f" AND ({', '.join(order)}) {'>' if forward else '<'} ({', '.join('?' * len(order))})"
        )
        args.extend(start)
    direction = "" if forward else " DESC"
    sql += " ORDER BY " + ", ".join(c + direction for c in order)
    return conn.execute(sql, args)


def scan_rows(
    conn: sqlite3.Connection,
    meta: TableMeta,
    index: IndexMeta | None,
    segment: tuple[int, int] | None,
    start: tuple[bytes, ...] | None,
    full: bool = False,
) -> Iterator[tuple[bytes, int]]:
    """(JSON, size) of every item of a table or index in key order, after start.

    start (exclusive) is (hk, rk) for the table and (ihk, irk, hk, rk) for an index;
    segment is (n, total) of a parallel Scan.
    """
    by_index_hash = index is not None and segment is not None
    sql, args = _source(meta, index, full, with_hash=by_index_hash)
    if index is None:
        order = ["t.hk", "t.rk"]
        if segment is not None:
            sql += " AND t.ph % ? = ?"
            args.extend((segment[1], segment[0]))
    else:
        order = ["i.ihk", "i.irk", "i.hk", "i.rk"]
    if start is not None:
        sql += f" AND ({', '.join(order)}) > ({', '.join('?' * len(order))})"
        args.extend(start)
    sql += " ORDER BY " + ", ".join(order)
    rows = conn.execute(sql, args)
    if not by_index_hash:
        return rows
    assert segment is not None
    n, total = segment
    return ((text, size) for text, size, ihk in rows if partition_hash(ihk) % total == n)
