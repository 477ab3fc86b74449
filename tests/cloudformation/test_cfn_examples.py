"""The repository's examples, loaded from their serverless.yml, package into valid stacks."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sockgate.cloudformation import PackageResult, package
from sockgate.service import load_service

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _package_example(name: str, tmp: Path) -> PackageResult:
    # A copy, so packaging (and its requirements cache) never writes into the repository.
    source = EXAMPLES / name
    if not (source / "serverless.yml").is_file():
        pytest.fail(f"examples/{name}/serverless.yml is missing")
    copy = tmp / name
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns(".sockgate", "__pycache__"))
    service = load_service(copy / "serverless.yml", stage="dev", region="us-east-1")
    return package(service)


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> PackageResult:
    return _package_example("chat", tmp_path_factory.mktemp("examples"))


def test_the_chat_example_template_passes_cfn_lint(
    chat: PackageResult, lint: Callable[[dict[str, Any]], list[str]]
) -> None:
    assert lint(chat.template) == []


def test_the_chat_example_has_the_frameworks_resources(chat: PackageResult) -> None:
    resources = chat.template["Resources"]
    assert {
        "ConnectionManagerLambdaFunction",
        "WebsocketsApi",
        "SconnectWebsocketsRoute",
        "SdisconnectWebsocketsRoute",
        "SdefaultWebsocketsRoute",
        "sendMessageWebsocketsRoute",
        "WebsocketsDeploymentStage",
        "BroadcastEventSourceMappingDynamodbChatTable",
        "HttpApi",
        "HttpApiRouteGet",
        "HttpApiRouteGetFileVar",
        "ChatTable",
        "IamRoleLambdaExecution",
    } <= set(resources)
    environment = resources["SendMessageLambdaFunction"]["Properties"]["Environment"]["Variables"]
    assert environment["TABLE_NAME"] == {"Ref": "ChatTable"}  # left for CloudFormation
    assert set(chat.template["Outputs"]) >= {
        "ServiceEndpointWebsocket",
        "HttpApiUrl",
        "ChatWebSocketUrl",
    }


def test_the_chat_example_zip_has_the_handlers_and_nh3_but_no_sdk(chat: PackageResult) -> None:
    with zipfile.ZipFile(chat.zip_path) as archive:
        names = set(archive.namelist())
    assert {"chat/connections.py", "chat/messages.py", "chat/broadcast.py"} <= names
    assert "nh3/__init__.py" in names
    assert not [n for n in names if n.startswith(("boto3/", "botocore/", ".sockgate/"))]
    assert not [n for n in names if "__pycache__" in n]


def test_the_hello_example_packages(
    tmp_path: Path, lint: Callable[[dict[str, Any]], list[str]]
) -> None:
    result = _package_example("hello", tmp_path)
    assert "pingWebsocketsRouteResponse" in result.template["Resources"]
    with zipfile.ZipFile(result.zip_path) as archive:
        assert "handler.py" in archive.namelist()
    assert lint(result.template) == []
