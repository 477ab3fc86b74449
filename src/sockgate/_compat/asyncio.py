"""asyncio below its public API: a StreamWriter on a pipe.

asyncio documents `open_connection`/`open_unix_connection` for sockets but no way to get a
StreamWriter (with its flow control: `drain()` waits while the pipe is full) for a pipe. Used by
`sockgate.lambdas.process` for the pipe to each worker. `tests/compat/test_asyncio.py` checks
the names against the running Python.
"""

from __future__ import annotations

import asyncio
import asyncio.streams
from typing import Any

__all__ = ["PRIVATE_NAMES", "open_pipe_writer"]

PRIVATE_NAMES: dict[str, tuple[str, ...]] = {
    # undocumented: not in asyncio.__all__; StreamWriter.drain() awaits its _drain_helper()
    "asyncio.streams": ("FlowControlMixin",),
    "asyncio.streams.FlowControlMixin": ("_drain_helper",),
    # documented as "not intended to be instantiated directly": (transport, protocol, reader, loop)
    "asyncio.streams.StreamWriter": ("__init__",),
}


async def open_pipe_writer(pipe: Any) -> asyncio.StreamWriter:
    """A StreamWriter writing to `pipe` (a file object open for writing).

    `write`, `drain` and `close` work; `wait_closed` does not (the protocol has no close waiter).
    """
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.connect_write_pipe(
        lambda: asyncio.streams.FlowControlMixin(loop), pipe
    )
    return asyncio.StreamWriter(transport, protocol, None, loop)
