"""The HTTP API over real sockets: what a browser or curl sees, and what the handler gets."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest

from sockgate.errors import ResourceError
from sockgate.httpapi import HttpApi
from sockgate.service.model import Service


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_binds_a_free_port_and_reports_it(http_api: HttpApi) -> None:
    assert http_api.port > 0
    assert http_api.url == f"http://127.0.0.1:{http_api.port}"


async def test_structured_response_reaches_the_client(
    http_api: HttpApi, client: aiohttp.ClientSession
) -> None:
    async with client.get(http_api.url + "/") as response:
        assert response.status == 200
        assert await response.text() == "<h1>hi</h1>"
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert response.headers["apigw-requestid"].endswith("=")


async def test_v2_event_carries_the_request(
    http_api: HttpApi, client: aiohttp.ClientSession, invoke
) -> None:
    url = http_api.url + "/items/a%20b?x=1&x=2&y="
    headers = {"Cookie": "c1=1; c2=2", "X-Custom": "yes", "User-Agent": "tester/1"}
    async with client.get(url, headers=headers) as response:
        assert response.status == 200
        event = json.loads(await response.text())
    assert event == invoke.last_event()
    assert event["routeKey"] == "GET /items/{id}"
    assert event["rawPath"] == "/items/a b"  # decoded, as HTTP APIs hand it over
    assert event["rawQueryString"] == "x=1&x=2&y="
    assert event["queryStringParameters"] == {"x": "1,2", "y": ""}
    assert event["pathParameters"] == {"id": "a b"}
    assert event["cookies"] == ["c1=1", "c2=2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-custom"] == "yes"
    assert event["headers"]["host"] == f"127.0.0.1:{http_api.port}"
    assert event["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert event["headers"]["x-forwarded-port"] == str(http_api.port)
    assert event["headers"]["x-forwarded-proto"] == "http"
    assert event["headers"]["x-amzn-trace-id"].startswith("Root=1-")
    context = event["requestContext"]
    assert context["http"]["sourceIp"] == "127.0.0.1"
    assert context["http"]["userAgent"] == "tester/1"
    assert context["domainName"] == f"127.0.0.1:{http_api.port}"
    assert context["stage"] == "$default"
    assert len(context["apiId"]) == 10


async def test_literal_route_beats_the_variable(
    http_api: HttpApi, client: aiohttp.ClientSession, invoke
) -> None:
    async with client.get(http_api.url + "/items/special") as response:
        assert response.status == 200
    assert invoke.events[-1][0] == "special"


async def test_greedy_route_for_any_method(
    http_api: HttpApi, client: aiohttp.ClientSession, invoke
) -> None:
    async with client.delete(http_api.url + "/files/a/b.txt") as response:
        assert response.status == 200
    event = invoke.last_event()
    assert event["routeKey"] == "ANY /files/{proxy+}"
    assert event["pathParameters"] == {"proxy": "a/b.txt"}
    assert event["requestContext"]["http"]["method"] == "DELETE"


async def test_post_body_arrives(http_api: HttpApi, client: aiohttp.ClientSession, invoke) -> None:
    async with client.post(http_api.url + "/echo", json={"a": 1}) as response:
        assert response.status == 200
    event = invoke.last_event()
    assert json.loads(event["body"]) == {"a": 1}
    assert event["isBase64Encoded"] is False


@pytest.mark.parametrize(
    "body", ["[" * 5000 + "]" * 5000, '{"a":' * 3000 + "1" + "}" * 3000], ids=["list", "object"]
)
async def test_deeply_nested_body_reaches_the_handler_as_text(
    http_api: HttpApi, client: aiohttp.ClientSession, invoke, body: str
) -> None:
    headers = {"Content-Type": "application/json"}
    async with client.post(http_api.url + "/echo", data=body, headers=headers) as response:
        assert response.status == 200
    assert invoke.last_event()["body"] == body


async def test_malformed_request_is_one_warning_line(http_api: HttpApi, caplog) -> None:
    with caplog.at_level(logging.DEBUG):
        reader, writer = await asyncio.open_connection("127.0.0.1", http_api.port)
        writer.write(b"GET / HTTP/1.1\r\nHost x\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), 5)
        writer.close()
    assert answer.startswith(b"HTTP/1.0 400 Bad Request")
    shown = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert [(r.name, r.levelno, r.exc_info) for r in shown] == [
        ("sockgate.httpapi", logging.WARNING, None)
    ]
    assert shown[0].getMessage() == (
        "refused a malformed HTTP request from 127.0.0.1: 400 Invalid header token: b'Host x'"
    )


async def test_bare_dict_becomes_json_200(http_api: HttpApi, client: aiohttp.ClientSession) -> None:
    async with client.get(http_api.url + "/bare") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        assert await response.json() == {"hello": "world"}


@pytest.mark.parametrize("path", ["/broken", "/malformed"])
async def test_errors_are_500(http_api: HttpApi, client: aiohttp.ClientSession, path: str) -> None:
    async with client.get(http_api.url + path) as response:
        assert response.status == 500
        assert await response.text() == '{"message":"Internal Server Error"}'


async def test_cookies_become_set_cookie_headers(
    http_api: HttpApi, client: aiohttp.ClientSession
) -> None:
    async with client.get(http_api.url + "/cookies") as response:
        assert response.status == 201
        assert response.headers.getall("Set-Cookie") == ["a=1; Path=/", "b=2"]
        assert response.headers["x-count"] == "2"
        assert await response.text() == "ok"


async def test_base64_response_is_sent_as_bytes(
    http_api: HttpApi, client: aiohttp.ClientSession
) -> None:
    async with client.get(http_api.url + "/binary") as response:
        assert await response.read() == b"\x00\x01\x02\xff"


async def test_no_route_is_404(http_api: HttpApi, client: aiohttp.ClientSession) -> None:
    async with client.get(http_api.url + "/nowhere") as response:
        assert response.status == 404
        assert await response.text() == '{"message":"Not Found"}'
    async with client.post(http_api.url + "/") as response:
        assert response.status == 404


async def test_http_api_payload_1(http_api: HttpApi, client: aiohttp.ClientSession) -> None:
    async with client.get(http_api.url + "/v1?a=1&a=2") as response:
        event = await response.json()
    assert event["version"] == "1.0"
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert event["requestContext"]["stage"] == "$default"


async def test_rest_route_lives_under_the_stage(
    http_api: HttpApi, client: aiohttp.ClientSession
) -> None:
    async with client.get(http_api.url + "/dev/rest/ann?q=1") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        assert "x-amzn-RequestId" in response.headers
        event = await response.json()
    assert event["resource"] == "/rest/{name}"
    assert event["path"] == "/rest/ann"
    assert event["pathParameters"] == {"name": "ann"}
    assert event["requestContext"]["path"] == "/dev/rest/ann"
    assert event["requestContext"]["stage"] == "dev"
    assert event["queryStringParameters"] == {"q": "1"}


async def test_rest_errors_are_502(http_api: HttpApi, client: aiohttp.ClientSession) -> None:
    for path in ("/dev/rest-bad", "/dev/rest-error"):
        async with client.get(http_api.url + path) as response:
            assert response.status == 502
            assert await response.text() == '{"message": "Internal server error"}'


async def test_unknown_rest_resource_is_missing_authentication_token(
    http_api: HttpApi, client: aiohttp.ClientSession
) -> None:
    async with client.get(http_api.url + "/dev/nope") as response:
        assert response.status == 403
        assert await response.json() == {"message": "Missing Authentication Token"}


async def test_oversized_body_is_413(http_api: HttpApi, client: aiohttp.ClientSession) -> None:
    async with client.post(http_api.url + "/echo", data=b"x" * (10 * 1024 * 1024 + 1)) as response:
        assert response.status == 413


async def test_a_busy_port_is_a_clear_error(service: Service, invoke) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        api = HttpApi(service, invoke, port=taken.getsockname()[1])
        with pytest.raises(ResourceError, match="--http-port"):
            await api.start()
        await api.close()


async def test_close_is_idempotent(http_api: HttpApi) -> None:
    await http_api.close()
    await http_api.close()
