"""httpApi routes become an API Gateway HTTP API, named as the Framework names it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sockgate.cloudformation import build_template
from sockgate.errors import DeployError
from sockgate.service.model import HttpRoute, Service


def test_the_template_passes_cfn_lint(
    http_service: Service, lint: Callable[[dict[str, Any]], list[str]]
) -> None:
    assert lint(build_template(http_service)) == []


def test_routes_integrations_and_permissions(http_service: Service) -> None:
    resources = build_template(http_service)["Resources"]
    routes = {k: r["Properties"] for k, r in resources.items() if r["Type"].endswith("::Route")}
    assert {k: r["RouteKey"] for k, r in routes.items()} == {
        "HttpApiRouteGetPagesIdVar": "GET /pages/{id}",
        "HttpApiRouteAnySomeDashapi": "ANY /some-api",
        "HttpApiRouteDefault": "$default",
    }
    assert routes["HttpApiRouteDefault"]["Target"] == {
        "Fn::Join": ["/", ["integrations", {"Ref": "HttpApiIntegrationPage"}]]
    }
    assert resources["HttpApiIntegrationPage"]["Properties"] == {
        "ApiId": {"Ref": "HttpApi"},
        "IntegrationType": "AWS_PROXY",
        "IntegrationUri": {"Fn::GetAtt": ["PageLambdaFunction", "Arn"]},
        "PayloadFormatVersion": "2.0",
    }
    assert resources["ApiLambdaPermissionHttpApi"]["Properties"]["SourceArn"]["Fn::Join"][1][
        -2:
    ] == [
        {"Ref": "HttpApi"},
        "/*",
    ]
    assert resources["HttpApiStage"]["Properties"] == {
        "ApiId": {"Ref": "HttpApi"},
        "StageName": "$default",
        "AutoDeploy": True,
        "DefaultRouteSettings": {"DetailedMetricsEnabled": False},
    }
    # No websocket events, no WebSocket API and no ManageConnections grant.
    assert "WebsocketsApi" not in resources
    role = resources["IamRoleLambdaExecution"]["Properties"]["Policies"][0]["PolicyDocument"]
    assert all("execute-api:ManageConnections" not in s["Action"] for s in role["Statement"])


def test_the_api_with_default_cors_and_its_url(http_service: Service) -> None:
    template = build_template(http_service)
    api = template["Resources"]["HttpApi"]["Properties"]
    assert api["Name"] == "prod-pages"
    assert api["ProtocolType"] == "HTTP"
    cors = api["CorsConfiguration"]
    assert cors["AllowOrigins"] == ["*"]
    assert cors["AllowMethods"] == ["OPTIONS", "GET", "POST", "PUT", "PATCH", "HEAD", "DELETE"]
    assert "Content-Type" in cors["AllowHeaders"]
    assert template["Outputs"]["HttpApiUrl"]["Value"] == {
        "Fn::Join": [
            "",
            ["https://", {"Ref": "HttpApi"}, ".execute-api.", {"Ref": "AWS::Region"}, ".",
             {"Ref": "AWS::URLSuffix"}],
        ]
    }  # fmt: skip
    assert template["Outputs"]["HttpApiId"]["Value"] == {"Ref": "HttpApi"}


def test_rest_api_events_are_refused_with_a_clear_error(http_service: Service) -> None:
    rest = HttpRoute(kind="http", method="GET", path="/x", function="api", payload_version="1.0")
    service = http_service.model_copy(update={"http_routes": (rest,)})
    with pytest.raises(DeployError, match="'api' has an `http` \\(REST API\\) event.*httpApi"):
        build_template(service)
