"""The HTTP API with sockgate's real Lambda runtime: handlers in worker processes."""

from __future__ import annotations

import base64
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from httpapi_support import make_service, route

from sockgate.httpapi import HttpApi

HANDLER = """
import base64
import json


def page(event, context):
    return {
        "statusCode": 200,
        "headers": {"content-type": "text/html"},
        "body": "<p>" + event["pathParameters"]["name"] + " via " + context.function_name + "</p>",
    }


def echo(event, context):
    return event


def fail(event, context):
    raise ValueError("nope")


def rest(event, context):
    return {"statusCode": 200, "body": json.dumps({"path": event["path"], "body": event["body"]})}
"""


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[HttpApi]:
    """The HTTP API over a real Runtime running handler.py in worker processes."""
    from sockgate.lambdas import Runtime

    (tmp_path / "handler.py").write_text(textwrap.dedent(HANDLER))
    routes = [
        route("httpApi", "GET", "/pages/{name}", "page"),
        route("httpApi", "POST", "/echo", "echo"),
        route("httpApi", "GET", "/fail", "fail"),
        route("http", "POST", "/rest", "rest"),
    ]
    service = make_service(tmp_path, routes)
    runtime = Runtime(service, max_workers=1, prewarm=False)
    await runtime.start()
    api = HttpApi(service, runtime.invoke, port=0, stage="dev")
    await api.start()
    try:
        yield api
    finally:
        await api.close()
        await runtime.close()


async def test_handlers_run_in_workers(api: HttpApi) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(api.url + "/pages/home") as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "text/html"
            assert await response.text() == "<p>home via site-dev-page</p>"

        # A handler returning its own event: a dict without statusCode is a JSON body.
        async with session.post(api.url + "/echo?x=1", data=b"\x00\xffraw") as response:
            assert response.status == 200
            event = await response.json()
        assert event["routeKey"] == "POST /echo"
        assert event["queryStringParameters"] == {"x": "1"}
        assert event["isBase64Encoded"] is True
        assert base64.b64decode(event["body"]) == b"\x00\xffraw"

        async with session.get(api.url + "/fail") as response:
            assert response.status == 500
            assert await response.json() == {"message": "Internal Server Error"}

        async with session.post(api.url + "/dev/rest", data="hello") as response:
            assert response.status == 200
            assert await response.json() == {"path": "/rest", "body": "hello"}
