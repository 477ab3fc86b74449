"""The seed article's serverless.yml (serverless-websockets-plugin era) and a chat-style service."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sockgate.errors import ConfigError
from sockgate.service import ResourceAttrs, Service, WebsocketRoute
from sockgate.service.intrinsics import resolve_intrinsics

# Verbatim from the seed article: no `service:` and two functions without a handler.
SEED = """\
provider:
  name: aws
  stage: dev
  websocketApiRouteSelectionExpression: $request.body.action

plugins:
  - serverless-websockets-plugin

functions:
  connectionHandler:
    handler: src/handler.handler
    events:
      - websocket:
          routeKey: $connect
      - websocket:
          routeKey: $disconnect
  defaultHandler:
    events:
      - websocket:
          routeKey: $default
  actionHandler:
    events:
      - websocket:
          routeKey: myAction
"""

SEED_COMPLETED = "service: serverless-chat\n" + SEED.replace(
    "  defaultHandler:\n", "  defaultHandler:\n    handler: src/handler.defaultHandler\n"
).replace("  actionHandler:\n", "  actionHandler:\n    handler: src/handler.actionHandler\n")


def test_seed_as_written_asks_for_a_service_name(load_error: Callable[..., ConfigError]) -> None:
    error = load_error(SEED, modules=("src/handler",))
    assert error.message == "has no 'service' key"
    assert "service: <name>" in (error.fix or "")


def test_seed_with_a_service_name_reports_the_missing_handler(
    load_error: Callable[..., ConfigError],
) -> None:
    error = load_error("service: serverless-chat\n" + SEED, modules=("src/handler",))
    assert error.message == "function 'defaultHandler' has no handler"
    assert error.path == "functions.defaultHandler"


def test_seed_style_service_loads(load: Callable[..., Service]) -> None:
    service = load(SEED_COMPLETED, modules=("src/handler",))
    assert service.name == "serverless-chat"
    assert service.stage == "dev"
    assert service.route_selection_expression == "$request.body.action"
    assert service.websocket_routes == (
        WebsocketRoute(route_key="$connect", function="connectionHandler"),
        WebsocketRoute(route_key="$disconnect", function="connectionHandler"),
        WebsocketRoute(route_key="$default", function="defaultHandler"),
        WebsocketRoute(route_key="myAction", function="actionHandler"),
    )
    assert service.functions["connectionHandler"].module == "src.handler"
    assert service.functions["actionHandler"].attribute == "actionHandler"
    assert service.functions["defaultHandler"].name == "serverless-chat-dev-defaultHandler"
    assert service.config["plugins"] == ["serverless-websockets-plugin"]


CHAT = """\
service: chat
provider:
  name: aws
  runtime: python3.11
  stage: ${opt:stage, 'dev'}
  region: ${env:SOCKGATE_TEST_REGION, 'eu-west-1'}
  websocketsApiRouteSelectionExpression: $request.body.action
  environment:
    CHATCONNECTION_TABLE: !Ref ChatTable
    TABLE_ARN: !GetAtt ChatTable.Arn
    API_URL: !Sub 'https://ws.${AWS::Region}.${AWS::URLSuffix}/${self:provider.stage}'
  iam:
    role:
      statements:
        - Effect: Allow
          Action: [dynamodb:Query, dynamodb:PutItem]
          Resource: !GetAtt ChatTable.Arn
functions:
  connectionManager:
    handler: handler.handler
    events:
      - websocket:
          route: $connect
          authorizer: {name: auth, identitySource: [route.request.querystring.token]}
      - websocket: {route: $disconnect}
  auth:
    handler: handler.handler
  sendMessage:
    handler: handler.handler
    events:
      - websocket: {route: sendMessage, routeResponseSelectionExpression: $default}
  broadcast:
    handler: handler.handler
    events:
      - stream: {type: dynamodb, arn: !GetAtt ChatTable.StreamArn, batchSize: 1}
resources:
  Resources:
    ChatTable:
      Type: AWS::DynamoDB::Table
      Properties:
        TableName: ${self:service}-${sls:stage}-connections
        StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
"""


def test_chat_service_and_its_intrinsics(
    load: Callable[..., Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOCKGATE_TEST_REGION", raising=False)
    service = load(CHAT, stage="prod")
    assert (service.stage, service.region) == ("prod", "eu-west-1")
    connect = service.route("$connect")
    assert connect is not None and connect.authorizer is not None
    assert connect.authorizer.function == "auth"
    assert connect.authorizer.identity_source == ("route.request.querystring.token",)
    assert service.streams[0].batch_size == 1
    table = service.resources["ChatTable"]["Properties"]["TableName"]
    assert table == "chat-prod-connections"

    arn = f"arn:aws:dynamodb:eu-west-1:000000000000:table/{table}"
    ctx = service.intrinsic_context(
        {"ChatTable": ResourceAttrs(ref=table, attributes={"Arn": arn, "StreamArn": arn + "/s"})}
    )
    assert ctx.stack_name == "chat-prod"
    env = {
        name: resolve_intrinsics(value, ctx, path=f"functions.sendMessage.environment.{name}")
        for name, value in service.functions["sendMessage"].environment.items()
    }
    assert env == {
        "CHATCONNECTION_TABLE": "chat-prod-connections",
        "TABLE_ARN": arn,
        "API_URL": "https://ws.eu-west-1.amazonaws.com/prod",
    }
    assert resolve_intrinsics(service.streams[0].arn, ctx, path="x") == arn + "/s"
    assert service.iam_statements[0]["Resource"] == {"Fn::GetAtt": ["ChatTable", "Arn"]}


def test_intrinsic_errors_name_the_service_file(load: Callable[..., Service]) -> None:
    service = load(CHAT)
    ctx = service.intrinsic_context()  # no resources exist yet
    with pytest.raises(ConfigError) as caught:
        resolve_intrinsics(service.functions["auth"].environment["TABLE_ARN"], ctx, path="p")
    assert caught.value.file == str(service.config_file)
    assert "no resource with logical id 'ChatTable'" in caught.value.message
