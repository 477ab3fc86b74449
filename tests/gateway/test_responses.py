"""From integration results to handshake statuses and frames, without sockets."""

from __future__ import annotations

import pytest

from sockgate.gateway.responses import (
    connect_decision,
    error_frame,
    forbidden_frame,
    message_reply,
)
from sockgate.invocation import InvocationResult

FAILED = InvocationResult("r", error={"errorType": "ValueError", "errorMessage": "boom"})
TIMED_OUT = InvocationResult(
    "r",
    error={"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 3.00 seconds"},
)


def ok(payload: object) -> InvocationResult:
    return InvocationResult("r", payload=payload)


def test_error_frames_are_byte_exact() -> None:
    assert (
        error_frame("Internal server error", "XDmENcnwIE0CFEQ=", "XDmGEE2RoE0FRdQ=")
        == '{"message": "Internal server error", "connectionId":"XDmENcnwIE0CFEQ=", '
        '"requestId":"XDmGEE2RoE0FRdQ="}'
    )
    assert (
        forbidden_frame("XDmENcnwIE0CFEQ=", "XDmGEE2RoE0FRdQ=")
        == '{"message": "Forbidden", "connectionId":"XDmENcnwIE0CFEQ=", '
        '"requestId":"XDmGEE2RoE0FRdQ="}'
    )


@pytest.mark.parametrize("status", [200, 201, 204, 299, "200"])
def test_connect_2xx_accepts(status: object) -> None:
    decision = connect_decision(ok({"statusCode": status}))
    assert decision.accepted and decision.status == 101 and decision.protocol is None


@pytest.mark.parametrize("status", [300, 301, 400, 401, 403, 404, 429, 500, 501, 599])
def test_connect_other_statuses_refuse_with_that_status(status: int) -> None:
    decision = connect_decision(ok({"statusCode": status, "body": "no"}))
    assert not decision.accepted and decision.status == status and decision.body == ""


def test_connect_subprotocol_comes_only_from_returned_headers() -> None:
    decision = connect_decision(
        ok({"statusCode": 200, "headers": {"sec-websocket-protocol": "chat2"}})
    )
    assert decision.protocol == "chat2"
    assert connect_decision(ok({"statusCode": 200, "headers": {"X-Other": "1"}})).protocol is None


def test_connect_function_error_and_timeout_are_502() -> None:
    for result in (FAILED, TIMED_OUT):
        decision = connect_decision(result)
        assert decision.status == 502
        assert decision.body == '{"message": "Internal server error"}'


def test_connect_integration_timeout_is_504() -> None:
    decision = connect_decision(None)
    assert decision.status == 504 and "timed out" in decision.body


@pytest.mark.parametrize(
    "payload",
    [
        None,
        {},
        {"body": "x"},
        "ok",
        {"statusCode": "abc"},
        {"statusCode": True},
        {"statusCode": 101},
        {"statusCode": 700},
    ],
)
def test_connect_without_a_usable_status_is_502(payload: object) -> None:
    decision = connect_decision(ok(payload))
    assert decision.status == 502 and decision.problem


def test_message_failure_and_timeouts() -> None:
    assert message_reply(FAILED, True, "c", "r").frame == error_frame(
        "Internal server error", "c", "r"
    )
    assert message_reply(TIMED_OUT, False, "c", "r").frame == error_frame(
        "Internal server error", "c", "r"
    )
    assert message_reply(None, False, "c", "r").frame == error_frame(
        "Endpoint request timed out", "c", "r"
    )


def test_two_way_sends_body_one_way_discards() -> None:
    result = ok({"statusCode": 500, "body": "pong"})
    assert message_reply(result, True, "c", "r").frame == "pong"
    assert message_reply(result, False, "c", "r").frame is None


@pytest.mark.parametrize("payload", [None, {"statusCode": 200}, {"body": None}])
def test_two_way_without_body_sends_nothing(payload: object) -> None:
    reply = message_reply(ok(payload), True, "c", "r")
    assert reply.frame is None and reply.warning is None


@pytest.mark.parametrize("payload", ["text", 3, {"body": {"a": 1}}, {"body": 5}])
def test_two_way_with_unusable_return_warns(payload: object) -> None:
    reply = message_reply(ok(payload), True, "c", "r")
    assert reply.frame is None and reply.warning


def test_two_way_body_over_the_message_quota_is_an_internal_server_error() -> None:
    at_quota = message_reply(ok({"body": "é" * 64 + "x" * (128 * 1024 - 128)}), True, "c", "r")
    assert at_quota.frame is not None and len(at_quota.frame.encode()) == 128 * 1024
    assert at_quota.problem is None
    over = message_reply(ok({"body": "é" * 65 + "x" * (128 * 1024 - 129)}), True, "c", "r")
    assert over.frame == error_frame("Internal server error", "c", "r")
    assert over.problem is not None and "131073 bytes" in over.problem
    small = message_reply(ok({"body": "abcdef"}), True, "c", "r", max_bytes=5)
    assert small.frame == error_frame("Internal server error", "c", "r")
