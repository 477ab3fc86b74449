"""CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable, TTL and tags via boto3."""

from __future__ import annotations

from typing import Any

from tables_support import create, error_of


def _gsi(name: str, key: str, projection: str = "ALL", **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "IndexName": name,
        "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
        "Projection": {"ProjectionType": projection},
    }
    spec.update(extra)
    return spec


def test_create_table_answers_an_active_description(ddb: Any, table_name: str) -> None:
    created = create(ddb, table_name, "S", "N")["TableDescription"]
    assert created["TableStatus"] == "ACTIVE"
    assert created["TableArn"] == f"arn:aws:dynamodb:us-east-1:000000000000:table/{table_name}"
    assert created["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert created["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert created["ItemCount"] == 0


def test_describe_table_counts_items_and_shows_indexes_and_stream(
    ddb: Any, table_name: str
) -> None:
    create(
        ddb, table_name, "S", "S",
        extra_attributes=[{"AttributeName": "g", "AttributeType": "S"},
                          {"AttributeName": "l", "AttributeType": "N"}],
        GlobalSecondaryIndexes=[_gsi("by-g", "g", "INCLUDE") | {
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}}],
        LocalSecondaryIndexes=[{
            "IndexName": "by-l",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                          {"AttributeName": "l", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )  # fmt: skip
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "g": {"S": "x"}})
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "a"}, "sk": {"S": "2"}})
    table = ddb.describe_table(TableName=table_name)["Table"]
    assert table["ItemCount"] == 2
    assert table["TableSizeBytes"] > 0
    gsi = table["GlobalSecondaryIndexes"][0]
    assert gsi["IndexName"] == "by-g" and gsi["IndexStatus"] == "ACTIVE"
    assert gsi["ItemCount"] == 1
    assert gsi["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}
    assert table["LocalSecondaryIndexes"][0]["ItemCount"] == 0
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    label = table["LatestStreamLabel"]
    assert len(label) == 23 and label[10] == "T" and label[19] == "."
    assert table["LatestStreamArn"] == f"{table['TableArn']}/stream/{label}"


def test_create_table_twice_is_resource_in_use(ddb: Any, table_name: str) -> None:
    create(ddb, table_name)
    code, message, _ = error_of(create, ddb, table_name)
    assert code == "ResourceInUseException"
    assert message == f"Table already exists: {table_name}"


def test_create_table_validation_errors(ddb: Any, table_name: str) -> None:
    code, message, _ = error_of(
        ddb.create_table, TableName=table_name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip
    assert code == "ValidationException"
    assert message.startswith(
        "One or more parameter values were invalid: Some index key attributes are not defined"
    )
    code, message, _ = error_of(
        ddb.create_table, TableName=table_name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )  # fmt: skip
    assert message == (
        "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits "
        "must both be specified when BillingMode is PROVISIONED"
    )
    code, message, _ = error_of(create, ddb, "ab")
    assert message == (
        "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 3"
    )


def test_missing_table_is_resource_not_found(ddb: Any) -> None:
    code, message, response = error_of(ddb.describe_table, TableName="no-such-table")
    assert code == "ResourceNotFoundException"
    assert message == "Requested resource not found: Table: no-such-table not found"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    code, message, _ = error_of(ddb.get_item, TableName="no-such-table", Key={"pk": {"S": "a"}})
    assert (code, message) == ("ResourceNotFoundException", "Requested resource not found")


def test_list_tables_pages(ddb: Any, table_name: str) -> None:
    names = [f"{table_name}-{i}" for i in range(3)]
    for name in names:
        create(ddb, name)
    seen, start = [], None
    while True:
        kwargs = {"Limit": 2} | ({"ExclusiveStartTableName": start} if start else {})
        page = ddb.list_tables(**kwargs)
        assert len(page["TableNames"]) <= 2
        seen += page["TableNames"]
        start = page.get("LastEvaluatedTableName")
        if start is None:
            break
    assert [n for n in seen if n.startswith(table_name)] == names
    assert seen == sorted(seen)


def test_delete_table_removes_it(ddb: Any, table_name: str) -> None:
    create(ddb, table_name)
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "a"}})
    deleted = ddb.delete_table(TableName=table_name)["TableDescription"]
    assert deleted["TableStatus"] == "DELETING"
    assert table_name not in ddb.list_tables(Limit=100)["TableNames"]
    create(ddb, table_name)
    assert ddb.scan(TableName=table_name)["Items"] == []


def test_deletion_protection(ddb: Any, table_name: str) -> None:
    create(ddb, table_name, DeletionProtectionEnabled=True)
    code, message, _ = error_of(ddb.delete_table, TableName=table_name)
    assert code == "ValidationException"
    assert "protected against deletion" in message
    ddb.update_table(TableName=table_name, DeletionProtectionEnabled=False)
    ddb.delete_table(TableName=table_name)


def test_update_table_adds_and_removes_a_gsi_with_backfill(ddb: Any, table_name: str) -> None:
    create(ddb, table_name)
    for i in range(3):
        ddb.put_item(TableName=table_name, Item={"pk": {"S": str(i)}, "g": {"S": "same"}})
    ddb.put_item(TableName=table_name, Item={"pk": {"S": "x"}, "g": {"N": "1"}})  # wrong type
    ddb.update_table(
        TableName=table_name,
        AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": _gsi("by-g", "g")}],
    )
    table = ddb.describe_table(TableName=table_name)["Table"]
    assert table["GlobalSecondaryIndexes"][0]["ItemCount"] == 3
    got = ddb.query(
        TableName=table_name, IndexName="by-g", KeyConditions={
            "g": {"AttributeValueList": [{"S": "same"}], "ComparisonOperator": "EQ"}},
    )  # fmt: skip
    assert got["Count"] == 3
    ddb.update_table(
        TableName=table_name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-g"}}]
    )
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(TableName=table_name)["Table"]


def test_update_table_stream_on_off_gives_new_arns(ddb: Any, streams: Any, table_name: str) -> None:
    create(ddb, table_name)
    on = {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    first = ddb.update_table(TableName=table_name, StreamSpecification=on)["TableDescription"]
    code, message, _ = error_of(ddb.update_table, TableName=table_name, StreamSpecification=on)
    assert (code, message) == (
        "ValidationException",
        f"Table already has an enabled stream: TableName: {table_name}",
    )
    ddb.update_table(TableName=table_name, StreamSpecification={"StreamEnabled": False})
    described = streams.describe_stream(StreamArn=first["LatestStreamArn"])["StreamDescription"]
    assert described["StreamStatus"] == "DISABLED"
    second = ddb.update_table(TableName=table_name, StreamSpecification=on)["TableDescription"]
    assert second["LatestStreamArn"] != first["LatestStreamArn"]
    listed = streams.list_streams(TableName=table_name)["Streams"]
    assert len(listed) == 2


def test_time_to_live_settings(ddb: Any, table_name: str) -> None:
    create(ddb, table_name)
    assert ddb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "DISABLED"
    }
    spec = {"Enabled": True, "AttributeName": "expires"}
    assert (
        ddb.update_time_to_live(TableName=table_name, TimeToLiveSpecification=spec)[
            "TimeToLiveSpecification"
        ]
        == spec
    )
    assert ddb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expires",
    }  # fmt: skip
    code, message, _ = error_of(
        ddb.update_time_to_live, TableName=table_name, TimeToLiveSpecification=spec
    )
    assert (code, message) == ("ValidationException", "TimeToLive is already enabled")


def test_tags(ddb: Any, table_name: str) -> None:
    arn = create(ddb, table_name, Tags=[{"Key": "a", "Value": "1"}])["TableDescription"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "b", "Value": "2"}])
    ddb.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    code, _, _ = error_of(ddb.list_tags_of_resource, ResourceArn=arn + "-nope")
    assert code == "ResourceNotFoundException"


def test_in_memory_server_serves_the_same_api() -> None:
    from tables_support import ServerThread, client_for

    running = ServerThread(None)
    try:
        ddb = client_for(running.url)
        spec = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
        create(ddb, "memory", "S", "N", StreamSpecification=spec)
        for i in range(3):
            ddb.put_item(TableName="memory", Item={"pk": {"S": "p"}, "sk": {"N": str(i)}})
        page = ddb.query(
            TableName="memory", KeyConditionExpression="pk = :p AND sk > :z",
            ExpressionAttributeValues={":p": {"S": "p"}, ":z": {"N": "0"}},
        )  # fmt: skip
        assert [item["sk"]["N"] for item in page["Items"]] == ["1", "2"]
        streams = client_for(running.url, "dynamodbstreams")
        arn = ddb.describe_table(TableName="memory")["Table"]["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        assert len(streams.get_records(ShardIterator=iterator)["Records"]) == 3
    finally:
        running.close()
