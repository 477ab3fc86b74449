"""Messages per second and invocation times over the last minutes, in one-second buckets.

Each bucket is a message count and the invocation durations of that second; only the last
`WINDOW` seconds are kept, so memory stays bounded however long `sockgate dev` runs.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["WINDOW", "Metrics", "percentile"]

WINDOW = 300  # seconds of history
MAX_SAMPLES = 200  # invocation durations kept per second: a uniform sample beyond that


class _Bucket:
    __slots__ = ("durations", "invocations", "messages", "second")

    def __init__(self, second: int) -> None:
        self.second = second
        self.messages = 0
        self.invocations = 0
        self.durations: list[float] = []


class Metrics:
    """Rolling per-second counters."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._buckets: deque[_Bucket] = deque(maxlen=WINDOW)

    def _bucket(self) -> _Bucket:
        second = int(self.clock())
        buckets = self._buckets
        if not buckets or buckets[-1].second != second:
            buckets.append(_Bucket(second))
        return buckets[-1]

    def message(self) -> None:
        """A message arrived from a client."""
        self._bucket().messages += 1

    def invocation(self, duration_ms: float) -> None:
        """An invocation took `duration_ms`."""
        bucket = self._bucket()
        bucket.invocations += 1
        durations = bucket.durations
        if len(durations) < MAX_SAMPLES:
            durations.append(duration_ms)
        else:  # reservoir sampling: every invocation of the second equally likely to be kept
            slot = random.randrange(bucket.invocations)
            if slot < MAX_SAMPLES:
                durations[slot] = duration_ms

    def series(self, seconds: int = WINDOW, step: int = 5) -> dict[str, Any]:
        """The last `seconds`, in `step`-second points: messages/s, p50 and p99 (ms)."""
        now = int(self.clock())
        start = now - seconds + 1
        points = seconds // step
        messages = [0] * points
        invocations = [0] * points
        durations: list[list[float]] = [[] for _ in range(points)]
        for bucket in self._buckets:
            if bucket.second < start or bucket.second > now:
                continue
            index = min(points - 1, (bucket.second - start) // step)
            messages[index] += bucket.messages
            invocations[index] += bucket.invocations
            durations[index].extend(bucket.durations)
        return {
            "end": now,
            "step": step,
            "rate": [round(count / step, 2) for count in messages],
            "p50": [percentile(values, 50) for values in durations],
            "p99": [percentile(values, 99) for values in durations],
            "invocations": invocations,
        }


def percentile(values: list[float], p: float) -> float | None:
    """The nearest-rank percentile of `values` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return round(ordered[rank - 1], 2)
