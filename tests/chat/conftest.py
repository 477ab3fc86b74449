"""Fixtures for the chat example: its package on sys.path, and the service run by sockgate dev.

The end-to-end fixtures start `sockgate dev` on a temporary copy of examples/chat (so the
table data it writes under .sockgate/ never lands in the repository) on free ports.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from chat_clients import ChatClient, copy_chat

from sockgate.testing.process import DevProcess, ServiceUrls

REPO = Path(__file__).resolve().parents[2]
CHAT_DIR = REPO / "examples" / "chat"

if str(CHAT_DIR) not in sys.path:
    sys.path.insert(0, str(CHAT_DIR))


@pytest.fixture(scope="session")
def chat_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of examples/chat without caches or local state."""
    return copy_chat(tmp_path_factory.mktemp("chat") / "chat")


@pytest.fixture(scope="session")
def chat_service(chat_copy: Path) -> Iterator[ServiceUrls]:
    """`sockgate dev` running the chat on free ports, shared by the end-to-end tests."""
    # Two workers per function: this machine has two cores, more would only add start-up work.
    process = DevProcess(chat_copy, "--no-reload", "--max-workers", "2")
    urls = process.start()
    try:
        yield urls
    finally:
        process.stop()


@pytest.fixture
async def open_client(
    chat_service: ServiceUrls,
) -> AsyncIterator[Callable[[str], Awaitable[ChatClient]]]:
    """Open chat clients on the running service; all are closed after the test."""
    opened: list[ChatClient] = []

    async def opener(name: str) -> ChatClient:
        client = await ChatClient.open(chat_service.websocket_url, name)
        opened.append(client)
        return client

    yield opener
    for client in opened:
        await client.close()
