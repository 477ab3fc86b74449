"""Fixtures for the CloudFormation tests: services built in code, cfn-lint, a moto server."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.api import ManualArgs, lint_file

from sockgate.service.model import (
    Authorizer,
    Function,
    HttpRoute,
    Service,
    StreamEvent,
    WebsocketRoute,
)
from sockgate.testing.tables import moto_server

TABLE = "ChatTable"


def _function(service: str, key: str, handler: str, **extra: Any) -> Function:
    return Function(
        key=key, name=f"{service}-dev-{key}", handler=handler, runtime="python3.11", **extra
    )


def _write_handlers(
    directory: Path, source: str = "def handler(event, context):\n    pass\n"
) -> None:
    (directory / "src").mkdir(parents=True, exist_ok=True)
    (directory / "src" / "handler.py").write_text(source)
    (directory / "serverless.yml").write_text("service: test\n")


@pytest.fixture
def chat_service(tmp_path: Path) -> Service:
    """The seed's chat service as the loader would give it (until examples/chat is loaded)."""
    _write_handlers(tmp_path)
    env = {"CHAT_TABLE": {"Ref": TABLE}, "DEBUG": False}
    functions = {
        key: _function("chat", key, f"src/handler.{key}", environment=env)
        for key in ("connectionHandler", "defaultHandler", "actionHandler", "channel_subscriber")
    }
    return Service(
        name="chat",
        directory=tmp_path,
        config_file=tmp_path / "serverless.yml",
        stage="dev",
        region="us-east-1",
        functions=functions,
        websocket_routes=(
            WebsocketRoute(route_key="$connect", function="connectionHandler"),
            WebsocketRoute(route_key="$disconnect", function="connectionHandler"),
            WebsocketRoute(route_key="$default", function="defaultHandler"),
            WebsocketRoute(route_key="sendMessage", function="actionHandler"),
        ),
        streams=(
            StreamEvent(
                function="channel_subscriber",
                arn={"Fn::GetAtt": [TABLE, "StreamArn"]},
                batch_size=100,
                starting_position="LATEST",
                batch_window=1,
                maximum_retry_attempts=3,
                maximum_record_age_in_seconds=120,
                bisect_batch_on_function_error=True,
                report_batch_item_failures=True,
                parallelization_factor=2,
                filter_patterns=({"eventName": ["INSERT", "REMOVE"]},),
                on_failure={"Fn::GetAtt": ["FailedQueue", "Arn"]},
            ),
        ),
        iam_statements=(
            {
                "Effect": "Allow",
                "Action": ["dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem"],
                "Resource": [{"Fn::GetAtt": [TABLE, "Arn"]}],
            },
        ),
        resources={
            TABLE: {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [
                        {"AttributeName": "pk", "AttributeType": "S"},
                        {"AttributeName": "sk", "AttributeType": "S"},
                    ],
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
                },
            },
            "FailedQueue": {"Type": "AWS::SQS::Queue"},
        },
        outputs={"ChatTableName": {"Value": {"Ref": TABLE}}},
        provider={"name": "aws", "runtime": "python3.11", "logRetentionInDays": 14},
    )


@pytest.fixture
def authorizer_service(tmp_path: Path) -> Service:
    """An authorized $connect (an in-service authorizer) and a two-way route."""
    _write_handlers(tmp_path)
    functions = {
        key: _function("secure", key, f"src/handler.{key}")
        for key in ("connect", "auth", "echo-back")
    }
    auth = Authorizer(
        name="auth",
        function="auth",
        identity_source=("route.request.header.Auth", "route.request.querystring.token"),
    )
    return Service(
        name="secure",
        directory=tmp_path,
        config_file=tmp_path / "serverless.yml",
        stage="dev",
        region="eu-west-1",
        websocket_api_name="secure-sockets",
        functions=functions,
        websocket_routes=(
            WebsocketRoute(route_key="$connect", function="connect", authorizer=auth),
            WebsocketRoute(route_key="echo.back", function="echo-back", two_way=True),
        ),
        provider={"name": "aws", "websocketsDescription": "Secure sockets"},
    )


@pytest.fixture
def http_service(tmp_path: Path) -> Service:
    """httpApi routes: a path parameter, an ANY method, the catch-all."""
    _write_handlers(tmp_path)
    functions = {key: _function("pages", key, f"src/handler.{key}") for key in ("page", "api")}
    return Service(
        name="pages",
        directory=tmp_path,
        config_file=tmp_path / "serverless.yml",
        stage="prod",
        region="us-east-1",
        functions=functions,
        http_routes=(
            HttpRoute(
                kind="httpApi",
                method="GET",
                path="/pages/{id}",
                function="page",
                payload_version="2.0",
            ),
            HttpRoute(
                kind="httpApi",
                method="*",
                path="/some-api",
                function="api",
                payload_version="2.0",
            ),
            HttpRoute(kind="httpApi", method="*", path="*", function="page", payload_version="2.0"),
        ),  # fmt: skip
        provider={"name": "aws", "httpApi": {"cors": True}},
    )


@pytest.fixture
def lint(tmp_path: Path) -> Callable[[dict[str, Any]], list[str]]:
    """cfn-lint's findings on a template, errors (E*) only, as readable lines."""

    def run(template: dict[str, Any]) -> list[str]:
        path = tmp_path / "lint" / "template.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(template, indent=2))
        matches = lint_file(path, config=ManualArgs(regions=["us-east-1", "eu-west-1"]))
        return [f"{m.rule.id} {m.message} ({m.path})" for m in matches if m.rule.id.startswith("E")]

    return run


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """One moto server (S3, CloudFormation, Lambda, ...) on an ephemeral port."""
    with moto_server() as url:
        yield url


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> boto3.session.Session:
    """A boto3 session whose every client talks to a freshly reset moto server."""
    request = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
    urllib.request.urlopen(request).close()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


class CallLog(list[tuple[str, dict[str, Any]]]):
    """AWS API calls in order, as ("service.Operation", params), recorded by a botocore hook."""

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self]

    def params(self, name: str) -> list[dict[str, Any]]:
        return [params for called, params in self if called == name]

    def attach(self, events: Any) -> None:
        """Record every call of the clients behind an event emitter (session or client)."""
        events.register("provide-client-params", self._record)

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.append((f"{model.service_model.endpoint_prefix}.{model.name}", dict(params)))


@pytest.fixture
def calls(aws: boto3.session.Session) -> CallLog:
    """Every call the session's clients make (they copy the session's hooks on creation)."""
    log = CallLog()
    log.attach(aws.events)
    return log


@pytest.fixture
def call_log() -> CallLog:
    """A fresh, unattached call log (attach it to stubbed clients)."""
    return CallLog()


# Issue #11's service: two functions declare one route, and two declare $connect, the first with
# an authorizer (which stays in the template, and its id on the route).
DUPLICATE_ROUTES = """\
service: dup
provider:
  name: aws
  runtime: python3.11
functions:
  multiCall1:
    handler: handler.one
    events:
      - websocket: {route: makeMultiCalls, routeResponseSelectionExpression: $default}
  multiCall2:
    handler: handler.two
    events:
      - websocket: makeMultiCalls
  connect1:
    handler: handler.one
    events:
      - websocket: {route: $connect, authorizer: auth}
  connect2:
    handler: handler.two
    events:
      - websocket: $connect
  auth:
    handler: handler.one
"""


@pytest.fixture
def duplicate_routes(tmp_path: Path) -> Path:
    """A service folder holding DUPLICATE_ROUTES and its handlers."""
    folder = tmp_path / "dup"
    folder.mkdir()
    (folder / "serverless.yml").write_text(DUPLICATE_ROUTES)
    (folder / "handler.py").write_text("def one(e, c):\n    pass\n\n\ndef two(e, c):\n    pass\n")
    return folder
