"""Ctrl-C stops `sockgate dev` gracefully: $disconnect handlers still reach their table."""

from __future__ import annotations

import textwrap
from pathlib import Path

import boto3
import pytest
from websockets.asyncio.client import connect

from sockgate.testing import DevProcess

pytestmark = pytest.mark.timeout(120)

SERVICE = """
service: goodbye
provider:
  name: aws
  environment:
    TABLE: {Ref: Seen}
functions:
  track:
    handler: handler.track
    events:
      - websocket: $connect
      - websocket: $disconnect
resources:
  Resources:
    Seen:
      Type: AWS::DynamoDB::Table
      Properties:
        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
        KeySchema: [{AttributeName: id, KeyType: HASH}]
"""

HANDLER = """
import os
import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])

def track(event, context):
    ctx = event["requestContext"]
    table.put_item(Item={"id": ctx["connectionId"], "last": ctx["eventType"],
                         "code": ctx.get("disconnectStatusCode", 0)})
    return {"statusCode": 200}
"""


def _items(tables_url: str) -> list[dict]:
    dynamodb = boto3.resource("dynamodb", endpoint_url=tables_url, region_name="us-east-1")
    return dynamodb.Table("goodbye-dev-Seen").scan()["Items"]


async def test_ctrl_c_runs_disconnect_before_the_table_service_stops(tmp_path: Path) -> None:
    (tmp_path / "serverless.yml").write_text(textwrap.dedent(SERVICE))
    (tmp_path / "handler.py").write_text(textwrap.dedent(HANDLER))
    first = DevProcess(tmp_path)
    urls = first.start()
    try:
        async with connect(urls.websocket_url) as ws:
            await ws.ping()
            assert [item["last"] for item in _items(urls.tables_url)] == ["CONNECT"]
            assert first.interrupt_group() == 0, first.output()
    finally:
        first.stop()
    assert "restarting" not in first.output()

    second = DevProcess(tmp_path)  # same data folder: what shutdown wrote must be there
    urls = second.start()
    try:
        items = _items(urls.tables_url)
    finally:
        second.stop()
    assert [(item["last"], item["code"]) for item in items] == [("DISCONNECT", 1001)]
