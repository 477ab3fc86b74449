"""HTTP APIs the template declares -> HttpRoute, served as serverless.yml's `httpApi` events are.

AWS::ApiGatewayV2::Api (ProtocolType HTTP)   Route + Integration resources (RouteKey
    "GET /path", "ANY /{proxy+}", "$default"; PayloadFormatVersion, default 2.0), an
    OpenAPI Body (what SAM's HttpApi events become), or quick create (Target)
AWS::ApiGateway::RestApi with an OpenAPI/Swagger Body (what SAM's Api events become):
    payload 1.0 under /{stage}, as `http` events are
"""

from __future__ import annotations

from typing import Any, Literal

from sockgate.service.model import HttpRoute
from sockgate.templates.context import Reader, log
from sockgate.templates.functions import FunctionTable
from sockgate.templates.websocket import API, ROUTE, api_protocol, route_integration

__all__ = ["read_http_apis"]

REST_API = "AWS::ApiGateway::RestApi"
_ANY_METHOD = "x-amazon-apigateway-any-method"
_METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}


def read_http_apis(reader: Reader, functions: FunctionTable) -> tuple[list[HttpRoute], list[str]]:
    """Every HTTP route, and the logical ids of the APIs that have them."""
    routes: list[HttpRoute] = []
    api_ids: list[str] = []
    http_apis = {
        logical_id: properties
        for logical_id, properties in reader.of_type(API)
        if api_protocol(reader, logical_id, properties) == "HTTP"
    }
    for logical_id, properties in http_apis.items():
        found: list[HttpRoute] = []
        if isinstance(properties.get("Body"), dict):
            found += _openapi(reader, logical_id, properties["Body"], functions, "httpApi")
        if properties.get("Target") is not None:  # quick create: one $default route
            key = reader.function_of(properties["Target"], logical_id, "Target", functions.by_name)
            key = functions.require(key, reader, logical_id, "Target")
            found.append(
                HttpRoute(kind="httpApi", method="*", path="*", function=key, payload_version="2.0")
            )
        routes += found
        api_ids.append(logical_id)
    for logical_id, properties in reader.of_type(ROUTE):
        api = reader.logical_id_of(properties.get("ApiId"), logical_id, "ApiId")
        if api in http_apis:
            route = _route(reader, logical_id, properties, functions)
            if route is not None:
                routes.append(route)
    for logical_id, properties in reader.of_type(REST_API):
        if isinstance(properties.get("Body"), dict):
            routes += _openapi(reader, logical_id, properties["Body"], functions, "http")
            api_ids.append(logical_id)
        else:
            log.warning(
                "%s: REST API %s has no inline Body; its Resource/Method resources are not "
                "served locally",
                reader.file, logical_id,
            )  # fmt: skip
    return routes, api_ids


def _route(
    reader: Reader, logical_id: str, properties: dict[str, Any], functions: FunctionTable
) -> HttpRoute | None:
    route_key = reader.text(properties.get("RouteKey"), logical_id, "RouteKey") or ""
    if route_key == "$default":
        method, path = "*", "*"
    else:
        method, _, path = route_key.partition(" ")
        if not path.startswith("/"):
            raise reader.error(
                f"{route_key!r} is not 'METHOD /path' or $default", logical_id, "RouteKey"
            )
    target = reader.text(properties.get("Target"), logical_id, "Target") or ""
    integration, props = route_integration(reader, logical_id, target)
    if reader.text(props.get("IntegrationType"), integration, "IntegrationType") != "AWS_PROXY":
        log.warning(
            "%s: HTTP route %s is not a Lambda proxy integration; not served",
            reader.file, route_key,
        )  # fmt: skip
        return None
    key = reader.function_of(
        props.get("IntegrationUri"), integration, "IntegrationUri", functions.by_name
    )
    version = reader.text(props.get("PayloadFormatVersion"), integration, "PayloadFormatVersion")
    return HttpRoute(
        kind="httpApi",
        method=_method(method),
        path=path,
        function=functions.require(key, reader, integration, "IntegrationUri"),
        payload_version=_payload(version or "2.0"),
    )


def _openapi(
    reader: Reader,
    logical_id: str,
    body: dict[str, Any],
    functions: FunctionTable,
    kind: Literal["httpApi", "http"],
) -> list[HttpRoute]:
    routes = []
    paths = body.get("paths") or {}
    for path, operations in paths.items():
        if not isinstance(operations, dict):
            continue
        for method, operation in operations.items():
            if method != _ANY_METHOD and method not in _METHODS:
                continue
            integration = (operation or {}).get("x-amazon-apigateway-integration") or {}
            if str(integration.get("type", "")).lower() != "aws_proxy":
                continue
            prop = f"Body.paths.{path}.{method}.x-amazon-apigateway-integration.uri"
            key = reader.function_of(integration.get("uri"), logical_id, prop, functions.by_name)
            default = "2.0" if kind == "httpApi" else "1.0"
            version = str(integration.get("payloadFormatVersion") or default)
            routes.append(
                HttpRoute(
                    kind=kind,
                    method="*" if method == _ANY_METHOD else method.upper(),
                    path="*" if path == "$default" else path,
                    function=functions.require(key, reader, logical_id, prop),
                    payload_version=_payload(version if kind == "httpApi" else "1.0"),
                )
            )
    return routes


def _method(method: str) -> str:
    method = method.upper()
    return "*" if method == "ANY" else method


def _payload(version: str) -> Literal["1.0", "2.0"]:
    return "1.0" if version == "1.0" else "2.0"
