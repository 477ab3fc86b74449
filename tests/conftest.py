"""Shared test configuration: every test runs with real sockets and real processes."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from sockgate.testing.tables import moto_server, table_service

# Tests must never reach real AWS, whatever the developer's shell holds.
for _name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
    os.environ.pop(_name, None)
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(scope="session")
def tables_endpoint() -> Iterator[str]:
    """sockgate's table service, in memory, for the session."""
    with table_service() as url:
        yield url


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's server, the oracle the table service must agree with."""
    with moto_server() as url:
        yield url


@pytest.fixture(scope="session")
def endpoint(tables_endpoint: str) -> str:
    """The DynamoDB (+ Streams) endpoint tests run against: the table service."""
    return tables_endpoint
