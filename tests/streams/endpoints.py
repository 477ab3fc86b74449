"""DynamoDB endpoints for tests: sockgate's table service (a child process) and moto."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from sockgate.testing.tables import table_service

__all__ = ["moto_server", "table_service"]


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """moto's server in a thread, the oracle the table service is compared with."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
