"""Hot reload: watch the service's Python files and report each change."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from watchfiles import PythonFilter, awatch

__all__ = ["watch_python_files"]

log = logging.getLogger("sockgate.lambda")


async def watch_python_files(
    directory: Path, on_change: Callable[[str], None], stop: asyncio.Event
) -> None:
    """Call `on_change(relative path)` once per batch of changed *.py files, until `stop`."""
    root = directory.resolve()
    async for changes in awatch(root, watch_filter=PythonFilter(), stop_event=stop, step=50):
        paths = sorted(Path(path) for _, path in changes)
        if not paths:
            continue
        try:
            name = str(paths[0].relative_to(root))
        except ValueError:
            name = str(paths[0])
        try:
            on_change(name)
        except Exception:  # a failed reload must not stop the watching
            log.exception("hot reload failed after %s changed", name)
