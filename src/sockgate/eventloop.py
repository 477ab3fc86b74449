"""The event loop a sockgate process runs on: uvloop where it is installed, else asyncio's own.

uvloop is libuv (the loop Node, and so serverless-offline, runs on) under asyncio's API: its
transports, timers and callbacks are C, which takes a fifth to a quarter off the gateway's CPU per
message (bench/ANALYSIS.md). Everything sockgate does is plain asyncio, so both loops run it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

__all__ = ["LOOPS", "Loop", "loop_factory", "loop_name", "run"]

T = TypeVar("T")
Loop = Literal["auto", "uvloop", "asyncio"]
LOOPS: tuple[Loop, ...] = ("auto", "uvloop", "asyncio")


def loop_factory(loop: Loop = "auto") -> Callable[[], asyncio.AbstractEventLoop]:
    """What makes the loop: `auto` is uvloop if it imports, else asyncio's."""
    if loop == "asyncio":
        return asyncio.new_event_loop
    try:
        import uvloop
    except ImportError:
        if loop == "uvloop":
            from sockgate.errors import ConfigError

            raise ConfigError(
                "--loop uvloop: uvloop is not installed here (pip install uvloop; it has no "
                "Windows build); use --loop asyncio."
            ) from None
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """`uvloop` or `asyncio`, for the banner."""
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"


def run(main: Coroutine[Any, Any, T], loop: Loop = "auto") -> T:
    """asyncio.run(main) on the chosen loop."""
    with asyncio.Runner(loop_factory=loop_factory(loop)) as runner:
        return runner.run(main)
