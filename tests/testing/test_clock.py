"""TestClock on its own: the loop's time plus an offset, timers run by advance()."""

from __future__ import annotations

import asyncio

import pytest

from sockgate.testing.clock import TestClock


async def test_advance_runs_due_timers_in_order() -> None:
    clock = TestClock(asyncio.get_running_loop())
    ran: list[str] = []
    start = clock.time()
    clock.call_at(start + 600, ran.append, "idle")
    clock.call_at(start + 7200, ran.append, "max")
    cancelled = clock.call_at(start + 300, ran.append, "cancelled")
    cancelled.cancel()
    assert clock.advance(599) == 0
    assert clock.advance(1) == 1
    assert ran == ["idle"]
    assert clock.time() >= start + 600
    assert clock.advance(7000) == 1
    assert ran == ["idle", "max"]


async def test_timers_also_fire_in_real_time() -> None:
    loop = asyncio.get_running_loop()
    clock = TestClock(loop)
    fired = loop.create_future()
    clock.call_at(clock.time(), fired.set_result, "now")  # due at once, without advance()
    assert await asyncio.wait_for(fired, 5) == "now"


def test_the_clock_only_moves_forward() -> None:
    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(ValueError, match="only moves forward"):
            TestClock(loop).advance(-1)
    finally:
        loop.close()
