"""DynamoDB endpoints on free ports, for tests and benchmarks: sockgate's table service (a child
process) and moto's server (a thread; the oracle the table service is compared with)."""

from __future__ import annotations

import contextlib
import logging
import re
import subprocess
import sys
from collections.abc import Iterator

__all__ = ["moto_server", "table_service"]

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


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """moto's server in a thread on a free port; yields its URL (needs moto[server])."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
