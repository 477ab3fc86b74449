"""Group commit: writes queued in one turn of the loop share a COMMIT, each still atomic alone."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from tables_support import SIGNED_LINES, create

from sockgate.tables.engine import Engine
from sockgate.tables.errors import ConditionalCheckFailedException
from sockgate.tables.operations.context import Context
from sockgate.tables.operations.items import put_item
from sockgate.tables.operations.tables import create_table
from sockgate.tables.storage.schema import DB_FILE


@pytest.fixture()
def engine(tmp_path: Path) -> Any:
    running = Engine(tmp_path, "us-east-1")
    create_table(running.write_context, {
        "TableName": "ttt", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    })  # fmt: skip
    yield running
    running.close()


def put(name: str, condition: str | None = None) -> Any:
    """A write job: PutItem of {pk: name}, optionally conditional."""
    request: dict[str, Any] = {"TableName": "ttt", "Item": {"pk": {"S": name}}}
    if condition is not None:
        request["ConditionExpression"] = condition

    def job(ctx: Context, _: Any) -> Any:
        return put_item(ctx, request)

    return job


def committed(data_dir: Path) -> tuple[set[str], int]:
    """(item keys, stream records) as another connection sees them: only what was committed."""
    with sqlite3.connect(data_dir / DB_FILE) as conn:
        items = {json.loads(text)["pk"]["S"] for (text,) in conn.execute("SELECT item FROM items")}
        records = conn.execute("SELECT count(*) FROM records").fetchone()[0]
    return items, records


def test_each_write_of_a_group_succeeds_or_fails_alone(engine: Engine, tmp_path: Path) -> None:
    seen: list[bool] = []

    def writes_then_breaks(ctx: Context, arg: Any) -> Any:
        put("c")(ctx, arg)
        raise RuntimeError("a bug after a write")

    def notes_the_transaction(ctx: Context, arg: Any) -> Any:
        seen.append(ctx.store.conn.in_transaction)
        return put("e")(ctx, arg)

    outcomes = engine.run_writes([
        (put("a"), None),
        (put("b", "attribute_exists(pk)"), None),
        (writes_then_breaks, None),
        (put("a", "attribute_not_exists(pk)"), None),  # sees the first write of its group
        (notes_the_transaction, None),
    ])  # fmt: skip
    errors = [type(error) if error else None for _, error in outcomes]
    assert errors == [
        None, ConditionalCheckFailedException, RuntimeError, ConditionalCheckFailedException, None
    ]  # fmt: skip
    assert seen == [True]  # the group is one transaction
    assert committed(tmp_path) == ({"a", "e"}, 2)  # no item, no record of a failed write


def test_a_group_whose_transaction_is_lost_acknowledges_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    def ends_the_transaction(ctx: Context, arg: Any) -> Any:
        # What SQLite does on an I/O error or a full disk: the whole transaction is gone.
        ctx.store.conn.execute("ROLLBACK")
        raise sqlite3.OperationalError("disk I/O error")

    outcomes = engine.run_writes([(put("a"), None), (ends_the_transaction, None), (put("b"), None)])
    assert all(error is not None for _, error in outcomes)
    assert committed(tmp_path) == (set(), 0)
    # ...and the next group goes through.
    assert [error for _, error in engine.run_writes([(put("c"), None), (put("d"), None)])] == [
        None, None
    ]  # fmt: skip
    assert committed(tmp_path) == ({"c", "d"}, 2)


def test_writes_queued_in_one_turn_commit_together_and_are_answered_after(
    engine: Engine, tmp_path: Path
) -> None:
    in_transaction: list[bool] = []
    visible_when_answered: list[set[str]] = []

    def job(name: str) -> Any:
        def run(ctx: Context, arg: Any) -> Any:
            in_transaction.append(ctx.store.conn.in_transaction)
            return put(name)(ctx, arg)

        return run

    async def main() -> list[Any]:
        futures = [engine.write(job(f"k{i}"), None) for i in range(5)]
        for future in futures:
            future.add_done_callback(lambda _: visible_when_answered.append(committed(tmp_path)[0]))
        return await asyncio.gather(*futures)

    assert asyncio.run(main()) == [{}] * 5
    assert in_transaction == [True] * 5  # one group
    everything = {f"k{i}" for i in range(5)}
    assert visible_when_answered == [everything] * 5  # acknowledged after the COMMIT


# --- through the wire ------------------------------------------------------------------------


def send_at_once(url: str, bodies: list[dict[str, Any]], target: str) -> list[dict[str, Any]]:
    """Send each body on its own connection before reading any answer; the decoded answers."""
    parts = urlsplit(url)
    socks = [socket.create_connection((parts.hostname, parts.port), timeout=10) for _ in bodies]
    try:
        for sock, body in zip(socks, bodies, strict=True):
            data = json.dumps(body).encode()
            sock.sendall(
                f"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.{target}\r\n"
                f"{SIGNED_LINES}Content-Type: application/x-amz-json-1.0\r\n"
                f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
                + data
            )
        answers = []
        for sock in socks:
            raw = b""
            while chunk := sock.recv(65536):
                raw += chunk
            answers.append(json.loads(raw.split(b"\r\n\r\n", 1)[1]))
        return answers
    finally:
        for sock in socks:
            sock.close()


def test_concurrent_writers_each_get_their_own_outcome(
    server: Any, ddb: Any, table_name: str
) -> None:
    create(ddb, table_name)
    racers = [
        {"TableName": table_name, "Item": {"pk": {"S": "once"}, "by": {"N": str(i)}},
         "ConditionExpression": "attribute_not_exists(pk)"}
        for i in range(12)
    ]  # fmt: skip
    answers = send_at_once(server.url, racers, "PutItem")
    failed = [
        a for a in answers if a.get("__type", "").endswith("#ConditionalCheckFailedException")
    ]
    assert len(failed) == 11 and answers.count({}) == 1
    winner = answers.index({})
    stored = ddb.get_item(TableName=table_name, Key={"pk": {"S": "once"}})["Item"]
    assert stored["by"] == {"N": str(winner)}

    adds = [
        {"TableName": table_name, "Key": {"pk": {"S": "counter"}},
         "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}},
         "ReturnValues": "UPDATED_NEW"}
        for _ in range(12)
    ]  # fmt: skip
    answers = send_at_once(server.url, adds, "UpdateItem")
    assert sorted(int(a["Attributes"]["n"]["N"]) for a in answers) == list(range(1, 13))
    stored = ddb.get_item(TableName=table_name, Key={"pk": {"S": "counter"}})["Item"]
    assert stored["n"] == {"N": "12"}


def test_outcomes_are_reported_after_the_call_that_queued_them() -> None:
    # A connection marks itself busy after handing a request over; an outcome reported
    # before that (an in-memory read run at once) would leave it waiting forever.
    engine = Engine(None, "us-east-1")
    reported: list[tuple[Any, Any]] = []

    async def main() -> None:
        both = asyncio.Event()

        def record(*outcome: Any) -> None:
            reported.append(outcome)
            if len(reported) == 2:
                both.set()

        engine.read_then(record, lambda ctx, arg: arg, "r")
        engine.write_then(record, lambda ctx, arg: arg, "w")
        assert reported == []
        await asyncio.wait_for(both.wait(), 10)
        assert sorted(reported) == [("r", None), ("w", None)]

    try:
        asyncio.run(main())
    finally:
        engine.close()
