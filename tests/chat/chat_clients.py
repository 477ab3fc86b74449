"""Helpers for the chat's end-to-end tests: WebSocket clients that keep every event, the table
through boto3, and the admin CLI as a subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
from websockets.asyncio.client import ClientConnection, connect

Event = dict[str, Any]
Predicate = Callable[[Event], bool]

TABLE = "chat-dev"
CHAT_DIR = Path(__file__).resolve().parents[2] / "examples" / "chat"
WAIT = 15.0  # seconds; a deadline for a hung service, never a synchronisation delay


class ChatClient:
    """One chat user: a real WebSocket connection and every event it has received, in order."""

    def __init__(self, ws: ClientConnection, name: str) -> None:
        self.ws = ws
        self.name = name
        self.events: list[Event] = []
        self.connection_id: str | None = None
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, url: str, name: str) -> ChatClient:
        ws = await connect(f"{url}?name={quote(name)}", open_timeout=WAIT, max_queue=None)
        return cls(ws, name)

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                self.events.append(json.loads(frame))
                self._changed.set()
        finally:
            self._changed.set()

    async def send(self, **action: Any) -> None:
        await self.ws.send(json.dumps(action))

    async def send_raw(self, text: str) -> None:
        await self.ws.send(text)

    def matching(self, predicate: Predicate) -> list[Event]:
        return [event for event in self.events if predicate(event)]

    async def wait_for(self, predicate: Predicate, count: int = 1, timeout: float = WAIT) -> Event:
        """The `count`-th event matching `predicate`, waiting for it until the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.matching(predicate)
            if len(found) >= count:
                return found[count - 1]
            if self._reader.done():
                raise AssertionError(f"{self.name}: connection closed; events: {self.events}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"{self.name}: no event #{count} matching after {timeout} s; "
                    f"last events: {self.events[-10:]}"
                )
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass

    async def whoami(self, timeout: float = WAIT) -> str:
        """Our connection id, from a channel_list (which also proves the connection works)."""
        if self.connection_id is None:
            before = len(self.matching(is_event("channel_list")))
            await self.send(action="listChannels")
            listing = await self.wait_for(
                is_event("channel_list"), count=before + 1, timeout=timeout
            )
            self.connection_id = listing["connectionId"]
        return self.connection_id

    async def join(self, channel: str, timeout: float = WAIT) -> None:
        """Subscribe and wait for our own subscriber_sub, which the stream handler sends."""
        me = await self.whoami(timeout)
        await self.send(action="subscribeChannel", channelId=channel)
        await self.wait_for(is_sub(channel, me), timeout=timeout)

    async def close(self) -> None:
        await self.ws.close()
        await asyncio.wait_for(self._reader, WAIT)


def is_event(kind: str, **fields: Any) -> Predicate:
    """Events of this kind whose fields have these values."""
    return lambda e: e.get("event") == kind and all(e.get(k) == v for k, v in fields.items())


def is_sub(channel: str, subscriber: str) -> Predicate:
    return is_event("subscriber_sub", channelId=channel, subscriberId=subscriber)


def is_unsub(channel: str, subscriber: str) -> Predicate:
    return is_event("subscriber_unsub", channelId=channel, subscriberId=subscriber)


def is_message(channel: str, content: str) -> Predicate:
    return is_event("channel_message", channelId=channel, content=content)


def copy_chat(target: Path) -> Path:
    """A copy of examples/chat without caches or local state, so a run's table data and
    stream checkpoints (under .sockgate/) never land in the repository or in another run."""
    shutil.copytree(
        CHAT_DIR, target, ignore=shutil.ignore_patterns(".sockgate", "__pycache__", "*.pyc")
    )
    return target


def unique(prefix: str) -> str:
    """A channel id no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def table(tables_url: str) -> Any:
    """The chat's table through boto3, as a bot or back-office system would reach it."""
    resource = boto3.resource(
        "dynamodb",
        endpoint_url=tables_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return resource.Table(TABLE)


def bot_message(channel: str, content: str, name: str = "bot", **extra: Any) -> dict[str, Any]:
    """A message item as a bot writes it straight into the table (no `source: ws`)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "pk": f"messages#{channel}",
        "sk": f"{stamp}#{uuid.uuid4().hex}",
        "name": name,
        "content": content,
        "source": "bot",
        **extra,
    }


def admin(chat_dir: Path, tables_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m chat.admin ARGS` from the chat folder, as a person would."""
    env = {
        **os.environ,
        "TABLE_NAME": TABLE,
        "AWS_ENDPOINT_URL_DYNAMODB": tables_url,
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    return subprocess.run(
        [sys.executable, "-m", "chat.admin", *args],
        cwd=chat_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
