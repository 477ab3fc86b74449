"""An authorized $connect and a two-way route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sockgate.cloudformation import build_template
from sockgate.service.model import Authorizer, Service, WebsocketRoute

_URI_PREFIX = [
    "arn:",
    {"Ref": "AWS::Partition"},
    ":apigateway:",
    {"Ref": "AWS::Region"},
    ":lambda:path/2015-03-31/functions/",
]


def test_the_template_passes_cfn_lint(
    authorizer_service: Service, lint: Callable[[dict[str, Any]], list[str]]
) -> None:
    assert lint(build_template(authorizer_service)) == []


def test_connect_is_authorized_by_a_request_authorizer(authorizer_service: Service) -> None:
    resources = build_template(authorizer_service)["Resources"]
    route = resources["SconnectWebsocketsRoute"]["Properties"]
    assert route["AuthorizationType"] == "CUSTOM"
    assert route["AuthorizerId"] == {"Ref": "AuthWebsocketsAuthorizer"}
    assert resources["AuthWebsocketsAuthorizer"]["Properties"] == {
        "ApiId": {"Ref": "WebsocketsApi"},
        "Name": "auth",
        "AuthorizerType": "REQUEST",
        "AuthorizerUri": {
            "Fn::Join": [
                "",
                [*_URI_PREFIX, {"Fn::GetAtt": ["AuthLambdaFunction", "Arn"]}, "/invocations"],
            ]
        },
        "IdentitySource": ["route.request.header.Auth", "route.request.querystring.token"],
    }
    permission = resources["AuthLambdaPermissionWebsockets"]["Properties"]
    assert permission["FunctionName"] == {"Fn::GetAtt": ["AuthLambdaFunction", "Arn"]}
    assert permission["Principal"] == "apigateway.amazonaws.com"
    # The authorizer is not a route target: no integration of its own.
    assert "AuthWebsocketsIntegration" not in resources


def test_a_two_way_route_gets_a_default_route_response(authorizer_service: Service) -> None:
    resources = build_template(authorizer_service)["Resources"]
    route = resources["echoPeriodbackWebsocketsRoute"]["Properties"]
    assert route["RouteResponseSelectionExpression"] == "$default"
    assert route["AuthorizationType"] == "NONE"
    assert route["Target"] == {
        "Fn::Join": ["/", ["integrations", {"Ref": "EchoDashbackWebsocketsIntegration"}]]
    }
    assert resources["echoPeriodbackWebsocketsRouteResponse"] == {
        "Type": "AWS::ApiGatewayV2::RouteResponse",
        "Properties": {
            "ApiId": {"Ref": "WebsocketsApi"},
            "RouteId": {"Ref": "echoPeriodbackWebsocketsRoute"},
            "RouteResponseKey": "$default",
        },
    }
    assert (
        "RouteResponseSelectionExpression" not in resources["SconnectWebsocketsRoute"]["Properties"]
    )
    (deployment,) = [r for r in resources.values() if r["Type"] == "AWS::ApiGatewayV2::Deployment"]
    assert deployment["DependsOn"] == [
        "SconnectWebsocketsRoute",
        "echoPeriodbackWebsocketsRouteResponse",
        "echoPeriodbackWebsocketsRoute",
    ]
    assert deployment["Properties"]["Description"] == "Secure sockets"


def test_the_api_takes_the_configured_name(authorizer_service: Service) -> None:
    template = build_template(authorizer_service)
    assert template["Resources"]["WebsocketsApi"]["Properties"]["Name"] == "secure-sockets"


def test_an_external_authorizer_is_referenced_by_its_arn(
    authorizer_service: Service, lint: Callable[[dict[str, Any]], list[str]]
) -> None:
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:shared-auth"
    auth = Authorizer(name="shared-auth", function=None, arn=arn)
    service = authorizer_service.model_copy(
        update={
            "websocket_routes": (
                WebsocketRoute(route_key="$connect", function="connect", authorizer=auth),
            )
        }
    )
    template = build_template(service)
    resources = template["Resources"]
    assert resources["SconnectWebsocketsRoute"]["Properties"]["AuthorizerId"] == {
        "Ref": "SharedDashauthWebsocketsAuthorizer"
    }
    uri = resources["SharedDashauthWebsocketsAuthorizer"]["Properties"]["AuthorizerUri"]
    assert uri == {"Fn::Join": ["", [*_URI_PREFIX, arn, "/invocations"]]}
    permission = resources["SharedDashauthLambdaPermissionWebsockets"]["Properties"]
    assert permission["FunctionName"] == arn
    assert resources["SharedDashauthWebsocketsAuthorizer"]["Properties"]["IdentitySource"] == [
        "route.request.header.Auth"
    ]
    assert lint(template) == []
