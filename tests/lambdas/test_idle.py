"""Idle workers are reclaimed after the idle timeout, one kept warm; the next burst starts anew."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from sockgate.testing.polling import eventually

from .conftest import MakeService

HANDLER = """
import os, time

def barrier(event, context):
    directory = event["dir"]
    open(os.path.join(directory, context.aws_request_id), "w").close()
    deadline = time.monotonic() + 10
    while len(os.listdir(directory)) < event["expect"] and time.monotonic() < deadline:
        time.sleep(0.01)
    return os.getpid()
"""


async def test_idle_workers_beyond_one_are_reclaimed(
    make_service: MakeService, runtimes, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sockgate.lambda")
    service = make_service({"handler.py": HANDLER}, fn="handler.barrier")
    runtime = runtimes(service, max_workers=3, idle_timeout=0.3)

    async def burst(name: str) -> set[int]:
        directory = tmp_path / name
        directory.mkdir()
        event = {"dir": str(directory), "expect": 3}
        results = await asyncio.gather(*(runtime.invoke("fn", event) for _ in range(3)))
        assert all(r.ok for r in results)
        return {r.payload for r in results}

    first = await burst("one")
    assert len(first) == 3
    await eventually(lambda: len(runtime.worker_pids("fn")) == 1, what="two workers reclaimed")
    kept = set(runtime.worker_pids("fn"))
    assert kept < first  # the one kept warm is one of the burst's
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Reclaimed")]
    # One line per look at the pool: "Reclaimed 2 idle workers (...)" or two of one each.
    assert lines and lines[-1].endswith("(idle for 0.3s; 1 left)")
    second = await burst("two")  # pays two cold starts again
    assert kept < second and len(second - first) == 2
