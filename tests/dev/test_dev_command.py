"""`sockgate dev` end to end: a real process, a real WebSocket client, real workers."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from sockgate.testing import DevProcess, ServiceUrls

pytestmark = pytest.mark.timeout(90)


async def test_two_way_route_and_post_to_connection(hello: tuple[DevProcess, ServiceUrls]) -> None:
    _, urls = hello
    async with connect(urls.websocket_url) as ws:
        await ws.send(json.dumps({"action": "ping"}))
        assert json.loads(await ws.recv()) == {"pong": "hello"}
        # No route "nope": $default echoes it back through boto3's post_to_connection.
        await ws.send('{"action": "nope", "n": 1}')
        assert await ws.recv() == '{"action": "nope", "n": 1}'


async def test_platform_lines_each_under_the_function_key(
    hello: tuple[DevProcess, ServiceUrls],
) -> None:
    process, urls = hello
    async with connect(urls.websocket_url) as ws:
        await ws.send(json.dumps({"action": "ping"}))
        assert json.loads(await ws.recv()) == {"pong": "hello"}
    deadline = time.monotonic() + 10
    while "[ping] REPORT RequestId: " not in (output := process.output()):
        assert time.monotonic() < deadline, output
        time.sleep(0.05)
    lines = [line for line in output.splitlines() if line.startswith("[ping] ")]
    kinds = [line.split()[1] for line in lines if line.split()[1] in ("START", "END", "REPORT")]
    assert kinds[:3] == ["START", "END", "REPORT"], output


def test_banner_lists_urls_and_routes(hello: tuple[DevProcess, ServiceUrls]) -> None:
    process, urls = hello
    output = process.output()
    assert f"WebSocket     {urls.websocket_url}" in output
    assert f"@connections  {urls.management_url}" in output
    routes = {tuple(line.split()[:3]) for line in output.splitlines()}
    for route, function in (("$connect", "connection"), ("$default", "echo"), ("ping", "ping")):
        assert (route, "->", function) in routes, output


async def test_hot_reload_keeps_connections(
    hello: tuple[DevProcess, ServiceUrls], hello_dir: Path
) -> None:
    _, urls = hello
    async with connect(urls.websocket_url) as ws:
        await ws.send(json.dumps({"action": "ping"}))
        assert json.loads(await ws.recv()) == {"pong": "hello"}
        handler = hello_dir / "handler.py"
        handler.write_text(handler.read_text().replace('{"pong": ', '{"reloaded": '))
        deadline = time.monotonic() + 20
        while True:
            await ws.send(json.dumps({"action": "ping"}))
            reply = json.loads(await ws.recv())
            if reply == {"reloaded": "hello"}:
                break
            assert reply == {"pong": "hello"}
            assert time.monotonic() < deadline, "the changed handler was never used"


def test_bad_serverless_yml_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "serverless.yml").write_text("service: x\nfunctions:\n  a: [\n")
    result = subprocess.run(
        [sys.executable, "-m", "sockgate.cli", "dev", str(tmp_path), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("sockgate: ")
    assert "serverless.yml" in lines[0]
