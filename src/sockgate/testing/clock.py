"""A clock for the gateway's timers that tests move forward: `svc.clock.advance(601)`.

The gateway reads its idle timeout and maximum connection duration from a Clock
(sockgate.gateway.config): by default the event loop itself. TestClock is the loop's time plus
an offset only `advance()` changes; its timers still fire in real time, and `advance()` runs at
once every timer the jump made due.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TestClock"]


@dataclass(order=True, slots=True)
class _Timer:
    when: float
    order: int
    callback: Callable[..., Any] = field(compare=False)
    args: tuple[Any, ...] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class TestClock:
    """The gateway's clock under a test's control (use it on its event loop's thread)."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.offset = 0.0  # seconds advance() has added
        self._timers: list[_Timer] = []  # a heap, earliest first
        self._order = itertools.count()
        self._wakeup: asyncio.TimerHandle | None = None

    def time(self) -> float:
        """Now: the loop's time plus every advance so far."""
        return self._loop.time() + self.offset

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> _Timer:
        """Run `callback(*args)` once this clock reads `when`; the handle has cancel()."""
        timer = _Timer(when, next(self._order), callback, args)
        heapq.heappush(self._timers, timer)
        if self._timers[0] is timer:
            self._arm()
        return timer

    def advance(self, seconds: float) -> int:
        """Move the clock forward and run the timers now due; returns how many ran."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset += seconds
        return self._run_due()

    def _fire(self) -> None:
        self._wakeup = None
        self._run_due()

    def _run_due(self) -> int:
        ran = 0
        now = self.time()
        while self._timers and self._timers[0].when <= now:
            timer = heapq.heappop(self._timers)
            if not timer.cancelled:
                timer.callback(*timer.args)
                ran += 1
        self._arm()
        return ran

    def _arm(self) -> None:
        """One loop timer, for the earliest live timer, in the loop's own time."""
        while self._timers and self._timers[0].cancelled:
            heapq.heappop(self._timers)
        if self._wakeup is not None:
            self._wakeup.cancel()
            self._wakeup = None
        if self._timers:
            real = self._timers[0].when - self.offset
            self._wakeup = self._loop.call_at(real, self._fire)
