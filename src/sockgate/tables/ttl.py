"""Background upkeep: the Time to Live sweep, stream retention and WAL checkpoints.

TTL: expired items are deleted in the background and leave TTL REMOVE records.

AWS deletes expired items "within a few days"; locally the sweep runs every second (set
SOCKGATE_TTL_INTERVAL, in seconds, to change it) so that handlers reacting to TTL REMOVE
records can be exercised. Like AWS, only items whose TTL attribute is a Number of epoch
seconds in the past, and not more than five years in the past, are deleted.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from sockgate.tables.engine import Engine
from sockgate.tables.operations.context import Context
from sockgate.tables.storage.streamlog import TTL_IDENTITY

__all__ = ["TtlSweeper", "sweep", "sweep_interval"]

log = logging.getLogger("sockgate.tables.ttl")
FIVE_YEARS = 5 * 365 * 24 * 3600
_BATCH = 500
_TRIM_EVERY = 60.0  # seconds between stream-retention trims
_CHECKPOINT_EVERY = 1.0  # seconds between WAL checkpoints


def sweep_interval() -> float:
    """Seconds between sweeps: SOCKGATE_TTL_INTERVAL, default 1."""
    try:
        return max(0.01, float(os.environ.get("SOCKGATE_TTL_INTERVAL", "1")))
    except ValueError:
        return 1.0


def sweep(ctx: Context, _: Any = None) -> int:
    """Delete the items that have expired; returns how many (runs on the writer thread)."""
    now = int(ctx.now())
    deleted = 0
    for meta in list(ctx.tables.values()):
        if not meta.ttl_enabled:
            continue
        rows = ctx.store.conn.execute(
            "SELECT hk, rk FROM ttl WHERE tid=? AND expires<=? AND expires>=? LIMIT ?",
            (meta.tid, now, now - FIVE_YEARS, _BATCH),
        ).fetchall()
        if not rows:
            continue
        with ctx.store.transaction():
            for hk, rk in rows:
                old = ctx.store.get_item(meta, hk, rk)
                if old is not None:
                    ctx.store.apply(meta, old, None, identity=TTL_IDENTITY)
                    deleted += 1
    return deleted


def trim_streams(ctx: Context, _: Any = None) -> None:
    """Drop stream records past the 24-hour retention."""
    with ctx.store.transaction():
        ctx.store.streams.trim(ctx.now())


class TtlSweeper:
    """Every interval: the TTL sweep; every minute: stream trim; every second: checkpoint."""

    def __init__(self, engine: Engine, interval: float) -> None:
        self.engine = engine
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the background task on the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Cancel the task and wait for it."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_trim = next_checkpoint = loop.time()
        while True:
            try:
                await self.engine.write(sweep, None)
                if loop.time() >= next_trim:
                    next_trim = loop.time() + _TRIM_EVERY
                    await self.engine.write(trim_streams, None)
                if loop.time() >= next_checkpoint:
                    next_checkpoint = loop.time() + _CHECKPOINT_EVERY
                    await self.engine.checkpoint()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("TTL sweep failed")
            await asyncio.sleep(self.interval)
