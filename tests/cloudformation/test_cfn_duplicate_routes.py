"""A route two functions declare packages as `serverless package` emits it (issue #11, item 1).

The expected resources below are what Serverless Framework 3.40 emits for conftest's
DUPLICATE_ROUTES; test_cfn_framework_parity.py checks the same against the Framework itself
where npm exists.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sockgate.cloudformation import build_template
from sockgate.service import load_service


def _template(folder: Path) -> dict[str, Any]:
    return build_template(load_service(folder))


def _target(integration: str) -> dict[str, Any]:
    return {"Fn::Join": ["/", ["integrations", {"Ref": integration}]]}


def test_one_route_to_the_last_function_keeping_what_only_the_first_set(
    duplicate_routes: Path,
) -> None:
    resources = _template(duplicate_routes)["Resources"]
    assert resources["makeMultiCallsWebsocketsRoute"]["Properties"] == {
        "ApiId": {"Ref": "WebsocketsApi"},
        "RouteKey": "makeMultiCalls",
        "AuthorizationType": "NONE",
        "Target": _target("MultiCall2WebsocketsIntegration"),
        "RouteResponseSelectionExpression": "$default",  # multiCall1's, kept by _.merge
    }
    assert "makeMultiCallsWebsocketsRouteResponse" in resources
    assert resources["SconnectWebsocketsRoute"]["Properties"] == {
        "ApiId": {"Ref": "WebsocketsApi"},
        "RouteKey": "$connect",
        "AuthorizationType": "NONE",  # connect2's: the authorizer does not run
        "Target": _target("Connect2WebsocketsIntegration"),
        "AuthorizerId": {"Ref": "AuthWebsocketsAuthorizer"},  # connect1's, kept by _.merge
    }
    routes = [r for r in resources.values() if r["Type"] == "AWS::ApiGatewayV2::Route"]
    assert len(routes) == 2


def test_the_overridden_functions_keep_integration_and_permission(duplicate_routes: Path) -> None:
    resources = _template(duplicate_routes)["Resources"]
    for function in ("MultiCall1", "MultiCall2", "Connect1", "Connect2"):
        assert resources[f"{function}WebsocketsIntegration"]["Type"] == (
            "AWS::ApiGatewayV2::Integration"
        )
        assert resources[f"{function}LambdaPermissionWebsockets"]["Type"] == (
            "AWS::Lambda::Permission"
        )
    assert resources["AuthWebsocketsAuthorizer"]["Type"] == "AWS::ApiGatewayV2::Authorizer"
    assert resources["AuthLambdaPermissionWebsockets"]["Type"] == "AWS::Lambda::Permission"


def test_the_template_is_valid(
    duplicate_routes: Path, lint: Callable[[dict[str, Any]], list[str]]
) -> None:
    template = _template(duplicate_routes)
    (deployment,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Deployment"
    ]
    # The Framework lists a route once per declaration; sockgate once.
    assert sorted(deployment["DependsOn"]) == [
        "SconnectWebsocketsRoute",
        "makeMultiCallsWebsocketsRoute",
        "makeMultiCallsWebsocketsRouteResponse",
    ]
    assert lint(template) == []
