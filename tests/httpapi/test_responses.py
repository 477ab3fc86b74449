"""Function results to HTTP responses, for payload 2.0 and 1.0."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sockgate.httpapi.responses import v1_response, v2_response
from sockgate.invocation import InvocationResult


def ok(payload: Any) -> InvocationResult:
    return InvocationResult("r", payload=payload)


FAILED = InvocationResult("r", error={"errorType": "RuntimeError", "errorMessage": "boom"})


@pytest.mark.parametrize(
    ("payload", "body"),
    [
        ("Hello from Lambda!", b"Hello from Lambda!"),
        ({"message": "Hello from Lambda!"}, b'{"message": "Hello from Lambda!"}'),
        ([1, 2], b"[1, 2]"),
        (42, b"42"),
    ],
)
def test_v2_infers_a_json_200_without_status_code(payload: Any, body: bytes) -> None:
    response = v2_response(ok(payload))
    assert response.status == 200
    assert response.header("content-type") == "application/json"
    assert response.body == body


def test_v2_structured_response() -> None:
    response = v2_response(
        ok(
            {
                "statusCode": 201,
                "headers": {"X-Answer": 42, "content-type": "text/html"},
                "cookies": ["a=1; Path=/", "b=2"],
                "body": "<p>hi</p>",
            }
        )
    )
    assert response.status == 201
    assert response.body == b"<p>hi</p>"
    assert response.header("x-answer") == "42"
    assert response.header("content-type") == "text/html"
    assert [v for k, v in response.headers if k == "Set-Cookie"] == ["a=1; Path=/", "b=2"]


def test_v2_structured_response_without_body_or_type() -> None:
    response = v2_response(ok({"statusCode": 204}))
    assert response.status == 204
    assert response.body == b""
    assert response.header("content-type") == "text/plain; charset=utf-8"


def test_v2_base64_body_is_decoded() -> None:
    response = v2_response(ok({"statusCode": 200, "body": "AAEC/w==", "isBase64Encoded": True}))
    assert response.body == b"\x00\x01\x02\xff"


def test_v2_drops_length_headers_the_server_sets_itself() -> None:
    response = v2_response(ok({"statusCode": 200, "headers": {"Content-Length": "999"}}))
    assert response.header("content-length") is None


@pytest.mark.parametrize(
    "payload",
    [
        {"statusCode": "200"},
        {"statusCode": 99},
        {"statusCode": True},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "headers": ["x"]},
        {"statusCode": 200, "headers": {"x": ["a", "b"]}},
        {"statusCode": 200, "cookies": "a=1"},
        {"statusCode": 200, "body": "***", "isBase64Encoded": True},
    ],
)
def test_v2_malformed_response_is_500(payload: Any) -> None:
    response = v2_response(ok(payload))
    assert response.status == 500
    assert json.loads(response.body) == {"message": "Internal Server Error"}


def test_v2_function_error_is_500() -> None:
    response = v2_response(FAILED)
    assert (response.status, response.body) == (500, b'{"message":"Internal Server Error"}')


def test_v1_structured_response_with_multi_value_headers() -> None:
    response = v1_response(
        ok(
            {
                "statusCode": 200,
                "headers": {"X-One": "1", "X-Both": "single"},
                "multiValueHeaders": {"X-Both": ["a", "b"], "Set-Cookie": ["c=1", "d=2"]},
                "body": "[]",
            }
        )
    )
    assert response.status == 200
    assert response.header("content-type") == "application/json"
    assert [v for k, v in response.headers if k == "X-Both"] == ["a", "b"]
    assert [v for k, v in response.headers if k == "Set-Cookie"] == ["c=1", "d=2"]
    assert response.header("x-one") == "1"


@pytest.mark.parametrize(
    "payload",
    [
        "just a string",
        None,
        {"body": "no status"},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "multiValueHeaders": {"x": "not a list"}},
    ],
)
def test_v1_malformed_response_is_502(payload: Any) -> None:
    response = v1_response(ok(payload))
    assert response.status == 502
    assert response.body == b'{"message": "Internal server error"}'


def test_v1_function_error_is_502() -> None:
    assert v1_response(FAILED).status == 502
