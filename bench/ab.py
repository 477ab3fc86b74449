"""Two trees of sockgate side by side: the echo service's two-way and relay rows, interleaved.

    .venv/bin/python -m bench.ab BEFORE_TREE AFTER_TREE [--rounds 3] [--seconds 4]
    git worktree add /tmp/before <rev>   # a tree to compare with

Each round starts `sockgate dev bench/services/echo` from each tree in turn (PYTHONPATH set to
that tree's src/), runs the rows, and prints msg/s, p50, and the CPU per message of the gateway
and of every other process (workers, table service). CPU per message is the figure that holds
on a noisy machine; compare medians across rounds. Extra `sockgate dev` flags for the second
tree go after `--` (e.g. `-- --no-inspector`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import scenarios
from bench.procs import cpu_seconds, tree_cpu
from bench.ws_load import LoadResult

ROWS = (
    ("two-way", scenarios.two_way_loop, 5),
    ("two-way", scenarios.two_way_loop, 50),
    ("relay", scenarios.relay_loop, 5),
    ("relay", scenarios.relay_loop, 50),
)


def _start(tree: Path, extra: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    ready = Path(tempfile.mkdtemp()) / "ready.json"
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    command = [sys.executable, "-m", "sockgate.cli", "dev", str(tree / "bench/services/echo")]
    command += ["--port", "0", "--http-port", "0", "--tables-port", "0", "--no-reload"]
    help_text = subprocess.run(
        [sys.executable, "-m", "sockgate.cli", "dev", "--help"], env=env, capture_output=True
    ).stdout
    if b"--lambda-port" in help_text:  # trees from before the Invoke API have no such flag
        command += ["--lambda-port", "0"]
    command += ["--ready-file", str(ready), *extra]
    proc = subprocess.Popen(
        command, env=env, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"sockgate dev from {tree} did not start")
        time.sleep(0.1)
    return proc, json.loads(ready.read_text())["websocket_url"]


async def _row(
    url: str, pid: int, row: tuple[str, object, int], seconds: float
) -> tuple[LoadResult, float, float]:
    _, loop, clients = row
    gateway, everything = cpu_seconds(pid), tree_cpu(pid)
    result: LoadResult = await loop(url, clients, seconds, 1.0)  # type: ignore[operator]
    after = tree_cpu(pid)
    messages = max(result.all_messages, 1)
    others = sum(cpu - everything.get(p, 0.0) for p, cpu in after.items() if p != pid)
    return result, (cpu_seconds(pid) - gateway) / messages * 1e6, others / messages * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0)
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    extra = argv[split + 1 :]  # sockgate dev flags for the second tree
    trees = (("before", args.before.resolve(), []), ("after", args.after.resolve(), extra))
    for _ in range(args.rounds):
        for name, tree, extra in trees:
            proc, url = _start(tree, extra)
            try:
                time.sleep(3)  # let the prewarmed workers finish their init
                for row in ROWS:
                    result, gateway, others = asyncio.run(_row(url, proc.pid, row, args.seconds))
                    print(
                        f"{name:6} {row[0]:7} {row[2]:2} clients {result.rate:7.0f} msg/s "
                        f"p50 {result.p50:6.2f} ms errors {result.errors} "
                        f"gateway {gateway:4.0f} us/msg others {others:4.0f} us/msg",
                        flush=True,
                    )
            finally:
                proc.terminate()
                proc.wait(15)


if __name__ == "__main__":
    main()
