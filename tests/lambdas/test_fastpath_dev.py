"""`sockgate dev` hands its workers the gateway's local channel, and boto3 posts through it."""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from sockgate.testing import DevProcess

SERVERLESS_YML = """
service: channel-check
provider:
  name: aws
  runtime: python3.11
  websocketsApiRouteSelectionExpression: $request.body.action
functions:
  echo:
    handler: handler.echo
    events:
      - websocket:
          route: echo
          routeResponseSelectionExpression: $default
"""

HANDLER = """
import json
import os

import boto3


def echo(event, context):
    rc = event["requestContext"]
    api = boto3.client("apigatewaymanagementapi", endpoint_url=f"https://{rc['domainName']}/{rc['stage']}")
    api.post_to_connection(ConnectionId=rc["connectionId"], Data=b"posted")
    path = os.environ.get("SOCKGATE_GATEWAY_SOCKET", "")
    return {"statusCode": 200, "body": json.dumps({"socket": path, "exists": os.path.exists(path)})}
"""


@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
async def test_dev_workers_get_the_gateway_socket(tmp_path: Path, loop: str) -> None:
    (tmp_path / "serverless.yml").write_text(SERVERLESS_YML)
    (tmp_path / "handler.py").write_text(textwrap.dedent(HANDLER))
    dev = DevProcess(tmp_path, "--no-reload", "--loop", loop)
    urls = await asyncio.to_thread(dev.start)
    try:
        assert f"Event loop    {loop}" in dev.output()
        async with connect(urls.websocket_url) as ws:
            await ws.send(json.dumps({"action": "echo"}))
            frames = [await asyncio.wait_for(ws.recv(), 30) for _ in range(2)]
        assert "posted" in frames
        reply = json.loads(next(f for f in frames if f != "posted"))
        assert reply["socket"].endswith("gateway.sock") and reply["exists"]
    finally:
        await asyncio.to_thread(dev.stop)
    assert not Path(reply["socket"]).exists(), "the gateway removes its socket when it stops"
