"""Hot reload: an edited handler file is imported anew by the next invocation."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from sockgate.testing.polling import eventually

from .conftest import MakeService

VERSION = """
import os
def fn(event, context):
    return {{"version": {version}, "pid": os.getpid()}}
"""


async def test_edit_is_picked_up_by_the_next_invocation(
    make_service: MakeService, runtimes, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sockgate.lambda")
    service = make_service({"pkg/handler.py": VERSION.format(version=1)}, fn="pkg/handler.fn")
    runtime = runtimes(service, hot_reload=True)
    await runtime.start()
    first = await runtime.invoke("fn", {})
    assert first.payload["version"] == 1
    path = tmp_path / "pkg" / "handler.py"

    async def new_code_runs() -> bool:
        # Rewrite until the watcher (which starts in the background) has seen a change.
        path.write_text(VERSION.format(version=2))
        return (await runtime.invoke("fn", {})).payload["version"] == 2

    await eventually(new_code_runs, what="the edited handler to run")
    assert any(
        r.getMessage() == "Reloaded: pkg/handler.py changed" and r.name == "sockgate.lambda"
        for r in caplog.records
    )
    assert first.payload["pid"] not in runtime.worker_pids("fn")  # the old worker was retired


async def test_busy_worker_finishes_before_it_is_retired(
    make_service: MakeService, runtimes, tmp_path: Path
) -> None:
    source = """
import os, time
def fn(event, context):
    if event.get("wait_for"):
        open(event["started"], "w").close()
        while not os.path.exists(event["wait_for"]):
            time.sleep(0.01)
    return os.getpid()
"""
    runtime = runtimes(make_service({"handler.py": source}, fn="handler.fn"))
    started, release = tmp_path / "started", tmp_path / "release"
    busy = asyncio.ensure_future(
        runtime.invoke("fn", {"started": str(started), "wait_for": str(release)})
    )
    await eventually(started.exists, what="the handler to start")
    runtime.reload()
    release.touch()
    result = await busy
    assert result.ok  # the invocation in flight was not cut short
    after = await runtime.invoke("fn", {})
    assert after.payload != result.payload  # but its worker is not reused
