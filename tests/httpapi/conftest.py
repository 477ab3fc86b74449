"""Fixtures for the HTTP API: a service with httpApi/http routes and an in-process Invoke."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from httpapi_support import InProcessInvoke, echo, make_service, route

from sockgate.httpapi import HttpApi
from sockgate.service.model import HttpRoute, Service


@pytest.fixture
def routes() -> list[HttpRoute]:
    """Routes of both kinds, every one answered by a function named after what it does."""
    return [
        route("httpApi", "GET", "/", "index"),
        route("httpApi", "GET", "/items/{id}", "item"),
        route("httpApi", "GET", "/items/special", "special"),
        route("httpApi", "*", "/files/{proxy+}", "files"),
        route("httpApi", "POST", "/echo", "echo"),
        route("httpApi", "GET", "/bare", "bare"),
        route("httpApi", "GET", "/broken", "broken"),
        route("httpApi", "GET", "/malformed", "malformed"),
        route("httpApi", "GET", "/cookies", "cookies"),
        route("httpApi", "GET", "/binary", "binary"),
        route("httpApi", "GET", "/v1", "v1echo", version="1.0"),
        route("http", "GET", "/rest/{name}", "restecho"),
        route("http", "GET", "/rest-bad", "restbad"),
        route("http", "GET", "/rest-error", "broken"),
    ]


@pytest.fixture
def invoke() -> InProcessInvoke:
    """The functions behind `routes`."""

    def broken(event: dict[str, Any], context: Any) -> Any:
        raise RuntimeError("boom")

    return InProcessInvoke(
        {
            "index": lambda e, c: {"statusCode": 200, "body": "<h1>hi</h1>"},
            "item": echo,
            "special": echo,
            "files": echo,
            "echo": echo,
            "bare": lambda e, c: {"hello": "world"},
            "broken": broken,
            "malformed": lambda e, c: {"statusCode": "two hundred"},
            "cookies": lambda e, c: {
                "statusCode": 201,
                "cookies": ["a=1; Path=/", "b=2"],
                "headers": {"x-count": 2},
                "body": "ok",
            },
            "binary": lambda e, c: {
                "statusCode": 200,
                "headers": {"content-type": "application/octet-stream"},
                "body": "AAEC/w==",
                "isBase64Encoded": True,
            },
            "v1echo": echo,
            "restecho": echo,
            "restbad": lambda e, c: {"statusCode": 200, "body": {"not": "a string"}},
        }
    )


@pytest.fixture
def service(tmp_path: Path, routes: list[HttpRoute]) -> Service:
    """A service with `routes`."""
    return make_service(tmp_path, routes)


@pytest.fixture
async def http_api(service: Service, invoke: InProcessInvoke) -> AsyncIterator[HttpApi]:
    """The HTTP API serving `routes` on a free port."""
    api = HttpApi(service, invoke, port=0, stage="dev")
    await api.start()
    try:
        yield api
    finally:
        await api.close()
