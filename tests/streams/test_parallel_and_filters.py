"""Filter patterns on a live stream, and parallelizationFactor lanes."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import defaultdict
from pathlib import Path
from typing import Any

from sockgate.service.model import StreamEvent
from sockgate.streams.records import lane_of
from sockgate.testing.polling import eventually

from .conftest import Handlers, make_service, running


def pk(record: dict[str, Any]) -> str:
    return record["dynamodb"]["Keys"]["pk"]["S"]


def saved_positions(state: Path) -> list[tuple[str, str | None, str]]:
    with sqlite3.connect(state / "streams.sqlite3") as db:
        return list(db.execute("SELECT kind, sequence, acked FROM positions"))


async def test_filters_deliver_only_matching_records_and_move_past_the_rest(
    make_table, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    event = StreamEvent(
        function="fan",
        arn=table.stream_arn,
        filter_patterns=(
            {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"status": {"S": ["DONE"]}}}},
            {"dynamodb": {"NewImage": {"n": {"N": [{"numeric": [">", 100]}]}}}},
        ),
    )
    service = make_service(tmp_path, event)
    state = tmp_path / "state"
    async with running(service, handlers, endpoint, state) as mappings:
        table.put("open", status="OPEN")  # no pattern
        table.put("done", status="DONE")  # pattern 1
        table.update("open", status="DONE")  # MODIFY: no pattern
        table.put("big", n=101)  # pattern 2
        table.put("small", n=99)  # no pattern
        table.delete("done")  # REMOVE: no pattern
        await eventually(lambda: len(handlers.records()) == 2, what="the matching records")
        worker = next(iter(mappings.mappings[0].workers.values()))
        await eventually(lambda: worker.progress.pending == 0, what="the filtered records")
        last_written = worker.progress.last_read
    assert [(r["eventName"], pk(r)) for r in handlers.records()] == [
        ("INSERT", "done"),
        ("INSERT", "big"),
    ]
    # The checkpoint moved past the filtered-out records after the last delivered one.
    assert saved_positions(state) == [("after", last_written, "[]")]
    async with running(service, handlers, endpoint, state):
        table.put("later", status="DONE")
        await eventually(lambda: len(handlers.records()) == 3, what="the next match")
    assert [pk(r) for r in handlers.records()] == ["done", "big", "later"]


async def test_lanes_run_concurrently_and_keep_per_item_order(
    make_table, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    keys = [f"item{i}" for i in range(12)]
    for version in range(3):
        for key in keys:
            table.put(key, v=version)
    in_flight = 0
    overlapped = asyncio.Event()

    async def fan(event: dict[str, Any]) -> None:
        nonlocal in_flight
        in_flight += 1
        if in_flight > 1:
            overlapped.set()
        try:  # the first batch waits (bounded) for another lane's batch to start
            await asyncio.wait_for(overlapped.wait(), 5)
        finally:
            in_flight -= 1

    handlers.behaviours["fan"] = fan
    event = StreamEvent(
        function="fan", arn=table.stream_arn, batch_size=4, parallelization_factor=3
    )
    async with running(make_service(tmp_path, event), handlers, endpoint, tmp_path / "s"):
        await eventually(lambda: len(handlers.records()) == 36, timeout=20, what="36 records")
    assert overlapped.is_set()
    versions: dict[str, list[int]] = defaultdict(list)
    for record in handlers.records():
        versions[pk(record)].append(int(record["dynamodb"]["NewImage"]["v"]["N"]))
    assert versions == {key: [0, 1, 2] for key in keys}
    for invocation in handlers.invocations:  # a batch holds records of one lane only
        assert len({lane_of(r, 3) for r in invocation.records}) == 1


async def test_a_failing_lane_blocks_only_its_own_items(
    make_table, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    keys = [f"item{i}" for i in range(12)]
    for key in keys:
        table.put(key)

    def fan(event: dict[str, Any]) -> None:
        if any(pk(r) == "item0" for r in event["Records"]):
            raise RuntimeError("item0 keeps failing")

    handlers.behaviours["fan"] = fan
    event = StreamEvent(
        function="fan", arn=table.stream_arn, batch_size=1, parallelization_factor=2
    )

    def lane(key: str) -> int:
        return lane_of({"dynamodb": {"Keys": {"pk": {"S": key}}}}, 2)

    blocked = {key for key in keys if lane(key) == lane("item0")}
    free = set(keys) - blocked
    assert free and len(blocked) > 1  # the test needs items on both lanes
    async with running(make_service(tmp_path, event), handlers, endpoint, tmp_path / "s"):
        await eventually(lambda: {pk(r) for r in handlers.records()} == free, what="free lane")
        await eventually(
            lambda: sum(not inv.result.ok for inv in handlers.invocations) >= 3,
            what="item0 retried",
        )
    delivered = {pk(r) for r in handlers.records()}
    assert delivered == free  # nothing queued behind item0 in its lane got through
