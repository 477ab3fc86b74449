"""The web function: the page, its files, and the WebSocket URL written into it."""

from __future__ import annotations

import pytest

from chat import web


def _get(file: str | None = None) -> dict:
    event = {"version": "2.0", "rawPath": "/" + (file or "")}
    if file is not None:
        event["pathParameters"] = {"file": file}
    return web.handler(event, None)


def test_index_carries_the_websocket_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBSOCKET_URL", "wss://abc.execute-api.us-east-1.amazonaws.com/dev")
    response = _get()
    assert response["statusCode"] == 200
    assert response["headers"]["content-type"] == "text/html; charset=utf-8"
    assert (
        '<meta name="chat-websocket-url" '
        'content="wss://abc.execute-api.us-east-1.amazonaws.com/dev">' in response["body"]
    )
    assert "content-security-policy" in response["headers"]


def test_url_is_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBSOCKET_URL", 'ws://x/"><script>')
    body = _get("index.html")["body"]
    assert 'ws://x/"><script>' not in body
    assert 'content="ws://x/&quot;&gt;&lt;script&gt;"' in body


def test_without_a_url_the_page_works_it_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEBSOCKET_URL", raising=False)
    assert '<meta name="chat-websocket-url" content="">' in _get()["body"]


@pytest.mark.parametrize(
    ("file", "content_type"),
    [("app.js", "text/javascript; charset=utf-8"), ("style.css", "text/css; charset=utf-8")],
)
def test_page_files(file: str, content_type: str) -> None:
    response = _get(file)
    assert response["statusCode"] == 200
    assert response["headers"]["content-type"] == content_type
    assert response["body"]


@pytest.mark.parametrize("file", ["serverless.yml", "..", "%2e%2e", "favicon.ico", "store.py"])
def test_nothing_else_is_served(file: str) -> None:
    response = _get(file)
    assert response["statusCode"] == 404
