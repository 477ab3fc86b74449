"""load_service on real folders: finding the file, provider, functions, resources, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from sockgate.errors import ConfigError
from sockgate.service import Service, load_service

MINIMAL = """\
service: chat
provider:
  name: aws
functions:
  hello:
    handler: handler.handler
"""


# -- finding and reading the file ---------------------------------------------------------


def test_minimal_service_defaults(load: Callable[..., Service], tmp_path: Path) -> None:
    service = load(MINIMAL)
    assert service.name == "chat"
    assert service.stage == "dev"
    assert service.region == "us-east-1"
    assert service.runtime == "python3.11"
    assert service.directory == (tmp_path / "svc").resolve()
    assert service.config_file == (tmp_path / "svc" / "serverless.yml").resolve()
    assert service.stack_name == "chat-dev"
    assert service.route_selection_expression == "$request.body.action"
    assert service.websocket_api_name is None
    fn = service.functions["hello"]
    assert fn.name == "chat-dev-hello"
    assert fn.handler == "handler.handler"
    assert (fn.module, fn.attribute) == ("handler", "handler")
    assert fn.runtime == "python3.11"
    assert fn.timeout == 6
    assert fn.memory_size == 1024
    assert fn.environment == {}
    assert fn.logical_id == "HelloLambdaFunction"
    assert service.config["service"] == "chat"


def test_serverless_yaml_and_json_and_a_file_path(make_service: Callable[..., Path]) -> None:
    folder = make_service("a", MINIMAL)
    (folder / "serverless.yml").rename(folder / "serverless.yaml")
    assert load_service(folder).name == "chat"
    assert load_service(folder / "serverless.yaml").name == "chat"
    json_folder = make_service("b", MINIMAL)
    (json_folder / "serverless.yml").unlink()
    config = {"service": "js", "provider": {"name": "aws"}, "functions": {}}
    (json_folder / "serverless.json").write_text(json.dumps(config))
    assert load_service(json_folder).name == "js"


def test_default_path_is_the_current_folder(
    make_service: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(make_service("here", MINIMAL))
    assert load_service().name == "chat"


def test_no_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_service(tmp_path)
    assert f"no serverless.yml in {tmp_path}" in caught.value.message
    assert "pass its path" in (caught.value.fix or "")
    with pytest.raises(ConfigError, match="does not exist"):
        load_service(tmp_path / "missing")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("# only a comment\n", "is empty"),
        ("- a\n- b\n", "must be a mapping of keys"),
        ("provider: {name: aws}\n", "has no 'service' key"),
    ],
)
def test_unusable_files(load_error: Callable[..., ConfigError], text: str, message: str) -> None:
    error = load_error(text)
    assert message in error.message
    assert error.file and error.file.endswith("serverless.yml")
    assert error.fix


def test_yaml_error_names_file_line_and_column(load_error: Callable[..., ConfigError]) -> None:
    error = load_error("service: x\nfunctions:\n  a: [\n")
    assert error.file and error.file.endswith("serverless.yml")
    assert "line 4, column 1" in error.message
    assert "\n" not in str(error)


# -- service and provider ---------------------------------------------------------------


def test_service_object_form(load: Callable[..., Service]) -> None:
    assert load(MINIMAL.replace("service: chat", "service:\n  name: objchat")).name == "objchat"


@pytest.mark.parametrize("name", ["1chat", "chat_room", "x", "{}"])
def test_bad_service_name(load_error: Callable[..., ConfigError], name: str) -> None:
    error = load_error(MINIMAL.replace("service: chat", f"service: {name}"))
    assert error.path == "service"
    assert "is not a valid service name" in error.message


def test_provider_missing_or_not_aws(load_error: Callable[..., ConfigError]) -> None:
    error = load_error("service: chat\nfunctions: {}\n")
    assert (error.path, error.message) == ("provider", "has no provider block")
    error = load_error("service: chat\nprovider: {name: azure}\n")
    assert error.path == "provider.name"
    assert "provider 'azure' is not supported" in error.message


def test_stage_and_region_precedence(load: Callable[..., Service]) -> None:
    config = MINIMAL.replace("name: aws", "name: aws\n  stage: qa\n  region: eu-west-1")
    service = load(config)
    assert (service.stage, service.region) == ("qa", "eu-west-1")
    service = load(config, options={"stage": "prod", "region": "ap-south-1"})
    assert (service.stage, service.region) == ("prod", "ap-south-1")
    service = load(config, stage="cli", region="us-west-2", options={"stage": "ignored"})
    assert (service.stage, service.region) == ("cli", "us-west-2")
    assert service.functions["hello"].name == "chat-cli-hello"


def test_stage_from_opt_variable(load: Callable[..., Service]) -> None:
    config = MINIMAL.replace("name: aws", "name: aws\n  stage: ${opt:stage, 'beta'}")
    assert load(config).stage == "beta"
    assert load(config, stage="prod").stage == "prod"


def test_bad_stage(load_error: Callable[..., ConfigError]) -> None:
    error = load_error(MINIMAL, stage="no spaces")
    assert error.path == "provider.stage"
    assert "may only hold letters, digits and '-'" in error.message


def test_provider_settings_and_other_keys_are_kept(load: Callable[..., Service]) -> None:
    service = load(
        """\
        service: chat
        provider:
          name: aws
          runtime: python3.12
          timeout: 10
          memorySize: 256
          websocketsApiName: my-ws
          websocketsApiRouteSelectionExpression: $request.body.type
          logs: {websocket: true}
          tracing: {lambda: true}
        custom:
          tableName: t
        functions:
          hello:
            handler: handler.handler
          big:
            handler: handler.handler
            timeout: 30
            memorySize: 2048
            runtime: python3.13
            reservedConcurrency: 5
            description: the big one
            layers: [arn:aws:lambda:us-east-1:1:layer:x:1]
        """
    )
    assert service.runtime == "python3.12"
    assert service.websocket_api_name == "my-ws"
    assert service.route_selection_expression == "$request.body.type"
    assert service.provider["logs"] == {"websocket": True}
    assert service.custom == {"tableName": "t"}
    hello, big = service.functions["hello"], service.functions["big"]
    assert (hello.runtime, hello.timeout, hello.memory_size) == ("python3.12", 10, 256)
    assert (big.runtime, big.timeout, big.memory_size) == ("python3.13", 30, 2048)
    assert (big.reserved_concurrency, big.description) == (5, "the big one")
    assert service.config["functions"]["big"]["layers"] == ["arn:aws:lambda:us-east-1:1:layer:x:1"]


def test_legacy_plugin_spellings(load: Callable[..., Service]) -> None:
    service = load(
        MINIMAL.replace(
            "name: aws",
            "name: aws\n  websocketApiName: legacy-ws\n"
            "  websocketApiRouteSelectionExpression: $request.body.route",
        )
    )
    assert service.websocket_api_name == "legacy-ws"
    assert service.route_selection_expression == "$request.body.route"


@pytest.mark.parametrize(
    ("setting", "path", "message"),
    [
        ("timeout: 0", "provider.timeout", "must be between 1 and 900, got 0"),
        ("timeout: 901", "provider.timeout", "must be between 1 and 900"),
        ("memorySize: 64", "provider.memorySize", "must be between 128 and 10240"),
        ("memorySize: lots", "provider.memorySize", "must be a whole number, got 'lots'"),
        ("environment: [a]", "provider.environment", "must be a mapping"),
        ("runtime: nodejs18.x", "provider.runtime", "sockgate runs Python handlers"),
    ],
)
def test_bad_provider_values(
    load_error: Callable[..., ConfigError], setting: str, path: str, message: str
) -> None:
    error = load_error(MINIMAL.replace("name: aws", f"name: aws\n  {setting}"))
    assert error.path == path
    assert message in error.message


def test_iam_statements_new_and_legacy(load: Callable[..., Service]) -> None:
    service = load(
        MINIMAL.replace(
            "name: aws",
            """name: aws
  iam:
    role:
      statements:
        - {Effect: Allow, Action: ['dynamodb:*'], Resource: !GetAtt ChatTable.Arn}
  iamRoleStatements:
    - {Effect: Allow, Action: ['execute-api:ManageConnections'], Resource: '*'}""",
        )
    )
    assert service.iam_statements == (
        {
            "Effect": "Allow",
            "Action": ["dynamodb:*"],
            "Resource": {"Fn::GetAtt": ["ChatTable", "Arn"]},
        },
        {"Effect": "Allow", "Action": ["execute-api:ManageConnections"], "Resource": "*"},
    )


def test_bad_iam_statements(load_error: Callable[..., ConfigError]) -> None:
    error = load_error(MINIMAL.replace("name: aws", "name: aws\n  iam: {role: {statements: x}}"))
    assert error.path == "provider.iam.role.statements"


# -- functions ------------------------------------------------------------------------------


def test_handler_in_a_folder_and_a_package(load: Callable[..., Service], tmp_path: Path) -> None:
    pkg = tmp_path / "svc" / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("def main(e, c):\n    return None\n")
    service = load(
        """\
        service: chat
        provider: {name: aws}
        functions:
          a: {handler: src/handler.handler}
          b: {handler: ./src/handler.handler}
          c: {handler: pkg.main}
          d: {handler: src.handler.handler}
        """,
        modules=("src/handler",),
    )
    assert service.functions["a"].module == "src.handler"
    assert service.functions["b"].handler == "src/handler.handler"
    assert service.functions["c"].module == "pkg"
    assert service.functions["d"].module == "src.handler"


def test_function_without_handler(load_error: Callable[..., ConfigError]) -> None:
    error = load_error(
        "service: chat\nprovider: {name: aws}\nfunctions:\n  hello:\n    events: []\n"
    )
    assert error.message == "function 'hello' has no handler"
    assert error.path == "functions.hello"
    assert "Add handler:" in (error.fix or "")


@pytest.mark.parametrize("handler", ["handler", "handler.", ".main", "src/.main"])
def test_malformed_handler(load_error: Callable[..., ConfigError], handler: str) -> None:
    error = load_error(MINIMAL.replace("handler.handler", handler))
    assert error.path == "functions.hello.handler"
    assert "is not 'path/module.function'" in error.message


def test_handler_module_missing_names_the_files(load_error: Callable[..., ConfigError]) -> None:
    error = load_error(MINIMAL.replace("handler.handler", "src/missing.main"))
    assert error.path == "functions.hello.handler"
    assert "looked for src/missing.py and src/missing/__init__.py" in error.message
    assert "Create the file" in (error.fix or "")


@pytest.mark.parametrize(
    ("functions", "path", "message"),
    [
        ("  'bad key!': {handler: handler.handler}", "functions.bad key!", "not a valid function"),
        ("  hello: handler.handler", "functions.hello", "must be a mapping with a handler"),
        (
            "  hello: {handler: handler.handler, timeout: 1000}",
            "functions.hello.timeout",
            "between 1 and 900",
        ),
        (
            "  hello: {handler: handler.handler, events: {}}",
            "functions.hello.events",
            "must be a list",
        ),
        (
            "  hello: {handler: handler.handler, runtime: nodejs20.x}",
            "functions.hello.runtime",
            "Python",
        ),
        (
            "  hello: {handler: handler.handler, name: " + "x" * 65 + "}",
            "functions.hello.name",
            "64",
        ),
        (
            "  hello: {handler: handler.handler, reservedConcurrency: -1}",
            "functions.hello.reservedConcurrency",
            "between 0",
        ),
    ],
)
def test_bad_functions(
    load_error: Callable[..., ConfigError], functions: str, path: str, message: str
) -> None:
    error = load_error(f"service: chat\nprovider: {{name: aws}}\nfunctions:\n{functions}\n")
    assert error.path == path
    assert message in error.message


def test_functions_must_be_a_mapping(load_error: Callable[..., ConfigError]) -> None:
    error = load_error("service: chat\nprovider: {name: aws}\nfunctions: [a]\n")
    assert error.path == "functions"


def test_no_functions_is_fine(load: Callable[..., Service]) -> None:
    assert load("service: chat\nprovider: {name: aws}\n").functions == {}


# -- environment ---------------------------------------------------------------------------


def test_environment_merges_provider_under_function(
    load: Callable[..., Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCKGATE_TEST_GREETING", "hi")
    service = load(
        """\
        service: chat
        provider:
          name: aws
          environment:
            TABLE: !Ref ChatTable
            GREETING: ${env:SOCKGATE_TEST_GREETING}
            SHARED: provider
            PORT: 8080
        functions:
          a:
            handler: handler.handler
            environment:
              SHARED: function
              ARN: !GetAtt ChatTable.Arn
          b:
            handler: handler.handler
        """
    )
    assert service.functions["a"].environment == {
        "TABLE": {"Ref": "ChatTable"},
        "GREETING": "hi",
        "SHARED": "function",
        "PORT": 8080,
        "ARN": {"Fn::GetAtt": ["ChatTable", "Arn"]},
    }
    assert service.functions["b"].environment["SHARED"] == "provider"


def test_missing_env_variable_error(
    load_error: Callable[..., ConfigError], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOCKGATE_TEST_UNSET", raising=False)
    error = load_error(
        MINIMAL.replace("name: aws", "name: aws\n  environment:\n    T: ${env:SOCKGATE_TEST_UNSET}")
    )
    assert error.file and error.file.endswith("serverless.yml")
    assert error.path == "provider.environment.T"
    assert "${env:SOCKGATE_TEST_UNSET} has no value" in error.message


@pytest.mark.parametrize(
    ("entry", "path", "message"),
    [
        ("X: 1", "provider.environment.X", "not a valid environment variable name"),
        ("9A: 1", "provider.environment.9A", "not a valid environment variable name"),
        ("AWS_REGION: x", "provider.environment.AWS_REGION", "reserved by Lambda"),
        ("EMPTY:", "provider.environment.EMPTY", "has no value"),
        ("OBJ: {a: 1, b: 2}", "provider.environment.OBJ", "must be text"),
        ("BIG: " + "x" * 5000, "provider.environment", "4 KB"),
    ],
)
def test_bad_environment(
    load_error: Callable[..., ConfigError], entry: str, path: str, message: str
) -> None:
    error = load_error(MINIMAL.replace("name: aws", f"name: aws\n  environment:\n    {entry}"))
    assert error.path == path
    assert message in error.message


def test_bad_function_environment(load_error: Callable[..., ConfigError]) -> None:
    error = load_error(
        MINIMAL.replace("handler.handler", "handler.handler\n    environment: {_X: 1}")
    )
    assert error.path == "functions.hello.environment._X"


# -- resources, outputs, files ------------------------------------------------------------


def test_resources_outputs_and_file_variables(load: Callable[..., Service], tmp_path: Path) -> None:
    folder = tmp_path / "svc"
    folder.mkdir()
    (folder / "tables.yml").write_text(
        "Resources:\n  ChatTable:\n    Type: AWS::DynamoDB::Table\n"
        "    Properties:\n      TableName: ${self:custom.tableName}\n"
    )
    (folder / "config.prod.json").write_text('{"CREDS": "secret"}')
    service = load(
        """\
        service: chat
        provider:
          name: aws
          environment:
            CREDS: ${file(./config.${sls:stage}.json):CREDS}
        custom:
          tableName: chat-${sls:stage}
        functions:
          hello: {handler: handler.handler}
        resources:
          - ${file(./tables.yml)}
          - Outputs:
              TableName:
                Value: !Ref ChatTable
                Export: {Name: !Sub '${AWS::StackName}-table'}
        """,
        stage="prod",
    )
    assert service.resources == {
        "ChatTable": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "chat-prod"}}
    }
    assert service.outputs == {
        "TableName": {
            "Value": {"Ref": "ChatTable"},
            "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-table"}},
        }
    }
    assert service.functions["hello"].environment == {"CREDS": "secret"}


def test_bad_resources(load_error: Callable[..., ConfigError]) -> None:
    error = load_error(MINIMAL + "resources:\n  Resources: [a]\n")
    assert error.path == "resources.Resources"
    error = load_error(MINIMAL + "resources:\n  - 5\n")
    assert error.path == "resources[0]"


def test_file_variable_errors(load_error: Callable[..., ConfigError], tmp_path: Path) -> None:
    folder = tmp_path / "svc"
    folder.mkdir()
    (folder / "bad.yml").write_text("a: [\n")
    (folder / "bad.json").write_text("{nope")
    (folder / "x.js").write_text("module.exports = {}")
    cases = [
        ("${file(./bad.yml)}", "./bad.yml: invalid YAML at line 2, column 1"),
        ("${file(./bad.json)}", "./bad.json is not valid JSON"),
        ("${file(./x.js)}", "is JavaScript"),
        ("${file(../outside.yml)}", "outside the service folder"),
        ("${file(./absent.yml):k}", "has no value"),
    ]
    for variable, message in cases:
        error = load_error(MINIMAL + f"custom:\n  x: {variable}\n")
        assert error.path == "custom.x", variable
        assert message in error.message, (variable, error.message)


def test_unknown_sources_fail_the_load(load_error: Callable[..., ConfigError]) -> None:
    error = load_error(MINIMAL + "custom:\n  key: ${ssm:/chat/key}\n")
    assert error.path == "custom.key"
    assert "${env:NAME, ssm:/chat/key}" in (error.fix or "")


def test_cycle_fails_the_load(load_error: Callable[..., ConfigError]) -> None:
    error = load_error(MINIMAL + "custom:\n  a: ${self:custom.b}\n  b: ${self:custom.a}\n")
    assert "circular variable reference" in error.message
    assert str(error).count("serverless.yml") == 1


def test_unreadable_variable_file(load_error: Callable[..., ConfigError], tmp_path: Path) -> None:
    folder = tmp_path / "svc"
    folder.mkdir()
    (folder / "binary.txt").write_bytes(b"\xff\xfe\x00bad")
    error = load_error(MINIMAL + "custom:\n  x: ${file(./binary.txt)}\n")
    assert error.path == "custom.x"
    assert "./binary.txt cannot be read" in error.message
