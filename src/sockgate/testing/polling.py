"""`eventually`: wait for a condition with a deadline, for what has no event to wait on."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

__all__ = ["eventually"]


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]],
    *,
    timeout: float = 10.0,
    what: str = "",
    interval: float = 0.01,
) -> None:
    """Check `condition` (sync, or returning an awaitable) until it holds; AssertionError
    naming `what` after `timeout` seconds.

    A condition that blocks (a boto3 call) belongs in a thread:
    `eventually(lambda: asyncio.to_thread(rows_exist), what="the rows")`.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what or condition}")
        await asyncio.sleep(interval)
