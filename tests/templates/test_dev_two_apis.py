"""Two WebSocket APIs in one template: a gateway each, both in the banner, and each API's
functions reach their own API's connections."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from tests.templates.helpers import WEBSOCKET, write_project
from tests.templates.test_websocket_api import second_api
from websockets.asyncio.client import connect

from sockgate.testing import DevProcess

pytestmark = pytest.mark.timeout(90)

REPLY = """
import os
import boto3

api = boto3.client("apigatewaymanagementapi", endpoint_url=os.environ["MANAGEMENT_URL"])


def handler(event, context):
    if event["requestContext"]["routeKey"] == "$default":
        api.post_to_connection(
            ConnectionId=event["requestContext"]["connectionId"],
            Data=os.environ["MANAGEMENT_URL"] + " " + event["body"],
        )
    return {"statusCode": 200}
"""


def with_management_url(text: str, api: str, stage: str) -> str:
    return text.replace(
        "      Code: src\n",
        "      Code: src\n      Environment:\n        Variables:\n          MANAGEMENT_URL: !Sub "
        f'"https://${{{api}}}.execute-api.${{AWS::Region}}.amazonaws.com/${{{stage}}}"\n',
    )


async def exchange(url: str, text: str) -> str:
    async with connect(url) as ws:
        await ws.send(text)
        return str(await asyncio.wait_for(ws.recv(), 10))


def test_each_api_on_its_own_gateway(tmp_path: Path) -> None:
    first = with_management_url(WEBSOCKET, "Api", "Stage")
    second = with_management_url(second_api(WEBSOCKET), "Api2", "Stage2")
    write_project(tmp_path / "two", first + second, {"src/app.py": REPLY})
    process = DevProcess(tmp_path / "two")
    with process as urls:
        banner = process.output()
        assert "WebSocket API Api2, stage beta:" in banner, banner
        (other,) = re.findall(r"WebSocket +(ws://\S+/beta)", banner)
        assert urls.websocket_url.endswith("/prod") and other != urls.websocket_url
        one = asyncio.run(exchange(urls.websocket_url, "to prod"))
        two = asyncio.run(exchange(other, "to beta"))
    assert one.endswith(".amazonaws.com/prod to prod")
    assert two.endswith(".amazonaws.com/beta to beta")
    assert one.split(".")[0] != two.split(".")[0]  # two API ids
