"""EventSourceMappings: every `stream` event of a service, polled and delivered like Lambda."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sockgate.errors import ConfigError, SockgateError
from sockgate.invocation import Invoke
from sockgate.service.model import Function, Service, StreamEvent
from sockgate.streams.checkpoints import Position
from sockgate.streams.client import StreamsClient
from sockgate.streams.context import MappingContext, PollSettings, StoreRunner
from sockgate.streams.failures import FailureSink
from sockgate.streams.filters import compile_filters
from sockgate.streams.mapping import Mapping
from sockgate.streams.observer import BatchObserver
from sockgate.streams.records import (
    parse_stream_arn,
    record_time,
    sequence_number,
    sequence_sort_key,
)
from sockgate.streams.retry import RetryPolicy

__all__ = ["EventSourceMappings"]

ResolveArn = Callable[[Any, str], str]

_DRAIN_POLL = 0.002  # seconds between looks at the shards' progress while drain() waits


class EventSourceMappings:
    """The service's DynamoDB stream event source mappings.

    Records are read through the DynamoDB Streams API (boto3), so any endpoint works: the
    table service, DynamoDB Local, ScyllaDB Alternator, AWS. Positions are checkpointed in
    `state_dir/streams.sqlite3`, discarded batches go to `state_dir/failures/<function>.jsonl`.

    A mapping is identified by function, stream ARN and starting position: a table whose
    stream is re-enabled (a new ARN) or a changed startingPosition starts a new mapping, as
    CloudFormation replaces one. `log` receives one line per event worth a user's attention;
    `clock` (wall time) decides record ages; `settings` tunes polling. Use once: start(), then
    close() (which is safe to call twice). `observer`, when set, receives a report of every
    batch (the inspector's).
    """

    def __init__(
        self,
        service: Service,
        invoke: Invoke,
        *,
        endpoint_url: str | None,
        region: str,
        state_dir: Path,
        resolve_arn: ResolveArn,
        log: Callable[[str], None] = print,
        clock: Callable[[], float] = time.time,
        settings: PollSettings | None = None,
        observer: BatchObserver | None = None,
    ) -> None:
        self.service = service
        self.invoke = invoke
        self.endpoint_url = endpoint_url
        self.region = region
        self.state_dir = Path(state_dir)
        self.resolve_arn = resolve_arn
        self.log = log
        self.clock = clock
        self.settings = settings or PollSettings()
        self.observer = observer  # told about every batch (the inspector, #18)
        self.mappings: list[Mapping] = []
        self._io = ThreadPoolExecutor(max_workers=16, thread_name_prefix="sockgate-streams")
        # One thread for checkpoints and failure files, so writes happen in order.
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sockgate-checkpoints")
        self._store = StoreRunner(self.state_dir / "streams.sqlite3", self._db)
        self._failures = FailureSink(self.state_dir, log)
        self._client: StreamsClient | None = None

    async def start(self) -> None:
        """Start one mapping per enabled DynamoDB stream event; logs one line each.

        Returns once every shard reads from its starting position, so a record written after
        start() returns is delivered (also with startingPosition LATEST).
        """
        planned = self._plan()  # validate everything before touching the endpoint
        if not planned:
            return
        await self._store.open()
        self._client = await StreamsClient.connect(
            endpoint_url=self.endpoint_url, region=self.region, executor=self._io
        )
        self.mappings = [Mapping(ctx, self._client) for ctx in planned]
        for mapping in self.mappings:
            self.log(_describe(mapping.ctx))
        await asyncio.gather(*(mapping.start() for mapping in self.mappings))

    async def close(self) -> None:
        """Stop polling, let in-flight batches finish (or abandon them unacknowledged), and
        leave every acknowledged position checkpointed."""
        await asyncio.gather(*(mapping.close() for mapping in self.mappings))
        self.mappings.clear()
        if self._client is not None:
            self._client.close()
            self._client = None
        await self._store.close()
        self._io.shutdown(wait=False, cancel_futures=True)
        self._db.shutdown(wait=True)

    # -- for the inspector (#18) ------------------------------------------------------------

    def positions(self) -> list[dict[str, Any]]:
        """Each mapping's shards now: checkpoint, last record read, and the lag of what was
        read and not yet acknowledged (records, and the age of the oldest of them, seconds)."""
        now = self.clock()
        result: list[dict[str, Any]] = []
        for mapping in self.mappings:
            ctx = mapping.ctx
            shards = []
            for shard_id, worker in mapping.workers.items():
                heads = [lane.pending[0].record for lane in worker.lanes if lane.pending]
                times = [t for t in map(record_time, heads) if t is not None]
                shards.append(
                    {
                        "shard": shard_id,
                        "checkpoint": worker.progress.checkpoint,
                        "lastRead": worker.progress.last_read,
                        "lagRecords": worker.progress.pending,
                        "lagSeconds": round(max(0.0, now - min(times)), 3) if times else 0.0,
                        "finished": worker.finished,
                    }
                )
            result.append(
                {
                    "mapping": ctx.mapping_id,
                    "function": ctx.function_key,
                    "stream": ctx.stream_arn,
                    "batchSize": ctx.batch_size,
                    "startingPosition": ctx.starting_position,
                    "destination": ctx.destination,
                    "shards": shards,
                }
            )
        return result

    # -- for tests (sockgate.testing): wait for delivery, skip what is pending --------------

    async def drain(self, timeout: float) -> None:
        """Return once every record written before this call is acknowledged (delivered,
        filtered out or discarded); TimeoutError naming the shard after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for mapping in self.mappings:
            saved = await self._store.load(mapping.ctx.mapping_id)
            tails = await self._tails(mapping, saved)
            for shard_id, tail in tails.items():
                while not _caught_up(mapping, saved, shard_id, tail):
                    if loop.time() > deadline:
                        raise TimeoutError(
                            f"{mapping.ctx.name}: records up to {tail} in {shard_id} were not "
                            f"delivered within {timeout:g} s (a failing handler being retried?)"
                        )
                    await asyncio.sleep(_DRAIN_POLL)
                    if shard_id not in mapping.workers:  # its position is in the store
                        saved = await self._store.load(mapping.ctx.mapping_id)

    async def skip_to_end(self, meanwhile: Callable[[], Awaitable[None]] | None = None) -> None:
        """Stop every mapping, run `meanwhile`, move each shard's position past its last
        record, start again: nothing written so far (by `meanwhile` too) is delivered. The
        pytest plugin's reset between tests."""
        client = self._client
        old, self.mappings = self.mappings, []
        await asyncio.gather(*(mapping.close() for mapping in old))
        if meanwhile is not None:
            await meanwhile()
        if client is None:
            return  # no mapping started
        for mapping in old:
            ctx = mapping.ctx
            saved = await self._store.load(ctx.mapping_id)
            for shard in (await client.describe(ctx.stream_arn)).shards:
                position = saved.get(shard.shard_id)
                if position is not None and position.kind == "finished":
                    continue
                after = position.sequence if position is not None else None
                last, ended = await self._read_to_end(ctx.stream_arn, shard.shard_id, after)
                if ended:
                    await self._store.save(ctx.mapping_id, shard.shard_id, Position("finished"))
                elif last is not None:
                    await self._store.save(ctx.mapping_id, shard.shard_id, Position.of(last))
        self.mappings = [Mapping(mapping.ctx, client) for mapping in old]
        await asyncio.gather(*(mapping.start() for mapping in self.mappings))

    async def _tails(self, mapping: Mapping, saved: dict[str, Position]) -> dict[str, str | None]:
        """The last record of every shard now, read from where the mapping stands."""
        assert self._client is not None
        tails: dict[str, str | None] = {}
        for shard in (await self._client.describe(mapping.ctx.stream_arn)).shards:
            worker = mapping.workers.get(shard.shard_id)
            position = saved.get(shard.shard_id)
            if worker is None and position is not None and position.kind == "finished":
                continue
            after = position.sequence if position is not None else None
            if worker is not None:
                after = worker.progress.last_read or worker.progress.checkpoint or after
            last, _ = await self._read_to_end(mapping.ctx.stream_arn, shard.shard_id, after)
            tails[shard.shard_id] = last or after
        return tails

    async def _read_to_end(
        self, stream_arn: str, shard_id: str, after: str | None
    ) -> tuple[str | None, bool]:
        """(the last sequence number after `after`, or None; whether the shard has ended)."""
        assert self._client is not None
        kind = "AFTER_SEQUENCE_NUMBER" if after else "TRIM_HORIZON"
        iterator: str | None = await self._client.iterator(stream_arn, shard_id, kind, after)
        last = None
        while iterator is not None:
            records, iterator = await self._client.records(iterator)
            if records:
                last = sequence_number(records[-1])
            elif iterator is not None:
                return last, False
        return last, True

    def _plan(self) -> list[MappingContext]:
        contexts: list[MappingContext] = []
        seen: dict[str, int] = {}
        for index, event in enumerate(self.service.streams):
            path = _event_path(self.service, event, index)
            if not event.enabled:
                self.log(f"stream {event.function}: disabled (enabled: false), not polled")
                continue
            if event.type != "dynamodb":
                self.log(f"stream {event.function}: {event.type} streams are not run locally")
                continue
            ctx = self._context(event, path)
            if event.tumbling_window_in_seconds:
                self.log(
                    f"stream {event.function}: tumblingWindowInSeconds is not run locally; "
                    "batches are delivered without window state"
                )
            count = seen.get(ctx.mapping_id, 0)
            seen[ctx.mapping_id] = count + 1
            if count:  # the same function twice on one stream: keep positions apart
                ctx.mapping_id = f"{ctx.mapping_id}#{count + 1}"
            contexts.append(ctx)
        return contexts

    def _context(self, event: StreamEvent, path: str) -> MappingContext:
        function = self._function(event, path)
        if event.starting_position not in ("TRIM_HORIZON", "LATEST"):
            raise ConfigError(
                f"startingPosition {event.starting_position} is for Kinesis streams only",
                path=f"{path}.startingPosition",
                fix="Use TRIM_HORIZON or LATEST for a DynamoDB stream",
            )
        stream_arn = self.resolve_arn(event.arn, f"{path}.arn")
        try:
            arn = parse_stream_arn(stream_arn)
        except ValueError:
            arn = {}
        if not arn or "/stream/" not in stream_arn:
            raise ConfigError(
                f"{stream_arn!r} is not a DynamoDB stream ARN",
                path=f"{path}.arn",
                fix="Use Fn::GetAtt: [TableLogicalId, StreamArn] or the table's LatestStreamArn",
            )
        return MappingContext(
            mapping_id=f"{event.function}|{stream_arn}|{event.starting_position}",
            function_key=event.function,
            function_arn=(
                f"arn:{arn['partition']}:lambda:{self.region}:{arn['account']}"
                f":function:{function.name}"
            ),
            stream_arn=stream_arn,
            starting_position=event.starting_position,
            batch_size=event.batch_size,
            batch_window=float(event.batch_window),
            lanes=max(1, event.parallelization_factor),
            policy=RetryPolicy(
                maximum_retry_attempts=event.maximum_retry_attempts,
                maximum_record_age=float(event.maximum_record_age_in_seconds),
                bisect=event.bisect_batch_on_function_error,
                report_batch_item_failures=event.report_batch_item_failures,
            ),
            filter=compile_filters(event.filter_patterns, path=f"{path}.filterPatterns"),
            destination=self._destination(event, path),
            invoke=self.invoke,
            failures=self._failures,
            store=self._store,
            log=self.log,
            clock=self.clock,
            settings=self.settings,
            observer=self.observer,
        )

    def _function(self, event: StreamEvent, path: str) -> Function:
        function = self.service.functions.get(event.function)
        if function is None:
            raise ConfigError(f"stream event of unknown function {event.function!r}", path=path)
        return function

    def _destination(self, event: StreamEvent, path: str) -> str | None:
        if event.on_failure is None:
            return None
        if isinstance(event.on_failure, str):
            return event.on_failure
        try:
            return self.resolve_arn(event.on_failure, f"{path}.destinations.onFailure")
        except SockgateError:
            # A queue or topic is not provisioned locally; the record still goes to the file.
            return str(event.on_failure)


def _event_path(service: Service, event: StreamEvent, index: int) -> str:
    """The key path of a stream event in serverless.yml, for error messages."""
    function = service.functions.get(event.function)
    ordinal = sum(1 for other in service.streams[:index] if other.function == event.function)
    if function is not None:
        stream_events = [i for i, raw in enumerate(function.events) if "stream" in raw]
        if ordinal < len(stream_events):
            return f"functions.{event.function}.events[{stream_events[ordinal]}].stream"
    return f"functions.{event.function}.events.stream"


def _caught_up(
    mapping: Mapping, saved: dict[str, Position], shard_id: str, tail: str | None
) -> bool:
    """Whether a shard's records up to `tail` are all read and acknowledged."""
    if tail is None:
        return True
    worker = mapping.workers.get(shard_id)
    if worker is None:  # not started (a child waiting for its parent) or finished
        position = saved.get(shard_id)
        if position is None:
            return False
        return position.kind == "finished" or (
            position.sequence is not None
            and sequence_sort_key(position.sequence) >= sequence_sort_key(tail)
        )
    progress = worker.progress
    last = progress.last_read or progress.checkpoint
    return (
        progress.pending == 0
        and last is not None
        and sequence_sort_key(last) >= sequence_sort_key(tail)
    )


def _describe(ctx: MappingContext) -> str:
    extras = [f"batchSize {ctx.batch_size}", ctx.starting_position]
    if ctx.batch_window:
        extras.append(f"batchWindow {ctx.batch_window:g}s")
    if ctx.lanes > 1:
        extras.append(f"parallelizationFactor {ctx.lanes}")
    if ctx.filter:
        extras.append("filterPatterns")
    if ctx.policy.report_batch_item_failures:
        extras.append("ReportBatchItemFailures")
    return f"stream {ctx.stream_arn} -> {ctx.function_key} ({', '.join(extras)})"
