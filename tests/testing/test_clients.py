"""Clients of the plugin: handshake options, JSON, closes, refusals; sync and async."""

from __future__ import annotations

import pytest

from sockgate.testing.clients import ClosedError, HandshakeRefused
from sockgate.testing.service import ServiceUnderTest


def test_send_and_receive_json(probe: ServiceUnderTest) -> None:
    with probe.connect() as ws:
        ws.send_json({"say": "hello"})
        assert ws.receive_json(timeout=5) == {"said": "hello"}
        ws.receive_nothing(within=0.05)


def test_query_headers_and_subprotocol_reach_connect(probe: ServiceUnderTest) -> None:
    with probe.connect(
        query={"name": "ann"}, headers={"X-Probe": "1"}, subprotocols=["chat.v1"]
    ) as ws:
        ws.send_json({"event": True})
        event = ws.receive_json()["event"]
    assert event["requestContext"]["routeKey"] == "$default"
    connect_lines = [line for line in probe.logs("connect") if "connected" in line]
    assert len(connect_lines) == 1


def test_refused_handshake_reports_the_status(probe: ServiceUnderTest) -> None:
    with pytest.raises(HandshakeRefused) as refused:
        probe.connect(query={"deny": "401"})
    assert refused.value.status == 401


def test_server_close_gives_code_and_reason(probe: ServiceUnderTest) -> None:
    with probe.connect() as ws:
        probe.disconnect(ws.connection_id, 4000, "bye")
        assert ws.wait_closed() == (4000, "bye")
        with pytest.raises(ClosedError) as closed:
            ws.receive()
    assert closed.value.code == 4000


def test_receive_times_out_with_a_clear_message(probe: ServiceUnderTest) -> None:
    with probe.connect() as ws, pytest.raises(TimeoutError, match="no message within 0.05 s"):
        ws.receive(timeout=0.05)


async def test_async_client(probe: ServiceUnderTest) -> None:
    async with probe.connect_async(query={"name": "ann"}) as ws:
        await ws.send_json({"say": "hi"})
        assert await ws.receive_json() == {"said": "hi"}
        await ws.receive_nothing(within=0.05)
        assert await probe.clock.aadvance(601) == 1
        assert await ws.wait_closed() == (1001, "Going away")


async def test_async_refusal(probe: ServiceUnderTest) -> None:
    with pytest.raises(HandshakeRefused) as refused:
        await probe.connect_async(query={"deny": "403"})
    assert refused.value.status == 403
