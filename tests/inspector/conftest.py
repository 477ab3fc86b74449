"""The inspector under a real `DevServer` (in this process, on free ports): examples/hello."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sockgate.runner import DevOptions, DevServer


def dev_options(path: Path, state: Path, **changes: object) -> DevOptions:
    """DevOptions for a test: free ports, tables in memory, no reloading."""
    settings: dict[str, object] = {
        "path": path,
        "port": 0,
        "http_port": 0,
        "tables_port": 0,
        "lambda_port": 0,
        "in_memory_tables": True,
        "hot_reload": False,
        "state_dir": state,
        **changes,
    }
    return DevOptions(**settings)  # type: ignore[arg-type]


@pytest.fixture
async def hello_dev(hello_dir: Path, tmp_path: Path) -> AsyncIterator[DevServer]:
    """examples/hello under `sockgate dev` with the inspector (history 50)."""
    server = DevServer(dev_options(hello_dir, tmp_path / "state", inspector_history=50))
    await server.start()
    try:
        yield server
    finally:
        await server.close()
