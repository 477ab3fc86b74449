"""Logical ids equal the Serverless Framework's (expected values from its naming.test.js,
stream.test.js and http-api tests), so a Framework stack keeps its resources."""

from __future__ import annotations

import pytest

from sockgate.cloudformation import naming


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("functionName", "FunctionName"),
        ("hello_world", "HelloUnderscoreworld"),
        ("hello-world", "HelloDashworld"),
        ("connectionManager", "ConnectionManager"),
    ],
)
def test_function_names(key: str, expected: str) -> None:
    assert naming.function_name(key) == expected
    assert naming.lambda_function(key) == f"{expected}LambdaFunction"
    assert naming.log_group(key) == f"{expected}LogGroup"


def test_the_framework_examples() -> None:
    assert naming.lambda_function("functionName") == "FunctionNameLambdaFunction"
    assert naming.log_group("functionName") == "FunctionNameLogGroup"
    assert naming.websockets_integration("myFunc") == "MyFuncWebsocketsIntegration"
    assert naming.websockets_permission("myFunc") == "MyFuncLambdaPermissionWebsockets"
    assert naming.websockets_authorizer("auth") == "AuthWebsocketsAuthorizer"
    assert naming.websockets_route("$connect") == "SconnectWebsocketsRoute"
    assert naming.websockets_deployment("1234") == "WebsocketsDeployment1234"
    assert naming.http_api_permission("foo") == "FooLambdaPermissionHttpApi"
    assert naming.http_api_integration("foo") == "HttpApiIntegrationFoo"
    assert (naming.ROLE, naming.WEBSOCKETS_API, naming.WEBSOCKETS_STAGE) == (
        "IamRoleLambdaExecution",
        "WebsocketsApi",
        "WebsocketsDeploymentStage",
    )
    assert naming.DEPLOYMENT_BUCKET == "ServerlessDeploymentBucket"


@pytest.mark.parametrize(
    ("route_key", "expected"),
    [
        ("$connect", "Sconnect"),
        ("$disconnect", "Sdisconnect"),
        ("$default", "Sdefault"),
        ("foo/bar", "fooSlashbar"),
        ("foo-bar", "fooDashbar"),
        ("foo_bar", "fooUnderscorebar"),
        ("foo.bar", "fooPeriodbar"),
        ("a.b.c", "aPeriodbPeriodc"),  # every occurrence, as the current Framework does
        ("sendMessage", "sendMessage"),  # no upper-casing: sendMessageWebsocketsRoute
        ("send message!", "sendmessage"),  # what CloudFormation would reject is dropped
    ],
)
def test_websocket_route_keys(route_key: str, expected: str) -> None:
    assert naming.websockets_route_key(route_key) == expected
    assert naming.websockets_route(route_key) == f"{expected}WebsocketsRoute"
    assert naming.websockets_route_response(route_key) == f"{expected}WebsocketsRouteResponse"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("my/path/to/a-${var}-resource", "MyPathToADashvarVarDashresource"),
        ("${variable}", "VariableVar"),
        ("path${variable}Dir", "PathvariableVardir"),
    ],
)
def test_normalize_path(path: str, expected: str) -> None:
    assert naming.normalize_path(path) == expected


@pytest.mark.parametrize(
    ("route_key", "expected"),
    [
        ("POST /some-post", "HttpApiRoutePostSomeDashpost"),
        ("GET /pages/{id}", "HttpApiRouteGetPagesIdVar"),
        ("ANY /{proxy+}", "HttpApiRouteAnyProxyVar"),
        ("GET /", "HttpApiRouteGet"),
        ("*", "HttpApiRouteDefault"),
    ],
)
def test_http_api_routes(route_key: str, expected: str) -> None:
    assert naming.http_api_route(route_key) == expected


def test_stream_mappings() -> None:
    assert naming.stream_mapping("first", "dynamodb", "foo") == "FirstEventSourceMappingDynamodbFoo"
    assert (
        naming.stream_mapping("chat_sub", "kinesis", "my-stream")
        == "ChatUnderscoresubEventSourceMappingKinesisMystream"
    )


def test_alphanumeric_only() -> None:
    assert naming.normalize_name_alphanumeric("`!@#$%^&*()-={}|[]\\:\";'<>?,./") == ""
    assert naming.normalize_name_alphanumeric("a-b-c") == "Abc"
