"""`httpApi` events: an API Gateway HTTP API (payload 2.0) as the Framework compiles it."""

from __future__ import annotations

from typing import Any

from sockgate.cloudformation import naming
from sockgate.cloudformation.intrinsics import get_att, join, ref
from sockgate.errors import DeployError
from sockgate.service.model import HttpRoute, Service

__all__ = ["http_api_outputs", "http_api_resources", "route_key"]

_DEFAULT_CORS_HEADERS = [
    "Content-Type",
    "X-Amz-Date",
    "Authorization",
    "X-Api-Key",
    "X-Amz-Security-Token",
    "X-Amz-User-Agent",
    "X-Amzn-Trace-Id",
]
_METHODS = ["GET", "POST", "PUT", "PATCH", "OPTIONS", "HEAD", "DELETE"]


def route_key(route: HttpRoute) -> str:
    """The Framework's route key: "*" (catch-all), "ANY /x" or "GET /x"."""
    if route.path == "*":
        return "*"
    method = "ANY" if route.method == "*" else route.method.upper()
    return f"{method} {route.path}"


def _http_routes(service: Service) -> list[HttpRoute]:
    rest = [route for route in service.http_routes if route.kind == "http"]
    if rest:
        raise DeployError(
            f"Function '{rest[0].function}' has an `http` (REST API) event, which sockgate "
            "cannot package yet; use an `httpApi` event instead."
        )
    return [route for route in service.http_routes if route.kind == "httpApi"]


def _settings(service: Service) -> dict[str, Any]:
    settings = service.provider.get("httpApi")
    return settings if isinstance(settings, dict) else {}


def _cors(settings: dict[str, Any], routes: list[HttpRoute]) -> dict[str, Any] | None:
    cors = settings.get("cors")
    if not cors:
        return None
    user = cors if isinstance(cors, dict) else {}

    def as_list(value: Any) -> list[Any]:
        return list(value) if isinstance(value, list | tuple) else [value]

    methods = as_list(user["allowedMethods"]) if "allowedMethods" in user else None
    if methods is None:  # the Framework allows OPTIONS plus every method a route uses
        methods = ["OPTIONS"]
        for route in routes:
            used = _METHODS if route.method in ("*", "ANY") else [route.method.upper()]
            methods += [m for m in used if m not in methods]
    config: dict[str, Any] = {
        "AllowHeaders": as_list(user.get("allowedHeaders", _DEFAULT_CORS_HEADERS)),
        "AllowMethods": methods,
        "AllowOrigins": as_list(user.get("allowedOrigins", ["*"])),
    }
    if user.get("allowCredentials"):
        config["AllowCredentials"] = True
    if user.get("exposedResponseHeaders"):
        config["ExposeHeaders"] = as_list(user["exposedResponseHeaders"])
    if user.get("maxAge") is not None:
        config["MaxAge"] = int(user["maxAge"])
    return config


def _api(service: Service, settings: dict[str, Any], routes: list[HttpRoute]) -> dict[str, Any]:
    name = settings.get("name") or (
        f"{service.name}-{service.stage}"
        if settings.get("shouldStartNameWithService")
        else f"{service.stage}-{service.name}"
    )
    properties: dict[str, Any] = {"Name": str(name), "ProtocolType": "HTTP"}
    if settings.get("disableDefaultEndpoint") is not None:
        properties["DisableExecuteApiEndpoint"] = bool(settings["disableDefaultEndpoint"])
    cors = _cors(settings, routes)
    if cors:
        properties["CorsConfiguration"] = cors
    return {"Type": "AWS::ApiGatewayV2::Api", "Properties": properties}


def _permission(function_key: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "FunctionName": get_att(naming.lambda_function(function_key), "Arn"),
            "Action": "lambda:InvokeFunction",
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": join(
                "",
                [
                    "arn:",
                    ref("AWS::Partition"),
                    ":execute-api:",
                    ref("AWS::Region"),
                    ":",
                    ref("AWS::AccountId"),
                    ":",
                    ref(naming.HTTP_API),
                    "/*",
                ],
            ),
        },
    }


def _integration(route: HttpRoute) -> dict[str, Any]:
    return {
        "Type": "AWS::ApiGatewayV2::Integration",
        "Properties": {
            "ApiId": ref(naming.HTTP_API),
            "IntegrationType": "AWS_PROXY",
            "IntegrationUri": get_att(naming.lambda_function(route.function), "Arn"),
            "PayloadFormatVersion": route.payload_version,
        },
    }


def _route(route: HttpRoute) -> dict[str, Any]:
    key = route_key(route)
    integration_id = naming.http_api_integration(route.function)
    return {
        "Type": "AWS::ApiGatewayV2::Route",
        "Properties": {
            "ApiId": ref(naming.HTTP_API),
            "RouteKey": "$default" if key == "*" else key,
            "Target": join("/", ["integrations", ref(integration_id)]),
        },
    }


def http_api_resources(service: Service) -> dict[str, Any]:
    """The HTTP API, its $default stage, and per route an integration, permission and route."""
    routes = _http_routes(service)
    if not routes:
        return {}
    settings = _settings(service)
    resources: dict[str, Any] = {
        naming.HTTP_API: _api(service, settings, routes),
        naming.HTTP_API_STAGE: {
            "Type": "AWS::ApiGatewayV2::Stage",
            "Properties": {
                "ApiId": ref(naming.HTTP_API),
                "StageName": "$default",
                "AutoDeploy": True,
                "DefaultRouteSettings": {"DetailedMetricsEnabled": bool(settings.get("metrics"))},
            },
        },
    }
    for route in routes:
        resources.setdefault(
            naming.http_api_permission(route.function), _permission(route.function)
        )
        resources.setdefault(naming.http_api_integration(route.function), _integration(route))
        resources[naming.http_api_route(route_key(route))] = _route(route)
    return resources


def http_api_outputs(service: Service) -> dict[str, Any]:
    """`HttpApiId` and `HttpApiUrl` (https://{api}.execute-api.{region}.amazonaws.com)."""
    if not _http_routes(service):
        return {}
    url = join(
        "",
        [
            "https://",
            ref(naming.HTTP_API),
            ".execute-api.",
            ref("AWS::Region"),
            ".",
            ref("AWS::URLSuffix"),
        ],
    )
    return {
        "HttpApiId": {"Description": "Id of the HTTP API", "Value": ref(naming.HTTP_API)},
        "HttpApiUrl": {"Description": "URL of the HTTP API", "Value": url},
    }
