"""Records written with boto3 reach the stream handler as Lambda delivers them."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from sockgate.service.model import StreamEvent
from sockgate.testing.polling import eventually

from .conftest import (
    Handlers,
    client,
    make_service,
    resolver,
    running,
    table_maker,
)

VIEW_TYPES = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]


@pytest.mark.parametrize("view_type", VIEW_TYPES)
async def test_insert_modify_remove_shapes(
    view_type: str, handlers: Handlers, any_endpoint: str, tmp_path: Path
) -> None:
    endpoint = any_endpoint
    table = table_maker(client(endpoint))(view_type)
    service = make_service(tmp_path, StreamEvent(function="fan", arn=table.stream_arn))
    async with running(service, handlers, endpoint, tmp_path / "state"):
        table.put("a", n=1, text="hello")
        table.update("a", n=2)
        table.delete("a")
        await eventually(lambda: len(handlers.records()) == 3, what="three records")

    insert, modify, remove = handlers.records()
    assert [r["eventName"] for r in (insert, modify, remove)] == ["INSERT", "MODIFY", "REMOVE"]
    old_a1 = {"pk": {"S": "a"}, "n": {"N": "1"}, "text": {"S": "hello"}}
    new_a2 = {"pk": {"S": "a"}, "n": {"N": "2"}, "text": {"S": "hello"}}
    expected_images = {
        "KEYS_ONLY": [{}, {}, {}],
        "NEW_IMAGE": [{"NewImage": old_a1}, {"NewImage": new_a2}, {}],
        "OLD_IMAGE": [{}, {"OldImage": old_a1}, {"OldImage": new_a2}],
        "NEW_AND_OLD_IMAGES": [
            {"NewImage": old_a1},
            {"NewImage": new_a2, "OldImage": old_a1},
            {"OldImage": new_a2},
        ],
    }[view_type]
    sequences = []
    for record, images in zip((insert, modify, remove), expected_images, strict=True):
        assert record["eventSource"] == "aws:dynamodb"
        assert record["awsRegion"] == "us-east-1"
        assert record["eventSourceARN"] == table.stream_arn
        assert isinstance(record["eventID"], str) and record["eventID"]
        assert "eventVersion" in record
        data = record["dynamodb"]
        assert data["Keys"] == {"pk": {"S": "a"}}
        assert data["StreamViewType"] == view_type
        assert {k: v for k, v in data.items() if k in ("NewImage", "OldImage")} == images
        assert isinstance(data["ApproximateCreationDateTime"], int | float)
        assert not isinstance(data["ApproximateCreationDateTime"], bool)
        assert isinstance(data["SizeBytes"], int)
        sequences.append(int(data["SequenceNumber"]))
    assert sequences == sorted(sequences)


async def test_records_arrive_in_order_in_batches_of_at_most_batch_size(
    make_table, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    service = make_service(
        tmp_path, StreamEvent(function="fan", arn=table.stream_arn, batch_size=7)
    )
    async with running(service, handlers, endpoint, tmp_path / "state"):
        for i in range(40):
            table.put(f"item{i % 5}", n=i)
        await eventually(lambda: len(handlers.records()) == 40, what="40 records")

    assert all(1 <= len(inv.records) <= 7 for inv in handlers.invocations)
    delivered = handlers.delivered()
    assert delivered == sorted(delivered, key=int)
    per_item: dict[str, list[int]] = defaultdict(list)
    for record in handlers.records():
        per_item[record["dynamodb"]["Keys"]["pk"]["S"]].append(
            int(record["dynamodb"]["NewImage"]["n"]["N"])
        )
    assert per_item == {f"item{k}": list(range(k, 40, 5)) for k in range(5)}


async def test_batch_window_gathers_records_into_one_batch(
    make_table, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    event = StreamEvent(function="fan", arn=table.stream_arn, batch_size=100, batch_window=2)
    async with running(make_service(tmp_path, event), handlers, endpoint, tmp_path / "s"):
        for i in range(5):
            table.put(f"k{i}")
        await eventually(lambda: len(handlers.records()) == 5, what="five records")
    assert [len(inv.records) for inv in handlers.invocations] == [5]


async def test_trim_horizon_delivers_what_was_written_before_start(
    make_table, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    table.put("before")
    service = make_service(tmp_path, StreamEvent(function="fan", arn=table.stream_arn))
    async with running(service, handlers, endpoint, tmp_path / "state"):
        table.put("after")
        await eventually(lambda: len(handlers.records()) == 2, what="both records")
    keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in handlers.records()]
    assert keys == ["before", "after"]


async def test_latest_skips_what_was_written_before_the_mapping_existed(
    make_table, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    table.put("before")
    event = StreamEvent(function="fan", arn=table.stream_arn, starting_position="LATEST")
    service = make_service(tmp_path, event)
    async with running(service, handlers, endpoint, tmp_path / "state"):
        table.put("after")
        await eventually(lambda: len(handlers.records()) >= 1, what="a record")
    # While stopped, the mapping keeps its place: records written meanwhile are not lost.
    table.put("while-stopped")
    async with running(service, handlers, endpoint, tmp_path / "state"):
        await eventually(lambda: len(handlers.records()) >= 2, what="the second record")
    keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in handlers.records()]
    assert keys == ["after", "while-stopped"]


async def test_disabled_events_are_not_polled(
    make_table, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    service = make_service(
        tmp_path, StreamEvent(function="fan", arn=table.stream_arn, enabled=False)
    )
    log: list[str] = []
    async with running(service, handlers, endpoint, tmp_path / "state", log=log) as mappings:
        assert mappings.mappings == []
    assert log == ["stream fan: disabled (enabled: false), not polled"]


async def test_start_logs_one_line_per_mapping(
    make_table, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    event = StreamEvent(
        function="fan", arn=table.stream_arn, batch_size=50, parallelization_factor=2
    )
    log: list[str] = []
    async with running(make_service(tmp_path, event), handlers, endpoint, tmp_path, log=log):
        pass
    assert log == [
        f"stream {table.stream_arn} -> fan (batchSize 50, TRIM_HORIZON, parallelizationFactor 2)"
    ]


async def test_configuration_errors_stop_start_with_the_key_path(
    make_table, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    from sockgate.errors import ConfigError
    from sockgate.streams import EventSourceMappings

    table = make_table()
    cases = [
        (
            StreamEvent(function="fan", arn=table.stream_arn.split("/stream/")[0]),
            "functions.fan.events[0].stream.arn: 'arn:aws:dynamodb:",
        ),
        (
            StreamEvent(
                function="fan", arn=table.stream_arn, filter_patterns=({"eventName": "INSERT"},)
            ),
            "functions.fan.events[0].stream.filterPatterns[0].eventName: filter pattern must be",
        ),
        (
            StreamEvent(function="fan", arn={"Fn::ImportValue": "shared-stream"}),
            "functions.fan.events[0].stream.arn: cannot resolve",
        ),
    ]
    for event, message in cases:
        mappings = EventSourceMappings(
            make_service(tmp_path, event),
            handlers,
            endpoint_url=endpoint,
            region="us-east-1",
            state_dir=tmp_path / "state",
            resolve_arn=resolver(),
        )
        with pytest.raises(ConfigError) as caught:
            await mappings.start()
        await mappings.close()
        assert str(caught.value).startswith(message)
    assert handlers.invocations == []


async def test_kinesis_and_tumbling_windows_are_reported(
    make_table, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    events = (
        StreamEvent(function="fan", arn=table.stream_arn, tumbling_window_in_seconds=30),
        StreamEvent(function="other", arn="arn:aws:kinesis:us-east-1:1:stream/x", type="kinesis"),
    )
    log: list[str] = []
    async with running(make_service(tmp_path, *events), handlers, endpoint, tmp_path, log=log):
        table.put("a")
        await eventually(lambda: len(handlers.records()) == 1, what="the record")
    assert log[:2] == [
        "stream fan: tumblingWindowInSeconds is not run locally; batches are delivered without "
        "window state",
        "stream other: kinesis streams are not run locally",
    ]
