"""versionFunctions: an AWS::Lambda::Version per function, named by the Framework's digest."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sockgate.cloudformation import build_template
from sockgate.cloudformation.versions import version_digest
from sockgate.service import Service, load_service

CODE_SHA256 = "ab" * 32  # hex, as package() passes it

# Computed with Node 20 by the Framework's own steps (crypto sha256, deepSortObjectByKey with
# localeCompare, JSON.stringify) on these properties and this code hash: the keys need ICU
# order ("_X" < "A-B" < "aB" < "Ab" < "table_name" < "TABLE_NAME" < "Table1" < "TABLENAME").
PINNED_PROPERTIES: dict[str, Any] = {
    "Handler": "src/handler.send",
    "Runtime": "python3.11",
    "FunctionName": "chat-dev-send",
    "MemorySize": 1024,
    "Timeout": 29.0,  # JavaScript writes 29
    "Environment": {
        "Variables": {
            "TABLE_NAME": {"Ref": "ChatTable"},
            "TABLENAME": "x",
            "table_name": "y",
            "Table1": "z",
            "A-B": "q",
            "aB": "1",
            "Ab": "2",
            "_X": "3",
        }
    },
    "Role": {"Fn::GetAtt": ["IamRoleLambdaExecution", "Arn"]},
    "Description": "Sends ünïcode",
    # left out of the digest, as the Framework leaves them out
    "Code": {"S3Key": "k"},
    "Tags": [{"Key": "a", "Value": "b"}],
    "ReservedConcurrentExecutions": 3,
}
PINNED_DIGEST = "gNMQSHb7EneCcNpKKCNiw0FQOO2RBe4gc+I79F7Zuow="


def test_the_digest_is_the_frameworks() -> None:
    assert version_digest(CODE_SHA256, PINNED_PROPERTIES) == PINNED_DIGEST


def test_code_and_configuration_change_the_digest_tags_and_concurrency_do_not() -> None:
    digest = version_digest(CODE_SHA256, PINNED_PROPERTIES)
    assert version_digest("cd" * 32, PINNED_PROPERTIES) != digest
    assert version_digest(CODE_SHA256, {**PINNED_PROPERTIES, "Timeout": 30}) != digest
    unversioned = {**PINNED_PROPERTIES, "Tags": [], "ReservedConcurrentExecutions": 9}
    assert version_digest(CODE_SHA256, unversioned) == digest


def _versions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Version"
    }


def test_every_function_gets_a_version_and_a_qualified_arn_output(
    chat_service: Service, lint: Callable[[dict[str, Any]], list[str]]
) -> None:
    template = build_template(chat_service, code_sha256=CODE_SHA256)
    versions = _versions(template)
    assert len(versions) == len(chat_service.functions)
    function = template["Resources"]["DefaultHandlerLambdaFunction"]["Properties"]
    digest = version_digest(CODE_SHA256, function).replace("+", "").replace("/", "")
    version_id = "DefaultHandlerLambdaVersion" + digest.rstrip("=")
    assert versions[version_id] == {
        "Type": "AWS::Lambda::Version",
        "DeletionPolicy": "Retain",
        "Properties": {
            "FunctionName": {"Ref": "DefaultHandlerLambdaFunction"},
            "CodeSha256": base64.b64encode(bytes.fromhex(CODE_SHA256)).decode(),
        },
    }
    assert template["Outputs"]["DefaultHandlerLambdaFunctionQualifiedArn"] == {
        "Description": "Current Lambda function version",
        "Value": {"Ref": version_id},
    }
    assert lint(template) == []


def test_no_code_hash_no_versions(chat_service: Service) -> None:
    template = build_template(chat_service)
    assert _versions(template) == {}
    assert not [name for name in template["Outputs"] if name.endswith("QualifiedArn")]


@pytest.mark.parametrize(
    ("provider", "settings", "versioned"),
    [
        ("", {"a": "", "b": ""}, {"a", "b"}),  # the Framework's default: true
        ("versionFunctions: false", {"a": "", "b": ""}, set()),
        ("versionFunctions: false", {"a": "versionFunction: true", "b": ""}, {"a"}),
        ("versionFunctions: true", {"a": "versionFunction: false", "b": ""}, {"b"}),
    ],
)
def test_version_functions_settings(
    tmp_path: Path, provider: str, settings: dict[str, str], versioned: set[str]
) -> None:
    functions = "".join(
        f"  {key}:\n    handler: handler.{key}\n    {setting}\n"
        for key, setting in settings.items()
    )
    (tmp_path / "serverless.yml").write_text(
        f"service: versions\nprovider:\n  name: aws\n  {provider}\nfunctions:\n{functions}"
    )
    (tmp_path / "handler.py").write_text("def a(e, c):\n    pass\n\n\ndef b(e, c):\n    pass\n")
    template = build_template(load_service(tmp_path), code_sha256=CODE_SHA256)
    owners = {v["Properties"]["FunctionName"]["Ref"] for v in _versions(template).values()}
    assert owners == {f"{key.upper()}LambdaFunction" for key in versioned}
    outputs = {name for name in template["Outputs"] if name.endswith("QualifiedArn")}
    assert outputs == {f"{key.upper()}LambdaFunctionQualifiedArn" for key in versioned}
