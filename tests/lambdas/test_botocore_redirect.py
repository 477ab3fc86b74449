"""The management API client of a handler reaches SOCKGATE_GATEWAY_URL, whatever URL it built."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from .conftest import MakeService

HANDLER = """
import boto3, boto3.session, botocore.session

def clients(event, context):
    domain = event["requestContext"]["domainName"]
    stage = event["requestContext"]["stage"]
    yield "sample", boto3.client("apigatewaymanagementapi", endpoint_url=f"https://{domain}/{stage}")
    yield "execute-api", boto3.session.Session().client(
        "apigatewaymanagementapi",
        endpoint_url=f"https://abc123.execute-api.eu-west-1.amazonaws.com/{stage}",
    )
    yield "botocore", botocore.session.get_session().create_client(
        "apigatewaymanagementapi", endpoint_url=f"https://{domain}/{stage}"
    )
    yield "no-endpoint", boto3.client("apigatewaymanagementapi")

def post(event, context):
    outcome = {}
    for label, client in clients(event, context):
        try:
            client.post_to_connection(ConnectionId="abc=", Data=b"hello")
            outcome[label] = "sent"
        except client.exceptions.GoneException as exc:
            outcome[label] = "gone:" + exc.response["Error"]["Code"]
        try:
            client.post_to_connection(ConnectionId="live", Data=b"hello")
            outcome[label] += ",live:sent"
        except Exception as exc:
            outcome[label] += ",live:" + type(exc).__name__
    try:
        client.post_to_connection(ConnectionId="abc=")  # Data missing: boto3 validates
    except Exception as exc:
        outcome["validation"] = type(exc).__name__
    return outcome
"""


@pytest.fixture
async def gateway() -> AsyncIterator[tuple[str, list[tuple[str, str, bytes]]]]:
    """A tiny @connections stand-in: 410 GoneException for abc=, 200 for live."""
    seen: list[tuple[str, str, bytes]] = []

    async def connections(request: web.Request) -> web.Response:
        seen.append((request.method, request.raw_path, await request.read()))
        if request.match_info["id"] == "live":
            return web.Response(status=200)
        return web.json_response(
            {"message": None}, status=410, headers={"x-amzn-ErrorType": "GoneException"}
        )

    app = web.Application()
    app.router.add_route("*", "/{stage}/@connections/{id}", connections)
    app.router.add_route("*", "/@connections/{id}", connections)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


async def test_management_clients_reach_the_gateway(
    make_service: MakeService, runtimes, gateway: tuple[str, list[tuple[str, str, bytes]]]
) -> None:
    url, seen = gateway
    runtime = runtimes(
        make_service({"handler.py": HANDLER}, post="handler.post"),
        environment={"SOCKGATE_GATEWAY_URL": url},
    )
    event = {
        "requestContext": {
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "stage": "dev",
        }
    }
    result = await runtime.invoke("post", event)
    assert result.ok, result.error
    expected = "gone:GoneException,live:sent"
    assert result.payload == {
        "sample": expected,
        "execute-api": expected,
        "botocore": expected,
        "no-endpoint": expected,
        "validation": "ParamValidationError",
    }
    assert seen == [
        ("POST", "/dev/@connections/abc%3D", b"hello"),
        ("POST", "/dev/@connections/live", b"hello"),
    ] * 3 + [
        ("POST", "/@connections/abc%3D", b"hello"),  # no endpoint: no stage in the path
        ("POST", "/@connections/live", b"hello"),
    ]


async def test_without_gateway_url_botocore_is_untouched(
    make_service: MakeService, runtimes
) -> None:
    source = """
import botocore.handlers
def fn(event, context):
    return [spec[0] for spec in botocore.handlers.BUILTIN_HANDLERS
            if spec[0].startswith("before-sign.apigatewaymanagementapi")]
"""
    runtime = runtimes(make_service({"handler.py": source}, fn="handler.fn"))
    assert (await runtime.invoke("fn", {})).payload == []


async def test_with_the_local_channel_requests_are_not_signed(
    make_service: MakeService, runtimes, tmp_path
) -> None:
    # The socket is missing, so the unsigned request falls back to HTTP, where we can see it.
    seen: list[str | None] = []

    async def connections(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.Response(status=200)

    app = web.Application()
    app.router.add_route("*", "/{stage}/@connections/{id}", connections)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    source = """
import boto3
def fn(event, context):
    client = boto3.client("apigatewaymanagementapi", endpoint_url="https://example.com/dev")
    client.post_to_connection(ConnectionId="live", Data=b"x")
    return "sent"
"""
    try:
        for socket in (None, str(tmp_path / "missing.sock")):
            env = {"SOCKGATE_GATEWAY_URL": url}
            if socket:
                env["SOCKGATE_GATEWAY_SOCKET"] = socket
            runtime = runtimes(
                make_service({"handler.py": source}, fn="handler.fn"), environment=env
            )
            assert (await runtime.invoke("fn", {})).payload == "sent"
    finally:
        await runner.cleanup()
    signed, unsigned = seen
    assert signed is not None and signed.startswith("AWS4-HMAC-SHA256")
    assert unsigned is None


async def test_only_management_clients_answer_at_before_call(
    make_service: MakeService, runtimes, tmp_path
) -> None:
    source = """
import boto3
def fn(event, context):
    def answerers(service):
        client = boto3.client(service, region_name="us-east-1")
        handlers = client.meta.events._emitter._handlers.prefix_search("before-call.x.Y")
        return [type(h).__name__ for h in handlers if type(h).__name__ == "_CallAnswerer"]
    return {s: answerers(s) for s in ("apigatewaymanagementapi", "dynamodb")}
"""
    env = {"SOCKGATE_GATEWAY_URL": "http://127.0.0.1:9"}
    for socket, expected in ((None, []), (str(tmp_path / "gateway.sock"), ["_CallAnswerer"])):
        if socket:
            env["SOCKGATE_GATEWAY_SOCKET"] = socket
        runtime = runtimes(make_service({"handler.py": source}, fn="handler.fn"), environment=env)
        result = await runtime.invoke("fn", {})
        assert result.payload == {"apigatewaymanagementapi": expected, "dynamodb": []}
