"""The chat through the pytest plugin's sync clients: what a user's first tests look like."""

from __future__ import annotations

from chat_clients import bot_message

from sockgate.testing.service import ServiceUnderTest


def is_message(message: dict) -> bool:
    return message.get("event") == "channel_message"


def test_bob_reaches_ann(chat_service: ServiceUnderTest) -> None:
    svc = chat_service
    with svc.connect(query={"name": "ann"}) as ann, svc.connect(query={"name": "bob"}) as bob:
        bob.send_json({"action": "sendMessage", "channelId": "General", "content": "hi"})
        assert ann.receive_json(timeout=2, where=is_message)["content"] == "hi"


def test_a_bot_message_is_broadcast_by_the_stream(chat_service: ServiceUnderTest) -> None:
    with chat_service.connect(query={"name": "ann"}) as ann:
        chat_service.table("ChatTable").put_item(Item=bot_message("General", "beep"))
        chat_service.drain()
        assert ann.receive_json(timeout=5, where=is_message)["content"] == "beep"


def test_idle_connections_leave_the_channel(chat_service: ServiceUnderTest) -> None:
    svc = chat_service
    with svc.connect(query={"name": "ann"}) as ann, svc.connect(query={"name": "bob"}) as bob:
        ann_id = ann.connection_id
        svc.drain()
        svc.clock.advance(590)
        bob.send_json({"action": "listChannels"})  # bob is active, ann is not
        bob.receive_json(where=lambda m: m.get("event") == "channel_list")
        svc.clock.advance(20)
        assert ann.wait_closed() == (1001, "Going away")
        svc.drain()  # $disconnect removed ann; the stream told bob
        left = bob.receive_json(timeout=5, where=lambda m: m.get("event") == "subscriber_unsub")
        assert left["subscriberId"] == ann_id
        assert svc.connection_ids() == [bob.connection_id]


def test_vanished_connection_is_cleaned_up_on_410(chat_service: ServiceUnderTest) -> None:
    table = chat_service.table("ChatTable")
    ghost = {"pk": "channel#General", "sk": "conn#GhostConnId0000="}  # never connected
    with chat_service.connect(query={"name": "ann"}) as ann:
        table.put_item(Item={**ghost, "type": "subscription", "name": "Ghost"})
        ann.send_json({"action": "sendMessage", "channelId": "General", "content": "anyone?"})
        chat_service.drain()
    assert "Item" not in table.get_item(Key=ghost)
