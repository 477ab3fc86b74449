"""Lambda event filtering (EventBridge pattern syntax) against stream records, without I/O."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sockgate.errors import ConfigError
from sockgate.streams.filters import compile_filters

RECORD: dict[str, Any] = {
    "eventID": "c4ca4238a0b923820dcc509a6f75849b",
    "eventName": "INSERT",
    "eventVersion": "1.1",
    "eventSource": "aws:dynamodb",
    "awsRegion": "us-east-1",
    "dynamodb": {
        "ApproximateCreationDateTime": 1428537600,
        "Keys": {"pk": {"S": "room#general"}, "sk": {"S": "conn#1"}},
        "NewImage": {
            "pk": {"S": "room#general"},
            "sk": {"S": "conn#1"},
            "status": {"S": "DONE"},
            "count": {"N": "42"},
            "price": {"N": "9.5"},
            "active": {"BOOL": True},
            "note": {"NULL": True},
            "empty": {"S": ""},
            "tags": {"SS": ["red", "blue"]},
            "file": {"S": "photo.PNG"},
            "ip": {"S": "10.0.0.7"},
        },
        "SequenceNumber": "111",
        "SizeBytes": 26,
        "StreamViewType": "NEW_IMAGE",
    },
    "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/chat/stream/2024",
    "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
    "score": 300,
    "ratio": 0.5,
    "flag": False,
    "nothing": None,
    "list": ["a", "b", 3],
    "emptylist": [],
}


def new_image(field: str, value: Any) -> dict[str, Any]:
    return {"dynamodb": {"NewImage": {field: value}}}


def matches(*patterns: Any, record: dict[str, Any] | None = None) -> bool:
    return compile_filters(list(patterns)).matches(record or RECORD)


def test_no_patterns_delivers_everything() -> None:
    assert compile_filters([]).matches(RECORD)
    assert not compile_filters([])


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"eventName": ["INSERT"]}, True),
        ({"eventName": ["MODIFY"]}, False),
        ({"eventName": ["insert"]}, False),  # case-sensitive
        ({"eventName": ["MODIFY", "INSERT"]}, True),  # list = OR
        ({"eventName": ["INSERT"], "awsRegion": ["us-east-1"]}, True),  # AND across fields
        ({"eventName": ["INSERT"], "awsRegion": ["eu-west-1"]}, False),
        ({"missing": ["INSERT"]}, False),
        (new_image("status", {"S": ["DONE"]}), True),
        (new_image("status", {"S": ["OPEN"]}), False),
        (new_image("status", {"N": ["DONE"]}), False),  # typed: S, not N
        (new_image("empty", {"S": [""]}), True),  # empty string
        (new_image("status", {"S": [""]}), False),
        (new_image("note", {"NULL": [True]}), True),
        (new_image("active", {"BOOL": [True]}), True),
        (new_image("active", {"BOOL": [False]}), False),
        (new_image("active", {"BOOL": ["true"]}), False),  # bool is not a string
        (new_image("tags", {"SS": ["blue"]}), True),  # array: any element
        (new_image("tags", {"SS": ["green"]}), False),
        ({"nothing": [None]}, True),  # null matches an explicit null
        ({"missing": [None]}, False),  # ... not an absent field
        ({"eventName": [None]}, False),
        ({"score": [300]}, True),
        ({"score": [300.0]}, False),  # numbers compare by JSON text
        ({"score": ["300"]}, False),
        ({"flag": [False]}, True),
        ({"flag": [0]}, False),
        ({"list": [3]}, True),
        ({"list": ["c"]}, False),
    ],
)
def test_exact_values(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern) is expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"eventSourceARN": [{"prefix": "arn:aws:dynamodb:"}]}, True),
        ({"eventSourceARN": [{"prefix": "arn:aws:sqs:"}]}, False),
        (new_image("pk", {"S": [{"prefix": "room#"}]}), True),
        (new_image("pk", {"S": [{"prefix": "ROOM#"}]}), False),
        (new_image("pk", {"S": [{"prefix": {"equals-ignore-case": "ROOM#"}}]}), True),
        (new_image("file", {"S": [{"suffix": ".PNG"}]}), True),
        (new_image("file", {"S": [{"suffix": ".png"}]}), False),
        (new_image("file", {"S": [{"suffix": {"equals-ignore-case": ".png"}}]}), True),
        (new_image("status", {"S": [{"equals-ignore-case": "done"}]}), True),
        (new_image("status", {"S": [{"equals-ignore-case": "don"}]}), False),
        (new_image("file", {"S": [{"wildcard": "photo.*"}]}), True),
        (new_image("file", {"S": [{"wildcard": "*.PNG"}]}), True),
        (new_image("file", {"S": [{"wildcard": "p*o.P*G"}]}), True),
        (new_image("file", {"S": [{"wildcard": "*.jpg"}]}), False),
        (new_image("ip", {"S": [{"cidr": "10.0.0.0/24"}]}), True),
        (new_image("ip", {"S": [{"cidr": "10.0.1.0/24"}]}), False),
        ({"score": [{"prefix": "3"}]}, False),  # prefix only applies to strings
    ],
)
def test_string_operators(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern) is expected


def test_wildcard_escapes_a_literal_star() -> None:
    record = {"name": "a*b"}
    assert matches({"name": [{"wildcard": "a\\*b"}]}, record=record)
    assert not matches({"name": [{"wildcard": "a\\*b"}]}, record={"name": "axb"})


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"eventName": [{"anything-but": "REMOVE"}]}, True),
        ({"eventName": [{"anything-but": "INSERT"}]}, False),
        ({"eventName": [{"anything-but": ["MODIFY", "REMOVE"]}]}, True),
        ({"eventName": [{"anything-but": ["INSERT", "REMOVE"]}]}, False),
        ({"missing": [{"anything-but": "INSERT"}]}, False),  # absent never matches
        ({"score": [{"anything-but": 100}]}, True),
        ({"score": [{"anything-but": [300]}]}, False),
        ({"awsRegion": [{"anything-but": {"prefix": "us-"}}]}, False),
        ({"awsRegion": [{"anything-but": {"prefix": "eu-"}}]}, True),
        ({"awsRegion": [{"anything-but": {"suffix": "-1"}}]}, False),
        ({"awsRegion": [{"anything-but": {"suffix": "-2"}}]}, True),
        ({"eventName": [{"anything-but": {"equals-ignore-case": "insert"}}]}, False),
        ({"eventName": [{"anything-but": {"equals-ignore-case": ["modify", "remove"]}}]}, True),
        ({"eventName": [{"anything-but": {"prefix": ["MO", "IN"]}}]}, False),
        ({"eventName": [{"anything-but": {"wildcard": "IN*"}}]}, False),
    ],
)
def test_anything_but(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern) is expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"score": [{"numeric": ["=", 300]}]}, True),
        ({"score": [{"numeric": ["=", 300.0]}]}, True),  # numeric compares values
        ({"score": [{"numeric": ["=", 301]}]}, False),
        ({"score": [{"numeric": [">", 299]}]}, True),
        ({"score": [{"numeric": [">", 300]}]}, False),
        ({"score": [{"numeric": [">=", 300]}]}, True),
        ({"score": [{"numeric": ["<", 300]}]}, False),
        ({"score": [{"numeric": ["<=", 300]}]}, True),
        ({"score": [{"numeric": [">", 0, "<=", 300]}]}, True),
        ({"score": [{"numeric": [">", 0, "<", 300]}]}, False),
        ({"ratio": [{"numeric": [">", 0.25, "<", 0.75]}]}, True),
        # DynamoDB numbers are strings: numeric compares them by value (choice, see filters.py)
        (new_image("count", {"N": [{"numeric": [">", 10]}]}), True),
        (new_image("count", {"N": [{"numeric": ["<", 10]}]}), False),
        (new_image("price", {"N": [{"numeric": [">=", 9.5, "<", 10]}]}), True),
        (new_image("status", {"S": [{"numeric": [">", 0]}]}), False),  # "DONE" is no number
        ({"flag": [{"numeric": ["=", 0]}]}, False),  # booleans are not numbers
        ({"missing": [{"numeric": [">", 0]}]}, False),
    ],
)
def test_numeric(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern) is expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"userIdentity": {"type": [{"exists": True}]}}, True),
        ({"userIdentity": {"type": [{"exists": False}]}}, False),
        ({"missing": [{"exists": False}]}, True),
        ({"missing": [{"exists": True}]}, False),
        ({"nothing": [{"exists": True}]}, True),  # present with null is present
        ({"emptylist": [{"exists": False}]}, True),  # an empty array counts as absent
        # A missing parent makes every leaf below it absent.
        ({"dynamodb": {"OldImage": {"status": [{"exists": False}]}}}, True),
        ({"dynamodb": {"OldImage": {"status": [{"exists": True}]}}}, False),
        (new_image("status", {"S": [{"exists": True}]}), True),
        # exists: false alongside values: either absent or one of the values
        ({"missing": [{"exists": False}, "x"]}, True),
        ({"eventName": [{"exists": False}, "INSERT"]}, True),
        ({"eventName": [{"exists": False}, "MODIFY"]}, False),
    ],
)
def test_exists(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern) is expected


def test_nested_object_against_a_scalar_does_not_match() -> None:
    assert not matches({"eventName": {"S": ["INSERT"]}})


def test_or_across_patterns() -> None:
    assert matches({"eventName": ["MODIFY"]}, {"eventName": ["INSERT"]})
    assert not matches({"eventName": ["MODIFY"]}, {"eventName": ["REMOVE"]})


def test_or_inside_a_pattern() -> None:
    pattern = {"$or": [{"eventName": ["MODIFY"]}, {"awsRegion": ["us-east-1"]}]}
    assert matches(pattern)
    assert not matches({"$or": [{"eventName": ["MODIFY"]}, {"awsRegion": ["eu-west-1"]}]})
    # $or is AND-ed with the pattern's other fields
    assert not matches({"eventName": ["REMOVE"], **pattern})


def test_the_lambda_api_form_with_a_json_string() -> None:
    pattern = {"Pattern": json.dumps({"eventName": ["INSERT"]})}
    assert matches(pattern)
    assert not matches(json.dumps({"eventName": ["REMOVE"]}))


def test_the_typical_serverless_yml_pattern() -> None:
    pattern = {
        "eventName": ["INSERT", "MODIFY"],
        "dynamodb": {"NewImage": {"status": {"S": ["DONE"]}}},
    }
    assert matches(pattern)
    assert not matches(pattern, record={**RECORD, "eventName": "REMOVE"})


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ({"eventName": "INSERT"}, "must be a list of values"),
        ({"eventName": []}, "must not be an empty list"),
        ({}, "non-empty object"),
        ("not json", "not valid JSON"),
        ({"eventName": [{"prefix": 3}]}, "prefix takes a string"),
        ({"eventName": [{"startswith": "I"}]}, "unknown operator 'startswith'"),
        ({"eventName": [{"prefix": "I", "suffix": "T"}]}, "exactly one operator"),
        ({"score": [{"numeric": [">"]}]}, "operator/number pairs"),
        ({"score": [{"numeric": ["!=", 3]}]}, "is not one of"),
        ({"score": [{"numeric": [">", "3"]}]}, "must be a number"),
        ({"score": [{"numeric": ["=", 3, ">", 1]}]}, "cannot be combined"),
        ({"score": [{"exists": "yes"}]}, "exists takes true or false"),
        ({"score": [{"anything-but": {"numeric": [">", 1]}}]}, "anything-but takes"),
        ({"score": [{"anything-but": []}]}, "anything-but takes"),
        ({"name": [{"wildcard": "a**b"}]}, "consecutive"),
        ({"ip": [{"cidr": "nonsense"}]}, "is not a network"),
        ({"eventName": [["INSERT"]]}, "nested list"),
        ({"$or": [{"a": ["x"]}]}, "at least two"),
        ({"eventName": {}}, "empty object"),
    ],
)
def test_bad_patterns_are_config_errors_naming_the_key(pattern: Any, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        compile_filters([pattern], path="functions.fan.events[0].stream.filterPatterns")
    text = str(caught.value)
    assert message in text
    assert text.startswith("functions.fan.events[0].stream.filterPatterns[0]")


def nested_pattern(levels: int) -> dict[str, Any]:
    """{"a": {"a": ... {"a": ["x"]}}} with ``levels`` objects (built without recursion)."""
    pattern: dict[str, Any] = {"a": ["x"]}
    for _ in range(levels - 1):
        pattern = {"a": pattern}
    return pattern


@pytest.mark.parametrize(
    "pattern",
    [
        nested_pattern(5000),
        '{"a":' * 600 + '["x"]' + "}" * 600,  # within Lambda's 4096 characters
        '{"a":' + "[" * 2000 + "]" * 2000 + "}",  # json.loads alone would recurse too deep
    ],
    ids=["object", "json-objects", "json-lists"],
)
def test_a_pattern_nested_too_deep_is_a_config_error(pattern: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        compile_filters([pattern], path="functions.fan.events[0].stream.filterPatterns")
    assert str(caught.value).startswith(
        "functions.fan.events[0].stream.filterPatterns[0]: filter pattern nests objects and "
        "lists more than 100 levels deep; a DynamoDB stream record is never that deep"
    )


def test_a_pattern_longer_than_lambda_allows_is_a_config_error() -> None:
    values = [f"value-{n}" for n in range(500)]
    for pattern in ({"eventName": values}, json.dumps({"eventName": values})):
        with pytest.raises(ConfigError) as caught:
            compile_filters([pattern])
        assert "Lambda accepts at most 4096 per pattern" in str(caught.value)


def test_patterns_as_deep_as_a_record_can_be_still_compile_and_match() -> None:
    # The deepest a DynamoDB record goes: an attribute nested 32 levels in NewImage.
    value: dict[str, Any] = {"S": ["x"]}
    record_value: dict[str, Any] = {"S": "x"}
    for _ in range(31):
        value = {"M": {"a": value}}
        record_value = {"M": {"a": record_value}}
    record = new_image("a", record_value)
    assert matches({"dynamodb": {"NewImage": {"a": value}}}, record=record)


def test_deeply_nested_records_are_matched_without_recursion_errors() -> None:
    record: dict[str, Any] = {"S": "x"}
    for _ in range(10_000):
        record = {"M": {"a": record}}
    deep = new_image("a", record)
    assert matches({"dynamodb": {"NewImage": {"a": {"M": {"a": {"M": [{"exists": True}]}}}}}},
                   record=deep)  # fmt: skip
    assert not matches({"dynamodb": {"NewImage": {"a": {"S": ["x"]}}}}, record=deep)
    assert matches({"eventName": [{"exists": False}]}, record=deep)
