"""$connect authorizers over real sockets."""

from __future__ import annotations

from typing import Any

import pytest
import websockets
from websockets.asyncio.client import connect

from sockgate.gateway import Gateway, GatewayConfig, GatewayConfigError
from sockgate.service.model import Authorizer

from .helpers import LocalInvoke, make_service, ok

ROUTES = {"$connect": "connect", "$disconnect": "disconnect", "$default": "default"}
AUTH = Authorizer(
    name="auth",
    function="auth",
    identity_source=("route.request.header.Auth", "route.request.querystring.token"),
)


def allow(event: dict, context: Any) -> dict:
    return {
        "principalId": "user-" + event["queryStringParameters"]["token"],
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}
            ],
        },
        "context": {"tier": "gold", "score": 7, "admin": False},
    }


def handlers(auth: Any) -> dict[str, Any]:
    return {"connect": ok, "disconnect": ok, "default": ok, "auth": auth}


async def refused(url: str, **kwargs: Any) -> int:
    with pytest.raises(websockets.InvalidStatus) as excinfo:
        async with connect(url, **kwargs):
            pass
    return excinfo.value.response.status_code


async def test_allowed_connection_carries_the_authorizer_context(start_gateway) -> None:
    gateway, invoke = await start_gateway(handlers(allow), ROUTES, authorizer=AUTH)
    async with connect(gateway.url + "?token=42", additional_headers={"auth": "secret"}) as ws:
        auth_event = await invoke.next("auth")
        connect_event = await invoke.next("connect")
        await ws.send("hi")
        message_event = await invoke.next("default")
    disconnect_event = await invoke.next("disconnect")

    assert auth_event["type"] == "REQUEST"
    assert auth_event["methodArn"] == (
        f"arn:aws:execute-api:us-east-1:000000000000:{gateway.api_id}/dev/$connect"
    )
    headers = auth_event["headers"]
    assert headers["auth"] == "secret"
    assert headers["Connection"] == "Upgrade" and headers["Upgrade"] == "websocket"
    assert headers["content-length"] == "0"
    assert auth_event["queryStringParameters"] == {"token": "42"}
    assert auth_event["stageVariables"] == {}
    assert auth_event["requestContext"]["routeKey"] == "$connect"
    assert "authorizer" not in auth_event["requestContext"]
    assert (
        auth_event["requestContext"]["connectionId"]
        == connect_event["requestContext"]["connectionId"]
    )

    for event in (connect_event, message_event, disconnect_event):
        authorizer = event["requestContext"]["authorizer"]
        assert authorizer["principalId"] == "user-42"
        assert authorizer["tier"] == "gold" and authorizer["score"] == 7
        assert authorizer["admin"] is False
        assert isinstance(authorizer["integrationLatency"], int)
    assert "Connection" not in connect_event["headers"]


async def test_missing_identity_source_is_401_without_invoking(start_gateway) -> None:
    gateway, invoke = await start_gateway(handlers(allow), ROUTES, authorizer=AUTH)
    assert await refused(gateway.url + "?token=1") == 401
    assert await refused(gateway.url, additional_headers={"Auth": "x"}) == 401
    assert await refused(gateway.url + "?token=", additional_headers={"Auth": "x"}) == 401
    assert "auth" not in invoke.counts and "connect" not in invoke.counts


async def test_deny_is_403(start_gateway) -> None:
    def deny(event: dict, context: Any) -> dict:
        response = allow(event, context)
        response["policyDocument"]["Statement"][0]["Effect"] = "Deny"
        return response

    gateway, invoke = await start_gateway(handlers(deny), ROUTES, authorizer=AUTH)
    assert await refused(gateway.url + "?token=1", additional_headers={"Auth": "x"}) == 403
    assert "connect" not in invoke.counts


async def test_stage_wide_resource_does_not_cover_connect(start_gateway) -> None:
    def wrong_resource(event: dict, context: Any) -> dict:
        response = allow(event, context)
        arn = event["methodArn"].rsplit("/", 1)[0]
        response["policyDocument"]["Statement"][0]["Resource"] = arn + "/*/*"
        return response

    gateway, _ = await start_gateway(handlers(wrong_resource), ROUTES, authorizer=AUTH)
    assert await refused(gateway.url + "?token=1", additional_headers={"Auth": "x"}) == 403


async def test_raising_unauthorized_is_401(start_gateway) -> None:
    def unauthorized(event: dict, context: Any) -> dict:
        raise Exception("Unauthorized")

    gateway, _ = await start_gateway(handlers(unauthorized), ROUTES, authorizer=AUTH)
    assert await refused(gateway.url + "?token=1", additional_headers={"Auth": "x"}) == 401


@pytest.mark.parametrize("outcome", ["crash", "malformed"])
async def test_failing_authorizer_is_500(start_gateway, outcome: str) -> None:
    def broken(event: dict, context: Any) -> dict:
        if outcome == "crash":
            raise ValueError("bug")
        return {"statusCode": 401}

    gateway, invoke = await start_gateway(handlers(broken), ROUTES, authorizer=AUTH)
    assert await refused(gateway.url + "?token=1", additional_headers={"Auth": "x"}) == 500
    assert "connect" not in invoke.counts


async def test_authorized_connect_can_still_refuse(start_gateway) -> None:
    gateway, _ = await start_gateway(
        handlers(allow) | {"connect": lambda e, c: {"statusCode": 409}}, ROUTES, authorizer=AUTH
    )
    assert await refused(gateway.url + "?token=1", additional_headers={"Auth": "x"}) == 409


def test_external_arn_authorizer_is_a_startup_error() -> None:
    external = Authorizer(
        name="auth", function=None, arn="arn:aws:lambda:us-east-1:123456789012:function:auth"
    )
    service = make_service(ROUTES, authorizer=external)
    with pytest.raises(GatewayConfigError, match="external function") as excinfo:
        Gateway(service, LocalInvoke({}, {}), GatewayConfig(port=0))
    assert excinfo.value.path == "functions.connect.events"  # where $connect is declared


def test_unsupported_identity_source_names_the_connect_events() -> None:
    odd = Authorizer(name="auth", function="auth", identity_source=("context.requestId",))
    service = make_service(ROUTES, authorizer=odd)
    with pytest.raises(GatewayConfigError, match="identity source") as excinfo:
        Gateway(service, LocalInvoke({}, {}), GatewayConfig(port=0))
    assert excinfo.value.path == "functions.connect.events"


def test_authorizer_naming_an_unknown_function_names_the_connect_events() -> None:
    service = make_service(ROUTES, authorizer=AUTH)
    functions = {k: v for k, v in service.functions.items() if k != "auth"}
    broken = service.model_copy(update={"functions": functions})
    with pytest.raises(GatewayConfigError, match="'auth'") as excinfo:
        Gateway(broken, LocalInvoke({}, {}), GatewayConfig(port=0))
    assert excinfo.value.path == "functions.connect.events"


def test_route_naming_an_unknown_function_is_a_startup_error() -> None:
    service = make_service({"$default": "default"})
    broken = service.model_copy(update={"functions": {}})
    with pytest.raises(GatewayConfigError, match="'default'") as excinfo:
        Gateway(broken, LocalInvoke({}, {}), GatewayConfig(port=0))
    assert excinfo.value.path == "functions.default.events"


def test_bad_config_values_are_rejected() -> None:
    with pytest.raises(GatewayConfigError, match="API id"):
        GatewayConfig(api_id="UPPER")
    with pytest.raises(GatewayConfigError, match="idle_timeout"):
        GatewayConfig(idle_timeout=0)
