"""Serverless variables, resolved without files or os.environ (pure)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sockgate.errors import ConfigError
from sockgate.service.variables import FileNotFound, resolve_variables

FILES: dict[str, Any] = {
    "./config.yml": {"table": "from-yml", "nested": {"deep": 42}, "ref": "${self:custom.base}"},
    "./config.prod.json": {"CREDS": "prod-creds"},
    "./config.dev.json": {"CREDS": "dev-creds"},
    "./notes.txt": "plain text",
}


def read_file(relative: str) -> Any:
    if relative not in FILES:
        raise FileNotFound(relative)
    return FILES[relative]


def resolve(config: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("file", "serverless.yml")
    kwargs.setdefault("read_file", read_file)
    return resolve_variables(config, **kwargs)


def error_of(config: dict[str, Any], **kwargs: Any) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        resolve(config, **kwargs)
    assert caught.value.file == "serverless.yml"
    return caught.value


# -- sources ------------------------------------------------------------------------------


def test_self_reads_other_keys_and_keeps_types() -> None:
    config = {
        "service": "chat",
        "custom": {"n": 5, "flag": True, "obj": {"a": 1}, "list": ["x", "y"]},
        "a": "${self:custom.n}",
        "b": "${self:custom.obj}",
        "c": "${self:custom.list.1}",
        "d": "${self:service}-${self:custom.n}-${self:custom.flag}",
        "e": "${self:custom.flag}",
    }
    out = resolve(config)
    assert out["a"] == 5
    assert out["b"] == {"a": 1}
    assert out["c"] == "y"
    assert out["d"] == "chat-5-true"
    assert out["e"] is True


def test_self_resolves_values_that_hold_variables_first() -> None:
    config = {
        "custom": {"stage": "${opt:stage, 'dev'}", "table": "t-${self:custom.stage}"},
        "provider": {"environment": {"TABLE": "${self:custom.table}"}},
        "whole": "${self:custom}",
    }
    out = resolve(config, options={"stage": "prod"})
    assert out["provider"]["environment"]["TABLE"] == "t-prod"
    assert out["whole"] == {"stage": "prod", "table": "t-prod"}


def test_self_empty_address_is_the_whole_file() -> None:
    out = resolve({"a": 1, "b": {"c": "${self:a}"}})
    assert out == {"a": 1, "b": {"c": 1}}


def test_opt_with_defaults_of_every_kind() -> None:
    config = {
        "s": "${opt:stage, 'dev'}",
        "d": '${opt:stage, "double"}',
        "n": "${opt:count, 5}",
        "f": "${opt:ratio, 1.5}",
        "neg": "${opt:x, -1}",
        "t": "${opt:flag, true}",
        "z": "${opt:nothing, null}",
        "chain": "${opt:a, self:custom.b, 'z'}",
        "chain2": "${opt:a, opt:b, 'last'}",
        "all": "${opt:}",
        "custom": {"b": "from-self"},
    }
    out = resolve(config, options={"region": "eu-west-1"})
    assert out["s"] == "dev"
    assert out["d"] == "double"
    assert out["n"] == 5
    assert out["f"] == 1.5
    assert out["neg"] == -1
    assert out["t"] is True
    assert out["z"] is None
    assert out["chain"] == "from-self"
    assert out["chain2"] == "last"
    assert out["all"] == {"region": "eu-west-1"}


def test_opt_given_wins_over_default() -> None:
    assert resolve({"s": "${opt:stage, 'dev'}"}, options={"stage": "prod"}) == {"s": "prod"}


def test_sls_stage_precedence() -> None:
    config = {"provider": {"stage": "qa"}, "s": "${sls:stage}"}
    assert resolve(config)["s"] == "qa"
    assert resolve(config, options={"stage": "prod"})["s"] == "prod"
    assert resolve({"s": "${sls:stage}"})["s"] == "dev"
    assert resolve({"provider": {"stage": "${opt:stage, 'x'}"}, "s": "${sls:stage}"})["s"] == "x"


def test_sls_instance_id_is_stable_within_a_load() -> None:
    out = resolve({"a": "${sls:instanceId}", "b": "${sls:instanceId}"}, instance_id="abc123")
    assert out == {"a": "abc123", "b": "abc123"}
    generated = resolve({"a": "${sls:instanceId}", "b": "${sls:instanceId}"})
    assert generated["a"] == generated["b"] and generated["a"]


def test_env_values_defaults_and_empty() -> None:
    env = {"TABLE": "t1", "EMPTY": ""}
    config = {
        "a": "${env:TABLE}",
        "b": "${env:MISSING, 'fallback'}",
        "c": "${env:EMPTY, 'empty-counts-as-unset'}",
        "d": "prefix-${env:TABLE}",
    }
    assert resolve(config, env=env) == {
        "a": "t1",
        "b": "fallback",
        "c": "empty-counts-as-unset",
        "d": "prefix-t1",
    }


def test_env_missing_without_default_names_variable_path_and_fix() -> None:
    error = error_of({"provider": {"environment": {"T": "${env:TABLE_NAME}"}}}, env={})
    assert error.path == "provider.environment.T"
    assert "${env:TABLE_NAME} has no value" in error.message
    assert "Set TABLE_NAME in the environment" in (error.fix or "")
    assert "${env:TABLE_NAME, 'default'}" in (error.fix or "")


def test_aws_source() -> None:
    config = {"r": "${aws:region}", "a": "${aws:accountId}", "p": "${aws:partition}"}
    assert resolve(config) == {"r": "us-east-1", "a": "000000000000", "p": "aws"}
    assert resolve({"provider": {"region": "eu-west-1"}, "r": "${aws:region}"})["r"] == "eu-west-1"
    assert resolve({"r": "${aws:region}"}, options={"region": "ap-south-1"})["r"] == "ap-south-1"
    assert resolve({"a": "${aws:accountId}"}, account_id="123456789012")["a"] == "123456789012"


def test_file_source_yml_json_text_and_nested_path() -> None:
    config = {
        "custom": {"base": "b"},
        "whole": "${file(./config.yml)}",
        "key": "${file(./config.yml):table}",
        "deep": "${file(./config.yml):nested.deep}",
        "ref": "${file(./config.yml):ref}",
        "creds": "${file(./config.${sls:stage}.json):CREDS}",
        "text": "${file(./notes.txt)}",
        "fallback": "${file(./missing.yml):x, 'dflt'}",
        "missing_key": "${file(./config.yml):nope, 'dflt2'}",
    }
    out = resolve(config, options={"stage": "prod"})
    assert out["whole"]["table"] == "from-yml"
    assert out["whole"]["ref"] == "b"  # variables inside the file are resolved too
    assert out["key"] == "from-yml"
    assert out["deep"] == 42
    assert out["ref"] == "b"
    assert out["creds"] == "prod-creds"
    assert out["text"] == "plain text"
    assert out["fallback"] == "dflt"
    assert out["missing_key"] == "dflt2"
    assert resolve({"c": "${file(./config.${sls:stage}.json):CREDS}"})["c"] == "dev-creds"


def test_file_missing_without_default() -> None:
    error = error_of({"a": "${file(./nope.yml):x}"})
    assert error.path == "a"
    assert "${file(./nope.yml):x} has no value" in error.message
    assert "file exists" in (error.fix or "")


def test_file_without_path_and_without_reader() -> None:
    assert "has no file path" in error_of({"a": "${file():x}"}).message
    error = error_of({"a": "${file(./config.yml)}"}, read_file=None)
    assert "cannot read files" in error.message


def test_file_reader_errors_are_reported_at_the_key() -> None:
    def broken(relative: str) -> Any:
        raise ConfigError("invalid YAML at line 1, column 2: bad", file=relative, fix="Fix it.")

    error = error_of({"custom": {"x": "${file(./bad.yml)}"}}, read_file=broken)
    assert error.path == "custom.x"
    assert "./bad.yml: invalid YAML at line 1, column 2" in error.message
    assert error.fix == "Fix it."


def test_str_to_bool() -> None:
    config = {
        "a": "${strToBool(true)}",
        "b": "${strToBool(0)}",
        "c": "${strToBool(${env:FLAG})}",
        "d": "${strToBool('False')}",
    }
    assert resolve(config, env={"FLAG": "1"}) == {"a": True, "b": False, "c": True, "d": False}
    assert "strToBool expects" in error_of({"a": "${strToBool(maybe)}"}).message


# -- shapes and nesting -------------------------------------------------------------------


def test_lists_and_nested_structures_are_walked() -> None:
    config = {"a": [{"b": "${opt:x, 'one'}"}, "${opt:y, 2}"], "c": {"d": {"e": "${opt:z, 'z'}"}}}
    assert resolve(config) == {"a": [{"b": "one"}, 2], "c": {"d": {"e": "z"}}}


def test_old_nested_fallback_form() -> None:
    config = {"provider": {"stage": "qa"}, "s": "${opt:stage, ${self:provider.stage}}"}
    assert resolve(config)["s"] == "qa"


def test_nested_variable_in_address() -> None:
    config = {
        "custom": {"dev": {"url": "d"}, "prod": {"url": "p"}},
        "u": "${self:custom.${sls:stage}.url}",
    }
    assert resolve(config, options={"stage": "prod"})["u"] == "p"


def test_whole_value_string_result_is_resolved_again() -> None:
    assert resolve({"a": "${env:INDIRECT}"}, env={"INDIRECT": "${opt:stage, 'x'}"}) == {"a": "x"}


def test_cloudformation_substitutions_are_left_alone() -> None:
    text = "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Table}/${Table.Arn}/${!Lit}"
    config = {"sub": {"Fn::Sub": text}, "rse": "${request.body.action}"}
    assert resolve(config) == config


def test_backslash_keeps_a_variable_literal() -> None:
    assert resolve({"a": "\\${opt:stage}"}) == {"a": "\\${opt:stage}"}


def test_keys_are_not_resolved_and_other_scalars_pass_through() -> None:
    config = {"${opt:x}": 1, "n": 3, "f": 1.5, "b": False, "none": None}
    assert resolve(config) == config


def test_result_is_a_copy() -> None:
    config = {"custom": {"obj": {"a": 1}}, "x": "${self:custom.obj}", "y": "${self:custom.obj}"}
    out = resolve(config)
    out["x"]["a"] = 2
    assert out["y"] == {"a": 1}
    assert config["custom"]["obj"] == {"a": 1}


# -- errors ---------------------------------------------------------------------------------


def test_cycle_between_two_keys() -> None:
    error = error_of({"custom": {"a": "${self:custom.b}", "b": "x-${self:custom.a}"}})
    assert "circular variable reference" in error.message
    assert "custom.a -> custom.b -> custom.a" in error.message
    assert error.fix and "Break the circle" in error.fix


def test_cycle_through_a_parent() -> None:
    error = error_of({"custom": {"a": 1, "b": "${self:custom}"}})
    assert "circular variable reference" in error.message
    assert error.path == "custom.b"


def test_cycle_through_self_reparsing() -> None:
    error = error_of({"a": "${env:LOOP}"}, env={"LOOP": "${env:LOOP}"})
    assert "keep resolving" in error.message


def test_mapping_inside_a_string_is_an_error() -> None:
    error = error_of({"custom": {"o": {"k": 1}}, "s": "x-${self:custom.o}"})
    assert error.path == "s"
    assert "resolves to a mapping" in error.message
    assert "whole value" in (error.fix or "")


def test_null_inside_a_string_is_an_error() -> None:
    error = error_of({"s": "x-${opt:x, null}"})
    assert "resolves to null" in error.message


def test_missing_self_and_opt() -> None:
    error = error_of({"functions": {"f": {"name": "${self:custom.fn}"}}})
    assert error.path == "functions.f.name"
    assert "${self:custom.fn} has no value" in error.message
    assert "Add 'custom.fn'" in (error.fix or "")
    error = error_of({"a": ["${opt:table}"]})
    assert error.path == "a[0]"
    assert "Pass --table" in (error.fix or "")


@pytest.mark.parametrize("source", ["s3:bucket/key", "secretsmanager:name"])
def test_remote_sources_suggest_env(source: str) -> None:
    error = error_of({"provider": {"environment": {"T": "${" + source + "}"}}})
    kind = source.split(":")[0]
    assert error.path == "provider.environment.T"
    assert f"reads from '{kind}'" in error.message
    assert "cannot be resolved on this machine" in error.message
    assert error.fix and "${env:NAME, " + source + "}" in error.fix


@pytest.mark.parametrize("source", ["ssm:/chat/table", "cf:stack.Output"])
def test_ssm_and_cf_without_a_local_value_say_where_to_give_one(source: str) -> None:
    error = error_of({"provider": {"environment": {"T": "${" + source + "}"}}})
    kind, _, address = source.partition(":")
    assert error.path == "provider.environment.T"
    assert f"reads from '{kind}', which lives in AWS" in error.message
    assert f"--param '{source}=VALUE'" in (error.fix or "")
    assert f"under '{kind}:' in sockgate.local.yml" in (error.fix or "")


def test_ssm_and_cf_from_the_local_file_and_param() -> None:
    config = {"a": "${ssm:/chat/table}", "b": "${cf:other.TableName}", "c": "${ssm:/x, 'dflt'}"}
    local = {"ssm": {"/chat/table": "from-file"}, "cf": {"other.TableName": "t"}}
    assert resolve(config, local=local) == {"a": "from-file", "b": "t", "c": "dflt"}
    # --param wins over the file, as a CLI option wins over configuration.
    options = {"param": ["ssm:/chat/table=from-cli", "unrelated=1"]}
    assert resolve(config, local=local, options=options)["a"] == "from-cli"


def test_param_from_cli_then_stage_then_default() -> None:
    config = {
        "provider": {"stage": "prod"},
        "params": {"prod": {"domain": "example.com"}, "default": {"domain": "x", "key": "k"}},
        "a": "${param:domain}",
        "b": "${param:key}",
    }
    assert resolve(config)["a"] == "example.com" and resolve(config)["b"] == "k"
    assert resolve(config, options={"stage": "dev"})["a"] == "x"
    assert resolve(config, options={"param": "domain=cli.test\nkey=2"})["a"] == "cli.test"
    error = error_of({"a": "${param:nope}"})
    assert "Pass --param nope=VALUE" in (error.fix or "")


def test_remote_source_after_a_local_one_that_has_a_value_is_never_read() -> None:
    assert resolve({"t": "${env:T, ssm:/x}"}, env={"T": "local"}) == {"t": "local"}


def test_unknown_source() -> None:
    error = error_of({"a": "${foo:bar}"})
    assert "unknown variable source 'foo'" in error.message
    assert "${env:NAME, 'default'}" in (error.fix or "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${opt:stage", "no closing '}'"),
        ("${opt:stage, dev}", "quote it if it is text: 'dev'"),
        ("${file(./x.yml:a}", "no closing ')'"),
        ("${opt:a, 'unterminated}", "not closed"),
        ("${sls:nope}", "the sls source has no 'nope'"),
        ("${aws:nope}", "the aws source has no 'nope'"),
        ("${env:}", "has no address"),
    ],
)
def test_syntax_and_address_errors(text: str, expected: str) -> None:
    error = error_of({"k": text})
    assert error.path == "k"
    assert expected in error.message


# -- properties -----------------------------------------------------------------------------

_PLAIN = st.text(alphabet=st.characters(blacklist_characters="$\\"), max_size=40)
_CFN_NAME = st.from_regex(
    r"(AWS::[A-Z][a-zA-Z]*|[A-Z][A-Za-z0-9]*(\.[A-Za-z]+)?|![A-Za-z]+)", fullmatch=True
)


@settings(max_examples=60)
@given(st.lists(st.one_of(_PLAIN, _CFN_NAME.map(lambda name: "${" + name + "}")), max_size=6))
def test_text_without_serverless_variables_is_unchanged(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert resolve({"k": text, "sub": {"Fn::Sub": text}}) == {"k": text, "sub": {"Fn::Sub": text}}


@given(_PLAIN, _PLAIN, st.text(alphabet="abcdefghij0123456789-", min_size=1, max_size=12))
def test_interpolation_puts_the_value_between_the_text(before: str, after: str, value: str) -> None:
    out = resolve({"k": before + "${opt:x}" + after}, options={"x": value})
    assert out == {"k": before + value + after}
