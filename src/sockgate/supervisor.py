"""The embedded table service as a supervised child process of `sockgate dev`.

A child process keeps SQLite's blocking calls off the gateway's event loop and lets a crash of
the store be survived: the supervisor restarts it on the same port, so every handler and stream
mapping keeps its endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from sockgate.errors import ResourceError

__all__ = ["TableServiceProcess"]

log = logging.getLogger("sockgate")

READY_PREFIX = "sockgate tables: listening on "
PR_SET_PDEATHSIG = 1  # prctl(2)
RESTARTS_PER_MINUTE = 5  # past this the store is crash-looping; stop and say so


def _die_with_parent() -> None:
    """In the child: get SIGTERM when sockgate dev dies, even by SIGKILL (Linux only).

    Set by the child itself rather than through preexec_fn, which is unsafe in a parent
    that runs threads.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class TableServiceProcess:
    """Start `python -m sockgate.tables` and keep it running until closed."""

    def __init__(self, host: str, port: int, data_dir: Path | None, region: str) -> None:
        """`data_dir` None keeps the tables in memory (gone when the service stops)."""
        self.host = host
        self.port = port
        self.data_dir = data_dir
        self.region = region
        self.url = ""
        self._process: asyncio.subprocess.Process | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._restarts: list[float] = []

    async def start(self, timeout: float = 30.0) -> str:
        """Start the child and return its URL once it listens."""
        self.url = await self._spawn(timeout)
        self.port = urlsplit(self.url).port or self.port  # port 0: restarts reuse the real one
        self._watcher = asyncio.create_task(self._watch())
        return self.url

    async def _spawn(self, timeout: float) -> str:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "sockgate.supervisor",  # the table service, tied to this process's life
            "--host",
            self.host,
            "--port",
            str(self.port),
            *(("--data", str(self.data_dir)) if self.data_dir else ("--in-memory",)),
            "--region",
            self.region,
            stdout=asyncio.subprocess.PIPE,
            stdin=asyncio.subprocess.DEVNULL,
            # Its own session: a terminal's Ctrl-C must not stop the store before the
            # gateway's $disconnect handlers have used it; close() stops it last.
            start_new_session=True,
        )
        self._process = process
        assert process.stdout is not None
        try:
            line = await asyncio.wait_for(process.stdout.readline(), timeout)
        except TimeoutError:
            line = b""
        text = line.decode(errors="replace").strip()
        if not text.startswith(READY_PREFIX):
            await self._stop_process()
            raise ResourceError(
                "the table service did not start"
                + (f" ({text})" if text else "")
                + ". If --tables-port is in use, choose another with --tables-port."
            )
        return text.removeprefix(READY_PREFIX).split(" ", 1)[0]

    async def _watch(self) -> None:
        while self._process is not None:
            code = await self._process.wait()
            now = time.monotonic()
            self._restarts = [t for t in self._restarts if now - t < 60] + [now]
            if len(self._restarts) > RESTARTS_PER_MINUTE:
                log.error(
                    "table service: exited with code %s %d times in a minute; not "
                    "restarting it. Check %s or run `sockgate tables` to see why.",
                    code,
                    len(self._restarts),
                    self.data_dir,
                )
                return
            log.warning(
                "table service: exited with code %s; restarting it on port %d", code, self.port
            )
            try:
                await self._spawn(30.0)
            except ResourceError as error:
                log.error("table service: %s", error)
                return

    async def _stop_process(self) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
            await process.wait()

    async def close(self) -> None:
        """Stop supervising, then stop the child (SIGTERM, then SIGKILL after 5 s)."""
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await self._stop_process()


def _child_main(argv: list[str]) -> int:
    """The supervised child: tie its life to the parent's, then serve the tables."""
    _die_with_parent()
    from sockgate.tables.__main__ import main

    return main(argv)


if __name__ == "__main__":
    raise SystemExit(_child_main(sys.argv[1:]))
