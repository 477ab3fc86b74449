"""What removing the hop to a worker process would give the two-way rows (issue 14's analysis).

    .venv/bin/python -m bench.inprocess_probe [--rounds 2] [--seconds 4]

Runs `sockgate dev bench/services/echo` twice per round, interleaved: as it is, and with every
function called on the gateway's own loop (a probe, not a mode sockgate offers: no process per
execution environment, no timeout kill, no memory limit, no output capture). The gateway, the
inspector and the START/END/REPORT lines stay. Prints msg/s, p50 and CPU per message of each.
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

REPO = Path(__file__).resolve().parents[1]
# Started as `python -c PROBE dev ...`: WorkerPool.invoke replaced by a direct call, then the CLI.
PROBE = """
import json, math, sys, time, uuid
from sockgate.invocation import InvocationResult
from sockgate.lambdas import pool
from sockgate.lambdas.loader import load_handler, marshal
from sockgate.lambdas.logs import InvocationLog

handlers = {}

async def invoke(self, event):
    handler = handlers.get(self.function.key)
    if handler is None:
        sys.path.insert(0, str(self._service.directory))
        handler = handlers[self.function.key] = load_handler(self.function.handler)
    request_id = str(uuid.uuid4())
    log = InvocationLog(request_id, self._logger)
    log.start(self._platform.start(request_id))
    started = time.perf_counter()
    payload = json.loads(marshal(handler(json.loads(json.dumps(event)), None)))
    duration = (time.perf_counter() - started) * 1000
    log.finish(
        self._platform.end(request_id, status="success", duration_ms=duration),
        self._platform.report(request_id, duration_ms=duration,
                              memory_size_mb=self.function.memory_size, max_memory_used_mb=0),
    )
    return InvocationResult(request_id=request_id, payload=payload, duration_ms=duration,
                            logs=log.lines)

pool.WorkerPool.invoke = invoke
from sockgate.cli import main
sys.argv[0] = "sockgate"
main()
"""


def _start(in_process: bool) -> tuple[subprocess.Popen[bytes], str]:
    ready = Path(tempfile.mkdtemp()) / "ready.json"
    head = ["-c", PROBE] if in_process else ["-m", "sockgate.cli"]
    command = [sys.executable, *head, "dev", str(REPO / "bench/services/echo"), "--no-reload"]
    command += ["--port", "0", "--http-port", "0", "--tables-port", "0", "--lambda-port", "0"]
    command += ["--ready-file", str(ready)]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("sockgate dev did not start")
        time.sleep(0.1)
    return proc, json.loads(ready.read_text())["websocket_url"]


async def _row(url: str, pid: int, clients: int, seconds: float) -> str:
    gateway, everything = cpu_seconds(pid), tree_cpu(pid)
    result = await scenarios.two_way_loop(url, clients, seconds, 1.0)
    after = tree_cpu(pid)
    messages = max(result.all_messages, 1)
    others = sum(cpu - everything.get(p, 0.0) for p, cpu in after.items() if p != pid)
    return (
        f"{clients:2} clients {result.rate:7.0f} msg/s p50 {result.p50:5.2f} ms "
        f"errors {result.errors} gateway {(cpu_seconds(pid) - gateway) / messages * 1e6:4.0f} "
        f"us/msg others {others / messages * 1e6:4.0f} us/msg"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess_probe", description=__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    for _ in range(args.rounds):
        for name, in_process in (("workers", False), ("in-process", True)):
            proc, url = _start(in_process)
            try:
                time.sleep(3)  # the prewarmed workers' init
                for clients in (5, 50):
                    line = asyncio.run(_row(url, proc.pid, clients, args.seconds))
                    print(f"{name:10} two-way {line}", flush=True)
            finally:
                proc.terminate()
                proc.wait(15)


if __name__ == "__main__":
    main()
