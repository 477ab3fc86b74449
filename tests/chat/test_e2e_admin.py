"""The admin CLI, which works only through the table; the stream tells the clients."""

from __future__ import annotations

import asyncio

from chat_clients import admin, is_event, is_message, is_unsub, unique


async def test_post_reaches_the_channel(open_client, chat_service, chat_copy) -> None:
    room = unique("admin")
    ann = await open_client("Ann")
    await ann.join(room)
    result = await asyncio.to_thread(
        admin,
        chat_copy,
        chat_service.tables_url,
        "post",
        "--channel",
        room,
        "--as",
        "bot",
        "hi <b>all</b>",
    )
    assert result.returncode == 0, result.stderr
    assert f"to {room} as bot" in result.stdout
    message = await ann.wait_for(is_message(room, "hi <b>all</b>"))
    assert message["name"] == "bot"


async def test_who_channels_and_kick(open_client, chat_service, chat_copy) -> None:
    room = unique("kick")
    ann, bob = await open_client("Ann"), await open_client("Bob")
    await ann.join(room)
    await bob.join(room)
    ann_id, bob_id = await ann.whoami(), await bob.whoami()
    tables_url = chat_service.tables_url

    who = await asyncio.to_thread(admin, chat_copy, tables_url, "who", "--channel", room)
    assert who.returncode == 0, who.stderr
    assert sorted(who.stdout.splitlines()) == sorted([f"{ann_id}\tAnn", f"{bob_id}\tBob"])

    channels = await asyncio.to_thread(admin, chat_copy, tables_url, "channels")
    assert channels.returncode == 0, channels.stderr
    assert f"{room}\t2" in channels.stdout.splitlines()

    kick = await asyncio.to_thread(
        admin, chat_copy, tables_url, "kick", "--channel", room, "--", bob_id
    )
    assert kick.returncode == 0, kick.stderr
    assert kick.stdout.strip() == f"removed {bob_id} from {room}"
    await ann.wait_for(is_unsub(room, bob_id))
    await bob.wait_for(is_unsub(room, bob_id))  # the kicked page learns it too
    await ann.send(action="listChannels")
    listing = await ann.wait_for(is_event("channel_list"), count=2)
    assert {c["channelId"]: c["subscribers"] for c in listing["channels"]}[room] == 1


async def test_admin_errors_are_one_line(chat_service, chat_copy) -> None:
    tables_url = chat_service.tables_url
    bad = await asyncio.to_thread(admin, chat_copy, tables_url, "post", "--channel", "no way", "x")
    assert bad.returncode == 2
    assert (
        bad.stderr.strip()
        == "chat.admin: channelId must be 1 to 64 letters, digits, hyphens or underscores"
    )
    nobody = await asyncio.to_thread(admin, chat_copy, tables_url, "kick", "NotAConnection=")
    assert nobody.returncode == 2
    assert "not subscribed" in nobody.stderr
    # One id in 64 begins with "-"; after "--" it is still an id, not an option.
    dashed = await asyncio.to_thread(admin, chat_copy, tables_url, "kick", "--", "-NotAConnect=")
    assert dashed.returncode == 2
    assert "-NotAConnect= is not subscribed" in dashed.stderr
    missing = await asyncio.to_thread(
        admin, chat_copy, tables_url, "channels", "--table", "no-such-table"
    )
    assert missing.returncode == 1
    assert missing.stderr.startswith("chat.admin: ") and "Traceback" not in missing.stderr
