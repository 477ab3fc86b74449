"""A route two functions declare, under a real `sockgate dev`: the last function answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from sockgate.testing import DevProcess

pytestmark = pytest.mark.timeout(90)

# Each route is declared by two functions; the first of each pair would answer differently
# (connect1 refuses the connection), so only the last function's replies reach the client.
CONFIG = """\
service: dup
provider:
  name: aws
  runtime: python3.11
functions:
  connect1:
    handler: handler.refuse
    events:
      - websocket: $connect
  connect2:
    handler: handler.reply
    events:
      - websocket: $connect
  multiCall1:
    handler: handler.reply
    events:
      - websocket: {route: makeMultiCalls, routeResponseSelectionExpression: $default}
  multiCall2:
    handler: handler.reply
    events:
      - websocket: {route: makeMultiCalls, routeResponseSelectionExpression: $default}
  default1:
    handler: handler.reply
    events:
      - websocket: {route: $default, routeResponseSelectionExpression: $default}
  default2:
    handler: handler.reply
    events:
      - websocket: {route: $default, routeResponseSelectionExpression: $default}
"""

HANDLER = """\
def refuse(event, context):
    return {"statusCode": 403}


def reply(event, context):
    return {"statusCode": 200, "body": context.function_name}
"""


async def test_the_function_declared_last_answers_each_route(tmp_path: Path) -> None:
    (tmp_path / "serverless.yml").write_text(CONFIG)
    (tmp_path / "handler.py").write_text(HANDLER)
    process = DevProcess(tmp_path)
    urls = process.start()
    try:
        async with connect(urls.websocket_url) as ws:  # connect1 would refuse it with 403
            await ws.send(json.dumps({"action": "makeMultiCalls"}))
            assert await ws.recv() == "dup-dev-multiCall2"
            await ws.send("no action, so $default")
            assert await ws.recv() == "dup-dev-default2"
        warnings = [line for line in process.output().splitlines() if "declared by both" in line]
        assert warnings[1] == (
            f"{(tmp_path / 'serverless.yml').resolve()} at functions.multiCall2.events[0]."
            "websocket: route 'makeMultiCalls' is declared by both function 'multiCall1' and "
            "function 'multiCall2'; 'multiCall2', declared last, handles it (as on AWS). "
            "Keep the route on one function."
        )
        assert len(warnings) == 3, process.output()  # one line per route, not per start
    finally:
        process.stop()
