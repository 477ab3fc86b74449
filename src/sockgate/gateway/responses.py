"""From integration results to what the client sees: handshake statuses and frames (pure).

Error frames are byte-exact copies of API Gateway's (a space after the first colon only):
    {"message": "Internal server error", "connectionId":"<id>", "requestId":"<id>"}

Choices where AWS's documentation is silent (UNCONFIRMED; docs/architecture.md):
- $connect: a Lambda timeout is a function error like any other (502); the gateway's own
  integration timeout (29 s) answers 504, as REST APIs do.
- $connect returning None or an object without `statusCode`: 502 (the stricter of the two
  plausible outcomes, so a handler that works here also works on AWS); the log says to return
  {"statusCode": 200}. A statusCode that is not an integer in 200-599 (or its string) is 502.
- $connect response headers other than Sec-WebSocket-Protocol are ignored; its body is never
  delivered. A rejected handshake carries an empty body.
- Message routes ignore `statusCode`. A two-way route sends `body` when it is a string; a
  missing body sends nothing; a non-string body, or a non-object return, sends nothing and logs
  a warning.
- A two-way route's `body` over the 128 KB message quota (its UTF-8 bytes): AWS documents the
  quota (AWS-QUOTA) but not what the client sees when an integration response exceeds it. The
  gateway cannot deliver it as one message, so it treats it as an integration failure: the
  "Internal server error" frame, and one log line giving the size and the quota.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sockgate.invocation import InvocationResult
from sockgate.quotas import QUOTAS

__all__ = [
    "ConnectDecision",
    "MessageReply",
    "connect_decision",
    "error_frame",
    "forbidden_frame",
    "message_reply",
]

INTERNAL_SERVER_ERROR = "Internal server error"
ENDPOINT_TIMED_OUT = "Endpoint request timed out"
FORBIDDEN = "Forbidden"


def error_frame(message: str, connection_id: str, request_id: str) -> str:
    """A gateway error frame, spaced exactly like API Gateway's."""
    return (
        f'{{"message": {json.dumps(message)}, "connectionId":{json.dumps(connection_id)}, '
        f'"requestId":{json.dumps(request_id)}}}'
    )


def forbidden_frame(connection_id: str, request_id: str) -> str:
    """The frame sent when no route matches and there is no $default route."""
    return error_frame(FORBIDDEN, connection_id, request_id)


def describe_error(result: InvocationResult) -> str:
    """One line naming a function error, for the gateway log."""
    error = result.error or {}
    kind = error.get("errorType", "Error")
    message = error.get("errorMessage", "")
    return f"{kind}: {message}" if message else str(kind)


@dataclass(frozen=True, slots=True)
class ConnectDecision:
    """How the handshake is answered: 101 with an optional subprotocol, or a refusal."""

    status: int
    protocol: str | None = None
    body: str = ""
    problem: str | None = None  # a sentence for the log when the gateway, not the handler, refused

    @property
    def accepted(self) -> bool:
        """True when the upgrade goes ahead."""
        return self.status == 101


def _message_body(message: str) -> str:
    return json.dumps({"message": message})


def connect_decision(result: InvocationResult | None) -> ConnectDecision:
    """Decide the handshake from the $connect result (None: the integration timed out)."""
    if result is None:
        return ConnectDecision(
            504, body=_message_body(ENDPOINT_TIMED_OUT), problem="$connect integration timed out"
        )
    if not result.ok:
        return ConnectDecision(
            502,
            body=_message_body(INTERNAL_SERVER_ERROR),
            problem=f"$connect failed: {describe_error(result)}",
        )
    payload = result.payload
    raw_status = payload.get("statusCode") if isinstance(payload, dict) else None
    if raw_status is None:
        return ConnectDecision(
            502,
            body=_message_body(INTERNAL_SERVER_ERROR),
            problem='$connect returned no statusCode; return {"statusCode": 200} to accept',
        )
    status = _status(raw_status)
    if status is None:
        return ConnectDecision(
            502,
            body=_message_body(INTERNAL_SERVER_ERROR),
            problem=f"$connect returned statusCode {raw_status!r}, not an HTTP status",
        )
    if 200 <= status < 300:
        return ConnectDecision(101, protocol=_subprotocol(payload))
    return ConnectDecision(status)


def _status(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and 200 <= value <= 599:
        return value
    return None


def _subprotocol(payload: dict[str, Any]) -> str | None:
    """The Sec-WebSocket-Protocol the handler chose, if it returned one."""
    headers = payload.get("headers")
    if not isinstance(headers, dict):
        return None
    for name, value in headers.items():
        if isinstance(name, str) and name.lower() == "sec-websocket-protocol":
            return str(value).strip() or None
    return None


@dataclass(frozen=True, slots=True)
class MessageReply:
    """What to send back after a message route ran, and what to log."""

    frame: str | None = None
    problem: str | None = None  # an error worth a log line
    warning: str | None = None  # a handler mistake worth a log line


_NOTHING = MessageReply()


def message_reply(
    result: InvocationResult | None,
    two_way: bool,
    connection_id: str,
    request_id: str,
    *,
    max_bytes: int = QUOTAS.max_message_bytes,
) -> MessageReply:
    """The reply for a message route's result (None: the integration timed out).

    `max_bytes` is the message quota a two-way route's body must fit in.
    """
    if result is None:
        return MessageReply(
            error_frame(ENDPOINT_TIMED_OUT, connection_id, request_id),
            problem="integration timed out",
        )
    if not result.ok:
        return MessageReply(
            error_frame(INTERNAL_SERVER_ERROR, connection_id, request_id),
            problem=describe_error(result),
        )
    if not two_way:
        return _NOTHING
    payload = result.payload
    if not isinstance(payload, dict):
        if payload is None:
            return _NOTHING
        return MessageReply(warning="two-way route returned a non-object; nothing was sent")
    body = payload.get("body")
    if body is None:
        return _NOTHING
    if not isinstance(body, str):
        return MessageReply(warning="two-way route returned a non-string body; nothing was sent")
    if len(body) * 4 > max_bytes:  # only then can the UTF-8 bytes exceed the quota
        size = len(body.encode("utf-8", "surrogatepass"))
        if size > max_bytes:
            return MessageReply(
                error_frame(INTERNAL_SERVER_ERROR, connection_id, request_id),
                problem=f"the route response body is {size} bytes, over the {max_bytes}-byte "
                "message quota; sent Internal server error instead",
            )
    return MessageReply(body)
