"""Fixtures that run the example services under a real `sockgate dev` process."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sockgate.testing import DevProcess, ServiceUrls

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def hello_dir(tmp_path: Path) -> Path:
    """A private copy of examples/hello, so runtime state never lands in the repository."""
    target = tmp_path / "hello"
    shutil.copytree(EXAMPLES / "hello", target, ignore=shutil.ignore_patterns(".sockgate"))
    return target


@pytest.fixture
def hello(hello_dir: Path) -> Iterator[tuple[DevProcess, ServiceUrls]]:
    """examples/hello running under `sockgate dev` on free ports."""
    process = DevProcess(hello_dir)
    urls = process.start()
    try:
        yield process, urls
    finally:
        process.stop()
