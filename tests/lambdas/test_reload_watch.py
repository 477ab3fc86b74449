"""The reload watcher: Python files trigger a reload, serverless.yml only a clear warning."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from sockgate.lambdas.reload import watch_python_files


async def test_config_change_warns_and_code_change_reloads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    changed: asyncio.Queue[str] = asyncio.Queue()
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch_python_files(tmp_path, changed.put_nowait, stop))
    try:
        # watchfiles has no "ready" signal: touch a probe until the watcher reports it.
        async with asyncio.timeout(10):
            while changed.empty():
                (tmp_path / "probe.py").write_text("")
                await asyncio.sleep(0.1)
        with caplog.at_level(logging.WARNING, logger="sockgate.lambda"):
            (tmp_path / "serverless.yml").write_text("service: x\n")
            async with asyncio.timeout(10):
                while "serverless.yml changed: restart sockgate dev to apply it" not in caplog.text:
                    await asyncio.sleep(0.05)
        (tmp_path / "handler.py").write_text("x = 1\n")
        async with asyncio.timeout(10):
            while (name := await changed.get()) == "probe.py":  # late probe batches
                pass
        assert name == "handler.py"  # serverless.yml itself never reached on_change
    finally:
        stop.set()
        await watcher
