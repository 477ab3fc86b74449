"""Hot reload: watch the service's Python files and report each change."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path

from watchfiles import DefaultFilter, PythonFilter, awatch

__all__ = ["watch_python_files"]

log = logging.getLogger("sockgate.lambda")

# Changes that need a restart (the service's definition, the package's requirements).
CONFIG_NAMES = ("serverless.yml", "serverless.yaml", "requirements.txt")


class _SourceFilter(DefaultFilter):
    """Python files, plus serverless.yml and requirements.txt so that an edit to them is at
    least acknowledged; nothing under .sockgate/ (installed requirements, state)."""

    def __init__(self) -> None:
        super().__init__()
        self._python = PythonFilter()

    def __call__(self, change: object, path: str) -> bool:
        if f"{os.sep}.sockgate{os.sep}" in path:
            return False
        return Path(path).name in CONFIG_NAMES or self._python(change, path)  # type: ignore[arg-type]


async def watch_python_files(
    directory: Path, on_change: Callable[[str], None], stop: asyncio.Event
) -> None:
    """Call `on_change(relative path)` once per batch of changed *.py files, until `stop`."""
    root = directory.resolve()
    async for changes in awatch(root, watch_filter=_SourceFilter(), stop_event=stop, step=50):
        paths = sorted(Path(path) for _, path in changes)
        configs = [path for path in paths if path.name in CONFIG_NAMES]
        if configs:
            # Routes, tables and environments are wired at start; only code reloads live.
            log.warning("%s changed: restart sockgate dev to apply it", configs[0].name)
            paths = [path for path in paths if path.name not in CONFIG_NAMES]
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
