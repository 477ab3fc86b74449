"""Query and Scan through boto3: key conditions, indexes, paging, the 1 MB page, Select."""

from __future__ import annotations

from typing import Any

import pytest
from tables_support import create, error_of


@pytest.fixture()
def table(ddb: Any, table_name: str) -> str:
    """pk S / sk N with a GSI on g (S) and an LSI on l (N, KEYS_ONLY); 20 items in 'p'."""
    create(
        ddb, table_name, "S", "N",
        extra_attributes=[{"AttributeName": "g", "AttributeType": "S"},
                          {"AttributeName": "l", "AttributeType": "N"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "by-g", "Projection": {"ProjectionType": "KEYS_ONLY"},
            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                          {"AttributeName": "sk", "KeyType": "RANGE"}]}],
        LocalSecondaryIndexes=[{
            "IndexName": "by-l", "Projection": {"ProjectionType": "KEYS_ONLY"},
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                          {"AttributeName": "l", "KeyType": "RANGE"}]}],
    )  # fmt: skip
    for i in range(-5, 15):
        item = {
            "pk": {"S": "p"},
            "sk": {"N": str(i)},
            "l": {"N": str(-i)},
            "odd": {"BOOL": i % 2 == 1},
        }
        if i >= 0:
            item["g"] = {"S": "even" if i % 2 == 0 else "odd"}
        ddb.put_item(TableName=table_name, Item=item)
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "other"}, "sk": {"N": "0"}})
    return table_name


def keys(page: dict[str, Any], name: str = "sk") -> list[int]:
    return [int(item[name]["N"]) for item in page["Items"]]


def q(ddb: Any, table: str, condition: str, **values: Any) -> dict[str, Any]:
    return ddb.query(
        TableName=table, KeyConditionExpression=condition,
        ExpressionAttributeValues={f":{k}": v for k, v in values.items()},
    )  # fmt: skip


def test_range_operators_read_numbers_in_numeric_order(ddb: Any, table: str) -> None:
    p = {"S": "p"}
    assert keys(q(ddb, table, "pk = :p", p=p)) == list(range(-5, 15))
    assert keys(q(ddb, table, "pk = :p AND sk = :v", p=p, v={"N": "3"})) == [3]
    assert keys(q(ddb, table, "pk = :p AND sk < :v", p=p, v={"N": "-3"})) == [-5, -4]
    assert keys(q(ddb, table, "pk = :p AND sk <= :v", p=p, v={"N": "-3"})) == [-5, -4, -3]
    assert keys(q(ddb, table, "pk = :p AND sk > :v", p=p, v={"N": "12"})) == [13, 14]
    assert keys(q(ddb, table, "pk = :p AND sk >= :v", p=p, v={"N": "12.0"})) == [12, 13, 14]
    between = q(ddb, table, "pk = :p AND sk BETWEEN :a AND :b", p=p, a={"N": "-1.5"}, b={"N": "2"})
    assert keys(between) == [-1, 0, 1, 2]


def test_begins_with_on_string_range_keys(ddb: Any, table_name: str) -> None:
    create(ddb, table_name, "S", "S")
    for sk in ["a", "ab", "abc", "abd", "b", "ab\uffff", "é"]:
        ddb.put_item(TableName=table_name, Item={"pk": {"S": "p"}, "sk": {"S": sk}})
    page = q(ddb, table_name, "pk = :p AND begins_with(sk, :s)", p={"S": "p"}, s={"S": "ab"})
    assert [i["sk"]["S"] for i in page["Items"]] == ["ab", "abc", "abd", "ab\uffff"]
    whole = q(ddb, table_name, "pk = :p", p={"S": "p"})
    assert [i["sk"]["S"] for i in whole["Items"]][-1] == "é"  # UTF-8 byte order


def test_scan_index_forward_and_limit_paging(ddb: Any, table: str) -> None:
    seen, start = [], None
    while True:
        kwargs: dict[str, Any] = {"ExclusiveStartKey": start} if start else {}
        page = ddb.query(
            TableName=table, KeyConditionExpression="pk = :p", ScanIndexForward=False, Limit=6,
            ExpressionAttributeValues={":p": {"S": "p"}}, **kwargs,
        )  # fmt: skip
        seen += keys(page)
        start = page.get("LastEvaluatedKey")
        if start is None:
            break
        assert set(start) == {"pk", "sk"}
    assert seen == list(range(14, -6, -1))


def test_filter_counts_and_select_count(ddb: Any, table: str) -> None:
    page = ddb.query(
        TableName=table, KeyConditionExpression="pk = :p", FilterExpression="odd = :t",
        ExpressionAttributeValues={":p": {"S": "p"}, ":t": {"BOOL": True}}, Limit=10,
    )  # fmt: skip
    assert page["ScannedCount"] == 10 and page["Count"] == 5
    counted = ddb.query(
        TableName=table, KeyConditionExpression="pk = :p", Select="COUNT",
        ExpressionAttributeValues={":p": {"S": "p"}},
    )  # fmt: skip
    assert counted["Count"] == 20 and "Items" not in counted


def test_query_errors(ddb: Any, table: str) -> None:
    code, message, _ = error_of(q, ddb, table, "sk = :v", v={"N": "1"})
    assert message == "Query condition missed key schema element: pk"
    code, message, _ = error_of(q, ddb, table, "pk = :v", v={"N": "1"})
    assert message == (
        "One or more parameter values were invalid: Condition parameter type does not match "
        "schema type"
    )
    code, message, _ = error_of(
        ddb.query, TableName=table, KeyConditionExpression="pk = :p", FilterExpression="sk > :v",
        ExpressionAttributeValues={":p": {"S": "p"}, ":v": {"N": "1"}},
    )  # fmt: skip
    assert message == (
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk"
    )
    code, message, _ = error_of(
        ddb.query, TableName=table, IndexName="nope", KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
    )  # fmt: skip
    assert message == "The table does not have the specified index: nope"
    code, message, _ = error_of(
        ddb.query, TableName=table, IndexName="by-g", KeyConditionExpression="g = :g",
        ConsistentRead=True, ExpressionAttributeValues={":g": {"S": "odd"}},
    )  # fmt: skip
    assert message == "Consistent reads are not supported on global secondary indexes"


def test_gsi_query_returns_projected_keys(ddb: Any, table: str) -> None:
    page = ddb.query(
        TableName=table, IndexName="by-g", KeyConditionExpression="g = :g AND sk >= :s",
        ExpressionAttributeValues={":g": {"S": "odd"}, ":s": {"N": "5"}},
    )  # fmt: skip
    assert keys(page) == [5, 7, 9, 11, 13]
    assert set(page["Items"][0]) == {"pk", "sk", "g"}  # KEYS_ONLY
    first = ddb.query(
        TableName=table, IndexName="by-g", KeyConditionExpression="g = :g", Limit=2,
        ExpressionAttributeValues={":g": {"S": "odd"}},
    )  # fmt: skip
    assert set(first["LastEvaluatedKey"]) == {"pk", "sk", "g"}
    rest = ddb.query(
        TableName=table, IndexName="by-g", KeyConditionExpression="g = :g",
        ExclusiveStartKey=first["LastEvaluatedKey"], ExpressionAttributeValues={":g": {"S": "odd"}},
    )  # fmt: skip
    assert keys(first) + keys(rest) == [1, 3, 5, 7, 9, 11, 13]


def test_gsi_follows_updates_and_deletes(ddb: Any, table: str) -> None:
    ddb.update_item(
        TableName=table, Key={"pk": {"S": "p"}, "sk": {"N": "1"}}, UpdateExpression="SET g = :e",
        ExpressionAttributeValues={":e": {"S": "even"}},
    )  # fmt: skip
    ddb.delete_item(TableName=table, Key={"pk": {"S": "p"}, "sk": {"N": "3"}})
    odd = ddb.query(
        TableName=table, IndexName="by-g", KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "odd"}},
    )  # fmt: skip
    assert keys(odd) == [5, 7, 9, 11, 13]


def test_lsi_query_with_all_attributes_fetches_from_the_table(ddb: Any, table: str) -> None:
    page = ddb.query(
        TableName=table, IndexName="by-l", KeyConditionExpression="pk = :p AND l < :z",
        Select="ALL_ATTRIBUTES", ExpressionAttributeValues={":p": {"S": "p"}, ":z": {"N": "-12"}},
    )  # fmt: skip
    assert keys(page, "l") == [-14, -13]
    assert "odd" in page["Items"][0]


def test_one_megabyte_page(ddb: Any, table_name: str) -> None:
    create(ddb, table_name, "S", "N")
    blob = "x" * 100_000
    for i in range(15):
        ddb.put_item(
            TableName=table_name, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "b": {"S": blob}}
        )
    first = q(ddb, table_name, "pk = :p", p={"S": "p"})
    assert 10 <= first["Count"] < 15
    assert first["LastEvaluatedKey"]["sk"] == first["Items"][-1]["sk"]
    scanned = ddb.scan(TableName=table_name)
    assert scanned["Count"] == first["Count"] and "LastEvaluatedKey" in scanned


def test_one_megabyte_page_ends_with_the_item_that_reaches_it(ddb: Any, table_name: str) -> None:
    # 1,100 items of exactly 1 KB as DynamoDB counts them ("pk"+"p" 3, "sk"+5 digits 7,
    # "b"+1013 1014): a page holds the 1,024 that reach 1 MB, wherever SQLite rows are cut.
    create(ddb, table_name, "S", "S")
    filler = {"S": "x" * 1013}
    for start in range(0, 1100, 25):
        puts = [{"PutRequest": {"Item": {"pk": {"S": "p"}, "sk": {"S": f"{i:05d}"}, "b": filler}}}
                for i in range(start, start + 25)]  # fmt: skip
        ddb.batch_write_item(RequestItems={table_name: puts})
    first = q(ddb, table_name, "pk = :p", p={"S": "p"})
    assert first["Count"] == first["ScannedCount"] == 1024
    assert first["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"S": "01023"}}
    rest = ddb.query(
        TableName=table_name, KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}}, ExclusiveStartKey=first["LastEvaluatedKey"],
    )  # fmt: skip
    assert rest["Count"] == 76 and "LastEvaluatedKey" not in rest
    filtered = ddb.scan(
        TableName=table_name, FilterExpression="b <> :b", ExpressionAttributeValues={":b": filler}
    )
    assert (filtered["Count"], filtered["ScannedCount"]) == (0, 1024)
    assert filtered["LastEvaluatedKey"]["sk"] == {"S": "01023"}
    limited = ddb.scan(TableName=table_name, Limit=300)
    assert limited["Count"] == 300 and limited["LastEvaluatedKey"]["sk"] == {"S": "00299"}


def test_scan_segments_cover_the_table_once(ddb: Any, table: str) -> None:
    everything = ddb.scan(TableName=table)
    assert everything["Count"] == 21
    seen = []
    for segment in range(3):
        page = ddb.scan(TableName=table, Segment=segment, TotalSegments=3)
        seen += [(i["pk"]["S"], i["sk"]["N"]) for i in page["Items"]]
    assert sorted(seen) == sorted((i["pk"]["S"], i["sk"]["N"]) for i in everything["Items"])
    code, message, _ = error_of(ddb.scan, TableName=table, Segment=3, TotalSegments=3)
    assert "must be less than parameter TotalSegments" in message


def test_scan_with_filter_projection_and_index(ddb: Any, table: str) -> None:
    page = ddb.scan(
        TableName=table, FilterExpression="sk BETWEEN :a AND :b", ProjectionExpression="sk",
        ExpressionAttributeValues={":a": {"N": "0"}, ":b": {"N": "2"}},
    )  # fmt: skip
    assert sorted(keys(page)) == [0, 0, 1, 2]
    assert all(set(item) == {"sk"} for item in page["Items"])
    on_index = ddb.scan(TableName=table, IndexName="by-g")
    assert on_index["Count"] == 15


def test_legacy_key_conditions_and_query_filter(ddb: Any, table: str) -> None:
    page = ddb.query(
        TableName=table,
        KeyConditions={
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
            "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "0"}, {"N": "5"}]},
        },
        QueryFilter={"odd": {"ComparisonOperator": "EQ", "AttributeValueList": [{"BOOL": False}]}},
        AttributesToGet=["sk"],
    )  # fmt: skip
    assert keys(page) == [0, 2, 4]
