"""Starting and closing: slow inits, large payloads, processes the handler started, close()."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from sockgate.lambdas import RuntimeClosedError, process
from sockgate.testing.polling import eventually

from .conftest import MakeService

HANDLER = """
import os, subprocess, time

def echo(event, context):
    return event

def spawn_and_hang(event, context):
    child = subprocess.Popen(["sleep", "60"])
    with open(event["pid_file"], "w") as f:
        f.write(str(child.pid))
    time.sleep(60)

def slow(event, context):
    open(event["started"], "w").close()
    time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes (its parent, now dead too, cannot reap it in time).
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


async def test_large_event_and_result(make_service: MakeService, runtimes) -> None:
    runtime = runtimes(make_service({"handler.py": HANDLER}, echo="handler.echo"))
    event = {"body": "é" * 1_000_000, "n": list(range(50_000))}
    result = await runtime.invoke("echo", event)
    assert result.payload == event


async def test_timeout_kills_processes_the_handler_started(
    make_service: MakeService, runtimes, tmp_path: Path
) -> None:
    service = make_service({"handler.py": HANDLER}, fn=("handler.spawn_and_hang", {"timeout": 1}))
    runtime = runtimes(service)
    pid_file = tmp_path / "pid"
    result = await runtime.invoke("fn", {"pid_file": str(pid_file)})
    assert result.timed_out
    grandchild = int(pid_file.read_text())
    await eventually(lambda: not _alive(grandchild), what="the handler's child to be killed")


async def test_init_that_never_finishes_times_out(
    make_service: MakeService, runtimes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process, "INIT_TIMEOUT", 0.2)
    files = {"handler.py": "import time\ntime.sleep(60)\ndef fn(e, c):\n    return 1\n"}
    runtime = runtimes(make_service(files, fn=("handler.fn", {"timeout": 1})))
    result = await runtime.invoke("fn", {})
    assert result.timed_out
    assert runtime.worker_pids("fn") == []


async def test_close_ends_invocations_in_flight_and_refuses_new_ones(
    make_service: MakeService, runtimes, tmp_path: Path
) -> None:
    service = make_service(
        {"handler.py": HANDLER}, slow=("handler.slow", {"timeout": 30}), echo="handler.echo"
    )
    runtime = runtimes(service)
    assert (await runtime.invoke("echo", {"a": 1})).payload == {"a": 1}
    started = tmp_path / "started"
    busy = asyncio.ensure_future(runtime.invoke("slow", {"started": str(started)}))
    await eventually(started.exists, what="the handler to start")
    pids = runtime.worker_pids("slow") + runtime.worker_pids("echo")
    assert len(pids) == 2
    await runtime.close()
    result = await busy
    assert result.error is not None and result.error["errorType"] == "Runtime.ExitError"
    assert not any(_alive(pid) for pid in pids)
    with pytest.raises(RuntimeClosedError):
        await runtime.invoke("echo", {})
    await runtime.close()  # idempotent
