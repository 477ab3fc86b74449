"""Channels end to end: join notices, fan-out to subscribers only, unsubscribe, disconnect."""

from __future__ import annotations

from chat_clients import is_event, is_message, is_sub, is_unsub, unique


async def test_new_connections_join_general_and_everyone_hears(open_client) -> None:
    # The newcomer itself may miss its own General notice: the stream can announce it
    # before the handshake completes, when API Gateway still answers 410 for it.
    ann = await open_client("Ann")
    await ann.whoami()
    bob = await open_client("Bob the 2nd")
    bob_id = await bob.whoami()
    notice = await ann.wait_for(is_sub("General", bob_id))
    assert notice == {
        "event": "subscriber_sub",
        "channelId": "General",
        "subscriberId": bob_id,
        "name": "Bob the 2nd",
    }
    await bob.send(action="listChannels")
    listing = await bob.wait_for(is_event("channel_list"), count=2)
    assert "General" in listing["subscribed"]


async def test_messages_reach_every_subscriber_and_only_them(open_client) -> None:
    room = unique("room")
    ann, bob, cid = await open_client("Ann"), await open_client("Bob"), await open_client("Cid")
    await ann.join(room)
    await bob.join(room)
    await cid.whoami()
    await ann.send(action="sendMessage", channelId=room, name="Ann", content="hello room")
    for client in (ann, bob):
        message = await client.wait_for(is_message(room, "hello room"))
        assert message["name"] == "Ann"
        assert message["channelId"] == room
        assert message["id"] and message["timestamp"]
    # Cid hears a later General message, but never the room's.
    await ann.send(action="sendMessage", channelId="General", name="Ann", content="marker")
    await cid.wait_for(is_message("General", "marker"))
    assert cid.matching(is_event("channel_message", channelId=room)) == []


async def test_unsubscribe_stops_delivery_and_is_announced(open_client) -> None:
    room = unique("leave")
    ann, bob = await open_client("Ann"), await open_client("Bob")
    await ann.join(room)
    await bob.join(room)
    bob_id = await bob.whoami()
    await bob.send(action="unsubscribeChannel", channelId=room)
    notice = await ann.wait_for(is_unsub(room, bob_id))
    assert notice["name"] == "Bob"
    await bob.wait_for(is_unsub(room, bob_id))  # the one who left is told as well
    await ann.send(action="sendMessage", channelId=room, content="after bob left")
    await ann.wait_for(is_message(room, "after bob left"))
    await ann.send(action="sendMessage", channelId="General", content="marker 2")
    await bob.wait_for(is_message("General", "marker 2"))
    assert bob.matching(is_message(room, "after bob left")) == []


async def test_unsubscribing_twice_is_an_error(open_client) -> None:
    ann = await open_client("Ann")
    room = unique("never")
    await ann.send(action="unsubscribeChannel", channelId=room)
    error = await ann.wait_for(is_event("error"))
    assert error == {"event": "error", "message": f"not subscribed to {room}"}


async def test_disconnect_leaves_every_channel(open_client) -> None:
    room = unique("bye")
    ann, bob = await open_client("Ann"), await open_client("Bob")
    await ann.join(room)
    await bob.join(room)
    bob_id = await bob.whoami()
    await bob.close()
    await ann.wait_for(is_unsub(room, bob_id))
    await ann.wait_for(is_unsub("General", bob_id))


async def test_list_channels_counts_and_names_the_caller(open_client) -> None:
    room = unique("list")
    ann, bob = await open_client("Ann"), await open_client("Bob")
    await ann.join(room)
    await bob.join(room)
    ann_id = await ann.whoami()
    await ann.send(action="listChannels")
    listing = await ann.wait_for(is_event("channel_list"), count=2)
    assert listing["connectionId"] == ann_id
    channels = {c["channelId"]: c["subscribers"] for c in listing["channels"]}
    assert channels[room] == 2
    assert channels["General"] == 2  # the service is clean: only Ann and Bob
    assert set(listing["subscribed"]) == {"General", room}
