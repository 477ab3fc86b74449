"""DynamoDB Streams through boto3: record shapes per StreamViewType, iterators, TTL records."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from tables_support import create, error_of

from sockgate.tables.engine import Engine
from sockgate.tables.errors import ExpiredIteratorException
from sockgate.tables.operations.tables import create_table
from sockgate.tables.streams import get_records, get_shard_iterator

KEY = {"pk": {"S": "a"}}


def stream_of(ddb: Any, streams: Any, table: str) -> tuple[str, str]:
    arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    return arn, shards[0]["ShardId"]


def read_all(
    streams: Any, arn: str, shard: str, kind: str = "TRIM_HORIZON", **extra: Any
) -> list[Any]:
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType=kind, **extra
    )["ShardIterator"]
    return streams.get_records(ShardIterator=iterator)["Records"]


def write_three(ddb: Any, table: str) -> None:
    """INSERT, MODIFY, a no-op update (no record), REMOVE."""
    ddb.put_item(TableName=table, Item={**KEY, "v": {"N": "1"}})
    ddb.update_item(TableName=table, Key=KEY, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"N": "2"}})  # fmt: skip
    ddb.update_item(TableName=table, Key=KEY, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"N": "2"}})  # fmt: skip
    ddb.delete_item(TableName=table, Key=KEY)


@pytest.mark.parametrize("view", ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"])
def test_record_shapes_per_view_type(ddb: Any, streams: Any, table_name: str, view: str) -> None:
    create(ddb, table_name, StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
    write_three(ddb, table_name)
    arn, shard = stream_of(ddb, streams, table_name)
    assert re.fullmatch(r"shardId-\d{20}-[0-9a-f]{8}", shard)
    records = read_all(streams, arn, shard)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    sequence = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequence == sorted(set(sequence)) and len(records[0]["dynamodb"]["SequenceNumber"]) >= 21
    first = records[0]
    assert re.fullmatch(r"[0-9a-f]{32}", first["eventID"])
    assert (first["eventVersion"], first["eventSource"], first["awsRegion"]) == (
        "1.1", "aws:dynamodb", "us-east-1",
    )  # fmt: skip
    for record in records:
        body = record["dynamodb"]
        assert body["Keys"] == KEY and body["StreamViewType"] == view
        assert body["SizeBytes"] > 0 and "userIdentity" not in record
        assert abs(body["ApproximateCreationDateTime"].timestamp() - time.time()) < 300
    images = [(("NewImage" in r["dynamodb"]), ("OldImage" in r["dynamodb"])) for r in records]
    new = view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
    old = view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES")
    assert images == [(new, False), (new, old), (False, old)]
    if new:
        assert records[1]["dynamodb"]["NewImage"] == {**KEY, "v": {"N": "2"}}
    if old:
        assert records[2]["dynamodb"]["OldImage"] == {**KEY, "v": {"N": "2"}}


def test_iterator_types(ddb: Any, streams: Any, table_name: str) -> None:
    create(
        ddb, table_name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    )
    for i in range(3):
        ddb.put_item(TableName=table_name, Item={"pk": {"S": str(i)}})
    arn, shard = stream_of(ddb, streams, table_name)
    every = read_all(streams, arn, shard)
    second = every[1]["dynamodb"]["SequenceNumber"]
    at = read_all(streams, arn, shard, "AT_SEQUENCE_NUMBER", SequenceNumber=second)
    after = read_all(streams, arn, shard, "AFTER_SEQUENCE_NUMBER", SequenceNumber=second)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in at] == ["1", "2"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in after] == ["2"]
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")
    assert streams.get_records(ShardIterator=latest["ShardIterator"])["Records"] == []
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "new"}})
    fresh = streams.get_records(ShardIterator=latest["ShardIterator"])["Records"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in fresh] == ["new"]


def test_get_records_pages_with_limit_and_next_iterator(
    ddb: Any, streams: Any, table_name: str
) -> None:
    create(
        ddb, table_name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    )
    for i in range(5):
        ddb.put_item(TableName=table_name, Item={"pk": {"S": str(i)}})
    arn, shard = stream_of(ddb, streams, table_name)
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    got = []
    for _ in range(3):
        page = streams.get_records(ShardIterator=iterator, Limit=2)
        got += [r["dynamodb"]["Keys"]["pk"]["S"] for r in page["Records"]]
        iterator = page["NextShardIterator"]
    assert got == ["0", "1", "2", "3", "4"]


def test_disabled_stream_closes_its_shard(ddb: Any, streams: Any, table_name: str) -> None:
    create(
        ddb, table_name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    )
    ddb.put_item(TableName=table_name, Item=KEY)
    arn, shard = stream_of(ddb, streams, table_name)
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    ddb.update_table(TableName=table_name, StreamSpecification={"StreamEnabled": False})
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "after"}})
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert description["StreamStatus"] == "DISABLED"
    assert "EndingSequenceNumber" in description["Shards"][0]["SequenceNumberRange"]
    page = streams.get_records(ShardIterator=iterator)
    assert [r["dynamodb"]["Keys"] for r in page["Records"]] == [KEY]
    assert "NextShardIterator" not in page


def test_stream_errors(ddb: Any, streams: Any, table_name: str) -> None:
    missing = "arn:aws:dynamodb:us-east-1:000000000000:table/x/stream/2024-01-01T00:00:00.000"
    code, _, _ = error_of(streams.describe_stream, StreamArn=missing)
    assert code == "ResourceNotFoundException"
    code, _, _ = error_of(streams.get_records, ShardIterator="garbage")
    assert code == "ValidationException"


def test_iterators_expire_after_fifteen_minutes(tmp_path: Path) -> None:
    now = [1_700_000_000.0]
    engine = Engine(tmp_path, "us-east-1", clock=lambda: now[0])
    try:
        ctx = engine.write_context
        described = create_table(ctx, {
            "TableName": "clocked", "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
        })["TableDescription"]  # fmt: skip
        arn = described["LatestStreamArn"]
        shard = ctx.store.streams.by_arn(arn).shard_id
        iterator = get_shard_iterator(
            ctx, {"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}
        )["ShardIterator"]
        now[0] += 14 * 60
        assert get_records(ctx, {"ShardIterator": iterator})["Records"] == []
        now[0] += 2 * 60
        with pytest.raises(ExpiredIteratorException, match="Iterator expired"):
            get_records(ctx, {"ShardIterator": iterator})
    finally:
        engine.close()


def test_ttl_deletes_expired_items_with_service_identity(
    ddb: Any, streams: Any, table_name: str
) -> None:
    create(
        ddb, table_name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "OLD_IMAGE"}
    )
    past = str(int(time.time()) - 10)
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "old"}, "exp": {"N": past}})
    ddb.put_item(
        TableName=table_name,
        Item={"pk": {"S": "future"}, "exp": {"N": str(int(time.time()) + 3600)}},
    )
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "text"}, "exp": {"S": past}})
    ancient = str(int(time.time()) - 6 * 365 * 24 * 3600)
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "ancient"}, "exp": {"N": ancient}})
    ddb.update_time_to_live(
        TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"}
    )
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "later"}, "exp": {"N": past}})
    deadline = time.monotonic() + 20
    remaining: set[str] = set()
    while time.monotonic() < deadline:
        remaining = {item["pk"]["S"] for item in ddb.scan(TableName=table_name)["Items"]}
        if "old" not in remaining and "later" not in remaining:
            break
        time.sleep(0.02)
    assert remaining == {"future", "text", "ancient"}
    arn, shard = stream_of(ddb, streams, table_name)
    removes = [r for r in read_all(streams, arn, shard) if r["eventName"] == "REMOVE"]
    assert sorted(r["dynamodb"]["Keys"]["pk"]["S"] for r in removes) == ["later", "old"]
    for record in removes:
        assert record["userIdentity"] == {
            "PrincipalId": "dynamodb.amazonaws.com",
            "Type": "Service",
        }
        assert record["dynamodb"]["OldImage"]["exp"] == {"N": past}
