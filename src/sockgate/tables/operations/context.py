"""What every operation receives: the store of the thread it runs on, the region, the clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sockgate.tables.model import TableMeta
from sockgate.tables.storage.store import Store

__all__ = ["Context", "Operation", "Result"]

# An operation answers with a JSON-ready dict (may hold RawJson fragments).
Result = dict[str, Any]


@dataclass
class Context:
    """The per-thread view an operation works with."""

    store: Store
    region: str
    clock: Callable[[], float] = field(default=time.time)

    @property
    def tables(self) -> dict[str, TableMeta]:
        """The catalog of tables by name."""
        return self.store.catalog.tables

    def now(self) -> float:
        """Seconds since the epoch (injectable for tests)."""
        return self.clock()


# An operation: a function of the context and the decoded request body.
Operation = Callable[[Context, dict[str, Any]], Result]
