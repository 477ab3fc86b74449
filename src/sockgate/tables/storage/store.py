"""Item storage on one SQLite connection: items, their index entries, TTL entries and streams.

Every item change goes through Store.apply, which writes the item row, the index rows, the TTL
row and the stream record together; callers wrap it in Store.transaction so they commit as one.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sockgate.tables.model import IndexMeta, TableMeta
from sockgate.tables.storage.keys import index_entry, item_key, partition_hash, projected
from sockgate.tables.storage.schema import open_connection
from sockgate.tables.storage.streamlog import StreamLog
from sockgate.tables.values import item_size

__all__ = ["Catalog", "Row", "Store", "dumps_item"]

Item = dict[str, Any]


def dumps_item(item: Item) -> bytes:
    """The stored (and sent) JSON of an item: compact ASCII bytes, so any string survives and
    a read hands SQLite's bytes to the response without decoding or re-encoding them."""
    return json.dumps(item, separators=(",", ":")).encode()


@dataclass
class Row:
    """One item as read from storage: its keys, JSON (ASCII bytes) and DynamoDB size."""

    hk: bytes
    rk: bytes
    text: bytes
    size: int
    ihk: bytes = b""
    irk: bytes = b""


class Catalog:
    """The tables by name; shared by both connections, changed only on the writer thread."""

    def __init__(self) -> None:
        self.tables: dict[str, TableMeta] = {}
        self.next_tid = 1
        self.next_iid = 1
        # TransactWriteItems' ClientRequestToken -> (when, the request without it), for the
        # ten minutes DynamoDB keeps a token (in memory: a restart forgets them).
        self.transaction_tokens: dict[str, tuple[float, dict[str, Any]]] = {}

    def get(self, name: str) -> TableMeta | None:
        """A table's metadata, if the table exists."""
        return self.tables.get(name)


class Store:
    """Reads and writes on one connection (the writer's, or a reader's)."""

    def __init__(self, conn: sqlite3.Connection, catalog: Catalog, region: str) -> None:
        self.conn = conn
        self.catalog = catalog
        self.streams = StreamLog(conn, region)

    @classmethod
    def open(cls, data_dir: Path | None, catalog: Catalog, region: str) -> Store:
        """Open the database at data_dir (None: in memory)."""
        return cls(open_connection(data_dir), catalog, region)

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back if the block raises.

        Inside an open transaction (a group commit) it is a savepoint instead: the block is
        still all or nothing, and commits with the group.
        """
        nested = self.conn.in_transaction
        self.conn.execute("SAVEPOINT op" if nested else "BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            # SQLite may have ended the transaction itself (an I/O error, a full disk).
            if nested and self.conn.in_transaction:
                self.conn.execute("ROLLBACK TO op")
                self.conn.execute("RELEASE op")  # rolled back, a savepoint stays until released
            elif self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("RELEASE op" if nested else "COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read transaction: every read inside sees the same committed state."""
        if self.conn.in_transaction:
            yield  # already one consistent view
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.execute("COMMIT")

    # --- catalog ---------------------------------------------------------------------------

    def load_catalog(self) -> None:
        """Fill the catalog from the database."""
        rows = self.conn.execute("SELECT meta FROM catalog").fetchall()
        tables = [TableMeta.from_json(row[0]) for row in rows]
        self.catalog.tables = {meta.name: meta for meta in tables}
        self.catalog.next_tid = max((m.tid for m in tables), default=0) + 1
        iids = [i.iid for m in tables for i in m.indexes]
        self.catalog.next_iid = max(iids, default=0) + 1

    def save_meta(self, meta: TableMeta) -> None:
        """Insert or replace a table's catalog row and publish it."""
        self.conn.execute(
            "INSERT OR REPLACE INTO catalog(tid, name, meta) VALUES(?,?,?)",
            (meta.tid, meta.name, meta.to_json()),
        )
        self.catalog.tables[meta.name] = meta

    def drop_table(self, meta: TableMeta) -> None:
        """Delete a table, its items, index and TTL entries (its streams stay for retention)."""
        for sql in (
            "DELETE FROM catalog WHERE tid=?",
            "DELETE FROM items WHERE tid=?",
            "DELETE FROM idx WHERE tid=?",
            "DELETE FROM ttl WHERE tid=?",
        ):
            self.conn.execute(sql, (meta.tid,))
        self.catalog.tables.pop(meta.name, None)

    def counts(self, meta: TableMeta) -> dict[int | None, tuple[int, int]]:
        """Item count and bytes of the table (key None) and of each index (key iid)."""
        out: dict[int | None, tuple[int, int]] = {}
        row = self.conn.execute(
            "SELECT count(*), coalesce(sum(size), 0) FROM items WHERE tid=?", (meta.tid,)
        ).fetchone()
        out[None] = (row[0], row[1])
        for index in meta.indexes:
            row = self.conn.execute(
                "SELECT count(*), coalesce(sum(size), 0) FROM idx WHERE tid=? AND iid=?",
                (meta.tid, index.iid),
            ).fetchone()
            out[index.iid] = (row[0], row[1])
        return out

    # --- items -----------------------------------------------------------------------------

    def get(self, meta: TableMeta, hk: bytes, rk: bytes) -> Row | None:
        """The stored item under a key."""
        found = self.conn.execute(
            "SELECT item, size FROM items WHERE tid=? AND hk=? AND rk=?", (meta.tid, hk, rk)
        ).fetchone()
        return None if found is None else Row(hk, rk, found[0], found[1])

    def get_item(self, meta: TableMeta, hk: bytes, rk: bytes) -> Item | None:
        """The stored item under a key, decoded."""
        row = self.get(meta, hk, rk)
        return None if row is None else json.loads(row.text)

    def apply(
        self,
        meta: TableMeta,
        old: Item | None,
        new: Item | None,
        *,
        identity: dict[str, str] | None = None,
        size: int | None = None,
    ) -> None:
        """Replace old by new (either may be None) with index, TTL and stream upkeep."""
        source = new if new is not None else old
        if source is None:
            return
        hk, rk = item_key(meta, source)
        text = None
        if new is None:
            self.conn.execute("DELETE FROM items WHERE tid=? AND hk=? AND rk=?", (meta.tid, hk, rk))
        else:
            if size is None:
                size = item_size(new)
            text = dumps_item(new)
            self.conn.execute(
                "INSERT OR REPLACE INTO items(tid, hk, rk, ph, size, item) VALUES(?,?,?,?,?,?)",
                (meta.tid, hk, rk, partition_hash(hk), size, text),
            )
        for index in meta.indexes:
            self._update_index(meta, index, hk, rk, old, new, size)
        if meta.ttl_enabled and meta.ttl_attribute is not None:
            self._update_ttl(meta, hk, rk, old, new)
        if meta.stream_view is not None and meta.stream_sid is not None:
            self.streams.append(
                meta.stream_sid, meta.stream_view, meta, old, new, identity, new_size=size,
                new_json=text,
            )  # fmt: skip

    def needs_old_image(self, meta: TableMeta) -> bool:
        """Whether a blind write must still read the item it replaces (for upkeep)."""
        return bool(meta.indexes) or meta.ttl_enabled or meta.stream_view is not None

    def _update_index(
        self, meta: TableMeta, index: IndexMeta, hk: bytes, rk: bytes, old: Item | None,
        new: Item | None, size: int | None,
    ) -> None:  # fmt: skip
        old_entry = None if old is None else index_entry(meta, index, old)
        new_entry = None if new is None else index_entry(meta, index, new)
        if old_entry is not None and old_entry != new_entry:
            self.conn.execute(
                "DELETE FROM idx WHERE tid=? AND iid=? AND ihk=? AND irk=? AND hk=? AND rk=?",
                (meta.tid, index.iid, old_entry[0], old_entry[1], hk, rk),
            )
        if new_entry is None:
            return
        assert new is not None
        self.insert_index_row(meta, index, hk, rk, new, new_entry, size)

    def insert_index_row(
        self, meta: TableMeta, index: IndexMeta, hk: bytes, rk: bytes, item: Item,
        entry: tuple[bytes, bytes], size: int | None = None,
    ) -> None:  # fmt: skip
        """File one item under an index (projected copy unless the projection is ALL)."""
        if index.projection_type == "ALL":
            size, text = (item_size(item) if size is None else size), None
        else:
            part = projected(meta, index, item)
            size, text = item_size(part), dumps_item(part)
        self.conn.execute(
            "INSERT OR REPLACE INTO idx(tid, iid, ihk, irk, hk, rk, size, item)"
            " VALUES(?,?,?,?,?,?,?,?)",
            (meta.tid, index.iid, entry[0], entry[1], hk, rk, size, text),
        )

    def _update_ttl(
        self, meta: TableMeta, hk: bytes, rk: bytes, old: Item | None, new: Item | None
    ) -> None:
        old_at = None if old is None else ttl_value(old, meta.ttl_attribute)
        new_at = None if new is None else ttl_value(new, meta.ttl_attribute)
        if old_at == new_at:
            return
        if old_at is not None:
            self.conn.execute(
                "DELETE FROM ttl WHERE tid=? AND expires=? AND hk=? AND rk=?",
                (meta.tid, old_at, hk, rk),
            )
        if new_at is not None:
            self.insert_ttl_row(meta, hk, rk, new_at)

    def insert_ttl_row(self, meta: TableMeta, hk: bytes, rk: bytes, expires: int) -> None:
        """Note when an item expires."""
        self.conn.execute(
            "INSERT OR REPLACE INTO ttl(tid, expires, hk, rk) VALUES(?,?,?,?)",
            (meta.tid, expires, hk, rk),
        )

    def all_rows(self, meta: TableMeta) -> Iterator[Row]:
        """Every item of a table (for index backfill and TTL enabling)."""
        cursor = self.conn.execute(
            "SELECT hk, rk, item, size FROM items WHERE tid=? ORDER BY hk, rk", (meta.tid,)
        )
        for hk, rk, text, size in cursor:
            yield Row(hk, rk, text, size)


def ttl_value(item: Item, attribute: str | None) -> int | None:
    """The expiry (epoch seconds) an item carries, None when it has none TTL would honour."""
    value = item.get(attribute) if attribute else None
    if not isinstance(value, dict) or "N" not in value:
        return None
    try:
        return int(float(value["N"]))
    except (ValueError, OverflowError):
        return None
