"""One event source mapping: finds the stream's shards and runs a worker per shard.

Shards are found with DescribeStream, at start and then every `discovery_interval` (and at
once when a shard ends, so its children start without delay). A child shard starts only after
its parent is finished, which keeps every item's changes in order across shard rollovers.
"""

from __future__ import annotations

import asyncio
import contextlib

from sockgate.streams.checkpoints import Position
from sockgate.streams.client import ShardInfo, StreamsClient, StreamsUnavailable
from sockgate.streams.context import MappingContext
from sockgate.streams.shard import ShardWorker

__all__ = ["Mapping"]


class Mapping:
    """Discovers shards and keeps one ShardWorker running per readable shard."""

    def __init__(self, ctx: MappingContext, client: StreamsClient) -> None:
        self.ctx = ctx
        self.client = client
        self.workers: dict[str, ShardWorker] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._positions: dict[str, Position] = {}
        self._registered = False
        self._rediscover = asyncio.Event()
        self._stopping = asyncio.Event()
        self._discovery: asyncio.Task[None] | None = None
        self._error: str | None = None

    async def start(self) -> None:
        """Load positions, find the shards, and wait until each reads from the right place."""
        self._positions = await self.ctx.store.load(self.ctx.mapping_id)
        await self._discover_once()
        self._discovery = asyncio.create_task(self._discover_forever())
        waits = [worker.positioned.wait() for worker in self.workers.values()]
        if waits:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*waits), self.ctx.settings.start_timeout)

    async def close(self) -> None:
        """Stop reading; let in-flight invocations finish (up to close_timeout), then cancel."""
        self._stopping.set()
        self._rediscover.set()
        for worker in self.workers.values():
            worker.stop()
        tasks = [task for task in (self._discovery, *self._tasks.values()) if task is not None]
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=self.ctx.settings.close_timeout)
        for task in late:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _discover_forever(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._rediscover.wait(), self.ctx.settings.discovery_interval
                )
            self._rediscover.clear()
            if not self._stopping.is_set():
                await self._discover_once()

    async def _discover_once(self) -> None:
        try:
            info = await self.client.describe(self.ctx.stream_arn)
        except StreamsUnavailable as exc:
            self._report(f"cannot describe {self.ctx.stream_arn} ({exc}); retrying")
            return
        self._error = None
        if not self._registered:
            # A mapping is created when its shards are first listed; at LATEST, the shards
            # open at that moment are read from their end, then and after any restart.
            first = await self.ctx.store.register(self.ctx.mapping_id)
            if first and self.ctx.starting_position == "LATEST":
                await self._place_latest(info.shards)
            self._registered = True
        listed = {shard.shard_id for shard in info.shards}
        for shard in info.shards:
            if self._startable(shard, listed):
                self._start_worker(shard)

    async def _place_latest(self, shards: tuple[ShardInfo, ...]) -> None:
        """First start at LATEST: closed shards are skipped, open ones read from their end."""
        for shard in shards:
            position = Position("finished" if shard.closed else "latest_pending")
            self._positions[shard.shard_id] = position
            await self.ctx.store.save(self.ctx.mapping_id, shard.shard_id, position)

    def _startable(self, shard: ShardInfo, listed: set[str]) -> bool:
        if shard.shard_id in self.workers:
            return False
        if self._kind(shard.shard_id) == "finished":
            return False
        parent = shard.parent_id
        if parent is None:
            return True
        # A parent the stream no longer lists (trimmed) and does not know is treated as done.
        parent_known = parent in listed or parent in self._positions
        return not parent_known or self._kind(parent) == "finished"

    def _kind(self, shard_id: str) -> str | None:
        position = self._positions.get(shard_id)
        return position.kind if position else None

    def _start_worker(self, shard: ShardInfo) -> None:
        start = self._positions.get(shard.shard_id, Position("trim_horizon"))
        worker = ShardWorker(self.ctx, self.client, shard, start)
        self.workers[shard.shard_id] = worker
        task = asyncio.create_task(self._run_worker(worker))
        self._tasks[shard.shard_id] = task

    async def _run_worker(self, worker: ShardWorker) -> None:
        try:
            await worker.run()
        except Exception as exc:  # a bug, not an endpoint error: report it, rediscover
            self.ctx.log(f"{self.ctx.name}: {worker.shard_id} stopped: {exc!r}")
        self._positions[worker.shard_id] = worker.position()
        if not self._stopping.is_set():
            # Finished: its children may start now. Stopped on an error: the next discovery
            # (a discovery_interval later) starts it again from its checkpoint.
            self.workers.pop(worker.shard_id, None)
            self._tasks.pop(worker.shard_id, None)
            if worker.finished:
                self._rediscover.set()

    def _report(self, message: str) -> None:
        if message != self._error:
            self._error = message
            self.ctx.log(f"{self.ctx.name}: {message}")
