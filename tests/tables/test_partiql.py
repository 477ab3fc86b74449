"""PartiQL: ExecuteStatement, BatchExecuteStatement and ExecuteTransaction through boto3 and
the AWS CLI, the parser alone, and the stream records PartiQL writes leave."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

import pytest
from tables_support import create, error_of

from sockgate.tables.errors import ValidationException
from sockgate.tables.partiql.parser import Between, Compare, In, Path, Select, Update, Value, parse


def table_with_items(ddb: Any, name: str, **extra: Any) -> None:
    create(ddb, name, range_type="N", **extra)
    for sk in range(5):
        ddb.execute_statement(
            Statement=f"INSERT INTO \"{name}\" VALUE {{'pk': ?, 'sk': ?, 'v': 'x', 'n': 1}}",
            Parameters=[{"S": "a"}, {"N": str(sk)}],
        )


# --- the parser ------------------------------------------------------------------------------


def test_parse_select_with_index_projection_and_conditions() -> None:
    statement = parse(
        'SELECT a, "b".c, d[2] FROM "tbl"."by-v" WHERE pk = ? AND sk BETWEEN 1 AND 3 '
        "AND v IN ['x', 'y']",
        [{"S": "p"}],
    )
    assert isinstance(statement, Select)
    assert (statement.table, statement.index) == ("tbl", "by-v")
    assert statement.projection == [Path(("a",)), Path(("b", "c")), Path(("d", 2))]
    items = statement.where.items
    assert items[0] == Compare("=", Path(("pk",)), Value({"S": "p"}))
    assert items[1] == Between(Path(("sk",)), Value({"N": "1"}), Value({"N": "3"}))
    assert items[2] == In(Path(("v",)), (Value({"S": "x"}), Value({"S": "y"})))


def test_parse_update_values_and_returning() -> None:
    statement = parse(
        "UPDATE t SET a = 'it''s', b = b + 1, c = <<1, 2>>, d = {'k': [TRUE, NULL, -2.5]} "
        "REMOVE e WHERE pk = 'p' RETURNING MODIFIED OLD *",
        None,
    )
    assert isinstance(statement, Update)
    assert statement.sets[0] == (Path(("a",)), Value({"S": "it's"}))
    assert statement.sets[2] == (Path(("c",)), Value({"NS": ["1", "2"]}))
    assert statement.sets[3][1] == Value(
        {"M": {"k": {"L": [{"BOOL": True}, {"NULL": True}, {"N": "-2.5"}]}}}
    )
    assert statement.removes == [Path(("e",))] and statement.returning == "UPDATED_OLD"


@pytest.mark.parametrize(
    ("statement", "parameters", "message"),
    [
        ("SELEC * FROM t", None, "Statement wasn't well formed, can't be processed: "
         "Expected data manipulation"),
        ("SELECT * FROM t WHERE pk = ?", None,
         "Number of parameters in request and statement don't match."),
        ("SELECT * FROM t", [{"S": "x"}],
         "Number of parameters in request and statement don't match."),
        ("SELECT *, a FROM t", None,
         "Other attributes should not be present in the projection when '*' is used."),
        ("INSERT INTO t VALUES {'a': 1}", None, "Unsupported operation: Inserting multiple "
         "items in a single statement is not supported, use \"INSERT INTO tableName VALUE "
         "item\" instead"),
        ("DELETE FROM t WHERE pk = 'a' RETURNING ALL NEW *", None, "Invalid returning clause: "
         "RETURNING ALL NEW *. Only RETURNING ALL OLD * is allowed in DELETE statements."),
        ("SELECT * FROM t; SELECT * FROM t", None, "Only one operation is allowed in a "
         "statement."),
        ("SELECT * FROM a.b.c", None, "A path may contain at most 2 components in the FROM "
         "clause"),
    ],
)  # fmt: skip
def test_parse_errors_use_dynamodb_texts(
    statement: str, parameters: list[dict[str, Any]] | None, message: str
) -> None:
    with pytest.raises(ValidationException) as caught:
        parse(statement, parameters)
    assert caught.value.message == message


# --- ExecuteStatement through boto3 ----------------------------------------------------------


def test_insert_select_and_duplicates(ddb: Any, table_name: str) -> None:
    table_with_items(ddb, table_name)
    code, message, _ = error_of(
        ddb.execute_statement,
        Statement=f"INSERT INTO \"{table_name}\" VALUE {{'pk': 'a', 'sk': 1}}",
    )
    assert (code, message) == ("DuplicateItemException", "Duplicate primary key exists in table")
    got = ddb.execute_statement(
        Statement=f'SELECT sk, v FROM "{table_name}" WHERE pk = ? AND sk BETWEEN 1 AND 3',
        Parameters=[{"S": "a"}],
    )
    assert got["Items"] == [{"sk": {"N": str(i)}, "v": {"S": "x"}} for i in (1, 2, 3)]
    assert "NextToken" not in got


def test_select_pages_with_limit_and_next_token(ddb: Any, table_name: str) -> None:
    table_with_items(ddb, table_name)
    statement = f"SELECT sk FROM \"{table_name}\" WHERE pk = 'a'"
    seen, token = [], None
    while True:
        extra = {"NextToken": token} if token else {}
        page = ddb.execute_statement(Statement=statement, Limit=2, ConsistentRead=True, **extra)
        seen += [int(i["sk"]["N"]) for i in page["Items"]]
        token = page.get("NextToken")
        if token is None:
            break
    assert seen == [0, 1, 2, 3, 4]
    first = ddb.execute_statement(Statement=statement, Limit=2)["NextToken"]
    code, message, _ = error_of(
        ddb.execute_statement, Statement=f'SELECT * FROM "{table_name}"', NextToken=first
    )
    assert (code, message) == ("ValidationException", "NextToken does not match request")
    code, message, _ = error_of(ddb.execute_statement, Statement=statement, NextToken="nope")
    assert message == "Invalid NextToken"


def test_where_on_other_attributes_filters_and_scans(ddb: Any, table_name: str) -> None:
    table_with_items(ddb, table_name)
    ddb.execute_statement(
        Statement=f"UPDATE \"{table_name}\" SET v = 'y' WHERE pk = 'a' AND sk = 2"
    )
    scanned = ddb.execute_statement(
        Statement=f"SELECT sk FROM \"{table_name}\" WHERE v = 'y' OR sk IN [0, 4]"
    )
    assert sorted(int(i["sk"]["N"]) for i in scanned["Items"]) == [0, 2, 4]
    filtered = ddb.execute_statement(
        Statement=f"SELECT sk FROM \"{table_name}\" WHERE pk = 'a' AND begins_with(v, 'x') "
        "AND sk > 1"
    )
    assert [int(i["sk"]["N"]) for i in filtered["Items"]] == [3, 4]
    missing = ddb.execute_statement(
        Statement=f"SELECT sk FROM \"{table_name}\" WHERE pk = 'a' AND w IS MISSING AND sk < 1"
    )
    assert missing["Items"] == [{"sk": {"N": "0"}}]


def test_select_in_on_the_partition_key_and_from_an_index(ddb: Any, table_name: str) -> None:
    create(
        ddb, table_name, range_type="N",
        extra_attributes=[{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
    )  # fmt: skip
    for pk, g in (("a", "one"), ("b", "two"), ("c", "one")):
        ddb.execute_statement(
            Statement=f"INSERT INTO \"{table_name}\" VALUE {{'pk': ?, 'sk': 1, 'g': ?}}",
            Parameters=[{"S": pk}, {"S": g}],
        )
    found, token = [], None
    while True:
        extra = {"NextToken": token} if token else {}
        page = ddb.execute_statement(
            Statement=f"SELECT pk FROM \"{table_name}\" WHERE pk IN ['a', 'c', 'zz']", **extra
        )
        found += [i["pk"]["S"] for i in page["Items"]]
        if (token := page.get("NextToken")) is None:
            break
    assert sorted(found) == ["a", "c"]
    by_g = ddb.execute_statement(
        Statement=f'SELECT pk FROM "{table_name}"."by-g" WHERE g = \'one\''
    )
    assert sorted(i["pk"]["S"] for i in by_g["Items"]) == ["a", "c"]
    code, message, _ = error_of(
        ddb.execute_statement, ConsistentRead=True,
        Statement=f"SELECT pk FROM \"{table_name}\".\"by-g\" WHERE g = 'one'",
    )  # fmt: skip
    assert message == "Strongly consistent read is not supported on Global Secondary Indexes"


def test_update_and_delete(ddb: Any, table_name: str) -> None:
    table_with_items(ddb, table_name)
    updated = ddb.execute_statement(
        Statement=f"UPDATE \"{table_name}\" SET n = n + 5, tags = <<'t'>> REMOVE v "
        "WHERE pk = 'a' AND sk = 2 RETURNING ALL NEW *"
    )
    assert updated["Items"] == [
        {"pk": {"S": "a"}, "sk": {"N": "2"}, "n": {"N": "6"}, "tags": {"SS": ["t"]}}
    ]
    ddb.execute_statement(
        Statement=f"UPDATE \"{table_name}\" SET tags = set_add(tags, <<'u'>>) "
        "WHERE pk = 'a' AND sk = 2"
    )
    item = ddb.get_item(TableName=table_name, Key={"pk": {"S": "a"}, "sk": {"N": "2"}})["Item"]
    assert sorted(item["tags"]["SS"]) == ["t", "u"]
    code, message, _ = error_of(
        ddb.execute_statement, Statement=f"UPDATE \"{table_name}\" SET v = 'y' WHERE pk = 'a'"
    )
    assert message == "Where clause does not contain a mandatory equality on all key attributes"
    code, message, response = error_of(
        ddb.execute_statement, ReturnValuesOnConditionCheckFailure="ALL_OLD",
        Statement=f"UPDATE \"{table_name}\" SET v = 'y' WHERE pk = 'a' AND sk = 1 AND n = 7",
    )  # fmt: skip
    assert code == "ConditionalCheckFailedException"
    assert response["Item"]["sk"] == {"N": "1"}
    code, _, _ = error_of(
        ddb.execute_statement,
        Statement=f"UPDATE \"{table_name}\" SET v = 'y' WHERE pk = 'nobody' AND sk = 1",
    )
    assert code == "ConditionalCheckFailedException"
    deleted = ddb.execute_statement(
        Statement=f"DELETE FROM \"{table_name}\" WHERE pk = 'a' AND sk = 4 RETURNING ALL OLD *"
    )
    assert deleted["Items"][0]["sk"] == {"N": "4"}
    ddb.execute_statement(Statement=f"DELETE FROM \"{table_name}\" WHERE pk = 'gone' AND sk = 4")
    code, _, _ = error_of(
        ddb.execute_statement,
        Statement=f"DELETE FROM \"{table_name}\" WHERE pk = 'a' AND sk = 3 AND n = 9",
    )
    assert code == "ConditionalCheckFailedException"
    code, message, _ = error_of(
        ddb.execute_statement, Statement="SELECT * FROM \"no-such-table\" WHERE pk = 'a'"
    )
    assert (code, message) == ("ResourceNotFoundException", "Requested resource not found")


# --- BatchExecuteStatement and ExecuteTransaction -------------------------------------------


def test_batch_execute_statement_reports_each_statement(ddb: Any, table_name: str) -> None:
    table_with_items(ddb, table_name)
    answer = ddb.batch_execute_statement(Statements=[
        {"Statement": f"SELECT sk FROM \"{table_name}\" WHERE pk = 'a' AND sk = 0"},
        {"Statement": f"SELECT sk FROM \"{table_name}\" WHERE pk = 'none' AND sk = 0"},
        {"Statement": f"INSERT INTO \"{table_name}\" VALUE {{'pk': 'a', 'sk': 0}}"},
        {"Statement": f"INSERT INTO \"{table_name}\" VALUE {{'pk': 'b', 'sk': 0}}"},
        {"Statement": f"UPDATE \"{table_name}\" SET v = 'z' WHERE pk = 'a' AND sk = 1 AND n = 2",
         "ReturnValuesOnConditionCheckFailure": "ALL_OLD"},
    ])["Responses"]  # fmt: skip
    assert answer[0] == {"TableName": table_name, "Item": {"sk": {"N": "0"}}}
    assert answer[1] == {"TableName": table_name}
    assert answer[2] == {
        "TableName": table_name,
        "Error": {"Code": "DuplicateItem", "Message": "Duplicate primary key exists in table"},
    }
    assert answer[3] == {"TableName": table_name}
    assert answer[4]["Error"]["Code"] == "ConditionalCheckFailed"
    assert answer[4]["Error"]["Item"]["v"] == {"S": "x"}
    assert "Item" in ddb.get_item(TableName=table_name, Key={"pk": {"S": "b"}, "sk": {"N": "0"}})


def test_execute_transaction_is_all_or_nothing(ddb: Any, table_name: str) -> None:
    table_with_items(ddb, table_name)
    code, message, response = error_of(ddb.execute_transaction, TransactStatements=[
        {"Statement": f"INSERT INTO \"{table_name}\" VALUE {{'pk': 'new', 'sk': 0}}"},
        {"Statement": f"INSERT INTO \"{table_name}\" VALUE {{'pk': 'a', 'sk': 0}}"},
    ])  # fmt: skip
    assert code == "TransactionCanceledException"
    assert message.endswith("[None, DuplicateItem]")
    assert response["CancellationReasons"][1] == {
        "Code": "DuplicateItem",
        "Message": "Duplicate primary key exists in table",
    }
    assert "Item" not in ddb.get_item(
        TableName=table_name, Key={"pk": {"S": "new"}, "sk": {"N": "0"}}
    )
    ddb.execute_transaction(TransactStatements=[
        {"Statement": f"INSERT INTO \"{table_name}\" VALUE {{'pk': 'new', 'sk': 0}}"},
        {"Statement": f"UPDATE \"{table_name}\" SET v = ? WHERE pk = 'a' AND sk = 0",
         "Parameters": [{"S": "t"}]},
        {"Statement": f"EXISTS(SELECT * FROM \"{table_name}\" WHERE pk = 'a' AND sk = 1 "
                      "AND v = 'x')"},
        {"Statement": f"DELETE FROM \"{table_name}\" WHERE pk = 'a' AND sk = 4"},
    ])  # fmt: skip
    read = ddb.execute_transaction(TransactStatements=[
        {"Statement": f"SELECT v FROM \"{table_name}\" WHERE pk = 'a' AND sk = 0"},
        {"Statement": f"SELECT * FROM \"{table_name}\" WHERE pk = 'a' AND sk = 4"},
        {"Statement": f"SELECT pk FROM \"{table_name}\" WHERE pk = 'new' AND sk = 0"},
    ])  # fmt: skip
    assert read["Responses"] == [{"Item": {"v": {"S": "t"}}}, {}, {"Item": {"pk": {"S": "new"}}}]
    code, message, _ = error_of(ddb.execute_transaction, TransactStatements=[
        {"Statement": f"SELECT * FROM \"{table_name}\" WHERE pk = 'a'"},
    ])  # fmt: skip
    assert message == (
        "Select statements within ExecuteTransaction must specify the primary key in the "
        "where clause."
    )


def test_partiql_writes_leave_stream_records(ddb: Any, streams: Any, table_name: str) -> None:
    spec = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    table_with_items(ddb, table_name, StreamSpecification=spec)
    ddb.execute_statement(
        Statement=f"UPDATE \"{table_name}\" SET v = 'y' WHERE pk = 'a' AND sk = 0"
    )
    ddb.execute_statement(Statement=f"DELETE FROM \"{table_name}\" WHERE pk = 'a' AND sk = 1")
    ddb.execute_transaction(TransactStatements=[
        {"Statement": f"INSERT INTO \"{table_name}\" VALUE {{'pk': 't', 'sk': 0}}"},
    ])  # fmt: skip
    arn = ddb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [r["eventName"] for r in records] == ["INSERT"] * 5 + ["MODIFY", "REMOVE", "INSERT"]
    assert records[5]["dynamodb"]["NewImage"]["v"] == {"S": "y"}


# --- the AWS CLI -------------------------------------------------------------------------------


def _aws_cli() -> str | None:
    return os.environ.get("SOCKGATE_TEST_AWS_CLI") or shutil.which("aws")


@pytest.mark.skipif(_aws_cli() is None, reason="the AWS CLI (pip install awscli) is not installed")
def test_partiql_through_the_aws_cli(ddb: Any, server: Any, table_name: str) -> None:
    table_with_items(ddb, table_name)
    cli = _aws_cli()
    assert cli is not None
    env = {
        **os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": "",
    }  # fmt: skip

    def aws(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [cli, "dynamodb", *args, "--endpoint-url", server.url, "--output", "json"],
            capture_output=True, text=True, env=env, timeout=60,
        )  # fmt: skip

    done = aws("execute-statement", "--statement",
               f"UPDATE \"{table_name}\" SET v = 'cli' WHERE pk = 'a' AND sk = 3")  # fmt: skip
    assert done.returncode == 0, done.stderr
    got = aws("execute-statement", "--statement",
              f"SELECT v FROM \"{table_name}\" WHERE pk = ? AND sk = 3",
              "--parameters", json.dumps([{"S": "a"}]))  # fmt: skip
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["Items"] == [{"v": {"S": "cli"}}]
    failed = aws("execute-statement", "--statement",
                 f"INSERT INTO \"{table_name}\" VALUE {{'pk': 'a', 'sk': 3}}")  # fmt: skip
    assert failed.returncode != 0
    assert "DuplicateItemException" in failed.stderr
    batch = aws("batch-execute-statement", "--statements", json.dumps([
        {"Statement": f"SELECT sk FROM \"{table_name}\" WHERE pk = 'a' AND sk = 0"},
    ]))  # fmt: skip
    assert batch.returncode == 0, batch.stderr
    assert json.loads(batch.stdout)["Responses"][0]["Item"] == {"sk": {"N": "0"}}


def test_a_lone_select_is_routed_as_a_read() -> None:
    from sockgate.tables.operations.partiql import reads_only

    assert reads_only(b'{"Statement": "  select * FROM t"}')
    assert reads_only(b'{"Limit": 2, "Statement":"\\nSELECT a FROM t"}')
    assert not reads_only(b'{"Statement": "UPDATE t SET a = 1 WHERE pk = 1"}')
    assert not reads_only(b'{"Statement": "\\u0053ELECT * FROM t"}')  # unclear: a write
    assert not reads_only(b'{"Statement": "SELECT 1", "Statement": "DELETE FROM t"}')


def test_execute_transaction_honours_client_request_token(ddb: Any, table_name: str) -> None:
    table_with_items(ddb, table_name)
    statements = [{"Statement": f"UPDATE \"{table_name}\" SET n = n + 1 WHERE pk = 'a' AND sk = 0"}]
    ddb.execute_transaction(TransactStatements=statements, ClientRequestToken="token-1")
    ddb.execute_transaction(TransactStatements=statements, ClientRequestToken="token-1")
    item = ddb.get_item(TableName=table_name, Key={"pk": {"S": "a"}, "sk": {"N": "0"}})["Item"]
    assert item["n"] == {"N": "2"}
