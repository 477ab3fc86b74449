"""The standalone table service on a free port, for tests and benchmarks."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
from collections.abc import Iterator

__all__ = ["table_service"]

_LISTENING = re.compile(r"listening on (http://\S+)")


@contextlib.contextmanager
def table_service() -> Iterator[str]:
    """`python -m sockgate.tables --in-memory` on a free port; yields its URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sockgate.tables",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--in-memory",
        ],  # fmt: skip
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # the service announces its address, then is ready
        match = _LISTENING.search(line)
        if not match:
            raise RuntimeError(f"the table service did not start: {line}{process.stdout.read()}")
        yield match.group(1)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
