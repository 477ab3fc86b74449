"""Parameters, conditions, mappings and intrinsics of templates (no sockets)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.templates.helpers import HANDLER, WEBSOCKET, load

from sockgate.errors import ConfigError
from sockgate.service.intrinsics import resolve_intrinsics
from sockgate.service.model import IntrinsicContext, ResourceAttrs
from sockgate.templates.overrides import parse_parameter_overrides
from sockgate.templates.prepass import parameter_values, settle

CTX = IntrinsicContext(region="eu-west-1", stack_name="chat")
TEMPLATE = {
    "Parameters": {
        "Env": {"Type": "String", "Default": "dev", "AllowedValues": ["dev", "prod"]},
        "Names": {"Type": "CommaDelimitedList", "Default": "a,b"},
        "Size": {"Type": "Number", "Default": 5},
        "Version": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cdk/version"},
    },
    "Mappings": {"Sizes": {"dev": {"Memory": 256}, "prod": {"Memory": 1024}}},
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "InIreland": {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]},
        "ProdInIreland": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "InIreland"}]},
        "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
    },
    "Resources": {
        "Always": {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "Memory": {"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Memory"]},
                "Name": {"Fn::If": ["IsProd", "big", "small"]},
                "Gone": {"Fn::If": ["IsProd", "x", {"Ref": "AWS::NoValue"}]},
                "Sub": {"Fn::Sub": "${Env}-${AWS::Region}-${Always}"},
                "List": {"Ref": "Names"},
                "Size": {"Ref": "Size"},
            },
        },
        "ProdOnly": {"Type": "AWS::SNS::Topic", "Condition": "ProdInIreland"},
        "DevOnly": {"Type": "AWS::SNS::Topic", "Condition": "NotProd"},
    },
}


def settled(overrides: dict[str, str] | None = None) -> dict:
    values = parameter_values(TEMPLATE, overrides or {}, file="t.json")
    return settle(TEMPLATE, values, CTX, file="t.json").resources


def test_defaults_conditions_mappings_and_if() -> None:
    resources = settled()
    assert set(resources) == {"Always", "DevOnly"}
    props = resources["Always"]["Properties"]
    assert props["Memory"] == 256
    assert props["Name"] == "small"
    assert "Gone" not in props  # AWS::NoValue removes the key
    assert props["List"] == ["a", "b"]
    assert props["Size"] == "5"  # Ref to a Number parameter gives text, as CloudFormation does


def test_overrides_change_everything_downstream() -> None:
    resources = settled({"Env": "prod"})
    assert set(resources) == {"Always", "ProdOnly"}
    assert resources["Always"]["Properties"]["Memory"] == 1024
    assert resources["Always"]["Properties"]["Name"] == "big"


def test_sub_gets_parameters_as_variables_and_the_resolver_does_the_rest() -> None:
    sub = settled()["Always"]["Properties"]["Sub"]
    assert sub == {"Fn::Sub": ["${Env}-${AWS::Region}-${Always}", {"Env": "dev"}]}
    ctx = CTX.model_copy(update={"resources": {"Always": ResourceAttrs(ref="topic-arn")}})
    assert resolve_intrinsics(sub, ctx, path="x") == "dev-eu-west-1-topic-arn"


def test_allowed_values_are_checked() -> None:
    with pytest.raises(ConfigError, match="not one of its AllowedValues"):
        parameter_values(TEMPLATE, {"Env": "staging"}, file="t.json")


def test_unknown_override_is_refused() -> None:
    with pytest.raises(ConfigError, match="does not declare"):
        parameter_values(TEMPLATE, {"Stage": "x"}, file="t.json")


def test_parameter_without_default_asks_for_a_value() -> None:
    template = {"Parameters": {"Key": {"Type": "String"}}, "Resources": {}}
    with pytest.raises(ConfigError, match="--parameter-overrides Key=<value>"):
        parameter_values(template, {}, file="t.json")


def test_ssm_parameter_is_an_error_only_when_used() -> None:
    template = {
        **TEMPLATE,
        "Resources": {"X": {"Type": "T", "Properties": {"V": {"Ref": "Version"}}}},
    }
    values = parameter_values(template, {}, file="t.json")
    with pytest.raises(ConfigError, match="read from SSM"):
        settle(template, values, CTX, file="t.json")


def test_import_value_is_refused_with_where_and_what_to_do() -> None:
    template = {
        "Resources": {"X": {"Type": "T", "Properties": {"V": {"Fn::ImportValue": "Shared"}}}}
    }
    with pytest.raises(ConfigError) as raised:
        settle(template, {}, CTX, file="t.json")
    message = str(raised.value)
    assert "Resources.X.Properties.V.Fn::ImportValue" in message
    assert "--parameter-overrides" in message


def test_missing_mapping_entry() -> None:
    template = {
        **TEMPLATE,
        "Resources": {
            "X": {"Type": "T", "Properties": {"V": {"Fn::FindInMap": ["Sizes", "qa", "Memory"]}}}
        },
    }
    with pytest.raises(ConfigError, match="Mappings has no Sizes.qa.Memory"):
        settle(template, {}, CTX, file="t.json")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["Env=prod Size=3"], {"Env": "prod", "Size": "3"}),
        (["ParameterKey=Env,ParameterValue=prod"], {"Env": "prod"}),
        (["Name='two words'", "Env=qa"], {"Name": "two words", "Env": "qa"}),
        (["Url=https://x/?a=b"], {"Url": "https://x/?a=b"}),
    ],
)
def test_parameter_overrides_in_sam_cli_syntax(values: list[str], expected: dict[str, str]) -> None:
    assert parse_parameter_overrides(values) == expected


def test_parameter_overrides_refuse_what_is_not_key_value() -> None:
    with pytest.raises(ConfigError, match="is not Key=Value"):
        parse_parameter_overrides(["Env"])


def test_parameters_reach_functions_and_tables(tmp_path: Path) -> None:
    text = (
        "Parameters:\n  Memory: {Type: Number, Default: 512}\n  Env: {Type: String, Default: dev}\n"
        + WEBSOCKET.replace(
            "      Code: src\n",
            "      Code: src\n      MemorySize: !Ref Memory\n"
            "      Environment:\n        Variables:\n"
            "          ENV: !Ref Env\n          URL: !Sub https://${Api}.execute-api.${AWS::Region}"
            ".amazonaws.com/${Stage}\n",
        )
    )
    service = load(tmp_path, text, {"src/app.py": HANDLER}, parameters={"Memory": "256"})
    function = service.functions["Fn"]
    assert function.memory_size == 256
    assert function.environment["ENV"] == "dev"
    assert function.environment["URL"] == {
        "Fn::Sub": "https://${Api}.execute-api.${AWS::Region}.amazonaws.com/${Stage}"
    }


def test_cli_takes_sam_clis_unquoted_overrides() -> None:
    from sockgate.cli import _spread_overrides

    args = ["dev", "--parameter-overrides", "A=1", "ParameterKey=B,ParameterValue=2", "path"]
    assert _spread_overrides(args) == [
        "dev",
        "--parameter-overrides",
        "A=1",
        "--parameter-overrides",
        "ParameterKey=B,ParameterValue=2",
        "path",
    ]
    assert _spread_overrides(["dev", "--parameter-overrides", "A=1 B=2", "--stage", "x"]) == [
        "dev",
        "--parameter-overrides",
        "A=1 B=2",
        "--stage",
        "x",
    ]
