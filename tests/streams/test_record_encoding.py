"""Records reach handlers as Lambda's JSON: binary as base64 text, TTL identity in camelCase."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

from sockgate.service.model import StreamEvent
from sockgate.testing.polling import eventually

from .conftest import Handlers, make_service, running


async def test_binary_values_arrive_as_base64_text(
    make_table: Any, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    service = make_service(tmp_path, StreamEvent(function="fan", arn=table.stream_arn))
    async with running(service, handlers, endpoint, tmp_path / "state"):
        table.client.put_item(
            TableName=table.name,
            Item={"pk": {"S": "bin"}, "blob": {"B": b"\x00\xffdata"}, "set": {"BS": [b"\x01"]}},
        )
        await eventually(lambda: len(handlers.records()) == 1, what="one record")
    (record,) = handlers.records()
    image = record["dynamodb"]["NewImage"]
    assert image["blob"] == {"B": base64.b64encode(b"\x00\xffdata").decode()}
    assert image["set"] == {"BS": [base64.b64encode(b"\x01").decode()]}
    json.dumps({"Records": [record]})  # what a worker process is sent


async def test_ttl_deletes_carry_lambdas_user_identity(
    make_table: Any, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    table.client.update_time_to_live(
        TableName=table.name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"},
    )
    service = make_service(tmp_path, StreamEvent(function="fan", arn=table.stream_arn))
    async with running(service, handlers, endpoint, tmp_path / "state"):
        table.put("old", expiresAt=int(time.time()) - 60)
        await eventually(lambda: len(handlers.records()) == 2, what="INSERT and TTL REMOVE")
    insert, remove = handlers.records()
    assert "userIdentity" not in insert
    assert remove["eventName"] == "REMOVE"
    assert remove["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
