"""The inspector's endpoints and event stream on a running `sockgate dev` (examples/hello)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import boto3
import pytest
from websockets.asyncio.client import connect

from sockgate.runner import DevServer
from sockgate.testing.polling import eventually

from .conftest import dev_options

pytestmark = pytest.mark.timeout(60)
JSON = {"Content-Type": "application/json"}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _get(http: aiohttp.ClientSession, url: str) -> Any:
    async with http.get(url) as reply:
        assert reply.status == 200, await reply.text()
        return await reply.json()


async def _events(http: aiohttp.ClientSession, url: str, into: list[tuple[str, Any]]) -> None:
    async with http.get(url + "api/events") as reply:
        assert reply.headers["Content-Type"] == "text/event-stream"
        kind = ""
        async for raw in reply.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                into.append((kind, json.loads(line[6:])))


async def test_page_and_banner(hello_dev: DevServer, http: aiohttp.ClientSession) -> None:
    url = hello_dev.inspector_url
    assert url is not None and url.endswith("/_sockgate/")
    assert f"Inspector     {url}" in hello_dev.banner()
    for path, kind in (("", "text/html"), ("app.js", "text/javascript"), ("app.css", "text/css")):
        async with http.get(url + path) as reply:
            assert reply.status == 200 and reply.content_type == kind
    async with http.get(url.rstrip("/"), allow_redirects=False) as reply:
        assert reply.status == 302 and reply.headers["Location"] == "/_sockgate/"
    async with http.get(url + "nothing") as reply:
        assert reply.status == 404


async def test_messages_frames_and_invocations_are_pushed(
    hello_dev: DevServer, http: aiohttp.ClientSession
) -> None:
    url = hello_dev.inspector_url
    assert url is not None
    events: list[tuple[str, Any]] = []
    listener = asyncio.create_task(_events(http, url, events))
    try:
        await eventually(lambda: any(kind == "overview" for kind, _ in events))
        async with connect(hello_dev.urls["websocket_url"] + "?who=ann") as ws:
            await ws.send(json.dumps({"action": "ping"}))
            assert json.loads(await ws.recv()) == {"pong": "hello"}
            await ws.send('{"action": "nope"}')  # $default echoes it through @connections
            assert await ws.recv() == '{"action": "nope"}'
        await eventually(
            lambda: any(
                k == "connection" and not r["open"] and "disconnect" in r for k, r in events
            )
        )
        await eventually(lambda: sum(kind == "invocation" for kind, _ in events) == 4)
    finally:
        listener.cancel()
    frames = [r for kind, r in events if kind == "frame"]
    assert [(f["dir"], f.get("route"), f.get("label")) for f in frames] == [
        ("in", "ping", None),
        ("out", None, "route reply"),
        ("in", "$default", None),
        ("out", None, "@connections"),
    ]
    invocations = [r for kind, r in events if kind == "invocation"]
    # In the order they finished: echo may end after the client has left.
    sources = sorted((i["function"], i["source"]) for i in invocations)
    assert sources == [
        ("connection", "$connect"),
        ("connection", "$disconnect"),
        ("echo", "$default"),
        ("ping", "ping"),
    ]
    (listed,) = [i for i in invocations if i["function"] == "ping"]
    assert "event" not in listed and "logs" not in listed  # the page fetches them when shown
    assert listed["ok"] and listed["durationMs"] > 0
    ping = await _get(http, f"{url}api/invocations/{listed['seq']}")
    assert ping["event"]["requestContext"]["routeKey"] == "ping"
    assert ping["payload"]["statusCode"] == 200 and ping["billedMs"] >= 1
    assert any("REPORT RequestId" in line for line in ping["logs"])
    closed = [r for kind, r in events if kind == "connection"][-1]
    assert closed["query"] == "who=ann" and closed["closeCode"] == 1000
    assert [r["route"] for r in closed["routes"]] == ["$connect", "ping", "$default", "$disconnect"]
    state = await _get(http, url + "api/state")
    assert len(state["frames"]) == 4 and len(state["invocations"]) == 4
    assert all("event" not in i for i in state["invocations"])
    async with http.get(url + "api/invocations/999999") as reply:
        assert reply.status == 404
    assert state["overview"]["pools"]["ping"]["limit"] >= 1
    assert sum(state["overview"]["series"]["rate"]) > 0


async def test_send_and_disconnect_from_the_page(
    hello_dev: DevServer, http: aiohttp.ClientSession
) -> None:
    url = hello_dev.inspector_url
    assert url is not None
    async with connect(hello_dev.urls["websocket_url"]) as ws:
        (connection_id,) = hello_dev.gateway.connection_ids()
        target = f"{url}api/connections/{connection_id}"
        async with http.post(target, json={"data": "from the inspector"}) as reply:
            assert reply.status == 200, await reply.text()
        assert await ws.recv() == "from the inspector"
        async with http.delete(target) as reply:
            assert reply.status == 200
        await ws.wait_closed()
        assert ws.close_code == 1000
    async with http.post(target, json={"data": "again"}) as reply:
        assert reply.status == 410
        assert "GoneError" in (await reply.json())["message"]
    frames = [f for f in hello_dev.recorder.frame_records() if f["dir"] == "out"]
    assert frames[-1]["label"] == "@connections"


async def test_writes_must_be_json_from_this_origin(
    hello_dev: DevServer, http: aiohttp.ClientSession
) -> None:
    url = hello_dev.inspector_url
    assert url is not None
    async with http.post(url + "api/invoke", data="{}") as reply:
        assert reply.status == 415
    headers = {**JSON, "Origin": "http://elsewhere.example"}
    async with http.post(url + "api/invoke", data="{}", headers=headers) as reply:
        assert reply.status == 403
    async with http.post(url + "api/tables/CreateTable", json={}) as reply:
        assert reply.status == 400


async def test_rerun_with_an_edited_event(
    hello_dev: DevServer, http: aiohttp.ClientSession
) -> None:
    url = hello_dev.inspector_url
    assert url is not None
    event = {"requestContext": {"connectionId": "x", "routeKey": "ping"}, "body": "{}"}
    async with http.post(url + "api/invoke", json={"function": "ping", "event": event}) as reply:
        body = await reply.json()
    assert body["ok"] and body["invocation"]["event"] == event
    assert json.loads(body["invocation"]["payload"]["body"]) == {"pong": "hello"}
    async with http.post(url + "api/invoke", json={"function": "nope", "event": {}}) as reply:
        assert reply.status == 400 and "nope" in (await reply.json())["message"]


async def test_tables_through_the_table_service(
    hello_dev: DevServer, http: aiohttp.ClientSession
) -> None:
    url = hello_dev.inspector_url
    assert url is not None
    client = boto3.client(
        "dynamodb",
        endpoint_url=hello_dev.urls["tables_url"],
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    client.create_table(
        TableName="notes",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )

    async def op(name: str, params: dict[str, Any]) -> Any:
        async with http.post(f"{url}api/tables/{name}", json=params) as reply:
            assert reply.status == 200, await reply.text()
            return await reply.json()

    assert "notes" in (await op("ListTables", {}))["TableNames"]
    for n in range(3):
        item = {"pk": {"S": f"n{n}"}, "v": {"N": str(n)}}
        await op("PutItem", {"TableName": "notes", "Item": item})
    page = await op("Scan", {"TableName": "notes", "Limit": 2})
    assert len(page["Items"]) == 2 and "LastEvaluatedKey" in page
    rest = await op("Scan", {"TableName": "notes", "ExclusiveStartKey": page["LastEvaluatedKey"]})
    assert len(rest["Items"]) == 1
    await op("DeleteItem", {"TableName": "notes", "Key": {"pk": {"S": "n1"}}})
    assert client.scan(TableName="notes")["Count"] == 2
    async with http.post(f"{url}api/tables/Scan", json={"TableName": "missing"}) as reply:
        assert reply.status == 400
        assert "ResourceNotFoundException" in await reply.text()


async def test_no_inspector_leaves_the_path_to_api_gateway(
    hello_dir: Path, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    server = DevServer(dev_options(hello_dir, tmp_path / "off", inspector=False, prewarm=False))
    await server.start()
    try:
        assert server.recorder is None and server.inspector_url is None
        assert "Inspector" not in server.banner()
        base = server.urls["websocket_url"].replace("ws://", "http://").rsplit("/", 1)[0]
        async with http.get(base + "/_sockgate/") as reply:
            assert reply.status == 403  # what API Gateway answers for an unknown path
    finally:
        await server.close()


async def test_lambda_invoke_api_calls_are_recorded(hello_dev: DevServer) -> None:
    client = boto3.client(
        "lambda",
        endpoint_url=hello_dev.urls["lambda_url"],
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    event = {"requestContext": {"connectionId": "x", "eventType": "MESSAGE"}, "body": "{}"}
    function_name = hello_dev.service.functions["ping"].name
    reply = await asyncio.to_thread(
        client.invoke, FunctionName=function_name, Payload=json.dumps(event).encode()
    )
    assert reply["StatusCode"] == 200
    (record,) = hello_dev.recorder.invocation_records()
    assert record["function"] == "ping" and record["event"] == event and record["ok"]
