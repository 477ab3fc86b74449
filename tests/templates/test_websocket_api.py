"""AWS::ApiGatewayV2 WebSocket APIs read into routes, with AWS's semantics (no sockets)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.templates.helpers import HANDLER, WEBSOCKET, load, service_name

from sockgate.errors import ConfigError

FILES = {"src/app.py": HANDLER}


def test_routes_stage_and_selection_expression(tmp_path: Path) -> None:
    service = load(tmp_path, WEBSOCKET, FILES)
    assert [(r.route_key, r.function, r.two_way) for r in service.websocket_routes] == [
        ("$connect", "Fn", False),
        ("$default", "Fn", False),
    ]
    assert service.stage == "prod"
    assert service.route_selection_expression == "$request.body.action"
    assert service.websocket_api_ids == ("Api",)
    assert service.websocket_api_name == "chat"
    assert service.source == "CloudFormation template"


def test_lambda_defaults_not_the_frameworks(tmp_path: Path) -> None:
    function = load(tmp_path, WEBSOCKET, FILES).functions["Fn"]
    assert (function.timeout, function.memory_size) == (3.0, 128)
    assert function.code_dir == (tmp_path / "src").resolve()
    assert function.name == f"{service_name(tmp_path)}-Fn"


@pytest.mark.parametrize(
    "uri",
    [
        "!GetAtt Fn.Arn",
        "!Join ['', ['arn:', !Ref AWS::Partition, ':apigateway:', !Ref AWS::Region,"
        " ':lambda:path/2015-03-31/functions/', !GetAtt Fn.Arn, '/invocations']]",
        "!Sub 'arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:${Fn}/invocations'",
    ],
)
def test_integration_uri_in_every_spelling(tmp_path: Path, uri: str) -> None:
    text = WEBSOCKET.replace(
        'IntegrationUri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/\\\n'
        '        functions/${Fn.Arn}/invocations"',
        f"IntegrationUri: {uri}",
    )
    assert "${Fn.Arn}/invocations" not in text  # replaced
    service = load(tmp_path, text, FILES)
    assert {r.function for r in service.websocket_routes} == {"Fn"}


def test_two_way_needs_the_expression_and_a_route_response(tmp_path: Path) -> None:
    text = WEBSOCKET.replace(
        "      Target: !Sub integrations/${Integ}",
        "      Target: !Sub integrations/${Integ}\n"
        "      RouteResponseSelectionExpression: $default",
    ) + (
        "  Reply:\n"
        "    Type: AWS::ApiGatewayV2::RouteResponse\n"
        "    Properties:\n"
        "      {ApiId: !Ref Api, RouteId: !Ref DefaultRoute, RouteResponseKey: $default}\n"
    )
    service = load(tmp_path, text, FILES)
    assert service.route("$default").two_way
    assert not service.route("$connect").two_way


def test_request_authorizer_on_connect(tmp_path: Path) -> None:
    text = WEBSOCKET.replace(
        "      RouteKey: $connect\n",
        "      RouteKey: $connect\n"
        "      AuthorizationType: CUSTOM\n"
        "      AuthorizerId: !Ref Auth\n",
    ) + (
        "  Auth:\n"
        "    Type: AWS::ApiGatewayV2::Authorizer\n"
        "    Properties:\n"
        "      ApiId: !Ref Api\n"
        "      Name: tokens\n"
        "      AuthorizerType: REQUEST\n"
        "      IdentitySource: [route.request.querystring.token]\n"
        "      AuthorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/"
        "functions/${Fn.Arn}/invocations\n"
    )
    authorizer = load(tmp_path, text, FILES).route("$connect").authorizer
    assert authorizer is not None
    assert (authorizer.name, authorizer.function) == ("tokens", "Fn")
    assert authorizer.identity_source == ("route.request.querystring.token",)


def test_route_whose_integration_is_missing_names_the_route(tmp_path: Path) -> None:
    text = WEBSOCKET.replace("!Join [/, [integrations, !Ref Integ]]", "integrations/Nowhere")
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, text, FILES)
    message = str(raised.value)
    assert "Resources.ConnectRoute.Properties.Target" in message
    assert "integrations/Nowhere" in message


def test_reference_to_an_unknown_resource_names_it(tmp_path: Path) -> None:
    text = WEBSOCKET.replace("!Ref Integ]]", "!Ref Integration]]")
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, text, FILES)
    assert "Resources.ConnectRoute.Properties.Target" in str(raised.value)
    assert "'Integration', which is not a resource" in str(raised.value)


def test_missing_handler_file_names_the_function(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, WEBSOCKET, {"src/other.py": HANDLER})
    message = str(raised.value)
    assert "Resources.Fn.Properties.Handler" in message
    assert "app.py" in message


def test_module_files_that_are_not_identifiers(tmp_path: Path) -> None:
    text = WEBSOCKET.replace("Handler: app.handler", "Handler: lambda-function.handler")
    service = load(tmp_path, text, {"src/lambda-function.py": HANDLER})
    assert service.functions["Fn"].handler == "lambda-function.handler"


def test_integration_to_a_non_python_function_is_refused_there(tmp_path: Path) -> None:
    text = WEBSOCKET.replace("Runtime: python3.12", "Runtime: nodejs20.x")
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, text, FILES)
    message = str(raised.value)
    assert "Resources.Integ.Properties.IntegrationUri" in message
    assert "nodejs20.x" in message


def test_other_resources_are_listed_once_not_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = WEBSOCKET + (
        "  Topic:\n    Type: AWS::SNS::Topic\n"
        "  Bucket:\n    Type: AWS::S3::Bucket\n"
        "  Alarm:\n    Type: AWS::CloudWatch::Alarm\n    Properties: {Threshold: 1}\n"
    )
    with caplog.at_level("INFO", logger="sockgate.templates"):
        service = load(tmp_path, text, FILES)
    lines = [r.getMessage() for r in caplog.records if "not run locally" in r.getMessage()]
    assert lines == ["not run locally: AWS::CloudWatch::Alarm, AWS::S3::Bucket, AWS::SNS::Topic"]
    assert service.local_resources["Topic"].attributes["Arn"].startswith("arn:aws:sns:")


def test_stage_ref_is_the_stage_name_for_handlers(tmp_path: Path) -> None:
    service = load(tmp_path, WEBSOCKET, FILES)
    assert service.local_resources["Stage"].ref == "prod"
    arn = service.local_resources["Fn"].attributes["Arn"]
    assert arn.endswith(f":function:{service_name(tmp_path)}-Fn")


def second_api(text: str) -> str:
    """The WEBSOCKET template's resources again, every logical id suffixed with 2."""
    second = text.split("Resources:\n", 1)[1]
    for name in ("Api", "ConnectRoute", "DefaultRoute", "Integ", "Stage", "Fn"):
        second = second.replace(f"  {name}:\n", f"  {name}2:\n")
        second = second.replace(f"!Ref {name}\n", f"!Ref {name}2\n")
        second = second.replace(f"!Ref {name}]]", f"!Ref {name}2]]")
    second = second.replace("${Integ}", "${Integ2}").replace("${Fn.Arn}", "${Fn2.Arn}")
    return second.replace("StageName: prod", "StageName: beta")


def test_two_websocket_apis_each_with_its_routes_stage_and_functions(tmp_path: Path) -> None:
    service = load(tmp_path, WEBSOCKET + second_api(WEBSOCKET), FILES)
    assert {r.function for r in service.websocket_routes} == {"Fn"}
    (extra,) = service.extra_websocket_apis
    assert (extra.logical_id, extra.stage, extra.functions) == ("Api2", "beta", ("Fn2",))
    assert [r.route_key for r in extra.routes] == ["$connect", "$default"]
    assert service.local_resources["Stage2"].ref == "beta"


def test_logging_config(tmp_path: Path) -> None:
    text = WEBSOCKET.replace(
        "      Code: src\n",
        "      Code: src\n"
        "      LoggingConfig:\n"
        "        {LogFormat: JSON, ApplicationLogLevel: DEBUG, SystemLogLevel: WARN}\n",
    )
    function = load(tmp_path, text, FILES).functions["Fn"]
    assert (function.log_format, function.application_log_level, function.system_log_level) == (
        "JSON",
        "DEBUG",
        "WARN",
    )
    with pytest.raises(ConfigError, match="Resources.Fn.Properties.LoggingConfig.LogFormat"):
        load(tmp_path, text.replace("LogFormat: JSON", "LogFormat: XML"), FILES)


def test_stage_option_is_what_a_stage_ref_gives(tmp_path: Path) -> None:
    service = load(tmp_path, WEBSOCKET, FILES, stage="local")
    assert service.stage == "local"
    assert service.local_resources["Stage"].ref == "local"


HTTP_API = r"""
  HttpApi:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: web, ProtocolType: HTTP}
  PageRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref HttpApi
      RouteKey: GET /page
      Target: TARGET
  PageInteg:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref HttpApi
      IntegrationType: AWS_PROXY
      PayloadFormatVersion: "2.0"
      IntegrationUri: !GetAtt Fn.Arn
"""


def test_an_http_route_names_its_integration_as_a_websocket_route_does(tmp_path: Path) -> None:
    # The same reading of Target for both kinds of API: integrations/<the integration's Ref>.
    def with_target(target: str) -> str:
        return WEBSOCKET.replace(
            "\nResources:\n", "\nResources:\n" + HTTP_API.replace("TARGET", target), 1
        )

    service = load(tmp_path / "ok", with_target("!Sub integrations/${PageInteg}"), FILES)
    assert [(r.method, r.path, r.function) for r in service.http_routes] == [("GET", "/page", "Fn")]
    with pytest.raises(ConfigError) as raised:
        load(tmp_path / "bare", with_target("!Ref PageInteg"), FILES)
    message = str(raised.value)
    assert "Resources.PageRoute.Properties.Target" in message
    assert "'PageInteg' does not point at an AWS::ApiGatewayV2::Integration" in message
