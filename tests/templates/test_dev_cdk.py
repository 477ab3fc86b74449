"""The CDK (Python) chat, from its synthesised cloud assembly, under a real `sockgate dev`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from sockgate.testing import DevProcess

pytestmark = pytest.mark.timeout(90)


async def _json(ws: Any) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), 10))


async def _next(ws: Any, key: str) -> dict[str, Any]:
    """The next message with `key` (a join notice may arrive before or after another)."""
    while key not in (message := await _json(ws)):
        pass
    return message


async def test_authorizer_stream_filter_and_management_api(cdk_chat: Path) -> None:
    with DevProcess(cdk_chat) as urls:
        assert urls.websocket_url.endswith("/live")  # the WebSocketStage's name
        with pytest.raises(InvalidStatus) as refused:
            async with connect(urls.websocket_url + "?token=wrong"):
                pass
        assert refused.value.response.status_code == 403

        base = urls.websocket_url + "?token=letmein&name="
        async with connect(base + "ann") as ann:
            async with connect(base + "bob") as bob:
                # The table's stream, filtered to INSERT, announces Bob to Ann only.
                assert await _next(ann, "joined") == {"joined": "bob"}
                # send-message.py: a module name Lambda imports though it is no identifier,
                # reaching the gateway through CALLBACK_URL as CDK's stage.callbackUrl wrote it.
                await bob.send(json.dumps({"action": "sendmessage", "data": "hi"}))
                for ws in (ann, bob):
                    assert (await _next(ws, "data"))["data"] == "hi"
                # $default has a route response: its reply comes back (two-way).
                await bob.send("anything")
                assert await _next(bob, "routes") == {"routes": ["sendmessage"]}


def test_banner_and_not_run_resources(cdk_chat: Path) -> None:
    process = DevProcess(cdk_chat / "cdk.out")  # the assembly itself works too
    process.start()
    try:
        output = process.output()
    finally:
        process.stop()
    assert "service CdkChatStack, stage live" in output
    assert "(CDK cloud assembly: " in output
    assert "not run locally: AWS::IAM::Policy x6, AWS::IAM::Role x6" in output
    assert "(authorizer: TokenAuthorizer)" in output
    assert "(two-way)" in output
