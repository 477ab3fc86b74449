"""`sockgate package` then `sockgate dev --template`: the same chat, the same behaviour."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from sockgate.cli import main
from sockgate.testing import DevProcess

pytestmark = pytest.mark.timeout(120)


async def _next(ws: Any, wanted: str) -> dict[str, Any]:
    """The next message of event `wanted` (join notices of others may come between)."""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 15))
        if message.get("event") == wanted:
            return message


async def conversation(websocket_url: str) -> list[tuple[str, ...]]:
    """Ann and Bob in General: what Ann sees of Bob's message and of the channel list."""
    seen: list[tuple[str, ...]] = []
    async with connect(websocket_url + "?name=ann") as ann:
        async with connect(websocket_url + "?name=bob") as bob:
            await bob.send(
                json.dumps({"action": "sendMessage", "channelId": "General", "content": "hi"})
            )
            message = await _next(ann, "channel_message")
            seen.append(("channel_message", message["name"], message["content"]))
        left = await _next(ann, "subscriber_unsub")  # Bob's $disconnect, through the stream
        seen.append(("subscriber_unsub", left["name"]))
    return seen


def test_package_then_dev_template_serves_the_same_chat(chat: Path, tmp_path: Path) -> None:
    output = tmp_path / "package"
    main(["package", str(chat), "--output", str(output)])
    template = output / "cloudformation-template.json"
    assert template.is_file()

    with DevProcess(chat) as urls:
        expected = asyncio.run(conversation(urls.websocket_url))
    process = DevProcess(output, "--template", str(template))
    with process as urls:
        assert urls.websocket_url.endswith("/dev")
        assert urls.http_url is not None
        with urllib.request.urlopen(urls.http_url + "/") as page:  # the web function
            assert page.status == 200
            assert "text/html" in page.headers["Content-Type"]
        got = asyncio.run(conversation(urls.websocket_url))
        banner = process.output()
    assert got == expected == [("channel_message", "bob", "hi"), ("subscriber_unsub", "bob")]
    assert "(CloudFormation template: " in banner
    assert "stream dynamodb      -> BroadcastLambdaFunction" in banner
