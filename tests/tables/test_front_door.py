"""DynamoDB's front door over real sockets: authentication, content types, CORS, body size."""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest
from tables_support import AUTH, SIGNED

from sockgate.tables.access import authentication_problem

TARGET = "DynamoDB_20120810.ListTables"
JSON_10 = "application/x-amz-json-1.0"


def exchange(
    url: str, method: str = "POST", body: bytes = b"{}", headers: dict[str, str] | None = None,
    path: str = "/",
) -> tuple[int, dict[str, str], bytes]:  # fmt: skip
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request(method, path, body, headers or {})
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, raw


def test_no_authorization_header_is_missing_authentication_token(server: Any) -> None:
    status, headers, body = exchange(
        server.url, headers={"Content-Type": JSON_10, "X-Amz-Target": TARGET}
    )
    assert status == 400
    assert json.loads(body) == {
        "__type": "com.amazon.coral.service#MissingAuthenticationTokenException",
        "message": "Request is missing Authentication Token",
    }
    assert headers["content-type"] == JSON_10


def test_a_header_that_is_not_sigv4_is_missing_authentication_token(server: Any) -> None:
    status, _, body = exchange(
        server.url,
        headers={"Content-Type": JSON_10, "X-Amz-Target": TARGET, "Authorization": "Basic x",
                 "X-Amz-Date": "20240101T000000Z"},
    )  # fmt: skip
    assert json.loads(body)["__type"].endswith("#MissingAuthenticationTokenException")


def test_an_incomplete_signature_names_every_missing_part(server: Any) -> None:
    header = "AWS4-HMAC-SHA256 Credential=a/b/c/d/e"
    status, _, body = exchange(
        server.url,
        headers={"Content-Type": JSON_10, "X-Amz-Target": TARGET, "Authorization": header},
    )
    assert status == 400
    assert json.loads(body) == {
        "__type": "com.amazon.coral.service#IncompleteSignatureException",
        "message": "Authorization header requires 'Signature' parameter. Authorization header "
        "requires 'SignedHeaders' parameter. Authorization header requires existence of either "
        "a 'X-Amz-Date' or a 'Date' header. Authorization=" + header,
    }


def test_query_string_authentication() -> None:
    problem = authentication_problem("/?X-Amz-Algorithm=AWS4-HMAC-SHA256", {})
    assert problem is not None
    assert problem.type_name == "IncompleteSignatureException"
    assert problem.message == (
        "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string "
        "parameters must include 'X-Amz-Signature'. AWS query-string parameters must include "
        "'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. "
        "Re-examine the query-string parameters."
    )
    both = authentication_problem("/?X-Amz-Algorithm=x", {"authorization": AUTH})
    assert both is not None and both.type_name == "InvalidSignatureException"
    assert authentication_problem("/", {"authorization": AUTH, "date": "x"}) is None


def test_bad_json_and_unknown_operations_come_before_authentication(server: Any) -> None:
    status, _, body = exchange(
        server.url, body=b"{nope", headers={"Content-Type": JSON_10, "X-Amz-Target": TARGET}
    )
    assert json.loads(body)["__type"] == "com.amazon.coral.service#SerializationException"
    status, _, body = exchange(
        server.url, headers={"Content-Type": JSON_10, "X-Amz-Target": "DynamoDB_20120810.Fly"}
    )
    assert status == 400
    assert json.loads(body) == {"__type": "com.amazon.coral.service#UnknownOperationException"}


def test_application_json_is_accepted_and_echoed(server: Any) -> None:
    status, headers, body = exchange(
        server.url,
        headers={"Content-Type": "application/json; charset=utf-8", "X-Amz-Target": TARGET,
                 **SIGNED},
    )  # fmt: skip
    assert status == 200 and "TableNames" in json.loads(body)
    assert headers["content-type"] == "application/json"


@pytest.mark.parametrize("kind", ["text/plain", "application/xml", ""])
def test_other_content_types_and_methods_are_404(server: Any, kind: str) -> None:
    headers = {"X-Amz-Target": TARGET, **SIGNED}
    if kind:
        headers["Content-Type"] = kind
    status, _, body = exchange(server.url, headers=headers)
    assert (status, body) == (404, b"<UnknownOperationException/>\n")
    status, _, body = exchange(server.url, method="PUT", headers={"Content-Type": JSON_10})
    assert (status, body) == (404, b"<UnknownOperationException/>\n")


def test_cors_preflight_and_allow_origin(server: Any) -> None:
    status, headers, body = exchange(
        server.url, method="OPTIONS", body=b"",
        headers={"Origin": "http://localhost:3000",
                 "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type,x-amz-target,authorization"},
    )  # fmt: skip
    assert (status, body) == (200, b"")
    assert headers["access-control-allow-origin"] == "*"
    assert headers["access-control-allow-methods"] == "POST"
    assert headers["access-control-allow-headers"] == "content-type,x-amz-target,authorization"
    assert headers["access-control-max-age"] == "172800"
    status, headers, _ = exchange(
        server.url,
        headers={"Content-Type": JSON_10, "X-Amz-Target": TARGET, "Origin": "http://a", **SIGNED},
    )
    assert status == 200 and headers["access-control-allow-origin"] == "*"
    status, headers, _ = exchange(
        server.url, headers={"Content-Type": JSON_10, "X-Amz-Target": TARGET, **SIGNED}
    )
    assert "access-control-allow-origin" not in headers


def test_a_body_over_16_mb_is_413(server: Any) -> None:
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(
            f"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: {JSON_10}\r\n"
            f"X-Amz-Target: {TARGET}\r\nContent-Length: {16 * 1024 * 1024 + 1}\r\n\r\n".encode()
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ") and body == b""


@pytest.mark.parametrize(
    ("kind", "echoed"),
    [
        ("application/json", "application/json"),
        ("  application/json  ;   asfd", "application/json"),
        ("application/x-amz-json-1.0;blahblah", JSON_10),
    ],
)
def test_a_body_that_is_not_json_has_no_message(server: Any, kind: str, echoed: str) -> None:
    status, headers, body = exchange(
        server.url, body=b"hi", headers={"Content-Type": kind, "X-Amz-Target": TARGET, **SIGNED}
    )
    assert status == 400
    assert json.loads(body) == {"__type": "com.amazon.coral.service#SerializationException"}
    assert headers["content-type"] == echoed


def test_a_sigv4_header_in_another_order_is_served(server: Any) -> None:
    header = (
        "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=00, "
        "Credential=k/20240101/us-east-1/dynamodb/aws4_request"
    )
    status, _, body = exchange(
        server.url,
        headers={"Content-Type": JSON_10, "X-Amz-Target": TARGET, "Authorization": header,
                 "Date": "Mon, 01 Jan 2024 00:00:00 GMT"},
    )  # fmt: skip
    assert status == 200 and "TableNames" in json.loads(body)
