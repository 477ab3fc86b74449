"""sockgate._compat.asyncio against the running Python: the undocumented names it uses are
there, and a StreamWriter on a pipe waits in drain() while the pipe is full.

A failure here on a new Python means asyncio moved an internal: update _compat/asyncio.py.
"""

from __future__ import annotations

import asyncio
import asyncio.streams
import inspect
import os
import sys

from sockgate._compat import asyncio as compat

from .names import missing_names


def _incompatible(what: str) -> str:
    return (
        f"Python {sys.version.split()[0]}'s asyncio is not what sockgate._compat.asyncio was "
        f"written for: {what}. Update src/sockgate/_compat/asyncio.py."
    )


def test_every_private_name_is_there() -> None:
    owners = {
        "asyncio.streams": asyncio.streams,
        "asyncio.streams.FlowControlMixin": getattr(asyncio.streams, "FlowControlMixin", None),
        "asyncio.streams.StreamWriter": asyncio.streams.StreamWriter,
    }
    missing = missing_names(compat.PRIVATE_NAMES, owners)
    assert not missing, _incompatible(f"missing {', '.join(missing)}")


def test_stream_writer_takes_what_we_pass() -> None:
    found = list(inspect.signature(asyncio.StreamWriter.__init__).parameters)
    assert found == ["self", "transport", "protocol", "reader", "loop"], _incompatible(
        f"StreamWriter{tuple(found)}"
    )


async def test_a_pipe_writer_writes_and_drains() -> None:
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    writer = await compat.open_pipe_writer(os.fdopen(write_fd, "wb", buffering=0))
    try:
        payload = b"x" * (4 << 20)  # more than any pipe buffer: drain() must wait for the reader
        writer.write(payload)
        drained = asyncio.ensure_future(writer.drain())
        await asyncio.sleep(0)
        assert not drained.done(), _incompatible("drain() did not wait while the pipe was full")
        got = bytearray()
        loop = asyncio.get_running_loop()
        readable = asyncio.Event()
        loop.add_reader(read_fd, readable.set)
        try:
            while len(got) < len(payload):
                await asyncio.wait_for(readable.wait(), 5)
                readable.clear()
                try:
                    got += os.read(read_fd, 1 << 20)
                except BlockingIOError:
                    pass
        finally:
            loop.remove_reader(read_fd)
        await asyncio.wait_for(drained, 5)
        assert bytes(got) == payload
    finally:
        writer.close()  # no wait_closed(): FlowControlMixin has no close waiter
        os.close(read_fd)
