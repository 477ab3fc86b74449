"""The runtime's side of one worker process: spawn it, talk to it, read its output, kill it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sockgate._compat.asyncio import open_pipe_writer
from sockgate.lambdas import pipes
from sockgate.lambdas.logs import InvocationLog
from sockgate.lambdas.output import OutputSplitter

__all__ = ["INIT_TIMEOUT", "Outcome", "WorkerProcess", "WorkerSpec"]

# Lambda gives an on-demand INIT phase 10 s; when it fails, Lambda retries the init inside the
# invocation, within the function's timeout. A worker is given both before its init is abandoned.
INIT_TIMEOUT = 10.0
# How long to wait for output still in the pipe after a response or an exit. The wait ends at
# once in practice; the bound is for a process the handler started that still holds the pipe.
OUTPUT_GRACE = 5.0
# How often a running invocation's memory is looked at (a handler that allocates faster than
# this is caught by the peak its response reports).
MEMORY_SAMPLE_S = 0.05


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    """How to start a worker of one function."""

    environment: dict[str, str]  # complete, including its own log stream name
    cwd: Path
    write_bytecode: bool = True
    memory_mb: int | None = None  # the function's memorySize: killed beyond it, as on Lambda
    executable: str = sys.executable  # the Python of the function's runtime
    isolated: bool = False  # -S: no site-packages; the import path comes from the environment


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one invocation (or init) ended: a response, a timeout, or the process exiting."""

    response: dict[str, Any] | None = None  # the worker's Response message
    timed_out: bool = False
    returncode: int | None = None  # set when the process exited instead of answering
    rss_kb: int = 0
    out_of_memory: bool = False  # killed for going beyond the function's memory size
    not_started: bool = False  # sent ahead to a worker that ended first: run it elsewhere
    elapsed_ms: float = 0.0  # from the moment it started (not when it was sent) to its end


@dataclass(eq=False, slots=True)
class _Call:
    """One invocation sent to a worker, until its outcome is given."""

    request_id: str
    timeout: float
    log: InvocationLog
    done: Callable[[Outcome], None]
    deadline: asyncio.TimerHandle | None = None
    started: float = 0.0  # perf_counter() when it started running
    output_ended: bool = False  # its output's end (the sentinel) was read
    ended: asyncio.Future[None] | None = None  # waited on when its response came first


class WorkerProcess:
    """One worker: a child process running `sockgate.lambdas.worker`.

    It runs one invocation at a time. The runtime may send the next request while one runs (a
    queued invocation, lambdas/pool.py): the worker reads it as soon as it has answered, without
    sleeping in between, and that request's timeout starts then.
    """

    def __init__(self, spec: WorkerSpec, logger: logging.Logger, generation: int) -> None:
        self.generation = generation
        self.init_duration_ms: float | None = None  # until the first invocation reports it
        self.failure: Outcome | None = None  # init did not succeed
        self._spec = spec
        self._logger = logger
        self._token = secrets.token_hex(16)
        self._process: asyncio.subprocess.Process | None = None
        self._reader: pipes.FrameReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._read_transport: asyncio.BaseTransport | None = None
        self._output: asyncio.BaseTransport | None = None
        self._splitter = OutputSplitter(self._token)
        self._output_ended = asyncio.Event()
        self._drained = asyncio.Event()  # init's output was all read
        self._rss_kb = 0
        self._out_of_memory = False
        # The memory watch: one timer that samples every MEMORY_SAMPLE_S while an invocation
        # runs and lapses once none does, so back-to-back invocations arm no timer each.
        self._running = False
        self._watch: asyncio.TimerHandle | None = None
        # Invocations sent and not yet answered, the running one first; and every one whose
        # outcome is not given yet, by request id (its output may still arrive).
        self._calls: deque[_Call] = deque()
        self._open: dict[str, _Call] = {}
        self._segment: _Call | None = None  # whose output is being read (after its marker)
        self._doomed = False  # out of memory: it serves what it was sent, then it is discarded
        self._killed = False  # killed: not reaped yet, but it takes nothing more
        self._finishers: set[asyncio.Task[None]] = set()
        self._outbox: list[bytes] = []  # requests to write at the end of this step of the loop

    @property
    def pid(self) -> int | None:
        """The process id, once started."""
        return self._process.pid if self._process else None

    @property
    def alive(self) -> bool:
        """True while the process runs and its pipes are open."""
        return (
            self._process is not None
            and self._process.returncode is None
            and self.failure is None
            and not self._doomed
            and not self._killed
            and self._reader is not None
            and not self._reader.closed
        )

    async def start(self, init_timeout: float) -> None:
        """Start the process and wait for its init; a failed init is kept in `failure`."""
        started = time.perf_counter()
        await self._spawn()
        try:
            async with asyncio.timeout(init_timeout):
                body = await self._read_frame()
        except TimeoutError:
            self.kill()
            self.failure = Outcome(timed_out=True, rss_kb=self._rss_kb)
            return
        except (asyncio.IncompleteReadError, ConnectionError):
            self.failure = await self._exited()
            return
        hello = pipes.decode(body)
        assert self._reader is not None
        self._reader.deliver(self._answered, self._lost)
        self._rss_kb = hello["rss"]
        if hello["out"]:
            await self._wait_drained()  # init's output, up to the sentinel, is all logged
        if hello["type"] == "ready":
            self.init_duration_ms = (time.perf_counter() - started) * 1000
        else:
            error = hello["error"]
            response = {"status": "error", "error": error, "duration": 0.0}
            self.failure = Outcome(response=response, rss_kb=self._rss_kb)

    def begin(
        self,
        request_id: str,
        body: bytes,
        timeout: float,
        log: InvocationLog,
        done: Callable[[Outcome], None],
    ) -> None:
        """Send one request; `done` gets its outcome. Kills the process on timeout.

        Driven by callbacks, not a task: the response frame ends the invocation in the callback
        that read it. An invocation whose caller went away still runs to its end, as on Lambda.
        Sent while another runs, it starts (and its timeout with it) when that one is answered.
        """
        assert self._writer is not None and self._reader is not None
        call = _Call(request_id, timeout, log, done)
        self._open[request_id] = call
        self._calls.append(call)
        if len(self._calls) == 1:
            self._start(call)
        if self._reader.closed:
            self._lost()
            return
        # Requests sent in one step of the loop (several handed over as a batch of responses
        # was read) go out in one write: one wake-up of the worker, not one each.
        if not self._outbox:
            asyncio.get_running_loop().call_soon(self._flush)
        self._outbox.append(pipes.frame(body))

    def _flush(self) -> None:
        outbox, self._outbox = self._outbox, []
        if self._writer is not None and not self._writer.is_closing():
            # A large event the pipe takes in part is flushed by the transport on its own.
            self._writer.write(b"".join(outbox) if len(outbox) > 1 else outbox[0])

    def _start(self, call: _Call) -> None:
        """`call` runs from now: its timeout, and the memory watch."""
        loop = asyncio.get_running_loop()
        call.started = time.perf_counter()
        call.deadline = loop.call_at(loop.time() + call.timeout, self._timed_out)
        self._running = True
        self._watch_memory()

    def _answered(self, body: bytes) -> None:
        """The running invocation's response frame arrived (FrameReader callback)."""
        if not self._calls:
            return  # a late answer from a worker given up on (timed out): it is being killed
        call = self._calls.popleft()
        _cancel(call)
        if self._calls:
            self._start(self._calls[0])  # the worker has read it already
        else:
            self._running = False
        response = pipes.decode(body)
        if response["out"] and not call.output_ended:
            # Its output, up to the sentinel, is logged before its END.
            self._finishing(self._after_output(call, response))
            return
        if not response["out"] and self._segment is None:
            self._emit(self._splitter.flush())  # read already, a partial last line too
        self._finish(call, response)

    async def _after_output(self, call: _Call, response: dict[str, Any]) -> None:
        call.ended = asyncio.get_running_loop().create_future()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(OUTPUT_GRACE):
                await call.ended
        self._finish(call, response)

    def _finish(self, call: _Call, response: dict[str, Any]) -> None:
        """Give `call` its outcome, unless the worker went beyond its memory meanwhile."""
        self._rss_kb = response["rss"]
        limit_kb = self._limit_kb()
        if limit_kb is not None and self._rss_kb > limit_kb:
            # It went beyond its memory between two samples: Lambda would have killed it.
            outcome = Outcome(returncode=-signal.SIGKILL, rss_kb=self._rss_kb, out_of_memory=True)
            if self._calls:
                # What was sent after it may have started: it runs to its end here (as it
                # would have elsewhere), and the worker takes nothing more.
                self._doomed = True
            else:
                self.kill()
                self._finishing(self._after_kill(call, outcome))
                return
        else:
            outcome = Outcome(response=response, rss_kb=self._rss_kb)
        self._give(call, outcome)

    def _timed_out(self) -> None:
        assert self._process is not None
        call = self._calls.popleft()
        call.deadline = None
        rss = _peak_rss_kb(self._process.pid) or self._rss_kb
        self.kill()
        self._not_started()
        self._finishing(self._after_kill(call, Outcome(timed_out=True, rss_kb=rss)))

    def _lost(self) -> None:
        """The pipes closed (the process exited) during an invocation."""
        if not self._calls:
            return
        call = self._calls.popleft()
        _cancel(call)
        self._not_started()
        self._finishing(self._after_exit(call))

    def _not_started(self) -> None:
        """The worker ended while running an invocation: those sent after it never started."""
        self._running = False
        while self._calls:
            call = self._calls.popleft()
            _cancel(call)
            self._give(call, Outcome(not_started=True))

    async def _after_kill(self, call: _Call, outcome: Outcome) -> None:
        await self._wait_output_end()
        self._give(call, outcome)

    async def _after_exit(self, call: _Call) -> None:
        self._give(call, await self._exited())

    def _give(self, call: _Call, outcome: Outcome) -> None:
        self._open.pop(call.request_id, None)
        if self._segment is call:
            self._segment = None
        if call.started:
            outcome = replace(outcome, elapsed_ms=(time.perf_counter() - call.started) * 1000)
        call.done(outcome)

    def _finishing(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """The rare ends of an invocation that wait (for output, or for the process to exit)."""
        task = asyncio.ensure_future(coroutine)
        self._finishers.add(task)
        task.add_done_callback(self._finishers.discard)

    def _limit_kb(self) -> int | None:
        memory_mb = self._spec.memory_mb
        return None if memory_mb is None else memory_mb * 1024

    def _watch_memory(self) -> None:
        """Sample the process's peak memory while it runs an invocation (kill it beyond the
        limit): arm the watch unless it is armed already."""
        if self._watch is None and self._spec.memory_mb is not None:
            self._watch = asyncio.get_running_loop().call_later(MEMORY_SAMPLE_S, self._sample)

    def _sample(self) -> None:
        self._watch = None
        limit_kb = self._limit_kb()
        if not self._running or self._process is None or limit_kb is None:
            return  # idle: the watch lapses until the next invocation arms it
        peak = _peak_rss_kb(self._process.pid)
        if peak is not None and peak > limit_kb:
            self._killed_for_memory(peak)
            return
        self._watch = asyncio.get_running_loop().call_later(MEMORY_SAMPLE_S, self._sample)

    def _killed_for_memory(self, peak_kb: int) -> None:
        self._rss_kb = peak_kb
        self._out_of_memory = True
        self.kill()

    async def close(self) -> None:
        """Kill the process if it runs, reap it and release its pipes."""
        self.kill()
        if self._process is not None:
            await self._process.wait()
        await self._wait_output_end()
        while self._finishers:  # the invocation in flight, if any, has its outcome
            await asyncio.gather(*list(self._finishers), return_exceptions=True)
        if self._writer is not None:
            self._writer.close()
        if self._read_transport is not None:
            self._read_transport.close()
        if self._output is not None:
            self._output.close()

    async def _spawn(self) -> None:
        request_read, request_write = os.pipe()
        response_read, response_write = os.pipe()
        output_read, output_write = os.pipe()
        args = [
            *(["-S"] if self._spec.isolated else []),
            "-m",
            "sockgate.lambdas.worker",
            "--request-fd",
            str(request_read),
            "--response-fd",
            str(response_write),
            "--token",
            self._token,
        ]
        if not self._spec.write_bytecode:
            args.append("--no-bytecode")
        try:
            self._process = await asyncio.create_subprocess_exec(
                self._spec.executable,
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=output_write,
                stderr=asyncio.subprocess.STDOUT,
                cwd=self._spec.cwd,
                env=self._spec.environment,
                pass_fds=(request_read, response_write),
                # Its own process group: a timeout kills whatever the handler started too, and a
                # Ctrl-C in the terminal reaches the runtime, not every handler.
                start_new_session=True,
            )
        except BaseException:
            os.close(request_write)
            os.close(response_read)
            os.close(output_read)
            raise
        finally:
            os.close(request_read)
            os.close(response_write)
            os.close(output_write)
        self._reader, self._writer, self._read_transport = await _open_pipes(
            response_read, request_write
        )
        # Output is split and logged in the callback that reads it, so everything read before
        # a response arrives is logged before that invocation's END.
        self._output, _ = await asyncio.get_running_loop().connect_read_pipe(
            lambda: _OutputProtocol(self._output_received, self._output_closed),
            os.fdopen(output_read, "rb", buffering=0),
        )

    async def _read_frame(self) -> bytes:
        assert self._reader is not None
        return await self._reader.read()

    async def _exited(self) -> Outcome:
        """The pipes closed: wait for the process to end and report how it ended."""
        assert self._process is not None
        returncode = await self._process.wait()
        await self._wait_output_end()
        return Outcome(
            returncode=returncode, rss_kb=self._rss_kb, out_of_memory=self._out_of_memory
        )

    def kill(self) -> None:
        """Kill the process (and anything it started) at once."""
        self._killed = True
        process = self._process
        if process is None or process.returncode is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            with contextlib.suppress(ProcessLookupError):
                process.kill()

    async def _wait_drained(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(OUTPUT_GRACE):
                await self._drained.wait()

    async def _wait_output_end(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(OUTPUT_GRACE):
                await self._output_ended.wait()

    def _output_received(self, data: bytes) -> None:
        self._emit(self._splitter.feed(data))

    def _output_closed(self) -> None:
        self._emit(self._splitter.flush())
        self._output_ended.set()
        self._drained.set()
        for call in list(self._open.values()):
            if call.ended is not None and not call.ended.done():
                call.ended.set_result(None)

    def _emit(self, items: Sequence[tuple[str, str]]) -> None:
        for kind, text in items:
            if kind == "begin":  # the output of invocation `text` follows ("": init's)
                self._segment = self._open.get(text)
            elif kind == "end":
                self._output_end()
            else:
                call = self._segment or self._oldest_open()
                if call is None:  # init output, or output between invocations
                    self._logger.info(text)
                elif kind == "record":
                    call.log.write(text)
                else:
                    call.log.output(text)

    def _oldest_open(self) -> _Call | None:
        """Output without a marker (a subprocess, a raw write) belongs to the oldest invocation
        whose output has not ended: invocations run, and end their output, in order."""
        for call in self._open.values():
            if not call.output_ended:
                return call
        return None

    def _output_end(self) -> None:
        """The sentinel: the output of the invocation (or init) it closes was all read."""
        call, self._segment = self._segment, None
        if call is None and self._open:  # the worker marks every output, but be lenient
            call = self._oldest_open()
        if call is None:
            self._drained.set()
            return
        call.output_ended = True
        if call.ended is not None and not call.ended.done():
            call.ended.set_result(None)


class _OutputProtocol(asyncio.Protocol):
    """A worker's stdout and stderr pipe, handed to callbacks as it is read."""

    def __init__(self, received: Callable[[bytes], None], closed: Callable[[], None]) -> None:
        # An instance attribute, not a method calling `received`: one call less per chunk.
        self.data_received = received  # type: ignore[assignment]
        self._closed = closed

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed()


async def _open_pipes(
    read_fd: int, write_fd: int
) -> tuple[pipes.FrameReader, asyncio.StreamWriter, asyncio.BaseTransport]:
    loop = asyncio.get_running_loop()
    read_pipe = os.fdopen(read_fd, "rb", buffering=0)
    read_transport, reader = await loop.connect_read_pipe(pipes.FrameReader, read_pipe)
    writer = await open_pipe_writer(os.fdopen(write_fd, "wb", buffering=0))
    return reader, writer, read_transport


def _peak_rss_kb(pid: int) -> int | None:
    """A running process's peak resident set size (Linux); None where /proc is missing."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _cancel(call: _Call) -> None:
    if call.deadline is not None:
        call.deadline.cancel()
        call.deadline = None
