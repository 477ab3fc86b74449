"""`sockgate dev` as a child process on free ports, for tests and benchmarks."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

__all__ = ["DevProcess", "ServiceUrls"]


@dataclass(frozen=True, slots=True)
class ServiceUrls:
    """Where a running service listens."""

    websocket_url: str
    management_url: str
    tables_url: str
    http_url: str | None = None
    lambda_url: str | None = None  # Lambda's Invoke API


class DevProcess:
    """Start `sockgate dev PATH` on port 0 and wait until it is ready.

    Use as a context manager; the process gets SIGTERM on exit (SIGKILL after 10 s). Its
    combined output is kept in `log_path` for a failing test to show.
    """

    def __init__(
        self, path: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60.0
    ) -> None:
        self.path = Path(path)
        self.args = list(args)
        self.env = env
        self.timeout = timeout
        self._dir = Path(tempfile.mkdtemp(prefix="sockgate-dev-"))
        self.ready_file = self._dir / "ready.json"
        self.log_path = self._dir / "output.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.urls: ServiceUrls | None = None
        self._final_output: str | None = None

    def start(self) -> ServiceUrls:
        """Start the service and return its URLs; raises RuntimeError with its output if not."""
        command = [
            sys.executable,
            "-m",
            "sockgate.cli",
            "dev",
            str(self.path),
            "--port",
            "0",
            "--http-port",
            "0",
            "--tables-port",
            "0",
            "--lambda-port",
            "0",
            "--ready-file",
            str(self.ready_file),
            *self.args,
        ]
        environment = {**os.environ, **(self.env or {})}
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=environment,
                process_group=0,  # like a terminal's job: interrupt_group() reaches it all
            )
        deadline = time.monotonic() + self.timeout
        while not self.ready_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"sockgate dev did not become ready:\n{self.output()}")
            time.sleep(0.05)  # polling a file with a deadline; there is no event to wait on
        data = json.loads(self.ready_file.read_text())
        self.urls = ServiceUrls(**data)
        return self.urls

    def output(self) -> str:
        """Everything the process printed so far (kept after stop() removes the files)."""
        if self._final_output is not None:
            return self._final_output
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _cleanup(self) -> None:
        if self._final_output is None:
            self._final_output = self.output()
            shutil.rmtree(self._dir, ignore_errors=True)

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        """Stop the process and return its exit code."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._cleanup()
        return process.returncode

    def interrupt_group(self) -> int | None:
        """Ctrl-C as a terminal sends it (SIGINT to the whole process group); the exit code."""
        process = self.process
        if process is None:
            return None
        os.killpg(process.pid, signal.SIGINT)
        try:
            return process.wait(20)
        except subprocess.TimeoutExpired:
            return self.stop(signal.SIGKILL)

    def __enter__(self) -> ServiceUrls:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
