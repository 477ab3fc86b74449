"""`AWS::ApiGatewayV2::*` WebSocket APIs -> routes, authorizers and a stage, as AWS reads them.

Api            ProtocolType WEBSOCKET, RouteSelectionExpression, Name
               (ApiKeySelectionExpression accepted; API keys are not checked locally)
Route          RouteKey, Target: integrations/<id>, AuthorizationType NONE | CUSTOM
               (AWS_IAM accepted, not checked), AuthorizerId, RouteResponseSelectionExpression
RouteResponse  RouteResponseKey $default makes a route two-way (with the expression)
Integration    AWS_PROXY to a function through IntegrationUri (any spelling of the ARN)
Authorizer     REQUEST, IdentitySource, AuthorizerUri
Stage          StageName (StageVariables, DefaultRouteSettings, RouteSettings accepted)
Deployment     accepted
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sockgate.service.model import DEFAULT_ROUTE_SELECTION, Authorizer, WebsocketRoute
from sockgate.templates.context import Reader, log
from sockgate.templates.functions import FunctionTable

__all__ = ["API", "WebsocketApi", "api_protocol", "read_stages", "read_websocket_apis"]

API = "AWS::ApiGatewayV2::Api"
ROUTE = "AWS::ApiGatewayV2::Route"
INTEGRATION = "AWS::ApiGatewayV2::Integration"
AUTHORIZER = "AWS::ApiGatewayV2::Authorizer"
ROUTE_RESPONSE = "AWS::ApiGatewayV2::RouteResponse"
STAGE = "AWS::ApiGatewayV2::Stage"


@dataclass
class WebsocketApi:
    """One WebSocket API of the template."""

    logical_id: str
    name: str | None
    route_selection_expression: str
    stage: str | None = None
    stage_id: str | None = None  # the Stage resource's logical id
    routes: list[WebsocketRoute] = field(default_factory=list)


def api_protocol(reader: Reader, logical_id: str, properties: dict[str, Any]) -> str:
    """WEBSOCKET or HTTP (ApiGatewayV2's ProtocolType; an API imported from an OpenAPI Body,
    as SAM's HttpApi writes it, is an HTTP API)."""
    protocol = reader.text(properties.get("ProtocolType"), logical_id, "ProtocolType")
    if protocol is None and ("Body" in properties or "BodyS3Location" in properties):
        return "HTTP"
    return (protocol or "").upper()


def read_stages(reader: Reader) -> dict[str, tuple[str, str]]:
    """API logical id -> (its first Stage's logical id, StageName)."""
    stages: dict[str, tuple[str, str]] = {}
    for logical_id, properties in reader.of_type(STAGE):
        api = reader.logical_id_of(properties.get("ApiId"), logical_id, "ApiId")
        name = reader.text(properties.get("StageName"), logical_id, "StageName")
        if api is None or name is None:
            raise reader.error("needs ApiId and StageName", logical_id)
        if properties.get("StageVariables"):
            log.warning(
                "%s: stage %s has StageVariables; sockgate's events carry none (as its "
                "serverless.yml services' do not)",
                reader.file, name,
            )  # fmt: skip
        if api in stages:
            log.warning(
                "%s: API %s has several stages; sockgate serves the first, %s",
                reader.file, api, stages[api][1],
            )  # fmt: skip
            continue
        stages[api] = (logical_id, name)
    return stages


def read_websocket_apis(reader: Reader, functions: FunctionTable) -> list[WebsocketApi]:
    """Every WebSocket API with its routes, in template order."""
    apis: dict[str, WebsocketApi] = {}
    stages = read_stages(reader)
    for logical_id, properties in reader.of_type(API):
        if api_protocol(reader, logical_id, properties) != "WEBSOCKET":
            continue
        expression = reader.text(
            properties.get("RouteSelectionExpression"), logical_id, "RouteSelectionExpression"
        )
        stage_id, stage = stages.get(logical_id, (None, None))
        apis[logical_id] = WebsocketApi(
            logical_id=logical_id,
            name=reader.text(properties.get("Name"), logical_id, "Name"),
            route_selection_expression=expression or DEFAULT_ROUTE_SELECTION,
            stage=stage,
            stage_id=stage_id,
        )
    two_way = _two_way_routes(reader)
    for logical_id, properties in reader.of_type(ROUTE):
        api = reader.logical_id_of(properties.get("ApiId"), logical_id, "ApiId")
        if api not in apis:
            continue  # an HTTP API's route
        route = _route(reader, logical_id, properties, functions, two_way)
        if route is None:
            continue
        taken = next((r for r in apis[api].routes if r.route_key == route.route_key), None)
        if taken is not None:
            raise reader.error(
                f"route key {route.route_key} is declared twice in API {api}",
                logical_id,
                "RouteKey",
                "API Gateway keeps one route per key; remove one.",
            )
        apis[api].routes.append(route)
    return list(apis.values())


def _two_way_routes(reader: Reader) -> set[str]:
    """Routes (logical ids) with a $default RouteResponse."""
    found = set()
    for logical_id, properties in reader.of_type(ROUTE_RESPONSE):
        key = reader.text(properties.get("RouteResponseKey"), logical_id, "RouteResponseKey")
        route = reader.logical_id_of(properties.get("RouteId"), logical_id, "RouteId")
        if key == "$default" and route is not None:
            found.add(route)
    return found


def _route(
    reader: Reader,
    logical_id: str,
    properties: dict[str, Any],
    functions: FunctionTable,
    two_way: set[str],
) -> WebsocketRoute | None:
    route_key = reader.text(properties.get("RouteKey"), logical_id, "RouteKey")
    if not route_key:
        raise reader.error(
            "is missing", logical_id, "RouteKey", "Add RouteKey: $connect (or a name)."
        )
    function = _integrated_function(reader, logical_id, properties, functions)
    if function is None:
        return None
    expression = reader.text(
        properties.get("RouteResponseSelectionExpression"),
        logical_id,
        "RouteResponseSelectionExpression",
    )
    if expression and logical_id not in two_way:
        log.warning(
            "%s: route %s has a RouteResponseSelectionExpression but no $default RouteResponse; "
            "as on AWS, its replies are not sent to the client",
            reader.file, route_key,
        )  # fmt: skip
    authorizer = _authorizer(reader, logical_id, properties, route_key, functions)
    return WebsocketRoute(
        route_key=route_key,
        function=function,
        two_way=expression == "$default" and logical_id in two_way,
        authorizer=authorizer,
    )


def _integrated_function(
    reader: Reader, logical_id: str, properties: dict[str, Any], functions: FunctionTable
) -> str | None:
    target = reader.text(properties.get("Target"), logical_id, "Target")
    if not target:
        raise reader.error(
            "is missing: the route has no integration",
            logical_id,
            "Target",
            "Set Target: !Join ['/', [integrations, !Ref MyIntegration]].",
        )
    integration, props = route_integration(reader, logical_id, target)
    kind = reader.text(props.get("IntegrationType"), integration, "IntegrationType")
    if kind != "AWS_PROXY":
        log.warning(
            "%s: route %s has a %s integration (%s), which sockgate does not run; "
            "only AWS_PROXY (Lambda proxy) integrations are served",
            reader.file, logical_id, kind, integration,
        )  # fmt: skip
        return None
    key = reader.function_of(
        props.get("IntegrationUri"), integration, "IntegrationUri", functions.by_name
    )
    return functions.require(key, reader, integration, "IntegrationUri")


def route_integration(reader: Reader, logical_id: str, target: str) -> tuple[str, dict[str, Any]]:
    """The integration a route's Target names (`integrations/<its Ref>`), and its properties:
    the same for WebSocket and HTTP API routes."""
    integration = target.removeprefix("integrations/")
    if not target.startswith("integrations/") or reader.type_of(integration) != INTEGRATION:
        raise reader.error(
            f"{target!r} does not point at an AWS::ApiGatewayV2::Integration of the template",
            logical_id,
            "Target",
            "Write it as integrations/<the integration's Ref>.",
        )
    return integration, reader.resources[integration].get("Properties") or {}


def _authorizer(
    reader: Reader,
    logical_id: str,
    properties: dict[str, Any],
    route_key: str,
    functions: FunctionTable,
) -> Authorizer | None:
    kind = (
        reader.text(properties.get("AuthorizationType"), logical_id, "AuthorizationType") or "NONE"
    ).upper()
    if kind == "NONE":
        return None
    if kind == "AWS_IAM":
        log.warning(
            "%s: route %s uses AWS_IAM authorization, which is not checked locally",
            reader.file, route_key,
        )  # fmt: skip
        return None
    if kind != "CUSTOM":
        raise reader.error(
            f"{kind} is not NONE, AWS_IAM or CUSTOM", logical_id, "AuthorizationType"
        )
    if route_key != "$connect":
        raise reader.error(
            f"an authorizer is only allowed on the $connect route, not on {route_key}",
            logical_id,
            "AuthorizationType",
            "API Gateway authorizes a connection once, when it opens.",
        )
    authorizer = reader.logical_id_of(properties.get("AuthorizerId"), logical_id, "AuthorizerId")
    if authorizer is None or reader.type_of(authorizer) != AUTHORIZER:
        raise reader.error(
            "does not point at an AWS::ApiGatewayV2::Authorizer of the template",
            logical_id,
            "AuthorizerId",
            "Set AuthorizerId: !Ref MyAuthorizer.",
        )
    props = reader.resources[authorizer].get("Properties") or {}
    auth_type = reader.text(props.get("AuthorizerType"), authorizer, "AuthorizerType")
    if auth_type != "REQUEST":
        raise reader.error(
            f"{auth_type} authorizers do not exist for WebSocket APIs",
            authorizer,
            "AuthorizerType",
            "Use AuthorizerType: REQUEST.",
        )
    key = reader.function_of(
        props.get("AuthorizerUri"), authorizer, "AuthorizerUri", functions.by_name
    )
    identity = reader.resolve(props.get("IdentitySource") or [], authorizer, "IdentitySource")
    identity = [identity] if isinstance(identity, str) else list(identity)
    name = reader.text(props.get("Name"), authorizer, "Name") or authorizer
    return Authorizer(
        name=name,
        function=functions.require(key, reader, authorizer, "AuthorizerUri"),
        identity_source=tuple(str(item) for item in identity),
    )
