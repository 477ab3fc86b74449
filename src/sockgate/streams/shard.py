"""One shard of a mapping: reads it with GetRecords and feeds its lanes, checkpointing as
records are acknowledged."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from typing import Any

from sockgate.streams.batching import ShardProgress
from sockgate.streams.checkpoints import Position
from sockgate.streams.client import (
    ExpiredIterator,
    ShardInfo,
    StreamGone,
    StreamsClient,
    StreamsUnavailable,
    TrimmedData,
)
from sockgate.streams.context import MappingContext
from sockgate.streams.lane import Lane, Pending
from sockgate.streams.records import lambda_record, lane_of, record_size, sequence_number

__all__ = ["ShardWorker"]

_PAGE = 1000  # GetRecords maximum


class ShardWorker:
    """Reads one shard from a saved position and processes it until it ends or is stopped."""

    def __init__(
        self, ctx: MappingContext, client: StreamsClient, shard: ShardInfo, start: Position
    ) -> None:
        self.ctx = ctx
        self.client = client
        self.shard = shard
        self.start = start
        self.progress = ShardProgress(start.sequence, start.acked)
        self.lanes = [Lane(ctx, shard.shard_id, self._acknowledge) for _ in range(ctx.lanes)]
        self.positioned = asyncio.Event()  # reading from the right place (LATEST resolved)
        self.finished = False  # the shard is closed and every record acknowledged
        self._stopping = asyncio.Event()
        self._progressed = asyncio.Event()
        self._saved = self.progress.state
        self._scanning = start.kind == "latest_pending"
        self._last_records = time.monotonic()
        self._error: str | None = None

    @property
    def shard_id(self) -> str:
        """The shard's id."""
        return self.shard.shard_id

    def position(self) -> Position:
        """Where this shard stands now (what was last saved, or is about to be)."""
        if self.finished:
            return Position("finished")
        if self._scanning:
            return self.start
        return Position.of(*self.progress.state)

    def stop(self) -> None:
        """Stop reading and let the lanes finish the invocation in flight."""
        self._stopping.set()
        self._progressed.set()
        for lane in self.lanes:
            lane.stop()

    async def run(self) -> None:
        """Read and process the shard; returns when it is finished, gone, or stopped."""
        lanes = [asyncio.create_task(self._run_lane(lane)) for lane in self.lanes]
        try:
            await self._read()
        finally:
            self.positioned.set()
            for lane in self.lanes:
                lane.stop()
            await asyncio.gather(*lanes, return_exceptions=True)

    async def _run_lane(self, lane: Lane) -> None:
        try:
            await lane.run()
        except Exception as exc:  # a bug: stop the shard; the mapping restarts it from its
            # checkpoint, which re-delivers only what was not acknowledged
            self.ctx.log(f"{self.ctx.name}: {self.shard_id} stopped on an error: {exc!r}")
            self.stop()

    async def _read(self) -> None:
        iterator = await self._first_iterator()
        if iterator is None:
            return
        if not self._scanning:
            self.positioned.set()
        while not self._stopping.is_set():
            try:
                records, next_iterator = await self.client.records(iterator, _PAGE)
            except ExpiredIterator:
                iterator = await self._resume_iterator()
                if iterator is None:
                    return
                continue
            except (StreamGone, TrimmedData) as exc:
                iterator = await self._recover(exc)
                if iterator is None:
                    return
                continue
            except StreamsUnavailable as exc:
                await self._pause_after(exc)
                continue
            self._error = None
            await self._dispatch(records, scanning=self._scanning)
            if self._scanning and (not records or next_iterator is None):
                await self._finish_scan()
            if next_iterator is None:
                await self._drain()
                return
            iterator = next_iterator
            await self._backpressure()
            if len(records) < _PAGE:
                await self._sleep(self._poll_delay(bool(records)))

    async def _first_iterator(self) -> str | None:
        kind, sequence = "TRIM_HORIZON", None
        if self.start.kind == "after":
            kind, sequence = "AFTER_SEQUENCE_NUMBER", self.start.sequence
        while not self._stopping.is_set():
            try:
                return await self.client.iterator(
                    self.ctx.stream_arn, self.shard_id, kind, sequence
                )
            except TrimmedData:
                self.ctx.log(
                    f"{self.ctx.name}: {self.shard_id} no longer holds sequence {sequence} "
                    "(trimmed before it was processed); reading from the oldest record"
                )
                kind, sequence = "TRIM_HORIZON", None
            except StreamGone as exc:
                self._report(f"cannot read {self.shard_id} ({exc}); the stream is gone")
                return None
            except StreamsUnavailable as exc:
                await self._pause_after(exc)
        return None

    async def _resume_iterator(self) -> str | None:
        """A fresh iterator after the last record read (the old one expired)."""
        last = self.progress.last_read
        if last is None:
            return await self._first_iterator()
        try:
            return await self.client.iterator(
                self.ctx.stream_arn, self.shard_id, "AFTER_SEQUENCE_NUMBER", last
            )
        except StreamsUnavailable as exc:
            return await self._recover(exc)

    async def _recover(self, exc: StreamsUnavailable) -> str | None:
        if isinstance(exc, TrimmedData):
            self.ctx.log(f"{self.ctx.name}: {self.shard_id}: {exc}; reading from the oldest record")
            self.start = Position("trim_horizon")
            return await self._first_iterator()
        if isinstance(exc, StreamGone):
            self._report(f"stopped reading {self.shard_id} ({exc})")
            return None
        await self._pause_after(exc)
        return await self._resume_iterator()

    async def _dispatch(self, raws: Sequence[dict[str, Any]], *, scanning: bool) -> None:
        if raws:
            self._last_records = time.monotonic()
        skipped: list[str] = []
        now = time.monotonic()
        for raw in raws:
            record = lambda_record(raw, self.ctx.stream_arn)
            sequence = sequence_number(record)
            if not self.progress.read(sequence):
                continue  # acknowledged before a restart
            if scanning or not self.ctx.filter.matches(record):
                skipped.append(sequence)  # before LATEST, or filtered out: never delivered
                continue
            lane = self.lanes[lane_of(record, len(self.lanes))]
            lane.put(Pending(record, sequence, record_size(record), now))
        if skipped:
            await self._acknowledge(skipped)

    async def _finish_scan(self) -> None:
        """LATEST: the shard's end is found; everything after it is delivered, durably."""
        self._scanning = False
        await self._save(force=True)
        self.positioned.set()

    async def _acknowledge(self, sequences: Sequence[str]) -> None:
        self.progress.ack(sequences)
        await self._save()
        self._progressed.set()

    async def _save(self, *, force: bool = False) -> None:
        if self._scanning and not force:
            return  # a LATEST scan saves its end once, when it finds it
        state = self.progress.state
        if state == self._saved and not force:
            return
        self._saved = state
        checkpoint, acked = state
        await self.ctx.store.save(
            self.ctx.mapping_id, self.shard_id, Position.of(checkpoint, acked)
        )

    async def _drain(self) -> None:
        """The shard is closed: process what is pending, then mark it finished."""
        for lane in self.lanes:
            lane.end_of_shard()
        while self.progress.pending and not self._stopping.is_set():
            self._progressed.clear()
            await self._progressed.wait()
        if self.progress.pending:
            return
        await self.ctx.store.save(self.ctx.mapping_id, self.shard_id, Position("finished"))
        self.finished = True

    async def _backpressure(self) -> None:
        """Stop reading ahead while the lanes hold a full batch each and more.

        Counted past the checkpoint, so a lane blocked on a failing record also bounds how far
        the other lanes run ahead (and the acknowledgements a checkpoint has to carry).
        """
        high_water = self.ctx.batch_size * len(self.lanes) + _PAGE
        while self.progress.outstanding >= high_water and not self._stopping.is_set():
            self._progressed.clear()
            await self._progressed.wait()

    def _poll_delay(self, got_records: bool) -> float:
        settings = self.ctx.settings
        if got_records or time.monotonic() - self._last_records < settings.idle_after:
            return settings.poll_interval
        return settings.idle_poll_interval

    async def _pause_after(self, exc: StreamsUnavailable) -> None:
        self._report(f"cannot read {self.shard_id} ({exc}); retrying")
        self.positioned.set()  # start() reports rather than waits on an endpoint that fails
        await self._sleep(self.ctx.settings.error_backoff)

    def _report(self, message: str) -> None:
        """Log an endpoint problem once, not on every retry."""
        if message != self._error:
            self._error = message
            self.ctx.log(f"{self.ctx.name}: {message}")

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
