"""The API Gateway WebSocket API: api, integrations, authorizers, permissions, routes, stage.

Resource for resource what the Framework's `compile/events/websockets` emits, so that a
Framework-deployed stack keeps its API (and its wss:// URL) when sockgate updates it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from sockgate.cloudformation import naming
from sockgate.cloudformation.intrinsics import get_att, join, lambda_invocation_uri, ref, sub
from sockgate.service.model import Authorizer, Service, WebsocketRoute

__all__ = ["manage_connections_statement", "websocket_outputs", "websocket_resources"]

_DEFAULT_DESCRIPTION = "Serverless Websockets"


def _description(service: Service) -> str:
    return str(service.provider.get("websocketsDescription") or _DEFAULT_DESCRIPTION)


def _api_name(service: Service) -> str:
    return service.websocket_api_name or f"{service.stage}-{service.name}-websockets"


def manage_connections_statement() -> dict[str, Any]:
    """Lets the functions post to, get and delete connections of this API (any stage)."""
    # The Framework grants arn:aws:execute-api:*:*:*/@connections/* (every API of every
    # account); the resource format is {api}/{stage}/{METHOD}/@connections/{id}, so this one
    # API is enough and is what the issue asks for.
    return {
        "Effect": "Allow",
        "Action": ["execute-api:ManageConnections"],
        "Resource": [
            sub(
                "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
                "${" + naming.WEBSOCKETS_API + "}/*/*/@connections/*"
            )
        ],
    }


def _api(service: Service) -> dict[str, Any]:
    return {
        "Type": "AWS::ApiGatewayV2::Api",
        "Properties": {
            "Name": _api_name(service),
            "RouteSelectionExpression": service.route_selection_expression,
            "Description": _description(service),
            "ProtocolType": "WEBSOCKET",
        },
    }


def _integration(function_key: str) -> dict[str, Any]:
    arn = get_att(naming.lambda_function(function_key), "Arn")
    return {
        "Type": "AWS::ApiGatewayV2::Integration",
        "Properties": {
            "ApiId": ref(naming.WEBSOCKETS_API),
            "IntegrationType": "AWS_PROXY",
            "IntegrationUri": lambda_invocation_uri(arn),
        },
    }


def _source_arn() -> dict[str, Any]:
    return sub(
        "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
        "${" + naming.WEBSOCKETS_API + "}/*"
    )


def _permission(function_arn: Any) -> dict[str, Any]:
    # The Framework sets no SourceArn; scoping the grant to this API closes the
    # confused-deputy door at the cost of one replaced permission on first update. The
    # Framework's DependsOn [api, function] is left out: the Sub and GetAtt imply both.
    return {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "FunctionName": function_arn,
            "Action": "lambda:InvokeFunction",
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": _source_arn(),
        },
    }


def _authorizer_arn(authorizer: Authorizer) -> Any:
    if authorizer.function is not None:
        return get_att(naming.lambda_function(authorizer.function), "Arn")
    return authorizer.arn


def _authorizer(authorizer: Authorizer) -> dict[str, Any]:
    return {
        "Type": "AWS::ApiGatewayV2::Authorizer",
        "Properties": {
            "ApiId": ref(naming.WEBSOCKETS_API),
            "Name": authorizer.name,
            "AuthorizerType": "REQUEST",
            "AuthorizerUri": lambda_invocation_uri(_authorizer_arn(authorizer)),
            "IdentitySource": list(authorizer.identity_source),
        },
    }


def _route(route: WebsocketRoute) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "ApiId": ref(naming.WEBSOCKETS_API),
        "RouteKey": route.route_key,
        "AuthorizationType": "NONE",
        "Target": join("/", ["integrations", ref(naming.websockets_integration(route.function))]),
    }
    if route.two_way:
        properties["RouteResponseSelectionExpression"] = "$default"
    if route.authorizer is not None:
        properties["AuthorizationType"] = "CUSTOM"
        properties["AuthorizerId"] = ref(naming.websockets_authorizer(route.authorizer.name))
    return {"Type": "AWS::ApiGatewayV2::Route", "Properties": properties}


def _route_response(route: WebsocketRoute) -> dict[str, Any]:
    return {
        "Type": "AWS::ApiGatewayV2::RouteResponse",
        "Properties": {
            "ApiId": ref(naming.WEBSOCKETS_API),
            "RouteId": ref(naming.websockets_route(route.route_key)),
            "RouteResponseKey": "$default",
        },
    }


def _deployment_id(resources: dict[str, Any]) -> str:
    """A logical id that changes exactly when the API's routes or integrations change.

    A Deployment is a snapshot; CloudFormation only takes a new one when the logical id
    changes. Like the Framework, hash the API and every resource with its ApiId. (The
    digest differs from the Framework's, which hashes JavaScript's key order: the first
    sockgate deploy of a Framework stack takes one new deployment, then it is stable.)
    """
    part = {
        logical_id: resource
        for logical_id, resource in resources.items()
        if logical_id == naming.WEBSOCKETS_API
        or resource.get("Properties", {}).get("ApiId") == ref(naming.WEBSOCKETS_API)
    }
    digest = hashlib.sha256(json.dumps(part, sort_keys=True).encode()).digest()
    return naming.websockets_deployment(base64.b64encode(digest).decode())


def _merge_route(resources: dict[str, Any], route: WebsocketRoute) -> None:
    """Add the route, or merge it over an earlier declaration of the same route key.

    The Framework `_.merge`s every event of a route into one resource: the later event's
    properties replace the earlier's and properties only the earlier set (AuthorizerId,
    RouteResponseSelectionExpression) stay. Every property value is replaced whole here (the
    one nested value, Target, differs only in its Ref), so a merge of Properties is the same.
    """
    logical_id = naming.websockets_route(route.route_key)
    compiled = _route(route)
    earlier = resources.get(logical_id)
    if earlier is not None:
        compiled["Properties"] = {**earlier["Properties"], **compiled["Properties"]}
    resources[logical_id] = compiled


def websocket_resources(service: Service) -> dict[str, Any]:
    """Every WebSocket API resource, or {} when the service has no websocket events."""
    routes = service.websocket_routes
    if not routes:
        return {}
    # Overridden declarations first (they were declared before the route's winner): like the
    # Framework, each keeps its integration, authorizer and permissions in the template.
    declared = (*service.overridden_websocket_routes, *routes)
    resources: dict[str, Any] = {naming.WEBSOCKETS_API: _api(service)}
    for route in declared:
        resources[naming.websockets_integration(route.function)] = _integration(route.function)
    for route in declared:
        if route.authorizer is not None:
            auth = route.authorizer
            resources[naming.websockets_authorizer(auth.name)] = _authorizer(auth)
    for route in declared:
        function_arn = get_att(naming.lambda_function(route.function), "Arn")
        resources[naming.websockets_permission(route.function)] = _permission(function_arn)
        if route.authorizer is not None:
            resources[naming.websockets_permission(route.authorizer.name)] = _permission(
                _authorizer_arn(route.authorizer)
            )
    depends_on: list[str] = []
    for route in declared:
        _merge_route(resources, route)
        if route.two_way:
            response_id = naming.websockets_route_response(route.route_key)
            resources[response_id] = _route_response(route)
            depends_on.append(response_id)
        depends_on.append(naming.websockets_route(route.route_key))
    # The Framework lists a route once per declaration; once is enough for CloudFormation.
    depends_on = list(dict.fromkeys(depends_on))
    deployment_id = _deployment_id(resources)
    resources[deployment_id] = {
        "Type": "AWS::ApiGatewayV2::Deployment",
        "DependsOn": depends_on,
        "Properties": {"ApiId": ref(naming.WEBSOCKETS_API), "Description": _description(service)},
    }
    resources[naming.WEBSOCKETS_STAGE] = {
        "Type": "AWS::ApiGatewayV2::Stage",
        "Properties": {
            "ApiId": ref(naming.WEBSOCKETS_API),
            "DeploymentId": ref(deployment_id),
            "StageName": service.stage,
            "Description": _description(service),
        },
    }
    return resources


def websocket_outputs(service: Service) -> dict[str, Any]:
    """`ServiceEndpointWebsocket`: wss://{api}.execute-api.{region}.amazonaws.com/{stage}."""
    if not service.websocket_routes:
        return {}
    url = join(
        "",
        [
            "wss://",
            ref(naming.WEBSOCKETS_API),
            ".execute-api.",
            ref("AWS::Region"),
            ".",
            ref("AWS::URLSuffix"),
            f"/{service.stage}",
        ],
    )
    return {
        "ServiceEndpointWebsocket": {"Description": "URL of the service endpoint", "Value": url}
    }
