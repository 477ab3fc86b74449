"""Fixtures of the table-service tests: one real server per session, real boto3 clients."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from typing import Any

import pytest
from tables_support import ServerThread, client_for

# The TTL sweeper of the session server runs often so TTL tests see deletions quickly.
os.environ.setdefault("SOCKGATE_TTL_INTERVAL", "0.05")

_names = itertools.count()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    """The session's table server, on disk."""
    running = ServerThread(tmp_path_factory.mktemp("tables"))
    yield running
    running.close()


@pytest.fixture(scope="session")
def ddb(server: ServerThread) -> Any:
    """boto3 dynamodb client."""
    return client_for(server.url)


@pytest.fixture(scope="session")
def streams(server: ServerThread) -> Any:
    """boto3 dynamodbstreams client."""
    return client_for(server.url, "dynamodbstreams")


@pytest.fixture()
def table_name() -> str:
    """A table name no other test uses."""
    return f"tbl-{os.getpid()}-{next(_names)}"
