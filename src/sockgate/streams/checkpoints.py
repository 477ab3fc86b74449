"""Durable positions of event source mappings: one SQLite row per mapping and shard.

SQLite in WAL mode commits without waiting for the disk on every write (synchronous=NORMAL),
which survives a killed process (the kernel has the WAL pages) though not a power cut; that is
the durability a local development server needs, at a fraction of a millisecond per batch.
The store is used from a single thread (the caller serialises writes through one executor).
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = ["CheckpointStore", "Position"]

PositionKind = Literal["trim_horizon", "after", "latest_pending", "finished"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS mappings (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS positions (
    mapping TEXT NOT NULL,
    shard TEXT NOT NULL,
    kind TEXT NOT NULL,
    sequence TEXT,
    acked TEXT NOT NULL DEFAULT '[]',
    updated REAL NOT NULL,
    PRIMARY KEY (mapping, shard)
);
"""


@dataclass(frozen=True, slots=True)
class Position:
    """Where a mapping stands in one shard.

    - trim_horizon: nothing acknowledged yet; read from the oldest record.
    - after: every record up to `sequence` is acknowledged.
    - latest_pending: the mapping started at LATEST and has not yet found the shard's end.
    - finished: the shard is closed and all of it was processed.
    `acked` lists records beyond the position acknowledged out of order (parallel lanes).
    """

    kind: PositionKind
    sequence: str | None = None
    acked: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, checkpoint: str | None, acked: tuple[str, ...] = ()) -> Position:
        """The position after `checkpoint` (or from the start when None)."""
        if checkpoint is None:
            return cls("trim_horizon", None, acked)
        return cls("after", checkpoint, acked)


class CheckpointStore:
    """Mapping registrations and per-shard positions in `<state_dir>/streams.sqlite3`."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)

    def register(self, mapping: str) -> bool:
        """Record that a mapping exists; True when this is its first start."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO mappings (id, created) VALUES (?, ?)", (mapping, time.time())
        )
        return cursor.rowcount == 1

    def load(self, mapping: str) -> dict[str, Position]:
        """Every saved shard position of a mapping."""
        rows = self._db.execute(
            "SELECT shard, kind, sequence, acked FROM positions WHERE mapping = ?", (mapping,)
        )
        return {
            shard: Position(kind, sequence, tuple(json.loads(acked)))
            for shard, kind, sequence, acked in rows
        }

    def save(self, mapping: str, shard: str, position: Position) -> None:
        """Replace a shard's position."""
        self._db.execute(
            "INSERT OR REPLACE INTO positions (mapping, shard, kind, sequence, acked, updated) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                mapping,
                shard,
                position.kind,
                position.sequence,
                json.dumps(list(position.acked)),
                time.time(),
            ),
        )

    def close(self) -> None:
        """Close the database."""
        self._db.close()
