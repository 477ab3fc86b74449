"""Benchmark: what a user of the pytest plugin feels, on examples/chat.

    python -m bench.testing_startup [--tests 10]

Two test suites of N identical tests (connect, ask for the channel list, get the answer) run
by `pytest` in a child process, side by side:

- plugin:  `sockgate_service(chat)`: the service starts once, and is reset after each test;
- dev:     `sockgate dev` started afresh for every test (DevProcess on free ports), which is
           what a suite without the plugin does to get a clean service per test.

Figures: the time from starting `pytest` to the first test's first message, each test's own
overhead (setup + teardown phases, median of tests 2..N: the plugin's reset, or a start and a
stop), and the whole run. Not a test: nothing here asserts, and timings depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHAT = REPO / "examples" / "chat"

CONFTEST = """
import json, os
import pytest

PHASES = []

def pytest_runtest_logreport(report):
    PHASES.append({"test": report.nodeid, "when": report.when, "duration": report.duration})

def pytest_sessionfinish(session):
    with open(os.environ["BENCH_PHASES"], "w") as out:
        json.dump(PHASES, out)
"""

COMMON = """
import json, os, time
CHAT = {chat!r}

def first_message(ws_receive):
    answer = ws_receive()
    path = os.environ["BENCH_FIRST"]
    if not os.path.exists(path):
        with open(path, "w") as out:
            out.write(repr(time.time()))
    return answer
"""

PLUGIN_TESTS = """
import pytest

@pytest.mark.parametrize("n", range({tests}))
def test_list_channels(sockgate_service, n):
    svc = sockgate_service(CHAT)
    with svc.connect(query={{"name": "ann"}}) as ws:
        ws.send_json({{"action": "listChannels"}})
        first_message(lambda: ws.receive_json(where=lambda m: m.get("event") == "channel_list"))
"""

DEV_TESTS = """
import shutil
import pytest
from websockets.sync.client import connect
from sockgate.testing import DevProcess

@pytest.fixture
def urls():
    shutil.rmtree(os.path.join(CHAT, ".sockgate"), ignore_errors=True)  # a clean service
    with DevProcess(CHAT, "--no-reload", "--max-workers", "2") as urls:
        yield urls

@pytest.mark.parametrize("n", range({tests}))
def test_list_channels(urls, n):
    with connect(urls.websocket_url + "?name=ann") as ws:
        ws.send(json.dumps({{"action": "listChannels"}}))
        def listing():
            while True:
                message = json.loads(ws.recv(10))
                if message.get("event") == "channel_list":
                    return message
        first_message(listing)
"""


def run_suite(kind: str, tests: int, workdir: Path, chat: Path) -> dict[str, float]:
    """Run one suite in a child pytest; its figures in seconds."""
    suite = workdir / kind
    suite.mkdir()
    (suite / "conftest.py").write_text(CONFTEST)
    body = PLUGIN_TESTS if kind == "plugin" else DEV_TESTS
    code = COMMON.format(chat=str(chat)) + body.format(tests=tests)
    (suite / "test_suite.py").write_text(textwrap.dedent(code))
    env = {
        **os.environ,
        "BENCH_PHASES": str(suite / "phases.json"),
        "BENCH_FIRST": str(suite / "first.txt"),
    }
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite)]
    started = time.time()
    run = subprocess.run(command, cwd=suite, env=env, capture_output=True, text=True)
    total = time.time() - started
    if run.returncode != 0:
        raise SystemExit(f"the {kind} suite failed:\n{run.stdout[-3000:]}\n{run.stderr[-2000:]}")
    first = float((suite / "first.txt").read_text()) - started
    phases = json.loads((suite / "phases.json").read_text())
    overhead: dict[str, float] = {}
    for phase in phases:
        if phase["when"] in ("setup", "teardown"):
            overhead[phase["test"]] = overhead.get(phase["test"], 0.0) + phase["duration"]
    later = list(overhead.values())[1:]  # the first test pays the plugin's start-up
    return {
        "first": first,
        "per_test": statistics.median(later) if later else float("nan"),
        "total": total,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.testing_startup", description=__doc__)
    parser.add_argument("--tests", type=int, default=10, help="tests per suite (default 10)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sockgate-bench-") as tmp:
        workdir = Path(tmp)
        chat = workdir / "chat"
        shutil.copytree(CHAT, chat, ignore=shutil.ignore_patterns(".sockgate", "__pycache__"))
        results = {kind: run_suite(kind, args.tests, workdir, chat) for kind in ("plugin", "dev")}
    plugin, dev = results["plugin"], results["dev"]
    rows = [
        ("pytest start -> first test's first message", "first", "s", 1),
        ("per-test overhead (setup + teardown, median)", "per_test", "ms", 1000),
        (f"whole run, {args.tests} tests", "total", "s", 1),
    ]
    print(f"examples/chat, {args.tests} tests per suite, {os.cpu_count()} cores")
    print()
    print("| figure | plugin (start once, reset) | sockgate dev per test | dev / plugin |")
    print("|---|---:|---:|---:|")
    for label, key, unit, scale in rows:
        ratio = dev[key] / plugin[key] if plugin[key] else float("nan")
        print(
            f"| {label} | {plugin[key] * scale:.2f} {unit} | {dev[key] * scale:.2f} {unit} "
            f"| {ratio:.1f}x |"
        )


if __name__ == "__main__":
    main()
