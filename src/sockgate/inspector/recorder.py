"""The inspector's memory: bounded records of connections, frames, invocations and stream batches.

The gateway, the stream lanes and the invoke port call the recorder as things happen (one
attribute check each when the inspector is off); it keeps the last `history` records of each
kind in deques, so a long session never grows without bound, and pushes each new record to the
pages that subscribed (one bounded queue each; a page that falls behind is told to reload its
snapshot instead of making the gateway wait). Records are plain JSON-ready dicts built once.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

from sockgate.inspector.metrics import Metrics
from sockgate.invocation import InvocationResult
from sockgate.streams.observer import BatchReport

__all__ = [
    "DEFAULT_HISTORY",
    "MAX_TEXT",
    "Recorder",
    "Subscriber",
    "describe_event",
    "frame_record",
]

DEFAULT_HISTORY = 1000  # records kept per kind (`--inspector-history`)
MAX_TEXT = 16 * 1024  # characters of a frame's text kept (its size is always exact)
MAX_ROUTES = 50  # route history entries kept per connection
QUEUE_SIZE = 2000  # updates waiting for one page before it is told to reload

Record = dict[str, Any]


class Subscriber:
    """One page's stream of updates: (kind, record) pairs, or ("reset", {}) after an overflow."""

    __slots__ = ("overflowed", "queue")

    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[str, Record]] = asyncio.Queue(QUEUE_SIZE)
        self.overflowed = False

    def push(self, kind: str, record: Record) -> None:
        """Queue an update; past the bound, drop the backlog and ask for a reload."""
        if self.overflowed:
            return
        try:
            self.queue.put_nowait((kind, record))
        except asyncio.QueueFull:
            self.overflowed = True
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(("reset", {}))

    async def next(self) -> tuple[str, Record]:
        """The next update (waits)."""
        update = await self.queue.get()
        if update[0] == "reset":
            self.overflowed = False
        return update

    def pending(self) -> list[tuple[str, Record]]:
        """Every update queued now (does not wait)."""
        updates = []
        while not self.queue.empty():
            update = self.queue.get_nowait()
            if update[0] == "reset":
                self.overflowed = False
            updates.append(update)
        return updates


class Recorder:
    """What happened lately, bounded, with live subscribers."""

    def __init__(
        self,
        history: int = DEFAULT_HISTORY,
        *,
        clock: Callable[[], float] = time.time,
        memory_sizes: dict[str, int] | None = None,
    ) -> None:
        if history < 1:
            raise ValueError(f"the inspector's history must hold at least 1 record, not {history}")
        self.history = history
        self.clock = clock
        self.memory_sizes = memory_sizes or {}
        self.open: dict[str, Record] = {}
        self.closed: OrderedDict[str, Record] = OrderedDict()
        # Frames and invocations are kept as they came (tuples: cheap on the gateway's path)
        # and turned into records only when a page reads them.
        self.frames: deque[tuple[Any, ...]] = deque(maxlen=history)
        self.invocations: deque[tuple[Any, ...]] = deque(maxlen=history)
        self.batches: deque[Record] = deque(maxlen=history)
        self.stream_totals: dict[str, Record] = {}
        self.metrics = Metrics(clock)
        self.subscribers: set[Subscriber] = set()
        self._seq = 0

    # -- subscribers ------------------------------------------------------------------------

    def subscribe(self) -> Subscriber:
        """A new page's update stream (call `unsubscribe` when it leaves)."""
        subscriber = Subscriber()
        self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Stop pushing to a page."""
        self.subscribers.discard(subscriber)

    def _publish(self, kind: str, record: Record) -> None:
        """Push to every page (callers on the hot path check `self.subscribers` first)."""
        for subscriber in self.subscribers:
            subscriber.push(kind, record)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    # -- connections and frames (the gateway's hooks) -----------------------------------------

    def opened(
        self,
        connection_id: str,
        *,
        connected_at: int,
        identity: dict[str, str],
        authorizer: dict[str, Any] | None,
        query: str,
    ) -> None:
        """A connection was accepted (its 101 is sent)."""
        record: Record = {
            "id": connection_id,
            "connectedAt": connected_at,
            "lastActivity": connected_at,
            "sourceIp": identity.get("sourceIp", ""),
            "userAgent": identity.get("userAgent"),
            "query": query,
            "authorizer": authorizer,
            "routes": [{"t": connected_at, "route": "$connect"}],
            "frames": 0,
            "open": True,
        }
        self.open[connection_id] = record
        self._publish("connection", record)

    def received(
        self, connection_id: str, text: str, route: str | None, request_id: str | None
    ) -> None:
        """A text message arrived; `route` is the route it selected (None: no route)."""
        now = int(self.clock() * 1000)
        self._seq += 1
        frame = (self._seq, connection_id, "in", now, _kept(text), route, request_id)
        self.frames.append(frame)
        self.metrics.message()
        conn = self.open.get(connection_id)
        if conn is not None:
            conn["lastActivity"] = now
            conn["frames"] += 1
            if route is not None:
                routes = conn["routes"]
                routes.append({"t": now, "route": route})
                if len(routes) > MAX_ROUTES:
                    del routes[1]  # keep $connect, the oldest message's entry goes
        if self.subscribers:
            self._publish("frame", frame_record(frame))

    def sent(self, connection_id: str, data: str | bytes, source: str) -> None:
        """A frame went out: `source` is "gateway" (a route's reply or the gateway's own
        answer, e.g. Forbidden) or "post" (PostToConnection)."""
        now = int(self.clock() * 1000)
        self._seq += 1
        frame = (self._seq, connection_id, "out", now, _kept(data), source, None)
        self.frames.append(frame)
        conn = self.open.get(connection_id)
        if conn is not None:
            conn["lastActivity"] = now
            conn["frames"] += 1
        if self.subscribers:
            self._publish("frame", frame_record(frame))

    def ended(self, connection_id: str, code: int, reason: str) -> None:
        """A connection closed with `code` and `reason` (what its $disconnect reports)."""
        record = self.open.pop(connection_id, None)
        if record is None:
            return
        record.update(open=False, closedAt=self._now_ms(), closeCode=code, closeReason=reason)
        self.closed[connection_id] = record
        while len(self.closed) > self.history:
            self.closed.popitem(last=False)
        self._publish("connection", record)

    def frame_records(self) -> list[Record]:
        """The frames kept, oldest first, as the page shows them."""
        return [frame_record(frame) for frame in self.frames]

    # -- invocations (the invoke port) ----------------------------------------------------------

    def invocation(
        self,
        function_key: str,
        event: dict[str, Any],
        *,
        started: int,
        result: InvocationResult | None,
        failure: str | None = None,
    ) -> None:
        """An invocation finished: `result` is its InvocationResult (None when the invoker
        itself failed with `failure`). Kept as it came; read as a record when asked."""
        self._seq += 1
        kept = (self._seq, function_key, event, started, result, failure)
        self.invocations.append(kept)
        if result is not None:
            self.metrics.invocation(result.duration_ms)
        context = event.get("requestContext")
        if context.__class__ is dict and context.get("eventType") == "DISCONNECT":
            self._disconnect_result(self.invocation_record(kept))
        if self.subscribers:
            self._publish("invocation", self.invocation_record(kept))

    def invocation_records(self) -> list[Record]:
        """The invocations kept, oldest first, as records."""
        return [self.invocation_record(kept) for kept in self.invocations]

    def find_invocation(self, seq: int) -> Record | None:
        """One kept invocation by its number, or None when it is no longer kept."""
        for kept in reversed(self.invocations):
            if kept[0] == seq:
                return self.invocation_record(kept)
        return None

    def find_request(self, request_id: str) -> Record | None:
        """The newest kept invocation with this Lambda request id, or None."""
        for kept in reversed(self.invocations):
            if kept[4] is not None and kept[4].request_id == request_id:
                return self.invocation_record(kept)
        return None

    def invocation_record(self, kept: tuple[Any, ...]) -> Record:
        """What the page shows of one kept invocation."""
        seq, function_key, event, started, result, failure = kept
        source, connection_id = describe_event(event)
        record: Record = {
            "seq": seq,
            "function": function_key,
            "source": source,
            "connectionId": connection_id,
            "t": started,
            "event": event,
            "memorySize": self.memory_sizes.get(function_key),
        }
        if result is None:
            error = {"errorType": "Sockgate.InvokeError", "errorMessage": failure}
            record.update(ok=False, error=error, requestId="", payload=None, logs=[])
            record.update(durationMs=0.0, billedMs=0)
            return record
        duration = float(result.duration_ms)
        init = result.init_duration_ms
        record.update(
            ok=result.ok,
            requestId=result.request_id,
            payload=result.payload,
            error=result.error,
            durationMs=round(duration, 2),
            billedMs=max(1, math.ceil(duration)),
            memoryUsedMb=result.max_memory_used_mb,
            cold=init is not None,
            initMs=round(init, 2) if init is not None else None,
            logs=list(result.logs),
        )
        return record

    def _disconnect_result(self, invocation: Record) -> None:
        conn = self.closed.get(invocation["connectionId"])
        if conn is None:
            return
        conn["disconnect"] = {
            "seq": invocation["seq"],
            "ok": invocation["ok"],
            "error": invocation["error"],
            "payload": invocation["payload"],
        }
        conn["routes"].append({"t": invocation["t"], "route": "$disconnect"})
        self._publish("connection", conn)

    # -- stream batches (the lanes' hook) ---------------------------------------------------------

    def batch(self, report: BatchReport) -> None:
        """A stream batch was invoked or discarded."""
        record: Record = {
            "seq": self._next_seq(),
            "t": self._now_ms(),
            "mapping": report.mapping_id,
            "function": report.function_key,
            "shard": report.shard_id,
            "records": report.records,
            "bytes": report.size,
            "first": report.first_sequence,
            "last": report.last_sequence,
            "outcome": report.outcome,
            "acked": report.acked,
            "discarded": report.discarded,
            "condition": report.condition,
            "retry": report.retry,
            "bisected": report.bisected,
            "requestId": report.request_id,
            "eventNames": list(report.event_names),
        }
        self.batches.append(record)
        totals = self.stream_totals.setdefault(
            report.mapping_id,
            {
                "batches": 0,
                "records": 0,
                "failures": 0,
                "partial": 0,
                "retries": 0,
                "bisections": 0,
                "discarded": 0,
            },
        )
        totals["batches"] += report.outcome != "expired"
        totals["records"] += report.acked
        totals["failures"] += report.outcome == "failure"
        totals["partial"] += report.outcome == "partial"
        totals["retries"] += report.retry
        totals["bisections"] += report.bisected
        totals["discarded"] += report.discarded
        self._publish("batch", record)

    # -- what the page loads first ----------------------------------------------------------------

    def snapshot(self) -> Record:
        """Everything kept, oldest first."""
        return {
            "history": self.history,
            "connections": [*self.closed.values(), *self.open.values()],
            "frames": self.frame_records(),
            "invocations": self.invocation_records(),
            "batches": list(self.batches),
            "streamTotals": self.stream_totals,
        }


def _kept(data: str | bytes) -> str | bytes | tuple[str | bytes, int]:
    """A frame's payload as kept: itself, or its first MAX_TEXT characters and its size."""
    if len(data) <= MAX_TEXT:
        return data
    size = len(data) if isinstance(data, bytes) or data.isascii() else len(data.encode())
    return data[:MAX_TEXT], size


def frame_record(frame: tuple[Any, ...]) -> Record:
    """What the page shows of one kept frame."""
    seq, connection_id, direction, t, kept, detail, request_id = frame
    data, size = kept if isinstance(kept, tuple) else (kept, None)
    if isinstance(data, bytes):
        text = data.decode("utf-8", "replace")
        size = size if size is not None else len(data)
    else:
        text = data
        size = size if size is not None else (len(data) if data.isascii() else len(data.encode()))
    record: Record = {
        "seq": seq,
        "connectionId": connection_id,
        "dir": direction,
        "t": t,
        "size": size,
        "text": text,
        "truncated": isinstance(kept, tuple),
    }
    if direction == "in":
        record["route"] = detail
        record["requestId"] = request_id
    else:
        record["source"] = detail
        record["label"] = _label(text) if detail == "gateway" else "@connections"
    return record


def describe_event(event: dict[str, Any]) -> tuple[str, str | None]:
    """(route or event source, connection id) of a Lambda event, for filtering and linking."""
    context = event.get("requestContext")
    if isinstance(context, dict):
        connection_id = context.get("connectionId")
        route = context.get("routeKey")
        if connection_id is not None:  # a WebSocket route (or its authorizer)
            return str(route or "$connect"), str(connection_id)
        http = context.get("http")
        if isinstance(http, dict):
            return f"{http.get('method', '')} {http.get('path', '')}", None
        if route is not None:
            return str(route), None
    if event.get("type") == "REQUEST" and "methodArn" in event:
        return "authorizer", None
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        source = records[0].get("eventSource") or "stream"
        return str(source), None
    return "direct", None


def _label(text: str) -> str:
    """What a frame the gateway sent is: its own error answers, or a route's reply."""
    if text.startswith("{") and '"message"' in text[:40]:
        try:
            message = json.loads(text).get("message")
        except (ValueError, AttributeError):
            return "route reply"
        if message in ("Forbidden", "Internal server error", "Endpoint request timed out"):
            return str(message)
    return "route reply"
