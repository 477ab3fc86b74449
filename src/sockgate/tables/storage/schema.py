"""The SQLite schema and how connections are opened.

Durability: WAL with synchronous=NORMAL. A COMMIT has written the transaction to the WAL file
(a write() into the OS page cache) before the client gets its answer, so an acknowledged write
survives SIGKILL of the process; only a power loss or kernel crash can lose the last commits,
which is the trade-off DynamoDB Local and every SQLite-backed dev tool make. synchronous=FULL
(an fsync per commit) is available with SOCKGATE_TABLES_SYNC=full for machines that need it.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

__all__ = ["DB_FILE", "open_connection"]

DB_FILE = "tables.sqlite3"

# Items, projected index entries and stream records are stored as their JSON (ASCII bytes),
# ready to be spliced into a response. Items and index entries are clustered by key
# (WITHOUT ROWID), so a Query is one range read.
# hk/rk/ihk/irk hold the order-preserving key_bytes of the key attributes ('' when absent);
# ph is a hash of hk used to split a Scan into segments. Stream sequence numbers derive from the
# clock (microseconds x 10), so retention trims by sequence number without a time column.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS catalog(
  tid INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  meta TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS items(
  tid INTEGER NOT NULL, hk BLOB NOT NULL, rk BLOB NOT NULL,
  ph INTEGER NOT NULL, size INTEGER NOT NULL, item BLOB NOT NULL,
  PRIMARY KEY(tid, hk, rk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS idx(
  tid INTEGER NOT NULL, iid INTEGER NOT NULL, ihk BLOB NOT NULL, irk BLOB NOT NULL,
  hk BLOB NOT NULL, rk BLOB NOT NULL, size INTEGER NOT NULL, item BLOB,
  PRIMARY KEY(tid, iid, ihk, irk, hk, rk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ttl(
  tid INTEGER NOT NULL, expires INTEGER NOT NULL, hk BLOB NOT NULL, rk BLOB NOT NULL,
  PRIMARY KEY(tid, expires, hk, rk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS streams(
  sid INTEGER PRIMARY KEY,
  tid INTEGER NOT NULL,
  meta TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records(
  sid INTEGER NOT NULL, seq INTEGER NOT NULL, rec BLOB NOT NULL,
  PRIMARY KEY(sid, seq)
) WITHOUT ROWID;
"""


def open_connection(data_dir: Path | None) -> sqlite3.Connection:
    """Open (and create) the database; None gives a private in-memory database."""
    if data_dir is None:
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=MEMORY")
    else:
        data_dir.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            data_dir / DB_FILE, isolation_level=None, check_same_thread=False, timeout=30
        )
        conn.execute("PRAGMA journal_mode=WAL")
        sync = "FULL" if os.environ.get("SOCKGATE_TABLES_SYNC", "").lower() == "full" else "NORMAL"
        conn.execute(f"PRAGMA synchronous={sync}")
        conn.execute("PRAGMA mmap_size=268435456")
    conn.execute("PRAGMA cache_size=-65536")
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.executescript(_SCHEMA)
    return conn
