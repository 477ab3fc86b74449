"""The engine: where each operation runs, and group commit of writes.

Writes run on the event loop's thread, which is the single writer: SQLite allows one, and
serialising them makes every conditional write atomic without locks. Handing each write to a
writer thread and back cost two thread wake-ups per request (about a fifth of a PutItem's
time), so writes are not handed off; instead the writes that arrive during one turn of the
loop are queued and committed together at the start of the next (group commit). Each write
of a group runs in its own savepoint, so it is atomic on its own and a failed one rolls back
alone, and every write is acknowledged only after the COMMIT that holds it (WAL,
synchronous=NORMAL: written to the log before the answer, so it survives SIGKILL). A write
blocks the loop while it runs; the large ones (a 10 MB BatchWriteItem, a GSI backfill) hold
the GIL a writer thread would have needed anyway.

Bounded reads (GetItem, DescribeStream, ...) also run at once on the loop, on the writer's
connection, between group commits. Reads that may return a megabyte (Query, Scan, batches,
DescribeTable's counts) run on a reader thread with its own connection, which in WAL mode
sees the last committed state without blocking the writer. In memory there is one connection
and everything runs on the loop.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from sockgate.tables.operations.context import Context
from sockgate.tables.storage.schema import open_connection
from sockgate.tables.storage.store import Catalog, Store

__all__ = ["Done", "Engine", "Outcome", "Worker"]

T = TypeVar("T")
# What one job produced: (result, None) or (None, the exception it raised).
Outcome = tuple[Any, BaseException | None]
Job = tuple[Callable[[Context, Any], Any], Any]
# Called on the loop with a job's outcome, done(result, error). The server answers requests
# through these rather than through futures: a future's callbacks wait one more turn of the
# loop, a noticeable part of a small request.
Done = Callable[[Any, BaseException | None], None]

log = logging.getLogger("sockgate.tables")


def _resolve(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _future() -> tuple[asyncio.Future[Any], Done]:
    """A future on the running loop, and the Done that completes it."""
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    return future, functools.partial(_resolve, future)


def _report(done: Done, result: Any, error: BaseException | None) -> None:
    try:
        done(result, error)
    except Exception:
        log.exception("answering a request failed")


class Worker:
    """A thread running calls one at a time, in order, answering on the event loop.

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
            loop, done, fn, args = job
            if loop is None:  # a blocking call(): it reports by itself
                fn(*args)
                continue
            try:
                result = fn(*args)
            except BaseException as error:  # handed to the loop
                loop.call_soon_threadsafe(_report, done, None, error)
            else:
                loop.call_soon_threadsafe(_report, done, result, None)

    def submit(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Queue fn(*args); the future completes on the running loop."""
        future, done = _future()
        self.submit_then(done, fn, *args)
        return future

    def submit_then(self, done: Done, fn: Callable[..., Any], *args: Any) -> None:
        """Queue fn(*args); done(result, error) is then called on the running loop."""
        self._jobs.put((asyncio.get_running_loop(), done, fn, args))

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
        result: T
        error: BaseException | None
        result, error = box[0]
        if error is not None:
            raise error
        return result

    def stop(self) -> None:
        """Finish queued calls, then end the thread."""
        self._jobs.put(None)
        self._thread.join()


class Engine:
    """Runs operations with the right connection, on the right thread."""

    def __init__(
        self, data_dir: Path | None, region: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.data_dir = data_dir
        self.region = region
        self.catalog = Catalog()
        # Opened wherever the engine is built, then used only by the thread running the loop.
        self._writer = Store.open(data_dir, self.catalog, region)
        self._writer.load_catalog()
        self.write_context = Context(self._writer, region, clock)
        self.read_context = self.write_context
        self._queued: list[tuple[Callable[[Context, Any], Any], Any, Done]] = []
        self._reader_thread: Worker | None = None
        self._checkpointer: Worker | None = None
        self._closed = False
        if data_dir is not None:
            # Commits do not checkpoint (the fsync a checkpoint needs stays off the write
            # path); a third connection copies the WAL into the database in the background.
            self._writer.conn.execute("PRAGMA wal_autocheckpoint=0")
            self._reader_thread = Worker("sockgate-tables-reader")
            reader = self._reader_thread.call(self._open)
            self.read_context = Context(reader, region, clock)
            self._checkpointer = Worker("sockgate-tables-checkpoint")
            self._checkpoint_conn = self._checkpointer.call(open_connection, data_dir)

    def _open(self) -> Store:
        return Store.open(self.data_dir, self.catalog, self.region)

    # --- writes ----------------------------------------------------------------------------

    def write(self, fn: Callable[[Context, Any], T], arg: Any) -> asyncio.Future[T]:
        """Queue fn(context, arg) for the next group commit; the future completes after it."""
        future, done = _future()
        self.write_then(done, fn, arg)
        return future

    def write_then(self, done: Done, fn: Callable[[Context, Any], Any], arg: Any) -> None:
        """Queue fn(context, arg) for the next group commit; done is called right after it."""
        if not self._queued:
            asyncio.get_running_loop().call_soon(self.commit_queued)
        self._queued.append((fn, arg, done))

    def commit_queued(self) -> None:
        """Run and commit the queued writes now, then report their outcomes."""
        queued, self._queued = self._queued, []
        if not queued:
            return
        outcomes = self.run_writes([(fn, arg) for fn, arg, _ in queued])
        for (_, _, done), (result, error) in zip(queued, outcomes, strict=True):
            _report(done, result, error)

    def run_writes(self, jobs: Sequence[Job]) -> list[Outcome]:
        """Run write jobs in order in one transaction, each atomic on its own.

        A job that raises is rolled back alone (its savepoint) and reports its exception; the
        others see the state the jobs before them left, as if run one by one. Returns after
        the COMMIT.
        """
        ctx = self.write_context
        conn = ctx.store.conn
        if len(jobs) == 1:
            # Alone, a write commits as it would unbatched: its own transaction is the group.
            fn, arg = jobs[0]
            try:
                return [(fn(ctx, arg), None)]
            except Exception as error:
                return [(None, error)]
        outcomes: list[Outcome] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for fn, arg in jobs:
                conn.execute("SAVEPOINT job")
                try:
                    outcomes.append((fn(ctx, arg), None))
                except Exception as error:
                    outcomes.append((None, error))
                    if not conn.in_transaction:
                        # SQLite ended the whole transaction (an I/O error, a full disk):
                        # the jobs before this one are gone with it.
                        raise
                    conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
            conn.execute("COMMIT")
        except Exception as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            # Nothing was committed: no job may be acknowledged.
            return [(None, error)] * len(jobs)
        return outcomes

    # --- reads -----------------------------------------------------------------------------

    def lookup(self, fn: Callable[[Context, Any], T], arg: Any) -> T:
        """Run a bounded read now, on the loop, with the writer's connection."""
        return fn(self.write_context, arg)

    def read_then(self, done: Done, fn: Callable[[Context, Any], Any], arg: Any) -> None:
        """Run fn(context, arg) on the reader thread (in memory: on the loop), then done."""
        if self._reader_thread is not None:
            self._reader_thread.submit_then(done, fn, self.read_context, arg)
            return
        try:
            outcome: Outcome = (fn(self.write_context, arg), None)
        except Exception as error:
            outcome = (None, error)
        # Reported at the next turn, as from the thread: never before read_then returns.
        asyncio.get_running_loop().call_soon(_report, done, *outcome)

    # --- upkeep ----------------------------------------------------------------------------

    def checkpoint(self, mode: str = "PASSIVE") -> asyncio.Future[Any]:
        """Copy committed WAL frames into the database file (never blocks reads or writes)."""
        if self._checkpointer is None:
            future, done = _future()
            done(None, None)
            return future
        return self._checkpointer.submit(self._checkpoint_now, mode)

    def _checkpoint_now(self, mode: str) -> tuple[int, int, int]:
        row = self._checkpoint_conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        return tuple(row)  # (busy, frames in the WAL, frames copied)

    def close(self) -> None:
        """Commit queued writes, stop the threads and close every connection.

        Call it from the thread running the loop (or with no loop running)."""
        if self._closed:
            return
        self._closed = True
        self.commit_queued()
        if self._checkpointer is not None:
            self._checkpointer.call(self._checkpoint_conn.close)
            self._checkpointer.stop()
        if self._reader_thread is not None:
            self._reader_thread.call(self.read_context.store.close)
            self._reader_thread.stop()
        self._writer.close()
