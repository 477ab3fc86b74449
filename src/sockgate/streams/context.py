"""What every part of one event source mapping shares: its settings and collaborators."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sockgate.invocation import Invoke
from sockgate.streams.checkpoints import CheckpointStore, Position
from sockgate.streams.failures import FailureSink
from sockgate.streams.filters import RecordFilter
from sockgate.streams.observer import BatchObserver
from sockgate.streams.retry import RetryPolicy

__all__ = ["MappingContext", "PollSettings", "StoreRunner"]


@dataclass(frozen=True, slots=True)
class PollSettings:
    """Timing of the poller (seconds).

    AWS polls each shard about four times a second; sockgate's target is a write-to-handler
    latency of 20 ms (p50), so shards are polled every `poll_interval` while records flow and
    every `idle_poll_interval` once none came for `idle_after`.
    """

    poll_interval: float = 0.01
    idle_poll_interval: float = 0.025
    idle_after: float = 2.0
    discovery_interval: float = 1.0  # DescribeStream: new shards, closed ones
    error_backoff: float = 1.0  # after an endpoint error
    close_timeout: float = 10.0  # close(): wait this long for in-flight invocations
    start_timeout: float = 15.0  # start(): wait this long for initial shard positions


@dataclass(slots=True)
class MappingContext:
    """One mapping's configuration and the services its shards use."""

    mapping_id: str
    function_key: str
    function_arn: str
    stream_arn: str
    starting_position: str
    batch_size: int
    batch_window: float
    lanes: int
    policy: RetryPolicy
    filter: RecordFilter
    destination: str | None
    invoke: Invoke
    failures: FailureSink
    store: StoreRunner
    log: Callable[[str], None]
    clock: Callable[[], float]  # wall clock, for record ages and timestamps
    settings: PollSettings
    observer: BatchObserver | None = None  # the inspector (#18), when it runs

    @property
    def name(self) -> str:
        """How log lines name this mapping."""
        return f"stream {self.function_key}"


class StoreRunner:
    """The checkpoint store and failure files, used from one thread so writes stay in order."""

    def __init__(self, path: Path, executor: Executor) -> None:
        self.path = path
        self._executor = executor
        self._store: CheckpointStore | None = None

    @property
    def store(self) -> CheckpointStore:
        """The open store."""
        if self._store is None:
            raise RuntimeError("the checkpoint store is not open")
        return self._store

    async def open(self) -> None:
        """Open (and create) the database."""
        if self._store is None:
            self._store = await self.run(CheckpointStore, self.path)

    async def close(self) -> None:
        """Close the database."""
        if self._store is not None:
            store, self._store = self._store, None
            await self.run(store.close)

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run a blocking store or file operation on the store's thread."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    async def register(self, mapping: str) -> bool:
        """Record a mapping; True on its first start."""
        return bool(await self.run(self.store.register, mapping))

    async def load(self, mapping: str) -> dict[str, Position]:
        """Every saved shard position of a mapping."""
        positions: dict[str, Position] = await self.run(self.store.load, mapping)
        return positions

    async def save(self, mapping: str, shard: str, position: Position) -> None:
        """Save a shard's position."""
        await self.run(self.store.save, mapping, shard, position)
