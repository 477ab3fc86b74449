"""The peer: serverless-offline 13 on Serverless Framework 3, running the same Python handlers.

Installed with npm into bench/.peer (gitignored) on first use. It runs the benchmark service
through `serverless.offline.yml`, which is serverless.yml plus the plugin, with:

- the virtualenv's python3 first on PATH (serverless-offline spawns `python3` for python3.11);
- WS_ENDPOINT, which the handler prefers for its @connections client: serverless-offline serves
  @connections at http://host:port/@connections/{id}, without the stage;
- a DynamoDB endpoint (sockgate's table service on its own, in memory), since serverless-offline
  has none; its users run one beside it the same way.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import boto3

from bench.procs import LineServer, free_port, wait_for

__all__ = ["PEER_DIR", "OfflinePeer", "PeerInstall", "ensure_peer"]

BENCH_DIR = Path(__file__).resolve().parent
PEER_DIR = BENCH_DIR / ".peer"
PACKAGES = ("serverless@3", "serverless-offline@13")
READY_LINE = "Offline [websocket] listening on"
DUMMY_AWS = {
    "AWS_ACCESS_KEY_ID": "AKIABENCHLOCAL000000",
    "AWS_SECRET_ACCESS_KEY": "bench/local/dummy/secret/access/key000000",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass(frozen=True)
class PeerInstall:
    """Where the peer is, or why it is not."""

    serverless_js: Path | None
    versions: str
    problem: str = ""


def _version(package: str) -> str:
    manifest = PEER_DIR / "node_modules" / package / "package.json"
    try:
        return str(json.loads(manifest.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return ""


def ensure_peer(log: Callable[[str], None] = print, timeout: float = 600.0) -> PeerInstall:
    """Install serverless@3 and serverless-offline@13 into bench/.peer unless already there."""
    sls, offline = _version("serverless"), _version("serverless-offline")
    if not (sls.startswith("3.") and offline.startswith("13.")):
        npm = shutil.which("npm")
        if npm is None or shutil.which("node") is None:
            return PeerInstall(None, "", "node and npm are not installed")
        log(f"installing {' '.join(PACKAGES)} into {PEER_DIR} with npm (once) ...")
        PEER_DIR.mkdir(exist_ok=True)
        try:
            done = subprocess.run(
                [npm, "install", "--prefix", str(PEER_DIR), "--no-audit", "--no-fund",
                 "--loglevel=error", *PACKAGES],
                capture_output=True, text=True, timeout=timeout, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return PeerInstall(None, "", f"npm install did not finish in {timeout:.0f} s")
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["?"]
            return PeerInstall(None, "", f"npm install failed: {tail[0]}")
        sls, offline = _version("serverless"), _version("serverless-offline")
    script = PEER_DIR / "node_modules" / "serverless" / "bin" / "serverless.js"
    if not script.exists():
        return PeerInstall(None, "", f"{script} is missing after npm install")
    return PeerInstall(script, f"serverless {sls}, serverless-offline {offline}")


class OfflinePeer:
    """`sls offline` on the benchmark service, with its own table service, on free ports."""

    def __init__(self, install: PeerInstall, service_dir: Path, work_dir: Path) -> None:
        assert install.serverless_js is not None
        self.install = install
        self.service_dir = service_dir
        self.work_dir = work_dir
        self.log_path = work_dir / "serverless-offline.log"
        self.tables = LineServer(
            ["-m", "sockgate.tables", "--in-memory", "--port", "0"],
            "sockgate tables: listening on ",
            work_dir / "peer-tables.log",
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.websocket_url = ""
        self.management_url = ""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 150.0) -> None:
        """Start the table service and `sls offline`; RuntimeError with its output if not ready."""
        tables_url = self.tables.start()
        self._create_tables(tables_url)
        ws_port, http_port, lambda_port = free_port(), free_port(), free_port()
        venv_bin = str(Path(sys.executable).parent)
        self.websocket_url = f"ws://127.0.0.1:{ws_port}"
        self.management_url = f"http://127.0.0.1:{ws_port}"
        env = {
            **os.environ,
            **DUMMY_AWS,
            "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
            "VIRTUAL_ENV": str(Path(sys.executable).parent.parent),
            "WS_ENDPOINT": self.management_url,
            "AWS_ENDPOINT_URL_DYNAMODB": tables_url,
            "SLS_TELEMETRY_DISABLED": "1",
            "SLS_NOTIFICATIONS_MODE": "off",
            "SLS_DEPRECATION_DISABLE": "*",
        }
        command = [
            "node", str(self.install.serverless_js), "offline",
            "--config", "serverless.offline.yml",
            "--host", "127.0.0.1",
            "--websocketPort", str(ws_port),
            "--httpPort", str(http_port),
            "--lambdaPort", str(lambda_port),
            "--noPrependStageInUrl",
        ]  # fmt: skip
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=self.service_dir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its python3 children share the group; stop() ends all
            )
        ready = wait_for(
            lambda: READY_LINE in self.output() or self.process.poll() is not None,  # type: ignore[union-attr]
            timeout,
            interval=0.2,
        )
        if not ready or self.process.poll() is not None:
            output = self.output()
            self.stop()
            raise RuntimeError(f"sls offline did not start: {output.strip()[-600:]}")

    def _create_tables(self, tables_url: str) -> None:
        from sockgate.service import load_service

        service = load_service(self.service_dir)
        client = boto3.client(
            "dynamodb",
            endpoint_url=tables_url,
            region_name=DUMMY_AWS["AWS_REGION"],
            aws_access_key_id=DUMMY_AWS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_AWS["AWS_SECRET_ACCESS_KEY"],
        )
        for resource in service.resources.values():
            if resource.get("Type") != "AWS::DynamoDB::Table":
                continue
            props = resource["Properties"]
            keep = ("TableName", "AttributeDefinitions", "KeySchema", "BillingMode")
            client.create_table(**{k: props[k] for k in keep if k in props})

    def output(self) -> str:
        """Everything sls offline printed so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def python_pids(self) -> list[int]:
        """The python3 handler processes serverless-offline started."""
        from bench.procs import descendants

        if self.process is None:
            return []
        found = []
        for pid in descendants(self.process.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"invoke.py" in cmdline and b"python" in cmdline:
                found.append(pid)
        return found

    def stop(self) -> None:
        """SIGINT to its process group (serverless-offline cleans up), SIGKILL after 10 s."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGINT)
                process.wait(10)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                pass
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
        self.tables.stop()
