"""A killed table service is restarted on the same port; the gateway keeps serving."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from websockets.asyncio.client import connect

from sockgate.testing import DevProcess, ServiceUrls

pytestmark = pytest.mark.timeout(90)


def _table_service_pid(parent: int) -> int:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and b"sockgate.supervisor" in cmdline:
            return int(entry.name)
    raise AssertionError("no table service child found")


async def test_killed_table_service_comes_back(hello: tuple[DevProcess, ServiceUrls]) -> None:
    process, urls = hello
    assert process.process is not None
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=urls.tables_url,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5),
    )
    dynamodb.create_table(
        TableName="survivor",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    dynamodb.put_item(TableName="survivor", Item={"id": {"S": "kept"}})
    old = _table_service_pid(process.process.pid)

    async with connect(urls.websocket_url) as ws:
        os.kill(old, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while True:
            try:
                item = dynamodb.get_item(TableName="survivor", Key={"id": {"S": "kept"}})
                break
            except Exception:  # refused while the new child starts
                assert time.monotonic() < deadline, process.output()
                time.sleep(0.1)  # polling a restarting process; nothing to wait on
        assert item["Item"] == {"id": {"S": "kept"}}
        assert _table_service_pid(process.process.pid) != old
        await ws.send(json.dumps({"action": "ping"}))
        assert json.loads(await ws.recv()) == {"pong": "hello"}
    assert "table service: exited with code -9; restarting it on port" in process.output()


def test_table_service_dies_with_a_killed_sockgate_dev(hello_dir: Path) -> None:
    process = DevProcess(hello_dir)
    process.start()
    try:
        assert process.process is not None
        child = _table_service_pid(process.process.pid)
        process.process.kill()  # SIGKILL: no chance to stop its children itself
        process.process.wait()
        deadline = time.monotonic() + 15
        while Path(f"/proc/{child}").exists() and _state(child) != "Z":
            assert time.monotonic() < deadline, "the table service outlived sockgate dev"
            time.sleep(0.05)  # polling another process's exit; nothing to wait on
    finally:
        process.stop()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
