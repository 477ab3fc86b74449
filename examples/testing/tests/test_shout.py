"""The service end to end: real sockets, real Lambda workers, real tables; no sleeps, no mocks."""

import pytest

from sockgate.testing import HandshakeRefused


def test_bob_reaches_ann(svc):
    with svc.connect(query={"name": "ann"}) as ann, svc.connect(query={"name": "bob"}) as bob:
        bob.send_json({"action": "shout", "text": "hi"})
        assert ann.receive_json(timeout=10) == {"from": "bob", "text": "hi"}
        assert bob.receive_json(timeout=10) == {"from": "bob", "text": "hi"}


def test_a_name_is_required(svc):
    with pytest.raises(HandshakeRefused) as refused:
        svc.connect()
    assert refused.value.status == 401


def test_a_shout_written_by_another_system_is_broadcast(svc):
    with svc.connect(query={"name": "ann"}) as ann:
        svc.table("ShoutTable").put_item(Item={"id": "shout#1", "name": "cron", "text": "tick"})
        svc.drain()  # the stream handler has run
        assert ann.receive_json(timeout=1) == {"from": "cron", "text": "tick"}


def test_a_connection_that_is_gone_is_removed(svc):
    table = svc.table("ShoutTable")
    table.put_item(Item={"id": "conn#GoneConnection0=", "name": "ghost"})  # no $disconnect came
    with svc.connect(query={"name": "ann"}) as ann:
        ann.send_json({"action": "shout", "text": "anyone?"})
        svc.drain()
    assert "Item" not in table.get_item(Key={"id": "conn#GoneConnection0="})
    assert any("GoneConnection0= is gone" in line for line in svc.logs("fanout"))


def test_an_idle_connection_is_closed_after_ten_minutes(svc):
    with svc.connect(query={"name": "ann"}) as ann:
        connection_id = ann.connection_id
        svc.clock.advance(599)
        ann.receive_nothing(within=0.05)
        svc.clock.advance(1)
        assert ann.wait_closed() == (1001, "Going away")
    # $disconnect ran before advance() returned
    assert "Item" not in svc.table("ShoutTable").get_item(Key={"id": f"conn#{connection_id}"})


def test_a_disconnect_from_the_server_runs_disconnect(svc):
    with svc.connect(query={"name": "ann"}) as ann:
        svc.disconnect(ann.connection_id)  # as DELETE @connections would
        assert ann.wait_closed() == (1000, "")
    assert svc.table("ShoutTable").scan()["Items"] == []
