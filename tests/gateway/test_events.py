"""Lambda proxy events and API Gateway id formats, without sockets."""

from __future__ import annotations

import re
import time
import uuid

import pytest

from sockgate.gateway import ids
from sockgate.gateway.events import (
    ConnectionContext,
    Handshake,
    connect_event,
    disconnect_event,
    handshake_headers,
    identity,
    message_event,
    parse_query,
    request_time,
)

CONTEXT_KEYS = [
    "routeKey",
    "eventType",
    "extendedRequestId",
    "requestTime",
    "messageDirection",
    "stage",
    "connectedAt",
    "requestTimeEpoch",
    "identity",
    "requestId",
    "domainName",
    "connectionId",
    "apiId",
]


def ctx(**overrides: object) -> ConnectionContext:
    values: dict[str, object] = {
        "connection_id": "BFaT_fALIAMCKug=",
        "connected_at": 1731332735513,
        "domain_name": "abc.example.com",
        "stage": "prod",
        "api_id": "abcdefghij",
        "identity": {"sourceIp": "166.90.225.1"},
    }
    values.update(overrides)
    return ConnectionContext(**values)  # type: ignore[arg-type]


def handshake(headers: list[tuple[str, str]], query: str = "") -> Handshake:
    return Handshake(
        headers=tuple(headers),
        query_string=query,
        source_ip="10.0.0.7",
        domain_name="abc.example.com",
        local_port=3001,
    )


BROWSER = [
    ("Host", "abc.example.com:3001"),
    ("Connection", "Upgrade"),
    ("Upgrade", "websocket"),
    ("Sec-WebSocket-Key", "+W5xw47OHh3OTFsWKjGu9Q=="),
    ("Sec-WebSocket-Version", "13"),
    ("user-agent", "Mozilla/5.0"),
    ("Sec-WebSocket-Protocol", "chat1, chat2"),
]


def build_connect(hs: Handshake) -> dict:
    headers = handshake_headers(
        hs, "Root=1-00000000-000000000000000000000000", keep_hop_by_hop=False
    )
    return connect_event(ctx(), hs, headers, "BFHPhFe3IAMF95g=", 1731332735520)


def test_connect_event_keys_without_query() -> None:
    event = build_connect(handshake(BROWSER))
    assert list(event) == ["headers", "multiValueHeaders", "requestContext", "isBase64Encoded"]
    assert event["isBase64Encoded"] is False
    assert list(event["requestContext"]) == CONTEXT_KEYS
    rc = event["requestContext"]
    assert rc["routeKey"] == "$connect"
    assert rc["eventType"] == "CONNECT"
    assert rc["messageDirection"] == "IN"
    assert rc["requestId"] == rc["extendedRequestId"] == "BFHPhFe3IAMF95g="
    assert rc["connectedAt"] == 1731332735513
    assert rc["requestTimeEpoch"] == 1731332735520
    assert rc["requestTime"] == "11/Nov/2024:13:45:35 +0000"


def test_connect_headers_are_forwarded_as_received_plus_aws_headers() -> None:
    event = build_connect(handshake(BROWSER))
    headers = event["headers"]
    assert "Connection" not in headers and "Upgrade" not in headers
    assert headers["user-agent"] == "Mozilla/5.0"  # original spelling kept
    assert headers["Sec-WebSocket-Protocol"] == "chat1, chat2"
    assert headers["X-Forwarded-For"] == "10.0.0.7"
    assert headers["X-Forwarded-Port"] == "3001"
    assert headers["X-Forwarded-Proto"] == "http"
    assert headers["X-Amzn-Trace-Id"] == "Root=1-00000000-000000000000000000000000"
    assert list(headers) == sorted(headers, key=str.lower)
    assert event["multiValueHeaders"] == {name: [value] for name, value in headers.items()}


def test_repeated_headers_keep_first_spelling_and_every_value() -> None:
    hs = handshake([("Host", "h"), ("X-Thing", "1"), ("x-thing", "2"), ("content-length", "0")])
    event = build_connect(hs)
    assert event["headers"]["X-Thing"] == "2"
    assert event["multiValueHeaders"]["X-Thing"] == ["1", "2"]
    assert "x-thing" not in event["headers"]
    assert "content-length" not in event["headers"]


def test_client_forwarding_headers() -> None:
    hs = handshake(
        [
            ("X-Forwarded-For", "1.2.3.4"),
            ("X-Amzn-Trace-Id", "Root=1-abc"),
            ("X-Forwarded-Proto", "gopher"),
        ]
    )
    headers = build_connect(hs)["headers"]
    assert headers["X-Forwarded-For"] == "1.2.3.4, 10.0.0.7"
    assert headers["X-Amzn-Trace-Id"] == "Root=1-abc"
    assert headers["X-Forwarded-Proto"] == "http"


def test_authorizer_headers_keep_hop_by_hop_and_add_content_length() -> None:
    pairs = handshake_headers(handshake(BROWSER), "Root=1-x", keep_hop_by_hop=True)
    names = [name for name, _ in pairs]
    assert "Connection" in names and "Upgrade" in names
    assert ("content-length", "0") in pairs


def test_query_string_parameters() -> None:
    event = build_connect(handshake(BROWSER, "a=1&a=2&b=x%20y&flag&c=1+1"))
    assert list(event) == [
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "requestContext",
        "isBase64Encoded",
    ]
    assert event["queryStringParameters"] == {"a": "2", "b": "x y", "flag": "", "c": "1+1"}
    assert event["multiValueQueryStringParameters"] == {
        "a": ["1", "2"],
        "b": ["x y"],
        "flag": [""],
        "c": ["1+1"],
    }


def test_parse_query_of_empty_string() -> None:
    assert parse_query("") == ({}, {})


def test_message_event_keys() -> None:
    event = message_event(
        ctx(), "chat", '{"action":"chat"}', "BFaVtH2HoAMFZEQ=", "BFaVtfGSIAMCKug=", 1731332746514
    )
    assert list(event) == ["requestContext", "body", "isBase64Encoded"]
    assert event["body"] == '{"action":"chat"}'
    rc = event["requestContext"]
    assert list(rc) == ["routeKey", "messageId", *CONTEXT_KEYS[1:]]
    assert rc["messageId"] == "BFaVtfGSIAMCKug="
    assert rc["eventType"] == "MESSAGE"
    assert rc["routeKey"] == "chat"
    assert rc["connectedAt"] == 1731332735513
    assert "disconnectStatusCode" not in rc and "authorizer" not in rc


def test_disconnect_event() -> None:
    event = disconnect_event(
        ctx(), 1005, "Client-side close frame status not set", "BFbOeE87IAMF31w=", 1731333109875
    )
    assert list(event) == ["headers", "multiValueHeaders", "requestContext", "isBase64Encoded"]
    assert event["headers"] == {
        "Host": "abc.example.com",
        "x-api-key": "",
        "X-Forwarded-For": "",
        "x-restapi": "",
    }
    assert event["multiValueHeaders"]["x-restapi"] == [""]
    rc = event["requestContext"]
    assert rc["routeKey"] == "$disconnect"
    assert rc["eventType"] == "DISCONNECT"
    assert rc["disconnectStatusCode"] == 1005
    assert rc["disconnectReason"] == "Client-side close frame status not set"
    assert "messageId" not in rc
    assert set(rc) == {*CONTEXT_KEYS, "disconnectStatusCode", "disconnectReason"}


def test_authorizer_context_appears_on_every_event() -> None:
    auth = {"principalId": "user-1", "tier": "gold", "integrationLatency": 12}
    c = ctx(authorizer=auth)
    hs = handshake(BROWSER)
    headers = handshake_headers(hs, "Root=1-x", keep_hop_by_hop=False)
    for event in (
        connect_event(c, hs, headers, "r", 1),
        message_event(c, "$default", "x", "r", "m", 1),
        disconnect_event(c, 1000, "Connection Closed Normally", "r", 1),
    ):
        assert event["requestContext"]["authorizer"] == auth


def test_identity_has_user_agent_only_when_sent() -> None:
    assert identity("1.2.3.4", None) == {"sourceIp": "1.2.3.4"}
    assert identity("1.2.3.4", "wscat") == {"userAgent": "wscat", "sourceIp": "1.2.3.4"}


@pytest.mark.parametrize("month", range(1, 13))
def test_request_time_is_english_utc_clf(month: int) -> None:
    epoch = int(time.mktime((2024, month, 5, 12, 0, 0, 0, 0, 0)) - time.timezone)
    text = request_time(epoch * 1000 + 999)
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    assert re.fullmatch(r"\d\d/[A-Z][a-z]{2}/2024:\d\d:\d\d:\d\d \+0000", text)
    assert text.split("/")[1] == names[month - 1]
    assert text == time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(epoch))


def test_connection_ids_look_like_api_gateways() -> None:
    seen = {ids.connection_id() for _ in range(2000)}
    assert len(seen) == 2000
    for value in list(seen)[:200]:
        assert re.fullmatch(r"[A-Za-z0-9_\-]{15}=", value)
        assert ids.is_connection_id(value)
    assert not ids.is_connection_id("short=")
    assert not ids.is_connection_id("BFaT_fALIAMCKug")
    assert not ids.is_connection_id("BFaT/fALIAMCKug=")


def test_request_and_message_ids() -> None:
    values = {ids.request_id() for _ in range(2000)} | {ids.message_id() for _ in range(2000)}
    assert len(values) == 4000
    assert all(re.fullmatch(r"[A-Za-z0-9_\-]{15}=", v) for v in values)


def test_api_id_is_stable_and_well_formed() -> None:
    assert ids.api_id_for("chat") == ids.api_id_for("chat")
    assert ids.api_id_for("chat") != ids.api_id_for("chat2")
    assert re.fullmatch(r"[a-z0-9]{10}", ids.api_id_for("chat"))


def test_trace_id_format() -> None:
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", ids.trace_id(1731324924.5))
    assert ids.trace_id(1731324924.5).startswith("Root=1-6731ebfc-")


def test_response_request_ids_are_distinct_version_4_uuids() -> None:
    values = [ids.response_request_id() for _ in range(2000)]
    assert len(set(values)) == 2000
    for value in values[:200]:
        parsed = uuid.UUID(value)
        assert str(parsed) == value
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
