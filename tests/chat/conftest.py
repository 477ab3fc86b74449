"""Fixtures for the chat example: its package on sys.path, and the service under sockgate's
pytest plugin.

The end-to-end tests run a temporary copy of examples/chat (so no cache lands in the repository)
through `sockgate_service`: started once for the session on free ports, reset between tests.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from chat_clients import ChatClient, copy_chat

from sockgate.testing.service import ServiceUnderTest

REPO = Path(__file__).resolve().parents[2]
CHAT_DIR = REPO / "examples" / "chat"

if str(CHAT_DIR) not in sys.path:
    sys.path.insert(0, str(CHAT_DIR))


@pytest.fixture(scope="session")
def chat_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of examples/chat without caches or local state."""
    return copy_chat(tmp_path_factory.mktemp("chat") / "chat")


@pytest.fixture
def chat_service(
    sockgate_service: Callable[..., ServiceUnderTest], chat_copy: Path
) -> ServiceUnderTest:
    """The chat, clean: its table empty, no connection open, its stream at the end."""
    return sockgate_service(chat_copy)


@pytest.fixture
async def open_client(
    chat_service: ServiceUnderTest,
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
