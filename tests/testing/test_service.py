"""The service under test: drain, clock, reset, faults, direct invocation, AWS clients."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sockgate.testing.service import ServiceUnderTest

PROBE = Path(__file__).parent / "probe"


def _disconnects(svc: ServiceUnderTest) -> dict[str, Any]:
    items = svc.table("Notes").scan()["Items"]
    return {
        item["id"].removeprefix("disconnect-"): item
        for item in items
        if item["kind"] == "disconnect"
    }


def test_stream_driven_delivery_after_drain(probe: ServiceUnderTest) -> None:
    with probe.connect() as ws:
        ws.send_json({"note": "remember"})
        probe.drain()
        assert ws.receive_json(timeout=5) == {"note": "remember"}


def test_idle_timeout_without_waiting(probe: ServiceUnderTest) -> None:
    with probe.connect() as ws:
        connection_id = ws.connection_id
        assert probe.clock.advance(599) == 0
        ws.send_json({"say": "still here"})  # activity moves the deadline
        assert ws.receive_json() == {"said": "still here"}
        probe.clock.advance(599)
        assert ws.close_code is None
        probe.clock.advance(2)
        assert ws.wait_closed() == (1001, "Going away")
    assert _disconnects(probe)[connection_id]["code"] == 1001


def test_maximum_duration_closes_a_busy_connection(probe: ServiceUnderTest) -> None:
    with probe.connect() as ws:
        for _ in range(14):  # 14 x 500 s = 7000 s, never idle for 600 s
            probe.clock.advance(500)
            ws.send_json({"say": "tick"})
            assert ws.receive_json() == {"said": "tick"}
        probe.clock.advance(500)  # 7500 s: past the 2-hour limit
        assert ws.wait_closed() == (1001, "Going away")


def test_disconnect_runs_disconnect_handler(probe: ServiceUnderTest) -> None:
    with probe.connect() as ws:
        connection_id = ws.connection_id
        probe.disconnect(connection_id)
        assert ws.wait_closed() == (1000, "")
    assert _disconnects(probe)[connection_id]["code"] == 1000
    assert connection_id not in probe.connection_ids()


def test_gone_connection_is_cleaned_up(probe: ServiceUnderTest) -> None:
    # A note for a connection that no longer exists: the stream handler gets 410 and deletes it.
    probe.table("Notes").put_item(
        Item={"id": "stale", "kind": "note", "to": "AAAAAAAAAAAAAAA=", "text": "lost"}
    )
    probe.drain()
    assert "Item" not in probe.table("Notes").get_item(Key={"id": "stale"})
    assert any("gone: AAAAAAAAAAAAAAA=" in line for line in probe.logs("notify"))


def test_reset_leaves_nothing_behind(probe: ServiceUnderTest) -> None:
    ws = probe.connect()
    ws.send_json({"say": "x"})
    ws.receive_json()
    probe.table("Notes").put_item(Item={"id": "n1", "kind": "note", "to": "gone", "text": "x"})
    probe.reset()
    assert ws.wait_closed() == (1001, "Going away")
    assert probe.table("Notes").scan()["Items"] == []
    assert probe.connection_ids() == []
    assert probe.logs() == []
    probe.drain()  # the note written before the reset is never delivered
    assert probe.logs("notify") == []


def test_a_function_that_times_out(probe: ServiceUnderTest) -> None:
    result = probe.invoke("slow", {"seconds": 3})
    assert result.timed_out
    assert "Task timed out after 1.00 seconds" in "\n".join(probe.logs("slow"))


def test_invoke_returns_result_and_logs(probe: ServiceUnderTest) -> None:
    result = probe.invoke("slow", {"seconds": 0})
    assert result.ok and result.payload == {"slept": 0}
    assert result.logs[0].startswith("START RequestId: ")
    assert result.logs[-1].startswith("REPORT RequestId: ")
    assert probe.logs("slow") == result.logs


def test_kill_worker_fails_the_invocation_in_flight(probe: ServiceUnderTest) -> None:
    probe.invoke("slow", {"seconds": 0})  # a warm worker
    killed = probe.kill_worker("slow")
    assert killed
    result = probe.invoke("slow", {"seconds": 0})  # a fresh worker, cold
    assert result.ok and result.init_duration_ms is not None


def test_management_client_is_bound_to_the_service(probe: ServiceUnderTest) -> None:
    with probe.connect() as ws:
        probe.management.post_to_connection(ConnectionId=ws.connection_id, Data=b'{"x": 1}')
        assert ws.receive_json() == {"x": 1}
        assert "ConnectedAt" in probe.management.get_connection(ConnectionId=ws.connection_id)
    with pytest.raises(probe.management.exceptions.GoneException):
        probe.management.post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"x")
    assert probe.table_name("Notes") in probe.dynamodb.list_tables()["TableNames"]


def test_environment_and_function_overrides(
    sockgate_service: Callable[..., ServiceUnderTest],
) -> None:
    svc = sockgate_service(
        PROBE, environment={"GREETING": "hola"}, functions={"slow": {"timeout": 2}}
    )
    with svc.connect() as ws:
        ws.send_json({"env": "GREETING"})
        assert ws.receive_json() == {"env": "hola"}
    result = svc.invoke("slow", {"seconds": 1.2})  # over the yml's 1 s, within the override
    assert result.ok


def test_drain_names_what_is_stuck_and_reset_recovers(probe: ServiceUnderTest) -> None:
    probe.table("Notes").put_item(Item={"id": "b", "kind": "note", "to": "x", "text": "boom"})
    with pytest.raises(TimeoutError, match="stream notify: records up to .* were not delivered"):
        probe.drain(timeout=0.5)
    probe.reset()  # the failing record is skipped, not retried into the next test
    probe.drain(timeout=2)
    assert not any("boom" in line for line in probe.logs())
