"""Headless Chromium opens the inspector while the chat example runs (issue #18's scenario).

Two chat clients connect; the page shows both connections, the frames of a message, the
invocations it caused, the stream batch that announced a join and the rows in the table; a
frame sent from the page reaches a client. Debian's Chromium through Playwright, as in
tests/chat/test_browser.py; the screenshot goes to test-artifacts/inspector.png (docs/inspector.png
is a copy of it).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from websockets.asyncio.client import ClientConnection, connect

from sockgate.runner import DevServer

from .conftest import dev_options

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
WAIT_MS = 20_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(120),
    pytest.mark.skipif(
        not CHROMIUM.exists() and shutil.which("chromium") is None,
        reason="Chromium is not installed (apt-get install chromium; make test does it)",
    ),
]


@pytest.fixture
async def chat_dev(example: Callable[[str], Path], tmp_path: Path) -> AsyncIterator[DevServer]:
    """examples/chat under `sockgate dev`, with the inspector."""
    server = DevServer(dev_options(example("chat"), tmp_path / "state"))
    await server.start()
    try:
        yield server
    finally:
        await server.close()


async def _until(ws: ClientConnection, check: Any) -> Any:
    """The first frame `check` accepts (within the deadline)."""
    async with asyncio.timeout(WAIT_MS / 1000):
        while True:
            frame = await ws.recv()
            try:
                message = json.loads(frame)
            except ValueError:
                message = frame
            if check(message):
                return message


def _item(server: DevServer, sk: str) -> dict[str, Any] | None:
    table = boto3.resource(
        "dynamodb",
        endpoint_url=server.urls["tables_url"],
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    ).Table("chat-dev")
    item = table.get_item(Key={"pk": "inspector", "sk": sk}).get("Item")
    return dict(item) if item is not None else None


async def test_the_inspector_follows_the_chat(chat_dev: DevServer) -> None:
    from playwright.async_api import async_playwright

    url = chat_dev.inspector_url
    assert url is not None
    ws_url = chat_dev.urls["websocket_url"]
    async with async_playwright() as playwright:
        executable = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
        browser = await playwright.chromium.launch(executable_path=executable, args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 820})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(url + "#connections")
            await page.locator("#live", has_text="live").wait_for(timeout=WAIT_MS)

            async with (
                connect(f"{ws_url}?name=Ann", user_agent_header="ann-agent") as ann,
                connect(f"{ws_url}?name=Bob", user_agent_header="bob-agent") as bob,
            ):
                # Two connections appear.
                rows = page.locator("#connection-list tr.conn-row:not(.closed)")
                await page.wait_for_function(
                    "document.querySelectorAll('#connection-list tr.conn-row:not(.closed)')"
                    ".length === 2",
                    timeout=WAIT_MS,
                )
                assert await rows.count() == 2
                await _until(ann, lambda m: m.get("event") == "subscriber_sub")

                # A message: its frames in the sender's connection, with the route it chose.
                text = "hello from Ann to the inspector"
                await ann.send(
                    json.dumps({"action": "sendMessage", "channelId": "General", "content": text})
                )
                await _until(bob, lambda m: m.get("content") == text)
                await page.locator("tr.conn-row", has_text="name=Ann").click()
                inbound = page.locator("#frames .frame.in", has_text=text)
                await inbound.wait_for(timeout=WAIT_MS)
                assert "route sendMessage" in await inbound.inner_text()
                outbound = page.locator("#frames .frame.out", has_text=text)
                await outbound.first.wait_for(timeout=WAIT_MS)
                await page.locator("#connection-detail dd", has_text="ann-agent").wait_for()
                await page.screenshot(path=str(ARTIFACTS / "inspector.png"))

                # A frame from the page reaches Bob, through PostToConnection.
                await page.locator("tr.conn-row", has_text="name=Bob").click()
                await page.fill("#send-input", '{"note": "sent from the inspector"}')
                await page.click("#send-button")
                assert await _until(bob, lambda m: m == {"note": "sent from the inspector"})
                await page.locator("#send-status", has_text="sent").wait_for(timeout=WAIT_MS)

                # The invocations the message caused, with its event and logs.
                await page.click("#tab-invocations")
                invocation = page.locator("tr.inv-row[data-function=sendMessage]")
                await invocation.first.wait_for(timeout=WAIT_MS)
                await invocation.first.click()
                await page.locator("#event-input").wait_for()
                assert text in await page.locator("#event-input").input_value()
                assert "REPORT RequestId" in await page.locator("#inv-logs").inner_text()
                broadcast = page.locator("tr.inv-row[data-function=broadcast]")
                await broadcast.first.wait_for(timeout=WAIT_MS)
                await page.screenshot(path=str(ARTIFACTS / "inspector-invocations.png"))

                # Run it again with an edited event: Bob gets the edited message.
                edited = (await page.locator("#event-input").input_value()).replace(
                    text, "edited in the inspector"
                )
                await page.fill("#event-input", edited)
                await page.click("#rerun-button")
                await page.locator("#rerun-status", has_text="ran: ok").wait_for(timeout=WAIT_MS)
                await _until(bob, lambda m: m.get("content") == "edited in the inspector")

                # The stream batch that announced a join (the subscription rows inserted).
                await page.click("#tab-streams")
                await page.locator("tr.batch-row", has_text="INSERT").first.wait_for(
                    timeout=WAIT_MS
                )
                await page.screenshot(path=str(ARTIFACTS / "inspector-streams.png"))

                # The rows in the table.
                await page.click("#tab-tables")
                await page.locator("#table-select option", has_text="chat-dev").wait_for(
                    state="attached", timeout=WAIT_MS
                )
                items = page.locator("#items tr.item-row")
                await items.first.wait_for(timeout=WAIT_MS)
                assert await page.locator("#items", has_text="conn#").count() == 1
                await items.first.click()
                await page.get_by_label("DynamoDB JSON").check()
                assert '"S":' in await page.locator("#item-input").input_value()
                await page.screenshot(path=str(ARTIFACTS / "inspector-tables.png"))

                # Create an item from the page, then delete it: both go through the table service.
                await page.click("#item-new")
                await page.get_by_label("plain JSON").check()
                note = {"pk": "inspector", "sk": "note#1", "text": "written from the page"}
                await page.fill("#item-input", json.dumps(note))
                await page.click("#item-save")
                await page.locator("#item-status", has_text="saved").wait_for(timeout=WAIT_MS)
                assert await asyncio.to_thread(_item, chat_dev, "note#1") == note
                await page.locator("tr.item-row", has_text="note#1").click()
                await page.click("#item-delete")
                await page.locator("#item-detail", has_text="Deleted.").wait_for(timeout=WAIT_MS)
                assert await asyncio.to_thread(_item, chat_dev, "note#1") is None

                # The overview: routes, worker pools, and the charts.
                await page.click("#tab-overview")
                await page.locator("#pools td", has_text="sendMessage").wait_for(timeout=WAIT_MS)
                await page.locator("#chart-rate polyline").wait_for(timeout=WAIT_MS)
                await page.screenshot(path=str(ARTIFACTS / "inspector-overview.png"))
            assert errors == []
        finally:
            await browser.close()
