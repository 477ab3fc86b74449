"""The handshake and $connect over real sockets."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import aiohttp
import pytest
import websockets
from botocore.exceptions import ClientError
from websockets.asyncio.client import connect

from .helpers import Gate, management_client, ok
from .rawws import RawClient

ROUTES = {"$connect": "connect", "$default": "default"}


def status_of(excinfo: pytest.ExceptionInfo[Any]) -> int:
    return excinfo.value.response.status_code


async def test_connect_event_carries_the_handshake(start_gateway) -> None:
    gateway, invoke = await start_gateway({"connect": ok, "default": ok}, ROUTES)
    before = int(time.time() * 1000)
    async with connect(
        gateway.url + "?room=lobby&room=two&x=%20y",
        additional_headers={"Authorization": "Bearer t", "X-Custom-Header": "v1"},
        user_agent_header="sockgate-test/1",
    ):
        event = await invoke.next("connect")
    assert list(event) == [
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "requestContext",
        "isBase64Encoded",
    ]
    headers = event["headers"]
    assert headers["Host"] == f"127.0.0.1:{gateway.port}"
    assert headers["Authorization"] == "Bearer t"
    assert headers["X-Custom-Header"] == "v1"
    assert headers["User-Agent"] == "sockgate-test/1"
    assert headers["Sec-WebSocket-Version"] == "13"
    assert "Sec-WebSocket-Key" in headers
    for hop in ("Connection", "Upgrade", "content-length"):
        assert hop.lower() not in {name.lower() for name in headers}
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert headers["X-Forwarded-Port"] == str(gateway.port)
    assert headers["X-Forwarded-Proto"] == "http"
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", headers["X-Amzn-Trace-Id"])
    assert event["multiValueHeaders"]["Authorization"] == ["Bearer t"]
    assert event["queryStringParameters"] == {"room": "two", "x": " y"}
    assert event["multiValueQueryStringParameters"] == {"room": ["lobby", "two"], "x": [" y"]}
    rc = event["requestContext"]
    assert rc["routeKey"] == "$connect" and rc["eventType"] == "CONNECT"
    assert rc["domainName"] == "127.0.0.1"
    assert rc["stage"] == "dev"
    assert rc["apiId"] == gateway.api_id and re.fullmatch(r"[a-z0-9]{10}", rc["apiId"])
    assert rc["identity"] == {"userAgent": "sockgate-test/1", "sourceIp": "127.0.0.1"}
    assert re.fullmatch(r"[A-Za-z0-9_\-]{15}=", rc["connectionId"])
    assert rc["requestId"] == rc["extendedRequestId"]
    assert before <= rc["connectedAt"] <= rc["requestTimeEpoch"] <= int(time.time() * 1000)
    assert "messageId" not in rc and "authorizer" not in rc


async def test_no_query_string_means_no_query_keys_and_no_user_agent(start_gateway) -> None:
    gateway, invoke = await start_gateway({"connect": ok, "default": ok}, ROUTES)
    async with connect(gateway.url, user_agent_header=None):
        event = await invoke.next("connect")
    assert "queryStringParameters" not in event
    assert "multiValueQueryStringParameters" not in event
    assert event["requestContext"]["identity"] == {"sourceIp": "127.0.0.1"}


async def test_domain_name_is_the_host_header_without_port(start_gateway) -> None:
    gateway, invoke = await start_gateway({"connect": ok, "default": ok}, ROUTES)
    client = await RawClient.connect(
        "127.0.0.1", gateway.port, headers={"Host": "abc123.execute-api.local:9999"}
    )
    event = await invoke.next("connect")
    await client.close()
    assert event["requestContext"]["domainName"] == "abc123.execute-api.local"


@pytest.mark.parametrize("path", ["/", "/dev", "/dev/"])
async def test_endpoint_paths(start_gateway, path: str) -> None:
    gateway, invoke = await start_gateway({"connect": ok, "default": ok}, ROUTES)
    async with connect(f"ws://127.0.0.1:{gateway.port}{path}"):
        await invoke.next("connect")


async def test_no_connect_route_accepts(start_gateway) -> None:
    gateway, invoke = await start_gateway({"default": ok}, {"$default": "default"})
    async with connect(gateway.url) as ws:
        await ws.send("hello")
        event = await invoke.next("default")
    assert event["body"] == "hello"


@pytest.mark.parametrize("status", [301, 400, 401, 403, 429, 500, 501])
async def test_non_2xx_status_refuses_with_that_status(start_gateway, status: int) -> None:
    def refuse(event: dict, context: Any) -> dict:
        return {"statusCode": status, "body": "nope"}

    gateway, invoke = await start_gateway({"connect": refuse, "default": ok}, ROUTES)
    with pytest.raises(websockets.InvalidStatus) as excinfo:
        async with connect(gateway.url):
            pass
    assert status_of(excinfo) == status
    assert gateway.connection_count == 0


@pytest.mark.parametrize("status", [200, 201, 204])
async def test_2xx_status_accepts(start_gateway, status: int) -> None:
    def accept(event: dict, context: Any) -> dict:
        return {"statusCode": status}

    gateway, _ = await start_gateway({"connect": accept, "default": ok}, ROUTES)
    async with connect(gateway.url) as ws:
        assert ws.response.status_code == 101


async def test_handler_exception_is_502(start_gateway) -> None:
    def crash(event: dict, context: Any) -> dict:
        raise ValueError("boom")

    gateway, _ = await start_gateway({"connect": crash, "default": ok}, ROUTES)
    with pytest.raises(websockets.InvalidStatus) as excinfo:
        async with connect(gateway.url):
            pass
    assert status_of(excinfo) == 502


async def test_function_timeout_is_502(start_gateway) -> None:
    gate = Gate()

    def slow(event: dict, context: Any) -> dict:
        gate.wait()
        return {"statusCode": 200}

    gateway, _ = await start_gateway(
        {"connect": slow, "default": ok}, ROUTES, timeouts={"connect": 0.2}
    )
    try:
        with pytest.raises(websockets.InvalidStatus) as excinfo:
            async with connect(gateway.url):
                pass
    finally:
        gate.open()
    assert status_of(excinfo) == 502


async def test_integration_timeout_is_504(start_gateway) -> None:
    gate = Gate()

    def slow(event: dict, context: Any) -> dict:
        gate.wait()
        return {"statusCode": 200}

    gateway, _ = await start_gateway(
        {"connect": slow, "default": ok}, ROUTES, integration_timeout=0.2
    )
    try:
        with pytest.raises(websockets.InvalidStatus) as excinfo:
            async with connect(gateway.url):
                pass
    finally:
        gate.open()
    assert status_of(excinfo) == 504


@pytest.mark.parametrize("payload", [None, {"body": "hi"}])
async def test_missing_status_code_is_502(start_gateway, payload: Any) -> None:
    gateway, _ = await start_gateway({"connect": lambda e, c: payload, "default": ok}, ROUTES)
    with pytest.raises(websockets.InvalidStatus) as excinfo:
        async with connect(gateway.url):
            pass
    assert status_of(excinfo) == 502


async def test_handshake_is_held_until_connect_returns(start_gateway) -> None:
    gate = Gate()

    def held(event: dict, context: Any) -> dict:
        gate.wait()
        return {"statusCode": 200}

    gateway, invoke = await start_gateway({"connect": held, "default": ok}, ROUTES)
    opening = asyncio.create_task(RawClient.connect("127.0.0.1", gateway.port))
    await invoke.next("connect")
    done, _ = await asyncio.wait({opening}, timeout=0.2)
    assert not done  # no 101 while $connect runs
    gate.open()
    client = await opening
    assert client.status == 101
    await client.close()


async def test_subprotocol_only_when_the_handler_returns_one(start_gateway) -> None:
    def choose(event: dict, context: Any) -> dict:
        requested = [p.strip() for p in event["headers"]["Sec-WebSocket-Protocol"].split(",")]
        if "chat2" in requested:
            return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "chat2"}}
        return {"statusCode": 200}

    gateway, _ = await start_gateway({"connect": choose, "default": ok}, ROUTES)
    async with connect(gateway.url, subprotocols=["chat1", "chat2"]) as ws:
        assert ws.subprotocol == "chat2"
    client = await RawClient.connect(
        "127.0.0.1", gateway.port, headers={"Sec-WebSocket-Protocol": "chat1, chat3"}
    )
    assert client.status == 101
    assert client.header("Sec-WebSocket-Protocol") is None  # never auto-selected
    await client.close()


async def test_post_during_connect_is_gone(start_gateway) -> None:
    results: list[str] = []

    def connect_handler(event: dict, context: Any) -> dict:
        rc = event["requestContext"]
        port = event["headers"]["X-Forwarded-Port"]
        client = management_client(f"http://127.0.0.1:{port}/{rc['stage']}")
        try:
            client.post_to_connection(ConnectionId=rc["connectionId"], Data=b"too early")
            results.append("sent")
        except client.exceptions.GoneException:
            results.append("gone")
        return {"statusCode": 200}

    gateway, invoke = await start_gateway({"connect": connect_handler, "default": ok}, ROUTES)
    async with connect(gateway.url) as ws:
        await ws.send("after")
        await invoke.next("default")
    assert results == ["gone"]


async def test_plain_http_get_is_426(start_gateway) -> None:
    gateway, invoke = await start_gateway({"connect": ok, "default": ok}, ROUTES)
    async with aiohttp.ClientSession() as session:
        for path in ("/dev", "/"):
            async with session.get(f"{gateway.http_base}{path}") as response:
                assert response.status == 426
    assert invoke.counts.get("connect") is None


async def test_plain_http_get_below_the_stage_is_426(start_gateway) -> None:
    """API Gateway answers 426 to a non-upgrade GET anywhere under the stage (observed)."""
    gateway, invoke = await start_gateway({"connect": ok, "default": ok}, ROUTES)
    async with aiohttp.ClientSession() as session:
        for path in ("/dev/1764926400", "/dev/a/b"):
            async with session.get(f"{gateway.http_base}{path}") as response:
                assert response.status == 426, path
                assert response.headers["Upgrade"] == "websocket"
        for path in ("/prod", "/prod/a", "/dev/@connections"):  # no such stage or resource
            async with session.get(f"{gateway.http_base}{path}") as response:
                assert response.status == 403, path
    assert invoke.counts.get("connect") is None


async def test_upgrade_below_the_stage_is_403(start_gateway) -> None:
    gateway, invoke = await start_gateway({"connect": ok, "default": ok}, ROUTES)
    for path in ("/dev/a/b", "/dev/1764926400"):
        with pytest.raises(websockets.InvalidStatus) as excinfo:
            async with connect(f"ws://127.0.0.1:{gateway.port}{path}"):
                pass
        assert status_of(excinfo) == 403
    assert invoke.counts.get("connect") is None


async def test_wrong_stage_is_403(start_gateway) -> None:
    gateway, invoke = await start_gateway({"connect": ok, "default": ok}, ROUTES)
    with pytest.raises(websockets.InvalidStatus) as excinfo:
        async with connect(f"ws://127.0.0.1:{gateway.port}/prod"):
            pass
    assert status_of(excinfo) == 403
    assert invoke.counts.get("connect") is None


async def test_refused_connection_is_gone_for_management(start_gateway) -> None:
    ids: list[str] = []

    def refuse(event: dict, context: Any) -> dict:
        ids.append(event["requestContext"]["connectionId"])
        return {"statusCode": 403}

    gateway, _ = await start_gateway({"connect": refuse, "default": ok}, ROUTES)
    with pytest.raises(websockets.InvalidStatus):
        async with connect(gateway.url):
            pass
    client = management_client(gateway.management_url)
    with pytest.raises(ClientError) as excinfo:
        await asyncio.to_thread(client.get_connection, ConnectionId=ids[0])
    assert excinfo.value.response["Error"]["Code"] == "GoneException"
