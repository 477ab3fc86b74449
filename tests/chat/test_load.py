"""Load: 200 clients in 10 channels exchange a fixed number of messages; every client gets
every message of its channel exactly once, and nothing from other channels."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
from chat_clients import ChatClient, bot_message, copy_chat, is_event, is_message, table

from sockgate.testing.process import DevProcess, ServiceUrls

CLIENTS = 200
CHANNELS = 10
MESSAGES_EACH = 1  # 200 messages at once, 4,000 deliveries
CONNECT_WAVE = 10  # connections opened at once


@pytest.fixture(scope="module")
def load_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceUrls]:
    """A service of its own, so this test's traffic never queues behind or before others'."""
    chat_copy = copy_chat(tmp_path_factory.mktemp("load") / "chat")
    # Two workers per function, as for the shared service: more only add start-up work here.
    with DevProcess(chat_copy, "--no-reload", "--max-workers", "2") as urls:
        yield urls


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_every_message_exactly_once(load_service: ServiceUrls) -> None:
    chat_service = load_service
    run = uuid.uuid4().hex[:6]
    channels = [f"load-{run}-{n}" for n in range(CHANNELS)]
    clients: list[ChatClient] = []
    try:
        # Everyone starts in General, and every arrival there is announced to all of it: 200
        # people arriving at once would cost 200 x 200 posts. These clients only want their
        # own channel, so each wave leaves General before the next arrives.
        for start in range(0, CLIENTS, CONNECT_WAVE):
            wave = await asyncio.gather(
                *(
                    ChatClient.open(chat_service.websocket_url, f"load {n}")
                    for n in range(start, min(start + CONNECT_WAVE, CLIENTS))
                )
            )
            clients.extend(wave)
            for client in wave:
                await client.send(action="unsubscribeChannel", channelId="General")
            await asyncio.gather(
                *(
                    client.wait_for(
                        is_event("subscriber_unsub", channelId="General", name=client.name),
                        timeout=60,
                    )
                    for client in wave
                )
            )
        home = {client: channels[n % CHANNELS] for n, client in enumerate(clients)}
        for client in clients:
            await client.send(action="subscribeChannel", channelId=home[client])
        # Names are unique here, so a client's own subscriber_sub is the one with its name.
        await asyncio.gather(
            *(
                client.wait_for(
                    is_event("subscriber_sub", channelId=home[client], name=client.name),
                    timeout=60,
                )
                for client in clients
            )
        )

        async def talk(n: int, client: ChatClient) -> None:
            for k in range(MESSAGES_EACH):
                await client.send(
                    action="sendMessage", channelId=home[client], content=f"m {n} {k}"
                )

        await asyncio.gather(*(talk(n, client) for n, client in enumerate(clients)))
        expected: dict[str, set[str]] = {channel: set() for channel in channels}
        for n, client in enumerate(clients):
            expected[home[client]].update(f"m {n} {k}" for k in range(MESSAGES_EACH))
        per_channel = CLIENTS // CHANNELS * MESSAGES_EACH

        def mine(client: ChatClient):
            return lambda e: e.get("event") == "channel_message" and e["channelId"] == home[client]

        await asyncio.gather(
            *(client.wait_for(mine(client), count=per_channel, timeout=120) for client in clients)
        )
        # A bot message per channel travels the stream after every message above: once it is
        # in, any duplicate the stream handler might have sent has arrived too.
        chat_table = table(chat_service.tables_url)
        for channel in channels:
            chat_table.put_item(Item=bot_message(channel, f"done {run}"))
        await asyncio.gather(
            *(
                client.wait_for(is_message(home[client], f"done {run}"), timeout=60)
                for client in clients
            )
        )
        for client in clients:
            received = Counter(
                e["content"] for e in client.matching(mine(client)) if e["content"].startswith("m ")
            )
            assert set(received) == expected[home[client]], client.name
            assert set(received.values()) == {1}, f"{client.name} got duplicates"
            others = [
                e
                for e in client.matching(is_event("channel_message"))
                if e["channelId"] in expected and e["channelId"] != home[client]
            ]
            assert others == [], f"{client.name} got another channel's messages"
    finally:
        await asyncio.gather(*(client.close() for client in clients), return_exceptions=True)
