"""SAM templates through aws-sam-translator, then read as plain CloudFormation (no sockets)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.templates.helpers import HANDLER, load

from sockgate.errors import ConfigError

SAM = r"""
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: beta}
Globals:
  Function:
    Runtime: python3.12
    Timeout: 10
    CodeUri: src/
    Environment:
      Variables:
        TABLE: !Ref Connections
Resources:
  Chat:
    Type: AWS::Serverless::WebSocketApi
    Properties:
      RouteSelectionExpression: $request.body.action
      StageName: !Ref Stage
      Auth:
        AuthType: CUSTOM
        AuthArn: !GetAtt Authorize.Arn
        IdentitySource: [route.request.header.Auth]
      Routes:
        $connect: {FunctionArn: !GetAtt Connect.Arn}
        sendmessage: {FunctionArn: !GetAtt Send.Arn}
  Connections:
    Type: AWS::Serverless::SimpleTable
    Properties:
      PrimaryKey: {Name: connectionId, Type: String}
  Events:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  Deps:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
  Connect:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.connect
      MemorySize: 256
  Send:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.send
      Layers: [!Ref Deps]
  Authorize:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.authorize
  OnEvent:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.on_event
      Events:
        Stream:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Events.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 5
            FunctionResponseTypes: [ReportBatchItemFailures]
            FilterCriteria:
              Filters: [{Pattern: '{"eventName": ["INSERT"]}'}]
  Page:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.page
      Events:
        Home: {Type: HttpApi, Properties: {Path: /, Method: get}}
        Legacy: {Type: Api, Properties: {Path: /old, Method: post}}
  Topic:
    Type: AWS::SNS::Topic
"""
FILES = {"src/app.py": HANDLER, "layer/python/dep.py": ""}


@pytest.fixture
def service(tmp_path: Path):
    return load(tmp_path, SAM, FILES)


def test_websocket_api_routes_authorizer_and_stage(service) -> None:
    assert service.source == "SAM template"
    assert service.stage == "beta"
    connect = service.route("$connect")
    assert connect is not None and connect.function == "Connect"
    assert connect.authorizer is not None
    assert connect.authorizer.function == "Authorize"
    assert connect.authorizer.identity_source == ("route.request.header.Auth",)
    assert service.route("sendmessage").function == "Send"
    assert service.websocket_api_ids == ("Chat",)


def test_globals_and_lambda_defaults(service, tmp_path: Path) -> None:
    connect, send = service.functions["Connect"], service.functions["Send"]
    assert (connect.timeout, connect.memory_size) == (10.0, 256)
    assert send.memory_size == 128  # Lambda's default, not the Framework's 1024
    assert connect.code_dir == (tmp_path / "src").resolve()
    assert connect.environment["TABLE"] == {"Ref": "Connections"}
    assert send.layers == ((tmp_path / "layer").resolve(),)


def test_simple_table_and_dynamodb_event(service) -> None:
    types = {key: value["Type"] for key, value in service.resources.items()}
    assert types["Connections"] == "AWS::DynamoDB::Table"
    (stream,) = service.streams
    assert stream.function == "OnEvent"
    assert stream.arn == {"Fn::GetAtt": ["Events", "StreamArn"]}
    assert (stream.batch_size, stream.starting_position) == (5, "TRIM_HORIZON")
    assert stream.report_batch_item_failures
    assert stream.filter_patterns == ({"eventName": ["INSERT"]},)


def test_http_api_and_rest_api_events(service) -> None:
    routes = {(r.kind, r.method, r.path, r.payload_version) for r in service.http_routes}
    assert routes == {("httpApi", "GET", "/", "2.0"), ("http", "POST", "/old", "1.0")}
    assert set(service.http_api_ids) == {"ServerlessHttpApi", "ServerlessRestApi"}


def test_sam_errors_name_the_resource(tmp_path: Path) -> None:
    broken = SAM.replace("$connect: {FunctionArn: !GetAtt Connect.Arn}", "$connect: {}")
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, broken, FILES)
    assert "[Chat]" in str(raised.value)


def test_missing_code_folder_names_the_property(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, SAM, {"src/app.py": HANDLER})
    assert "Resources.Deps.Properties.ContentUri" in str(raised.value)


def test_inline_code_zip_code_uri_and_a_json_template(tmp_path: Path) -> None:
    import json
    import zipfile

    with zipfile.ZipFile(tmp_path / "bundle.zip", "w") as bundle:
        bundle.writestr("zipped.py", HANDLER)
    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Inline": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "InlineCode": HANDLER,
                },
            },
            "Zipped": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "zipped.handler",
                    "CodeUri": "bundle.zip",
                },
            },
        },
    }
    service = load(tmp_path, json.loads(json.dumps(template)))
    inline, zipped = service.functions["Inline"], service.functions["Zipped"]
    assert inline.code_dir is not None and (inline.code_dir / "index.py").read_text() == HANDLER
    assert zipped.code_dir is not None and (zipped.code_dir / "zipped.py").is_file()
