"""The pure pieces of the table service, without sockets: encoding, legacy rewrites, keys."""

from __future__ import annotations

import json

import pytest

from sockgate.tables.errors import ValidationException
from sockgate.tables.model import IndexMeta, TableMeta, describe_table
from sockgate.tables.operations import legacy
from sockgate.tables.payloads import (
    Constraints,
    RawItems,
    RawJson,
    capacity_units,
    encode,
    normalize_item,
)
from sockgate.tables.storage.keys import successor
from sockgate.tables.storage.streamlog import format_seq, parse_seq, stream_label


def test_encode_inserts_raw_json_fragments_verbatim() -> None:
    stored = b'{"pk":{"S":"a"},"n":{"N":"1"}}'
    body = encode({
        "Items": RawItems([stored, stored]), "Count": 2, "Item": RawJson(stored),
        "Mixed": [RawJson(stored), {"x": {"S": "y"}}],
    })  # fmt: skip
    assert json.loads(body) == {
        "Items": [json.loads(stored)] * 2, "Count": 2, "Item": json.loads(stored),
        "Mixed": [json.loads(stored), {"x": {"S": "y"}}],
    }  # fmt: skip
    assert body.count(stored) == 4


def test_constraints_report_every_failure_in_one_message() -> None:
    checks = Constraints()
    checks.table_name("a!")
    checks.int_range(0, "limit", 1)
    with pytest.raises(ValidationException) as caught:
        checks.raise_if_any()
    assert caught.value.message == (
        "3 validation errors detected: "
        "Value 'a!' at 'tableName' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: [a-zA-Z0-9_.-]+; "
        "Value 'a!' at 'tableName' failed to satisfy constraint: Member must have length "
        "greater than or equal to 3; "
        "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater "
        "than or equal to 1"
    )


def test_legacy_parameters_become_expressions() -> None:
    rewritten = legacy.expected(
        {"a": {"Exists": False}, "b": {"Value": {"N": "1"}},
         "c": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "2"}]}},
        "OR",
    )  # fmt: skip
    assert rewritten.text == (
        "(attribute_not_exists(#e0)) OR (#e1 = :e0) OR (#e2 BETWEEN :e1 AND :e2)"
    )
    assert rewritten.names == {"#e0": "a", "#e1": "b", "#e2": "c"}
    updates = legacy.attribute_updates(
        {"a": {"Action": "PUT", "Value": {"S": "x"}}, "b": {"Action": "DELETE"},
         "c": {"Action": "ADD", "Value": {"N": "1"}}}
    )  # fmt: skip
    assert updates.text == "SET #u0 = :u0 REMOVE #u1 ADD #u2 :u1"
    with pytest.raises(ValidationException, match="Invalid number of argument"):
        legacy.conditions({"a": {"ComparisonOperator": "EQ", "AttributeValueList": []}}, None)


def test_numbers_are_normalized_deeply() -> None:
    item = {
        "n": {"N": "01.50"},
        "l": {"L": [{"N": "1e2"}]},
        "s": {"NS": ["2.0"]},
        "t": {"S": "1.0"},
    }
    assert normalize_item(item) == {
        "n": {"N": "1.5"}, "l": {"L": [{"N": "100"}]}, "s": {"NS": ["2"]}, "t": {"S": "1.0"},
    }  # fmt: skip


def test_capacity_units() -> None:
    assert capacity_units(0, read=True) == 0.5
    assert capacity_units(4097, read=True, consistent=True) == 2
    assert capacity_units(1025, read=False) == 2


def test_successor_bounds_a_prefix() -> None:
    assert successor(b"ab") == b"ac"
    assert successor(b"a\xff") == b"b"
    assert successor(b"\xff\xff") is None


def test_sequence_numbers_and_labels() -> None:
    text = format_seq(17_000_000_000_000_000)
    assert len(text) == 21 and text.isdigit()
    assert parse_seq(text) == 17_000_000_000_000_000
    assert parse_seq("12") is None and parse_seq("x" * 21) is None
    assert format_seq(9) < format_seq(10)  # fixed width: string order is numeric order
    assert stream_label(1_700_000_000.123) == "2023-11-14T22:13:20.123"


def test_table_meta_round_trips_and_describes() -> None:
    meta = TableMeta(
        tid=3, name="t1", created=1_700_000_000.0, hash_key="pk", range_key="sk",
        attributes={"pk": "S", "sk": "N", "g": "S"}, billing_mode="PAY_PER_REQUEST",
        gsis=(IndexMeta("g1", 1, True, "g", None, "INCLUDE", ("x",)),),
    )  # fmt: skip
    assert TableMeta.from_json(meta.to_json()) == meta
    described = describe_table(meta, "eu-west-1", {None: (2, 40), 1: (1, 20)})
    assert described["TableArn"] == "arn:aws:dynamodb:eu-west-1:000000000000:table/t1"
    assert described["GlobalSecondaryIndexes"][0]["IndexArn"].endswith("/index/g1")
    assert described["GlobalSecondaryIndexes"][0]["ItemCount"] == 1
    assert (described["ItemCount"], described["TableSizeBytes"]) == (2, 40)
