"""Two headless Chromium pages open the chat page and talk to each other.

Uses Debian's Chromium (/usr/bin/chromium; `make test` installs it) through Playwright.
The screenshot goes to test-artifacts/chat.png at the repository root.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from chat_clients import table

from sockgate.testing.polling import eventually

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 20_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() and shutil.which("chromium") is None,
        reason="Chromium is not installed (apt-get install chromium; make test does it)",
    ),
]


async def _enter(page, url: str, name: str) -> None:
    await page.goto(url)
    await page.fill("#name-input", name)
    await page.click("#connect-button")
    await page.locator("#status", has_text="online").wait_for(timeout=WAIT_MS)


async def _say(page, text: str) -> None:
    await page.fill("#message-input", text)
    await page.click("#send-button")


def _message(page, text: str):
    return page.locator(".message .content", has_text=text)


def _connection_ids(tables_url: str, name: str) -> list[str]:
    items = table(tables_url).query(
        KeyConditionExpression=Key("pk").eq("channel#General") & Key("sk").begins_with("conn#")
    )["Items"]
    return [item["sk"].split("#", 1)[1] for item in items if item.get("name") == name]


@pytest.mark.timeout(120)
async def test_two_pages_chat(chat_service) -> None:
    from playwright.async_api import async_playwright

    run = uuid.uuid4().hex[:6]
    alice, bob = f"Alice {run}", f"Bob {run}"
    url = chat_service.http_url + "/"
    async with async_playwright() as playwright:
        executable = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
        browser = await playwright.chromium.launch(executable_path=executable, args=ARGS)
        try:
            page_a = await browser.new_page(viewport={"width": 1100, "height": 700})
            page_b = await browser.new_page(viewport={"width": 1100, "height": 700})
            errors: list[str] = []
            for page in (page_a, page_b):
                page.on("pageerror", lambda error: errors.append(str(error)))
            await _enter(page_a, url, alice)
            await _enter(page_b, url, bob)
            await page_a.locator(".notice-line", has_text=f"{bob} joined").wait_for(timeout=WAIT_MS)

            await _say(page_a, "Hello from Alice, <b>bold</b> and <em>keen</em>")
            await _message(page_b, "Hello from Alice").wait_for(timeout=WAIT_MS)
            assert await _message(page_b, "Hello from Alice").locator("b").inner_text() == "bold"
            await _say(page_b, "Hi Alice, Bob here")
            await _message(page_a, "Bob here").wait_for(timeout=WAIT_MS)
            names = await page_a.locator(".message .name").all_inner_texts()
            assert alice in names and bob in names

            # Markup outside the allowed tags never runs or renders.
            await _say(page_a, '<img src=x onerror="window.pwned=1">after the image')
            await _message(page_b, "after the image").wait_for(timeout=WAIT_MS)
            assert await page_b.locator(".message .content img").count() == 0
            assert await page_b.evaluate("window.pwned") is None

            # A new channel: Alice creates it, Bob finds it in the list and joins, then leaves.
            room = f"room-{run}"
            await page_a.fill("#join-input", room)
            await page_a.click("#join-button")
            await page_a.locator("#room-title", has_text=f"#{room}").wait_for(timeout=WAIT_MS)
            await page_a.locator(".notice-line", has_text="You joined").wait_for(timeout=WAIT_MS)
            await page_b.click("#refresh-channels")
            entry = page_b.locator(f'li[data-channel="{room}"]')
            await entry.wait_for(timeout=WAIT_MS)
            await entry.locator(".channel-toggle").click()
            await page_b.locator("#room-title", has_text=f"#{room}").wait_for(timeout=WAIT_MS)
            await page_a.locator(".notice-line", has_text=f"{bob} joined").wait_for(timeout=WAIT_MS)
            await _say(page_a, "welcome to the room")
            await _message(page_b, "welcome to the room").wait_for(timeout=WAIT_MS)
            await page_b.click("#room-toggle")  # Leave
            await page_a.locator(".notice-line", has_text=f"{bob} left").wait_for(timeout=WAIT_MS)
            await page_b.locator("#room-toggle", has_text="Join").wait_for(timeout=WAIT_MS)
            await page_a.locator('li[data-channel="General"] .channel-open').click()
            await page_b.locator('li[data-channel="General"] .channel-open').click()

            # A dropped connection comes back by itself and keeps chatting.
            bob_ids = await asyncio.to_thread(_connection_ids, chat_service.tables_url, bob)
            assert len(bob_ids) == 1
            management = boto3.client(
                "apigatewaymanagementapi",
                endpoint_url=chat_service.management_url,
                region_name="us-east-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            await asyncio.to_thread(management.delete_connection, ConnectionId=bob_ids[0])
            await eventually(  # polling a table: there is no event to wait on
                lambda: asyncio.to_thread(
                    lambda: _connection_ids(chat_service.tables_url, bob) not in ([], bob_ids)
                ),
                what="Bob's new connection in the table",
            )
            await page_b.locator("#status", has_text="online").wait_for(timeout=WAIT_MS)
            await _say(page_a, "still there, Bob?")
            await _message(page_b, "still there, Bob?").wait_for(timeout=WAIT_MS)

            # History: a third page sees the conversation on arrival.
            page_c = await browser.new_page()
            await _enter(page_c, url, f"Carol {run}")
            await _message(page_c, "Hello from Alice").wait_for(timeout=WAIT_MS)

            ARTIFACTS.mkdir(exist_ok=True)
            await page_a.screenshot(path=str(ARTIFACTS / "chat.png"))
            assert errors == []
        finally:
            await browser.close()
