"""CloudFormation intrinsics resolved locally against ResourceAttrs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sockgate.errors import ConfigError
from sockgate.service.intrinsics import is_intrinsic, resolve_intrinsics
from sockgate.service.model import IntrinsicContext, ResourceAttrs

TABLE_ARN = "arn:aws:dynamodb:eu-west-1:000000000000:table/chat-dev"
STREAM_ARN = TABLE_ARN + "/stream/2026-01-01T00:00:00.000"

CTX = IntrinsicContext(
    region="eu-west-1",
    stack_name="chat-dev",
    resources={
        "ChatTable": ResourceAttrs(
            ref="chat-dev", attributes={"Arn": TABLE_ARN, "StreamArn": STREAM_ARN}
        ),
        "Queue": ResourceAttrs(ref="https://sqs/q", attributes={"Arn": "arn:aws:sqs:q"}),
    },
    config_file=Path("serverless.yml"),
)


def resolve(value: Any) -> Any:
    return resolve_intrinsics(value, CTX, path="functions.f.environment.X")


def error_of(value: Any) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        resolve(value)
    assert caught.value.file == "serverless.yml"
    return caught.value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Ref": "ChatTable"}, "chat-dev"),
        ({"Ref": "AWS::Region"}, "eu-west-1"),
        ({"Ref": "AWS::AccountId"}, "000000000000"),
        ({"Ref": "AWS::StackName"}, "chat-dev"),
        ({"Ref": "AWS::Partition"}, "aws"),
        ({"Ref": "AWS::URLSuffix"}, "amazonaws.com"),
        ({"Ref": "AWS::NotificationARNs"}, []),
        ({"Fn::GetAtt": ["ChatTable", "Arn"]}, TABLE_ARN),
        ({"Fn::GetAtt": "ChatTable.StreamArn"}, STREAM_ARN),
        ({"Fn::Join": ["/", ["a", {"Ref": "ChatTable"}, 3]]}, "a/chat-dev/3"),
        ({"Fn::Join": ["", []]}, ""),
        ({"Fn::Select": [1, ["a", "b"]]}, "b"),
        ({"Fn::Select": ["0", {"Fn::Split": [":", "x:y"]}]}, "x"),
        ({"Fn::Split": ["/", {"Fn::GetAtt": ["ChatTable", "StreamArn"]}]}, STREAM_ARN.split("/")),
        ({"Fn::Base64": "hi"}, "aGk="),
        ("plain", "plain"),
        (7, 7),
    ],
)
def test_functions(value: Any, expected: Any) -> None:
    assert resolve(value) == expected


def test_stack_id_is_an_arn_of_this_stack() -> None:
    stack_id = resolve({"Ref": "AWS::StackId"})
    assert stack_id.startswith("arn:aws:cloudformation:eu-west-1:000000000000:stack/chat-dev/")
    assert resolve({"Ref": "AWS::StackId"}) == stack_id


def test_sub_string_form() -> None:
    text = (
        "${AWS::Region}:${AWS::AccountId}:${AWS::StackName}:${ChatTable}:${ChatTable.Arn}:${!Lit}"
    )
    assert resolve({"Fn::Sub": text}) == (
        f"eu-west-1:000000000000:chat-dev:chat-dev:{TABLE_ARN}:${{Lit}}"
    )


def test_sub_list_form_with_variables() -> None:
    value = {
        "Fn::Sub": [
            "${Name}-${AWS::Region}-${Arn}",
            {"Name": "n", "Arn": {"Fn::GetAtt": ["Queue", "Arn"]}},
        ]
    }
    assert resolve(value) == "n-eu-west-1-arn:aws:sqs:q"


def test_recursion_into_dicts_and_lists_and_no_value() -> None:
    value = {
        "Tables": [{"Ref": "ChatTable"}, {"Ref": "AWS::NoValue"}, "x"],
        "Drop": {"Ref": "AWS::NoValue"},
        "Keep": {"Nested": {"Fn::GetAtt": ["Queue", "Arn"]}},
        "NotIntrinsic": {"Ref": "ChatTable", "Other": 1},
    }
    assert resolve(value) == {
        "Tables": ["chat-dev", "x"],
        "Keep": {"Nested": "arn:aws:sqs:q"},
        "NotIntrinsic": {"Ref": "ChatTable", "Other": 1},  # two keys: not a call
    }
    assert resolve({"Ref": "AWS::NoValue"}) is None


def test_is_intrinsic() -> None:
    assert is_intrinsic({"Ref": "X"})
    assert is_intrinsic({"Fn::Sub": "x"})
    assert not is_intrinsic({"Ref": "X", "y": 1})
    assert not is_intrinsic({"Condition": "X"})
    assert not is_intrinsic("Ref")


def test_import_value_is_an_error_with_the_local_fix() -> None:
    error = error_of({"Fn::ImportValue": "shared-table"})
    assert error.path == "functions.f.environment.X"
    assert "Fn::ImportValue cannot be resolved locally" in error.message
    assert "${env:NAME, 'default'}" in (error.fix or "")


def test_unsupported_function() -> None:
    error = error_of({"Fn::If": ["IsProd", "a", "b"]})
    assert "Fn::If cannot be resolved locally" in error.message
    assert "Fn::Sub" in (error.fix or "")


def test_unknown_logical_id() -> None:
    error = error_of({"Ref": "Nope"})
    assert "no resource with logical id 'Nope'" in error.message
    assert "ChatTable, Queue" in error.message
    assert "resources.Resources" in (error.fix or "")
    assert "Fn::GetAtt: no resource" in error_of({"Fn::GetAtt": ["Nope", "Arn"]}).message


def test_unknown_attribute_lists_the_known_ones() -> None:
    error = error_of({"Fn::GetAtt": ["Queue", "QueueName"]})
    assert "resource 'Queue' has no attribute 'QueueName'" in error.message
    assert "Use one of: Arn" in (error.fix or "")


def test_unknown_pseudo_parameter() -> None:
    error = error_of({"Ref": "AWS::Nope"})
    assert "'AWS::Nope' is not a CloudFormation pseudo parameter" in error.message
    assert "AWS::Region" in (error.fix or "")


def test_sub_unknown_name() -> None:
    error = error_of({"Fn::Sub": "x-${Missing}"})
    assert "'${Missing}'" in error.message
    assert "${!Missing}" in (error.fix or "")


def test_error_path_follows_nesting() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_intrinsics({"A": [{"B": {"Ref": "Nope"}}]}, CTX, path="resources.X")
    assert caught.value.path == "resources.X.A[0].B"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Ref": ["x"]}, "Ref takes a logical id"),
        ({"Fn::GetAtt": ["OnlyOne"]}, "Fn::GetAtt takes"),
        ({"Fn::Join": "x"}, "Fn::Join takes"),
        ({"Fn::Join": ["", [{"a": 1}]]}, "expected text"),
        ({"Fn::Sub": 5}, "Fn::Sub takes"),
        ({"Fn::Select": [5, ["a"]]}, "out of range"),
        ({"Fn::Select": ["x", ["a"]]}, "is not a number"),
        ({"Fn::Select": [0]}, "Fn::Select takes"),
        ({"Fn::Split": ["", "a"]}, "non-empty delimiter"),
        ({"Fn::Split": "a"}, "Fn::Split takes"),
    ],
)
def test_malformed_arguments(value: Any, expected: str) -> None:
    assert expected in error_of(value).message


def test_without_config_file_the_error_has_no_file() -> None:
    ctx = IntrinsicContext(region="us-east-1", stack_name="s")
    with pytest.raises(ConfigError) as caught:
        resolve_intrinsics({"Ref": "X"}, ctx, path="p")
    assert caught.value.file is None
    assert str(caught.value).startswith("p: ")
