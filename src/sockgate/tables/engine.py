"""The engine: one writer thread and one reader thread, each owning a SQLite connection.

Writes are serialised on the writer thread (SQLite allows one writer; serialising also makes
every conditional write atomic without locks). Reads run on a second connection, which in WAL
mode sees the last committed state without waiting for the writer. The aiohttp loop only hands
work to these threads and never touches SQLite itself. In memory there is one connection, so
reads share the writer thread.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sockgate.tables.operations.context import Context
from sockgate.tables.storage.schema import open_connection
from sockgate.tables.storage.store import Catalog, Store

__all__ = ["Engine", "Worker"]

T = TypeVar("T")


def _resolve(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _done() -> asyncio.Future[Any]:
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


class Worker:
    """A thread running calls one at a time, in order, answering through asyncio futures.

    Leaner than loop.run_in_executor (no concurrent.futures.Future chained to an asyncio one):
    the hop to and from the thread is a noticeable part of a small request.
    """

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            loop, future, fn, args = job
            if loop is None:  # a blocking call(): it reports by itself
                fn(*args)
                continue
            try:
                result = fn(*args)
            except BaseException as error:  # handed to the awaiting coroutine
                loop.call_soon_threadsafe(_resolve, future, None, error)
            else:
                loop.call_soon_threadsafe(_resolve, future, result, None)

    def submit(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Queue fn(*args); the future completes on the running loop."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((loop, future, fn, args))
        return future

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run fn(*args) on the thread and wait for it (for setup and shutdown, off the loop)."""
        done = threading.Event()
        box: list[Any] = []

        def job() -> None:
            try:
                box.append((fn(*args), None))
            except BaseException as error:
                box.append((None, error))
            finally:
                done.set()

        self._jobs.put((None, None, lambda: job(), ()))
        done.wait()
        result, error = box[0]
        if error is not None:
            raise error
        return result

    def stop(self) -> None:
        """Finish queued calls, then end the thread."""
        self._jobs.put(None)
        self._thread.join()


class Engine:
    """Runs operations on the right thread with the right connection."""

    def __init__(
        self, data_dir: Path | None, region: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.data_dir = data_dir
        self.region = region
        self.catalog = Catalog()
        self._writer_thread = Worker("sockgate-tables-writer")
        self._reader_thread = self._writer_thread
        # Connections are opened on the thread that uses them.
        self._writer = self._writer_thread.call(self._open)
        self._writer_thread.call(self._writer.load_catalog)
        self._reader = self._writer
        self._checkpointer: Worker | None = None
        if data_dir is not None:
            self._reader_thread = Worker("sockgate-tables-reader")
            self._reader = self._reader_thread.call(self._open)
            # Commits do not checkpoint (the fsync a checkpoint needs stays off the write
            # path); a third connection copies the WAL into the database in the background.
            self._writer_thread.call(self._writer.conn.execute, "PRAGMA wal_autocheckpoint=0")
            self._checkpointer = Worker("sockgate-tables-checkpoint")
            self._checkpoint_conn = self._checkpointer.call(open_connection, data_dir)
        self.write_context = Context(self._writer, region, clock)
        self.read_context = Context(self._reader, region, clock)

    def _open(self) -> Store:
        return Store.open(self.data_dir, self.catalog, self.region)

    def write(self, fn: Callable[[Context, Any], T], arg: Any) -> asyncio.Future[T]:
        """Run fn(context, arg) on the writer thread; await the result."""
        return self._writer_thread.submit(fn, self.write_context, arg)

    def read(self, fn: Callable[[Context, Any], T], arg: Any) -> asyncio.Future[T]:
        """Run fn(context, arg) on the reader thread; await the result."""
        return self._reader_thread.submit(fn, self.read_context, arg)

    def checkpoint(self, mode: str = "PASSIVE") -> asyncio.Future[Any]:
        """Copy committed WAL frames into the database file (never blocks reads or writes)."""
        if self._checkpointer is None:
            return _done()
        return self._checkpointer.submit(self._checkpoint_now, mode)

    def _checkpoint_now(self, mode: str) -> tuple[int, int, int]:
        row = self._checkpoint_conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        return tuple(row)  # (busy, frames in the WAL, frames copied)

    def close(self) -> None:
        """Finish queued work and close every connection (call off the event loop)."""
        if self._checkpointer is not None:
            self._checkpointer.call(self._checkpoint_conn.close)
            self._checkpointer.stop()
        if self._reader is not self._writer:
            self._reader_thread.call(self._reader.close)
            self._reader_thread.stop()
        self._writer_thread.call(self._writer.close)
        self._writer_thread.stop()
