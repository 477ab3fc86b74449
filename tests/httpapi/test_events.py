"""Payload 2.0 and 1.0 events, key by key, against API Gateway's documented shapes."""

from __future__ import annotations

import base64
import re

from sockgate.httpapi.events import ApiContext, HttpRequest, new_request_id, rest_event, v2_event
from sockgate.httpapi.routing import RouteMatch
from sockgate.service.model import HttpRoute

API = ApiContext(api_id="abcdefghij", stage="dev")
TIME_MS = 1583348638390  # 04/Mar/2020:19:03:58 +0000


def _match(kind: str = "httpApi", params: dict[str, str] | None = None) -> RouteMatch:
    version = "2.0" if kind == "httpApi" else "1.0"
    route = HttpRoute(
        kind=kind, method="GET", path="/my/{thing}", function="f", payload_version=version
    )
    return RouteMatch(
        route, "GET /my/{thing}", "/my/{thing}", {"thing": "path"} if params is None else params
    )


def _request(**overrides: object) -> HttpRequest:
    fields: dict[str, object] = {
        "method": "GET",
        "raw_path": "/my/path",
        "raw_query": "parameter1=value1&parameter1=value2&parameter2=value",
        "headers": (
            ("Host", "abcdefghij.execute-api.us-east-1.amazonaws.com"),
            ("User-Agent", "agent"),
            ("X-Multi", "a"),
            ("x-multi", "b"),
            ("Cookie", "cookie1=1; cookie2=2"),
        ),
        "source_ip": "192.0.2.1",
        "time_ms": TIME_MS,
    }
    fields.update(overrides)
    return HttpRequest(**fields)  # type: ignore[arg-type]


def test_v2_event_has_the_documented_shape() -> None:
    event = v2_event(_request(), _match(), API, "req-1")
    assert list(event) == [
        "version",
        "routeKey",
        "rawPath",
        "rawQueryString",
        "cookies",
        "headers",
        "queryStringParameters",
        "requestContext",
        "pathParameters",
        "isBase64Encoded",
    ]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /my/{thing}"
    assert event["rawPath"] == "/my/path"
    assert event["rawQueryString"] == "parameter1=value1&parameter1=value2&parameter2=value"
    assert event["cookies"] == ["cookie1=1", "cookie2=2"]
    headers = event["headers"]
    assert re.fullmatch(r"Root=1-5e5ffb9e-[0-9a-f]{24}", headers.pop("x-amzn-trace-id"))
    assert headers.pop("x-forwarded-for") == "192.0.2.1"
    assert (headers.pop("x-forwarded-port"), headers.pop("x-forwarded-proto")) == ("443", "https")
    assert event["headers"] == {
        "host": "abcdefghij.execute-api.us-east-1.amazonaws.com",
        "user-agent": "agent",
        "x-multi": "a,b",
    }
    assert event["queryStringParameters"] == {"parameter1": "value1,value2", "parameter2": "value"}
    assert event["pathParameters"] == {"thing": "path"}
    assert event["isBase64Encoded"] is False
    assert event["requestContext"] == {
        "accountId": "000000000000",
        "apiId": "abcdefghij",
        "domainName": "abcdefghij.execute-api.us-east-1.amazonaws.com",
        "domainPrefix": "abcdefghij",
        "http": {
            "method": "GET",
            "path": "/my/path",
            "protocol": "HTTP/1.1",
            "sourceIp": "192.0.2.1",
            "userAgent": "agent",
        },
        "requestId": "req-1",
        "routeKey": "GET /my/{thing}",
        "stage": "$default",
        "time": "04/Mar/2020:19:03:58 +0000",
        "timeEpoch": TIME_MS,
    }


def test_v2_event_omits_empty_parts() -> None:
    request = _request(raw_query="", headers=(("Host", "h"),))
    event = v2_event(request, _match(params={}), API, "r")
    for key in ("cookies", "queryStringParameters", "pathParameters", "body"):
        assert key not in event
    assert event["rawQueryString"] == ""
    assert event["requestContext"]["http"]["userAgent"] == ""


def test_v2_text_body_is_passed_as_text() -> None:
    request = _request(
        method="POST",
        headers=(("Content-Type", "application/json; charset=utf-8"),),
        body='{"a": "é"}'.encode(),
    )
    event = v2_event(request, _match(), API, "r")
    assert event["body"] == '{"a": "é"}'
    assert event["isBase64Encoded"] is False


def test_v2_binary_body_is_base64() -> None:
    request = _request(
        method="POST", headers=(("Content-Type", "image/png"),), body=b"\x89PNG\x00\xff"
    )
    event = v2_event(request, _match(), API, "r")
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x89PNG\x00\xff"


def test_v2_undecodable_text_falls_back_to_base64() -> None:
    request = _request(method="POST", headers=(("Content-Type", "text/plain"),), body=b"\xff\xfe")
    event = v2_event(request, _match(), API, "r")
    assert event["isBase64Encoded"] is True


def test_rest_event_has_the_documented_shape() -> None:
    event = rest_event(_request(), _match("http"), API, "req-2", path="/my/path")
    assert list(event) == [
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "requestContext",
        "pathParameters",
        "stageVariables",
        "body",
        "isBase64Encoded",
    ]
    assert event["resource"] == "/my/{thing}"
    assert event["path"] == "/my/path"
    assert event["httpMethod"] == "GET"
    # Names as sent; the single-value map keeps the last value of a repeated name.
    assert event["headers"]["X-Multi"] == "a"
    assert event["headers"]["x-multi"] == "b"
    assert event["multiValueHeaders"]["Cookie"] == ["cookie1=1; cookie2=2"]
    assert event["queryStringParameters"] == {"parameter1": "value2", "parameter2": "value"}
    assert event["multiValueQueryStringParameters"] == {
        "parameter1": ["value1", "value2"],
        "parameter2": ["value"],
    }
    assert event["pathParameters"] == {"thing": "path"}
    assert event["stageVariables"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["path"] == "/dev/my/path"
    assert context["stage"] == "dev"
    assert context["resourcePath"] == "/my/{thing}"
    assert context["httpMethod"] == "GET"
    assert context["requestId"] == "req-2"
    assert context["requestTime"] == "04/Mar/2020:19:03:58 +0000"
    assert context["requestTimeEpoch"] == TIME_MS
    assert context["identity"]["sourceIp"] == "192.0.2.1"
    assert context["identity"]["userAgent"] == "agent"
    assert context["identity"]["cognitoIdentityId"] is None
    assert re.fullmatch(r"[0-9a-f]{6}", context["resourceId"])


def test_rest_event_nulls_absent_parts() -> None:
    request = _request(raw_query="", headers=())
    event = rest_event(request, _match("http", params={}), API, "r", path="/my/path")
    # API Gateway's own headers are always there (X-Forwarded-*, X-Amzn-Trace-Id).
    assert sorted(event["headers"]) == [
        "X-Amzn-Trace-Id",
        "X-Forwarded-For",
        "X-Forwarded-Port",
        "X-Forwarded-Proto",
    ]
    for key in (
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "body",
    ):
        assert event[key] is None, key


def test_http_api_payload_1_has_version_and_default_stage() -> None:
    event = rest_event(_request(), _match(), API, "r", path="/my/path", http_api=True)
    assert event["version"] == "1.0"
    assert event["requestContext"]["stage"] == "$default"
    assert event["requestContext"]["path"] == "/my/path"


def test_request_ids_look_like_api_gateways() -> None:
    ids = {new_request_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{15}=", i) for i in ids)


def test_forwarded_headers_extend_the_clients() -> None:
    request = _request(
        headers=(("X-Forwarded-For", "203.0.113.9"), ("X-Amzn-Trace-Id", "Root=1-abc-def")),
        local_port=3000,
        scheme="http",
    )
    headers = v2_event(request, _match(), API, "r")["headers"]
    assert headers["x-forwarded-for"] == "203.0.113.9, 192.0.2.1"
    assert headers["x-amzn-trace-id"] == "Root=1-abc-def"  # the client's is kept
    assert (headers["x-forwarded-port"], headers["x-forwarded-proto"]) == ("3000", "http")
    rest = rest_event(request, _match("http"), API, "r", path="/my/path")
    assert rest["multiValueHeaders"]["X-Forwarded-For"] == ["203.0.113.9, 192.0.2.1"]


def test_http_api_decodes_the_path_and_rest_keeps_it() -> None:
    # HTTP APIs hand the path over percent-decoded (rawPath, http.path, 1.0's path), as they
    # decode pathParameters; REST APIs keep it as sent.
    request = _request(raw_path="/hello/ada%20lovelace/a%2Fb")
    match = _match(params={"thing": "ada lovelace"})
    event = v2_event(request, match, API, "r")
    assert event["rawPath"] == "/hello/ada lovelace/a/b"
    assert event["requestContext"]["http"]["path"] == "/hello/ada lovelace/a/b"
    assert event["pathParameters"] == {"thing": "ada lovelace"}
    one = rest_event(request, match, API, "r", path=request.raw_path, http_api=True)
    assert one["path"] == one["requestContext"]["path"] == "/hello/ada lovelace/a/b"
    rest = rest_event(request, _match("http"), API, "r", path=request.raw_path)
    assert rest["path"] == "/hello/ada%20lovelace/a%2Fb"
