"""The gateway over the real worker-process Runtime: handlers in files, boto3 inside them.

Handlers build their management client the AWS way, from https://{domainName}/{stage}; the
runtime carries those calls to the gateway (SOCKGATE_GATEWAY_URL).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from sockgate.gateway import Gateway, GatewayConfig
from sockgate.lambdas import Runtime
from sockgate.service.model import Function, Service, WebsocketRoute
from sockgate.testing.polling import eventually

HANDLERS = """
import json
import os
import time

import boto3


def _management(event):
    rc = event["requestContext"]
    return boto3.client(
        "apigatewaymanagementapi", endpoint_url=f"https://{rc['domainName']}/{rc['stage']}"
    )


def connect(event, context):
    return {"statusCode": 200}


def disconnect(event, context):
    return {"statusCode": 200}


def default(event, context):
    command = json.loads(event["body"])
    do = command.get("do")
    if do == "raise":
        raise ValueError("handler raised")
    if do == "sleep":
        time.sleep(command["seconds"])
    if do == "exit":
        os._exit(3)
    if do == "block":
        with open(command["path"], "w") as f:
            f.write(str(os.getpid()))
        time.sleep(30)
    if do == "post":
        _management(event).post_to_connection(
            ConnectionId=event["requestContext"]["connectionId"],
            Data=json.dumps({"posted_by": os.getpid()}).encode(),
        )
        return {"statusCode": 200}
    if do == "gone":
        client = _management(event)
        try:
            client.post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"x")
        except client.exceptions.GoneException as exc:
            return {"statusCode": 200, "body": "gone: " + str(exc)}
    return {"statusCode": 200, "body": json.dumps({"pid": os.getpid()})}
"""

WAIT = 20.0  # worker cold starts import boto3


def build_service(directory: Path) -> Service:
    (directory / "handler.py").write_text(textwrap.dedent(HANDLERS))
    functions = {
        key: Function(
            key=key,
            name=f"chat-dev-{key}",
            handler=f"handler.{key}",
            runtime="python3.11",
            timeout=1.0 if key == "default" else 6.0,
        )
        for key in ("connect", "disconnect", "default")
    }
    return Service(
        name="chat",
        directory=directory,
        config_file=directory / "serverless.yml",
        stage="dev",
        region="us-east-1",
        functions=functions,
        websocket_routes=(
            WebsocketRoute(route_key="$connect", function="connect"),
            WebsocketRoute(route_key="$disconnect", function="disconnect"),
            WebsocketRoute(route_key="$default", function="default", two_way=True),
        ),
    )


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[tuple[Gateway, Runtime]]:
    """A gateway and the runtime it invokes (the runtime needs the gateway's bound port)."""
    service = build_service(tmp_path)
    holder: list[Runtime] = []

    async def invoke(key: str, event: dict[str, Any]) -> Any:
        return await holder[0].invoke(key, event)

    gateway = Gateway(service, invoke, GatewayConfig(port=0))
    await gateway.start()
    runtime = Runtime(
        service,
        environment={
            "SOCKGATE_GATEWAY_URL": gateway.http_base,
            "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": gateway.management_url,
        },
        max_workers=2,
    )
    holder.append(runtime)
    await runtime.start()
    yield gateway, runtime
    await gateway.close()
    await runtime.close()


async def ask(ws: Any, command: dict[str, Any]) -> str:
    await ws.send(json.dumps(command))
    return await asyncio.wait_for(ws.recv(), WAIT)


def is_internal_error(frame: str) -> bool:
    return frame.startswith('{"message": "Internal server error", "connectionId":"')


async def test_handler_posts_back_through_boto3(stack) -> None:
    gateway, _ = stack
    async with connect(gateway.url) as ws:
        posted = json.loads(await ask(ws, {"do": "post"}))
        assert isinstance(posted["posted_by"], int)
        assert (await ask(ws, {"do": "gone"})).startswith(
            "gone: An error occurred (GoneException) when calling the PostToConnection operation"
        )


async def test_raise_timeout_and_exit_each_fail_one_message(stack) -> None:
    gateway, _ = stack
    async with connect(gateway.url) as ws:
        assert is_internal_error(await ask(ws, {"do": "raise"}))
        assert is_internal_error(await ask(ws, {"do": "sleep", "seconds": 5}))  # timeout 1 s
        assert is_internal_error(await ask(ws, {"do": "exit"}))
        assert "pid" in json.loads(await ask(ws, {"do": "hello"}))


async def test_sigkilled_worker_fails_its_message_and_a_fresh_worker_serves(
    stack, tmp_path: Path
) -> None:
    gateway, _ = stack
    marker = tmp_path / "busy.pid"
    async with connect(gateway.url) as ws:
        await ws.send(json.dumps({"do": "block", "path": str(marker)}))
        await eventually(
            lambda: marker.exists() and marker.read_text() != "", what="the handler to start"
        )
        victim = int(marker.read_text())
        os.kill(victim, signal.SIGKILL)
        assert is_internal_error(await asyncio.wait_for(ws.recv(), WAIT))
        reply = json.loads(await ask(ws, {"do": "hello"}))
        assert reply["pid"] != victim
