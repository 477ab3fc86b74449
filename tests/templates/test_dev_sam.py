"""The AWS sample's SAM chat, unchanged but for the runtime, under a real `sockgate dev`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from sockgate.testing import DevProcess

pytestmark = pytest.mark.timeout(90)


async def test_sendmessage_reaches_every_connection(sam_chat: Path) -> None:
    with DevProcess(sam_chat) as urls:
        assert urls.websocket_url.endswith("/Prod")  # the template's StageName
        async with connect(urls.websocket_url) as ann, connect(urls.websocket_url) as bob:
            # The sample's client protocol: {"action": "sendmessage", "data": ...}.
            await ann.send(json.dumps({"action": "sendmessage", "data": "hello world"}))
            assert await asyncio.wait_for(bob.recv(), 10) == "hello world"
            assert await asyncio.wait_for(ann.recv(), 10) == "hello world"


def test_banner_says_what_was_read(sam_chat: Path) -> None:
    process = DevProcess(sam_chat)
    process.start()
    try:
        output = process.output()
    finally:
        process.stop()
    assert "(SAM template: " in output
    assert "not run locally: AWS::IAM::Role x3" in output
    assert "table simplechat_connections (ConnectionsTable): created" in output
    for route, function in (
        ("$connect", "OnConnectFunction"),
        ("$disconnect", "OnDisconnectFunction"),
        ("sendmessage", "SendMessageFunction"),
    ):
        assert f"{route:<20} -> {function}" in output, output


def test_parameter_overrides_rename_the_table(sam_chat: Path) -> None:
    process = DevProcess(sam_chat, "--parameter-overrides", "TableName=other_chat")  # SAM syntax
    process.start()
    try:
        output = process.output()
    finally:
        process.stop()
    assert "table other_chat (ConnectionsTable): created" in output, output


async def test_hot_reload_keeps_connections(sam_chat: Path) -> None:
    with DevProcess(sam_chat) as urls:
        async with connect(urls.websocket_url) as ws:
            handler = sam_chat / "sendmessage" / "app.py"
            handler.write_text(handler.read_text().replace("data = ", "data = 'new: ' + "))
            deadline = time.monotonic() + 20
            while True:
                await ws.send(json.dumps({"action": "sendmessage", "data": "x"}))
                reply = await asyncio.wait_for(ws.recv(), 10)
                if reply == "new: x":
                    break
                assert reply == "x"
                assert time.monotonic() < deadline, "the changed handler was never used"


def test_broken_template_is_one_clear_line(sam_chat: Path) -> None:
    template = sam_chat / "template.yaml"
    template.write_text(template.read_text().replace("- !Ref SendInteg", "- !Ref SendIntegration"))
    result = subprocess.run(
        [sys.executable, "-m", "sockgate.cli", "dev", str(sam_chat), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("sockgate: ") and "template.yaml at " in lines[0]
    assert "Resources.SendRoute.Properties.Target" in lines[0]
    assert "'SendIntegration', which is not a resource" in lines[0]
