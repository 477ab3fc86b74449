"""What the lanes report to an observer (the inspector, #18), and the shards' positions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sockgate.service.model import StreamEvent
from sockgate.streams.observer import BatchReport
from sockgate.testing.polling import eventually

from .conftest import Handlers, make_service, running
from .test_errors import failures, pks


class Reports:
    def __init__(self) -> None:
        self.reports: list[BatchReport] = []

    def batch(self, report: BatchReport) -> None:
        self.reports.append(report)


async def test_bisected_batches_and_the_discarded_record_are_reported(
    make_table, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    for i in range(4):
        table.put(f"k{i}")

    def fan(event: dict[str, Any]) -> None:
        if "k1" in pks(event["Records"]):
            raise ValueError("k1 is poison")

    handlers.behaviours["fan"] = fan
    event = StreamEvent(
        function="fan",
        arn=table.stream_arn,
        batch_size=4,
        bisect_batch_on_function_error=True,
        maximum_retry_attempts=0,
    )
    observer = Reports()
    state = tmp_path / "state"
    service = make_service(tmp_path, event)
    async with running(service, handlers, endpoint, state, observer=observer) as mappings:
        await eventually(lambda: failures(state), what="the poison record")
        await eventually(lambda: sum(r.acked for r in observer.reports) == 3, what="the rest")
        (position,) = mappings.positions()
        (shard,) = position["shards"]
        assert position["function"] == "fan" and position["batchSize"] == 4
        assert shard["lagRecords"] == 0 and shard["checkpoint"] == shard["lastRead"]

    summary = [(r.records, r.outcome, r.acked, r.discarded, r.bisected) for r in observer.reports]
    assert summary == [
        (4, "failure", 0, 0, True),
        (2, "failure", 0, 0, True),
        (1, "success", 1, 0, False),
        (1, "failure", 0, 1, False),
        (2, "success", 2, 0, False),
    ]
    assert observer.reports[3].condition == "RetryAttemptsExhausted"
    assert observer.reports[0].event_names == ("INSERT",) * 4
    assert all(r.size > 0 and r.request_id for r in observer.reports)


async def test_without_an_observer_nothing_is_reported(
    make_table, handlers: Handlers, endpoint: str, tmp_path: Path
) -> None:
    table = make_table()
    table.put("a")
    service = make_service(tmp_path, StreamEvent(function="fan", arn=table.stream_arn))
    async with running(service, handlers, endpoint, tmp_path / "state") as mappings:
        await eventually(lambda: len(handlers.records()) == 1, what="the record")
        assert mappings.observer is None
