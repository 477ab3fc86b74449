"""Messages end to end: exactly-once delivery, bots, 410 cleanup, XSS, errors, history."""

from __future__ import annotations

import time

import pytest
from boto3.dynamodb.conditions import Key
from chat_clients import bot_message, is_event, is_message, is_sub, is_unsub, unique


async def test_sent_messages_are_stored_and_delivered_once(open_client, chat_service) -> None:
    room = unique("once")
    ann = await open_client("Ann")
    await ann.join(room)
    await ann.send(action="sendMessage", channelId=room, name="Ann", content="only once")
    await ann.wait_for(is_message(room, "only once"))
    items = chat_service.table("ChatTable").query(
        KeyConditionExpression=Key("pk").eq(f"messages#{room}")
    )["Items"]
    assert [(i["content"], i["source"], i["name"]) for i in items] == [("only once", "ws", "Ann")]
    assert int(items[0]["expiresAt"]) > time.time() + 6 * 86400  # retentionDays: 7
    await chat_service.adrain()  # the stream handler has seen (and skipped) the item
    assert len(ann.matching(is_message(room, "only once"))) == 1


async def test_bot_message_written_to_the_table_is_broadcast_once(
    open_client, chat_service
) -> None:
    room = unique("bot")
    ann, bob = await open_client("Ann"), await open_client("Bob")
    await ann.join(room)
    await bob.join(room)
    chat_service.table("ChatTable").put_item(
        Item=bot_message(room, "<b>beep</b><script>alert(1)</script>", "Robo!")
    )
    await chat_service.adrain()
    for client in (ann, bob):
        [message] = client.matching(is_message(room, "<b>beep</b>"))
        assert message["name"] == "Robo"


async def test_vanished_connection_is_cleaned_up_on_410(open_client, chat_service) -> None:
    room = unique("gone")
    ann = await open_client("Ann")
    await ann.join(room)
    ghost = "GhostConnId0000="  # subscribed, but never connected: no $disconnect will come
    chat_table = chat_service.table("ChatTable")
    key = {"pk": f"channel#{room}", "sk": f"conn#{ghost}"}
    chat_table.put_item(Item={**key, "type": "subscription", "name": "Ghost"})
    await ann.wait_for(is_sub(room, ghost))
    await ann.send(action="sendMessage", channelId=room, content="anyone there?")
    await ann.wait_for(is_message(room, "anyone there?"))
    await chat_service.adrain()
    assert "Item" not in chat_table.get_item(Key=key)
    assert ann.matching(is_unsub(room, ghost))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("<script>alert('x')</script>safe", "safe"),
        ('<img src=x onerror="alert(1)">pic', "pic"),
        ('<b onmouseover="steal()">bold</b>', "<b>bold</b>"),
        ('<a href="javascript:alert(1)">click</a>', "click"),
        ("<ul><li><em>ok</em></li></ul>", "<ul><li><em>ok</em></li></ul>"),
        ("<iframe src=//evil.example></iframe>x < y", "x &lt; y"),
    ],
)
async def test_xss_payloads_arrive_sanitised(open_client, content: str, expected: str) -> None:
    room = unique("xss")
    ann = await open_client("Ann")
    await ann.join(room)
    await ann.send(
        action="sendMessage", channelId=room, name="<script>Eve</script>", content=content
    )
    message = await ann.wait_for(is_event("channel_message", channelId=room))
    assert message["content"] == expected
    assert message["name"] == "scriptEvescript"


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ('{"action": "dance"}', "invalid action type"),
        ("not json at all", "invalid action type"),
        ('{"no": "action"}', "invalid action type"),
        ('{"action": "subscribeChannel", "channelId": "bad channel!"}', "channelId must be"),
        ('{"action": "subscribeChannel"}', "channelId is required"),
        ('{"action": "sendMessage", "channelId": "General"}', "content must be a string"),
        (
            '{"action": "sendMessage", "channelId": "General", "content": "<i></i>"}',
            "content is empty",
        ),
        ('{"action": "getHistory", "channelId": "General", "limit": 0}', "limit must be"),
        ('{"action": "getHistory", "channelId": "General", "limit": "all"}', "limit must be"),
        ('{"action": "getHistory", "channelId": "General", "before": "a b"}', "before must be"),
    ],
)
async def test_bad_frames_get_a_clear_error(open_client, frame: str, message: str) -> None:
    ann = await open_client("Ann")
    await ann.send_raw(frame)
    error = await ann.wait_for(is_event("error"))
    assert set(error) == {"event", "message"}
    assert error["message"].startswith(message)
    # The connection keeps working afterwards.
    await ann.whoami()


async def test_unknown_action_error_is_the_seeds(open_client) -> None:
    ann = await open_client("Ann")
    await ann.send(action="nope")
    assert await ann.wait_for(is_event("error")) == {
        "event": "error",
        "message": "invalid action type",
    }


async def test_history_pages_newest_first(open_client, chat_service) -> None:
    room = unique("hist")
    ann = await open_client("Ann")
    await ann.join(room)
    sent = [f"message {n}" for n in range(7)]
    for text in sent:  # one at a time, so their order is known
        await ann.send(action="sendMessage", channelId=room, content=text)
        await ann.wait_for(is_message(room, text))
    # An expired message must not show, whether or not TTL has deleted it yet.
    expired = bot_message(room, "expired", expiresAt=int(time.time()) - 60)
    chat_service.table("ChatTable").put_item(Item=expired)
    await ann.wait_for(is_message(room, "expired"))

    pages: list[list[str]] = []
    before = None
    for n in range(1, 10):
        action = {"action": "getHistory", "channelId": room, "limit": 3}
        if before:
            action["before"] = before
        await ann.send(**action)
        page = await ann.wait_for(is_event("channel_history", channelId=room), count=n)
        pages.append([m["content"] for m in page["messages"]])
        assert all(m["channelId"] == room and m["name"] == "Ann" for m in page["messages"])
        before = page["next"]
        if before is None:
            break
    # Whether TTL has deleted the expired item yet or not, it never shows, and no page holds
    # more than the limit.
    assert [text for page in pages for text in page] == list(reversed(sent))
    assert all(len(page) <= 3 for page in pages)
    assert len(pages) >= 3


async def test_history_of_an_empty_channel(open_client) -> None:
    ann = await open_client("Ann")
    room = unique("empty")
    await ann.send(action="getHistory", channelId=room)
    assert await ann.wait_for(is_event("channel_history")) == {
        "event": "channel_history",
        "channelId": room,
        "messages": [],
        "next": None,
    }
