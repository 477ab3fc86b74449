"""YAML: CloudFormation short tags in long form, duplicate keys, syntax errors with positions."""

from __future__ import annotations

import pytest

from sockgate.errors import ConfigError
from sockgate.service.yaml_loader import load_yaml


def load(text: str) -> object:
    return load_yaml(text, file="serverless.yml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v: !Ref MyTable", {"Ref": "MyTable"}),
        ("v: !GetAtt MyTable.StreamArn", {"Fn::GetAtt": ["MyTable", "StreamArn"]}),
        ("v: !GetAtt [MyTable, Arn]", {"Fn::GetAtt": ["MyTable", "Arn"]}),
        ("v: !GetAtt Db.Endpoint.Address", {"Fn::GetAtt": ["Db", "Endpoint.Address"]}),
        ("v: !Sub 'arn:${AWS::Region}'", {"Fn::Sub": "arn:${AWS::Region}"}),
        ("v: !Sub ['${A}-x', {A: !Ref T}]", {"Fn::Sub": ["${A}-x", {"A": {"Ref": "T"}}]}),
        ("v: !Join ['', [a, !Ref B]]", {"Fn::Join": ["", ["a", {"Ref": "B"}]]}),
        ("v: !Select [0, !Split [',', 'a,b']]", {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]}),
        ("v: !ImportValue shared-table", {"Fn::ImportValue": "shared-table"}),
        ("v: !If [IsProd, a, b]", {"Fn::If": ["IsProd", "a", "b"]}),
        ("v: !Equals [a, b]", {"Fn::Equals": ["a", "b"]}),
        ("v: !Not [!Condition IsProd]", {"Fn::Not": [{"Condition": "IsProd"}]}),
        ("v: !And [a, b]", {"Fn::And": ["a", "b"]}),
        ("v: !Or [a, b]", {"Fn::Or": ["a", "b"]}),
        ("v: !GetAZs ''", {"Fn::GetAZs": ""}),
        ("v: !Base64 hello", {"Fn::Base64": "hello"}),
        ("v: !FindInMap [M, k, v]", {"Fn::FindInMap": ["M", "k", "v"]}),
    ],
)
def test_short_tags_load_in_long_form(text: str, expected: object) -> None:
    assert load(text) == {"v": expected}


def test_plain_yaml_and_merge_keys() -> None:
    text = "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n"
    assert load(text) == {"base": {"x": 1, "y": 2}, "other": {"x": 1, "y": 3}}


def test_syntax_error_names_line_column_and_problem() -> None:
    with pytest.raises(ConfigError) as caught:
        load("service: x\nfunctions:\n  a: [\n")
    error = caught.value
    assert error.file == "serverless.yml"
    assert "invalid YAML at line 4, column 1" in error.message
    assert "expected" in error.message  # PyYAML's own description of the problem
    assert error.fix and "indentation" in error.fix
    assert "Traceback" not in str(error)
    assert str(error).startswith("serverless.yml: invalid YAML")


def test_bad_indentation_is_reported_where_it_is() -> None:
    with pytest.raises(ConfigError) as caught:
        load("service: x\nprovider:\n  name: aws\n stage: dev\n")
    assert "line 4, column 2" in caught.value.message


def test_duplicate_key_is_an_error() -> None:
    with pytest.raises(ConfigError) as caught:
        load("functions:\n  a: {handler: h.a}\nfunctions:\n  b: {handler: h.b}\n")
    assert "duplicate key 'functions'" in caught.value.message
    assert "line 3, column 1" in caught.value.message


def test_unknown_tag_is_an_error() -> None:
    with pytest.raises(ConfigError) as caught:
        load("v: !Nope x\n")
    assert "unknown tag !Nope" in caught.value.message
