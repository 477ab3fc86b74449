"""The recorder on its own: bounded history, linking, labels, subscribers (no sockets)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sockgate.inspector.metrics import MAX_SAMPLES, Metrics, percentile
from sockgate.inspector.recorder import MAX_TEXT, QUEUE_SIZE, Recorder, describe_event
from sockgate.invocation import InvocationResult
from sockgate.streams.observer import BatchReport


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _open(recorder: Recorder, connection_id: str = "c1") -> None:
    recorder.opened(
        connection_id,
        connected_at=1,
        identity={"sourceIp": "10.0.0.1", "userAgent": "ua"},
        authorizer={"principalId": "me"},
        query="name=ann",
    )


def _result(**changes: Any) -> InvocationResult:
    values: dict[str, Any] = {"request_id": "r1", "payload": {"statusCode": 200}}
    values.update(changes)
    return InvocationResult(**values)


def test_every_kind_keeps_only_its_window() -> None:
    recorder = Recorder(3)
    _open(recorder)
    for n in range(10):
        recorder.received("c1", f"m{n}", "$default", f"q{n}")
        recorder.invocation("echo", {"n": n}, started=n, result=_result())
    assert [f["text"] for f in recorder.frame_records()] == ["m7", "m8", "m9"]
    assert [i["event"] for i in recorder.invocation_records()] == [{"n": 7}, {"n": 8}, {"n": 9}]
    for n in range(5):
        _open(recorder, f"x{n}")
        recorder.ended(f"x{n}", 1000, "")
    assert list(recorder.closed) == ["x2", "x3", "x4"]


def test_a_connection_carries_what_the_page_lists() -> None:
    recorder = Recorder()
    _open(recorder)
    recorder.received("c1", '{"action": "ping"}', "ping", "req")
    recorder.received("c1", "nope", None, None)
    conn = recorder.open["c1"]
    assert conn["sourceIp"] == "10.0.0.1" and conn["userAgent"] == "ua"
    assert conn["query"] == "name=ann" and conn["authorizer"] == {"principalId": "me"}
    assert [r["route"] for r in conn["routes"]] == ["$connect", "ping"]
    assert conn["frames"] == 2
    frame = recorder.frame_records()[0]
    assert (frame["dir"], frame["route"], frame["requestId"], frame["size"]) == (
        "in",
        "ping",
        "req",
        18,
    )


def test_closed_connection_gets_its_disconnect_result() -> None:
    recorder = Recorder()
    _open(recorder)
    recorder.ended("c1", 1001, "Going away")
    context = {"connectionId": "c1", "routeKey": "$disconnect", "eventType": "DISCONNECT"}
    event = {"requestContext": context}
    recorder.invocation("conn", event, started=5, result=_result(payload={"statusCode": 500}))
    conn = recorder.closed["c1"]
    assert (conn["open"], conn["closeCode"], conn["closeReason"]) == (False, 1001, "Going away")
    assert conn["disconnect"]["payload"] == {"statusCode": 500}
    assert conn["routes"][-1]["route"] == "$disconnect"


def test_frames_the_gateway_answers_with_are_labelled() -> None:
    recorder = Recorder()
    _open(recorder)
    forbidden = '{"message": "Forbidden", "connectionId":"c1", "requestId":"r"}'
    failed = '{"message": "Internal server error", "connectionId":"c1", "requestId":"r"}'
    recorder.sent("c1", forbidden, "gateway")
    recorder.sent("c1", failed, "gateway")
    recorder.sent("c1", '{"pong": 1}', "gateway")
    recorder.sent("c1", b"\xff\x00", "post")
    frames = recorder.frame_records()
    labels = [frame["label"] for frame in frames]
    assert labels == ["Forbidden", "Internal server error", "route reply", "@connections"]
    assert frames[-1]["size"] == 2 and frames[-1]["text"] == "\ufffd\x00"


def test_long_text_is_cut_but_its_size_is_exact() -> None:
    recorder = Recorder()
    _open(recorder)
    text = "é" * (MAX_TEXT + 10)
    recorder.received("c1", text, "$default", "r")
    recorder.sent("c1", b"x" * (MAX_TEXT + 1), "post")
    long_in, long_out = recorder.frame_records()
    assert long_in["truncated"] and len(long_in["text"]) == MAX_TEXT
    assert long_in["size"] == len(text.encode())
    assert long_out["truncated"] and long_out["size"] == MAX_TEXT + 1


def test_invocation_fields() -> None:
    recorder = Recorder(memory_sizes={"echo": 256})
    result = _result(duration_ms=12.2, init_duration_ms=80.0, max_memory_used_mb=40, logs=["a"])
    recorder.invocation("echo", {"requestContext": {}}, started=7, result=result)
    recorder.invocation("echo", {}, started=8, result=None, failure="no such function")
    record, failed = recorder.invocation_records()
    assert record["billedMs"] == 13 and record["cold"] and record["memorySize"] == 256
    assert record["memoryUsedMb"] == 40 and record["logs"] == ["a"] and record["ok"]
    assert record["initMs"] == 80.0 and recorder.find_request("r1") == record
    assert not failed["ok"] and failed["error"]["errorMessage"] == "no such function"
    assert recorder.find_invocation(failed["seq"]) == failed
    assert recorder.find_invocation(12345) is None


@pytest.mark.parametrize(
    ("event", "described"),
    [
        ({"requestContext": {"connectionId": "c", "routeKey": "ping"}}, ("ping", "c")),
        ({"requestContext": {"http": {"method": "GET", "path": "/"}}}, ("GET /", None)),
        ({"Records": [{"eventSource": "aws:dynamodb"}]}, ("aws:dynamodb", None)),
        ({"type": "REQUEST", "methodArn": "arn"}, ("authorizer", None)),
        ({}, ("direct", None)),
    ],
)
def test_describe_event(event: dict[str, Any], described: tuple[str, str | None]) -> None:
    assert describe_event(event) == described


def test_stream_batches_add_up_per_mapping() -> None:
    recorder = Recorder()

    def report(outcome: str, **changes: Any) -> BatchReport:
        values: dict[str, Any] = {
            "mapping_id": "m",
            "function_key": "f",
            "shard_id": "s",
            "records": 4,
            "size": 100,
            "first_sequence": "1",
            "last_sequence": "4",
            "outcome": outcome,
            "acked": 0,
            "discarded": 0,
            "condition": "",
            "retry": False,
            "bisected": False,
            "request_id": "r",
            "event_names": ("INSERT",) * 4,
        }
        values.update(changes)
        return BatchReport(**values)

    recorder.batch(report("failure", bisected=True))
    recorder.batch(report("partial", acked=1, retry=True))
    recorder.batch(report("failure", discarded=3, condition="RetryAttemptsExhausted"))
    recorder.batch(report("success", acked=4))
    assert recorder.stream_totals["m"] == {
        "batches": 4,
        "records": 5,
        "failures": 2,
        "partial": 1,
        "retries": 1,
        "bisections": 1,
        "discarded": 3,
    }
    assert recorder.batches[-1]["eventNames"] == ["INSERT"] * 4


async def test_subscribers_get_updates_and_a_reset_when_they_fall_behind() -> None:
    recorder = Recorder()
    subscriber = recorder.subscribe()
    _open(recorder)
    kind, record = await subscriber.next()
    assert (kind, record["id"]) == ("connection", "c1")
    for n in range(QUEUE_SIZE + 5):
        recorder.received("c1", str(n), "$default", "r")
    assert await asyncio.wait_for(subscriber.next(), 1) == ("reset", {})
    recorder.received("c1", "after", "$default", "r")
    kind, record = await subscriber.next()
    assert (kind, record["text"]) == ("frame", "after")
    for n in range(QUEUE_SIZE + 5):  # again, read without waiting this time
        recorder.received("c1", str(n), "$default", "r")
    assert subscriber.pending() == [("reset", {})]
    recorder.received("c1", "later", "$default", "r")
    assert [update[1]["text"] for update in subscriber.pending()] == ["later"]
    recorder.unsubscribe(subscriber)
    assert not recorder.subscribers


def test_metrics_rate_and_percentiles() -> None:
    clock = Clock()
    metrics = Metrics(clock)
    for n in range(10):
        metrics.message()
        metrics.invocation(float(n + 1))
    clock.now += 1
    metrics.message()
    series = metrics.series(seconds=10, step=5)
    assert series["rate"] == [0.0, 2.2]
    assert series["p50"] == [None, 5.0] and series["p99"] == [None, 10.0]
    assert percentile([], 50) is None and percentile([3.0], 99) == 3.0


def test_busy_seconds_keep_a_bounded_sample() -> None:
    clock = Clock()
    metrics = Metrics(clock)
    for n in range(MAX_SAMPLES * 10):
        metrics.invocation(float(n % 100))
    series = metrics.series(seconds=5, step=5)
    assert series["invocations"] == [MAX_SAMPLES * 10]
    assert 30 <= (series["p50"][0] or 0) <= 70 and (series["p99"][0] or 0) >= 90


def test_history_must_hold_something() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Recorder(0)
