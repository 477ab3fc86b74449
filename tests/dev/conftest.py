"""Fixtures that run the example services under a real `sockgate dev` process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sockgate.testing import DevProcess, ServiceUrls


@pytest.fixture
def hello(hello_dir: Path) -> Iterator[tuple[DevProcess, ServiceUrls]]:
    """examples/hello running under `sockgate dev` on free ports."""
    process = DevProcess(hello_dir)
    urls = process.start()
    try:
        yield process, urls
    finally:
        process.stop()
