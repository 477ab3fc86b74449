"""Shard discovery and lineage, against a scripted Streams endpoint (real boto3, real HTTP).

moto keeps one shard per stream, so parents, children, closed shards and expired iterators
are played by stub_streams.StubStreams.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sockgate.service.model import StreamEvent
from sockgate.testing.polling import eventually

from .conftest import Handlers, make_service, running
from .stub_streams import StubStreams


@pytest.fixture
def stub() -> Iterator[StubStreams]:
    server = StubStreams().start()
    yield server
    server.stop()


def pk(record: dict[str, Any]) -> str:
    return record["dynamodb"]["Keys"]["pk"]["S"]


async def test_a_parent_shard_is_finished_before_its_children_start(
    stub: StubStreams, handlers: Handlers, tmp_path: Path
) -> None:
    stub.add_shard("shardId-00000001700000000000-parent")
    stub.add_shard(
        "shardId-00000001700000000000-child-1", parent="shardId-00000001700000000000-parent"
    )
    stub.add_shard(
        "shardId-00000001700000000000-child-2", parent="shardId-00000001700000000000-parent"
    )
    for i in range(3):
        stub.put("shardId-00000001700000000000-parent", "item", i)
    stub.close_shard("shardId-00000001700000000000-parent")
    stub.put("shardId-00000001700000000000-child-1", "item", 3)
    stub.put("shardId-00000001700000000000-child-2", "other", 0)
    service = make_service(tmp_path, StreamEvent(function="fan", arn=stub.arn, batch_size=1))
    async with running(service, handlers, stub.url, tmp_path / "state"):
        await eventually(lambda: len(handlers.records()) == 5, what="all five records")
    order = [(pk(r), r["dynamodb"]["NewImage"]["v"]["N"]) for r in handlers.records()]
    assert order[:3] == [("item", "0"), ("item", "1"), ("item", "2")]
    assert sorted(order[3:]) == [("item", "3"), ("other", "0")]


async def test_children_wait_for_a_blocked_parent(
    stub: StubStreams, handlers: Handlers, tmp_path: Path
) -> None:
    stub.add_shard("shardId-00000001700000000000-parent")
    stub.add_shard(
        "shardId-00000001700000000000-child", parent="shardId-00000001700000000000-parent"
    )
    stub.put("shardId-00000001700000000000-parent", "stuck")
    stub.close_shard("shardId-00000001700000000000-parent")
    stub.put("shardId-00000001700000000000-child", "later")
    handlers.behaviours["fan"] = lambda event: [1 / 0 for r in event["Records"] if pk(r) == "stuck"]
    service = make_service(tmp_path, StreamEvent(function="fan", arn=stub.arn))
    async with running(service, handlers, stub.url, tmp_path / "state"):
        await eventually(lambda: len(handlers.invocations) >= 3, what="retries of the parent")
        assert handlers.records() == []  # the child's record waits
        handlers.behaviours.clear()  # the parent's batch now succeeds
        await eventually(lambda: len(handlers.records()) == 2, what="parent then child")
    assert [pk(r) for r in handlers.records()] == ["stuck", "later"]


async def test_new_shards_are_found_while_running(
    stub: StubStreams, handlers: Handlers, tmp_path: Path
) -> None:
    stub.add_shard("shardId-00000001700000000000-1")
    stub.put("shardId-00000001700000000000-1", "a")
    service = make_service(tmp_path, StreamEvent(function="fan", arn=stub.arn))
    state = tmp_path / "state"
    async with running(service, handlers, stub.url, state):
        await eventually(lambda: len(handlers.records()) == 1, what="the first record")
        # The shard rolls over, and later the stream is disabled and enabled again: a new
        # lineage without a parent.
        stub.close_shard("shardId-00000001700000000000-1")
        stub.add_shard("shardId-00000001700000000000-2", parent="shardId-00000001700000000000-1")
        stub.put("shardId-00000001700000000000-2", "b")
        await eventually(lambda: len(handlers.records()) == 2, what="the child's record")
        stub.close_shard("shardId-00000001700000000000-2")
        stub.add_shard("shardId-00000001700000000000-3")
        stub.put("shardId-00000001700000000000-3", "c")
        await eventually(lambda: len(handlers.records()) == 3, what="the new shard's record")
    assert [pk(r) for r in handlers.records()] == ["a", "b", "c"]
    # Finished shards are not read again after a restart.
    again = Handlers()
    async with running(service, again, stub.url, state):
        stub.put("shardId-00000001700000000000-3", "d")
        await eventually(lambda: len(again.records()) == 1, what="only the new record")
    assert [pk(r) for r in again.records()] == ["d"]


async def test_an_expired_iterator_is_renewed_without_loss_or_repeats(
    stub: StubStreams, handlers: Handlers, tmp_path: Path
) -> None:
    stub.add_shard("shardId-00000001700000000000-1")
    stub.put("shardId-00000001700000000000-1", "a")
    service = make_service(tmp_path, StreamEvent(function="fan", arn=stub.arn))
    async with running(service, handlers, stub.url, tmp_path / "state"):
        await eventually(lambda: len(handlers.records()) == 1, what="the first record")
        stub.expire_next = 2
        stub.put("shardId-00000001700000000000-1", "b")
        await eventually(lambda: len(handlers.records()) == 2, what="the second record")
        stub.put("shardId-00000001700000000000-1", "c")
        await eventually(lambda: len(handlers.records()) == 3, what="the third record")
    assert [pk(r) for r in handlers.records()] == ["a", "b", "c"]


async def test_latest_skips_closed_shards_and_existing_records(
    stub: StubStreams, handlers: Handlers, tmp_path: Path
) -> None:
    stub.add_shard("shardId-00000001700000000000-old")
    stub.put("shardId-00000001700000000000-old", "old")
    stub.close_shard("shardId-00000001700000000000-old")
    stub.add_shard("shardId-00000001700000000000-open", parent="shardId-00000001700000000000-old")
    stub.put("shardId-00000001700000000000-open", "existing")
    event = StreamEvent(function="fan", arn=stub.arn, starting_position="LATEST")
    async with running(make_service(tmp_path, event), handlers, stub.url, tmp_path / "s"):
        stub.put("shardId-00000001700000000000-open", "new")
        await eventually(lambda: len(handlers.records()) == 1, what="the new record")
        stub.add_shard("shardId-00000001700000000000-next")
        stub.put(
            "shardId-00000001700000000000-next", "next"
        )  # a shard made after the mapping: from its start
        await eventually(lambda: len(handlers.records()) == 2, what="the next shard")
    assert [pk(r) for r in handlers.records()] == ["new", "next"]


async def test_a_missing_stream_is_reported_once_and_polled_until_it_appears(
    stub: StubStreams, handlers: Handlers, tmp_path: Path
) -> None:
    real_arn = stub.arn
    stub.arn = real_arn + "-not-yet"
    log: list[str] = []
    service = make_service(tmp_path, StreamEvent(function="fan", arn=real_arn))
    async with running(service, handlers, stub.url, tmp_path / "state", log=log):
        await eventually(
            lambda: sum("DescribeStream" == r for r in stub.requests) >= 3, what="polling"
        )
        stub.add_shard("shardId-00000001700000000000-1")
        stub.put("shardId-00000001700000000000-1", "a")
        stub.arn = real_arn
        await eventually(lambda: len(handlers.records()) == 1, what="the record")
    problems = [line for line in log if "cannot describe" in line]
    assert len(problems) == 1 and "ResourceNotFoundException" in problems[0]
