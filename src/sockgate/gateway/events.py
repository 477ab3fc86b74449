"""The Lambda proxy events API Gateway hands to WebSocket route handlers (pure, no I/O).

Shapes, key sets and key order follow real captures (docs/architecture.md): CONNECT carries the
handshake headers (and query parameters only when the URL had a query string), MESSAGE carries only
`requestContext`, `body` and `isBase64Encoded`, DISCONNECT carries a fixed synthetic header set.

Choices where AWS is UNCONFIRMED:
- Headers are listed sorted case-insensitively (as in every capture); a header sent twice keeps
  its first spelling, `headers` holds its last value and `multiValueHeaders` all values.
- A repeated query parameter: `queryStringParameters` keeps the last value. Values are
  percent-decoded; "+" stays "+".
- A client-sent X-Forwarded-For gets the source IP appended ("client, source"), as proxies do;
  a client-sent X-Amzn-Trace-Id is kept. X-Forwarded-Port/-Proto describe the local listener
  (AWS says "443"/"https"; locally it is plain HTTP on the gateway's port).
- `stageVariables` is not included (absent from current captures).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

__all__ = [
    "ConnectionContext",
    "Handshake",
    "connect_event",
    "disconnect_event",
    "handshake_headers",
    "identity",
    "message_event",
    "multi_value",
    "parse_query",
    "request_context",
    "request_time",
]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Hop-by-hop headers API Gateway leaves out of the $connect integration event (they are in the
# authorizer's event).
_HOP_BY_HOP = frozenset({"connection", "upgrade", "content-length"})
_FORWARDED = frozenset({"x-forwarded-for", "x-forwarded-port", "x-forwarded-proto"})


@dataclass(frozen=True, slots=True)
class Handshake:
    """What the client sent in its upgrade request, as received."""

    headers: tuple[tuple[str, str], ...]  # in arrival order, original spelling
    query_string: str  # raw, without "?"; "" when the URL had none
    source_ip: str
    domain_name: str  # the Host the client used, without the port
    local_port: int  # the port the client connected to (X-Forwarded-Port)
    scheme: str = "http"  # X-Forwarded-Proto

    def header(self, name: str) -> str | None:
        """The last value of a header, case-insensitively, or None."""
        wanted = name.lower()
        found = None
        for key, value in self.headers:
            if key.lower() == wanted:
                found = value
        return found


@dataclass(frozen=True, slots=True)
class ConnectionContext:
    """The parts of `requestContext` that stay the same for every event of one connection."""

    connection_id: str
    connected_at: int  # epoch ms
    domain_name: str
    stage: str
    api_id: str
    identity: dict[str, str] = field(default_factory=dict)
    authorizer: dict[str, Any] | None = None


def request_time(epoch_ms: int) -> str:
    """CLF time in UTC with English month names, e.g. "20/Jan/2024:11:55:08 +0000"."""
    t = time.gmtime(epoch_ms // 1000)
    return (
        f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year:04d}:"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    )


_last_second = -1
_last_text = ""


def _request_time_cached(epoch_ms: int) -> str:
    """request_time(), memoised for the current second (it is computed for every message)."""
    global _last_second, _last_text
    second = epoch_ms // 1000
    if second != _last_second:
        _last_text = request_time(epoch_ms)
        _last_second = second
    return _last_text


def identity(source_ip: str, user_agent: str | None) -> dict[str, str]:
    """requestContext.identity: sourceIp, plus userAgent only when the client sent one."""
    if user_agent is None:
        return {"sourceIp": source_ip}
    return {"userAgent": user_agent, "sourceIp": source_ip}


def handshake_headers(
    handshake: Handshake, trace: str, *, keep_hop_by_hop: bool
) -> list[tuple[str, str]]:
    """The handshake headers as API Gateway forwards them, before grouping by name.

    The client's headers plus X-Forwarded-For/-Port/-Proto and X-Amzn-Trace-Id; without
    Connection/Upgrade/content-length unless `keep_hop_by_hop` (the authorizer's event keeps
    them, and there "content-length: 0" is always present).
    """
    forwarded_for = handshake.source_ip
    has_trace = has_length = False
    result: list[tuple[str, str]] = []
    for name, value in handshake.headers:
        lower = name.lower()
        if lower == "x-forwarded-for":
            forwarded_for = f"{value}, {handshake.source_ip}"
            continue
        if lower in _FORWARDED:
            continue
        if lower in _HOP_BY_HOP:
            if not keep_hop_by_hop:
                continue
            has_length = has_length or lower == "content-length"
        has_trace = has_trace or lower == "x-amzn-trace-id"
        result.append((name, value))
    if keep_hop_by_hop and not has_length:
        result.append(("content-length", "0"))
    if not has_trace:
        result.append(("X-Amzn-Trace-Id", trace))
    result.append(("X-Forwarded-For", forwarded_for))
    result.append(("X-Forwarded-Port", str(handshake.local_port)))
    result.append(("X-Forwarded-Proto", handshake.scheme))
    return result


def multi_value(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Group header pairs case-insensitively: (last value per name, all values per name).

    Each name keeps the spelling it was first sent with; names are ordered case-insensitively.
    """
    spelling: dict[str, str] = {}
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        lower = name.lower()
        if lower not in spelling:
            spelling[lower] = name
            values[lower] = []
        values[lower].append(value)
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for lower in sorted(spelling):
        name = spelling[lower]
        single[name] = values[lower][-1]
        multi[name] = values[lower]
    return single, multi


def parse_query(query_string: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(queryStringParameters, multiValueQueryStringParameters) for a raw query string."""
    multi: dict[str, list[str]] = {}
    for item in query_string.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        multi.setdefault(unquote(name), []).append(unquote(value))
    return {name: values[-1] for name, values in multi.items()}, multi


def request_context(
    ctx: ConnectionContext,
    route_key: str,
    event_type: str,
    request_id: str,
    now_ms: int,
    *,
    message_id: str | None = None,
    disconnect: tuple[int, str] | None = None,
) -> dict[str, Any]:
    """requestContext in the key order of real captures."""
    rc: dict[str, Any] = {"routeKey": route_key}
    if message_id is not None:
        rc["messageId"] = message_id
    if disconnect is not None:
        rc["disconnectStatusCode"] = disconnect[0]
    if ctx.authorizer is not None:
        rc["authorizer"] = ctx.authorizer
    rc["eventType"] = event_type
    rc["extendedRequestId"] = request_id
    rc["requestTime"] = _request_time_cached(now_ms)
    rc["messageDirection"] = "IN"
    if disconnect is not None:
        rc["disconnectReason"] = disconnect[1]
    rc["stage"] = ctx.stage
    rc["connectedAt"] = ctx.connected_at
    rc["requestTimeEpoch"] = now_ms
    rc["identity"] = ctx.identity
    rc["requestId"] = request_id
    rc["domainName"] = ctx.domain_name
    rc["connectionId"] = ctx.connection_id
    rc["apiId"] = ctx.api_id
    return rc


def connect_event(
    ctx: ConnectionContext,
    handshake: Handshake,
    headers: Sequence[tuple[str, str]],
    request_id: str,
    now_ms: int,
) -> dict[str, Any]:
    """The $connect event; `headers` from handshake_headers(keep_hop_by_hop=False)."""
    single, multi = multi_value(headers)
    event: dict[str, Any] = {"headers": single, "multiValueHeaders": multi}
    if handshake.query_string:
        query, multi_query = parse_query(handshake.query_string)
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = multi_query
    event["requestContext"] = request_context(ctx, "$connect", "CONNECT", request_id, now_ms)
    event["isBase64Encoded"] = False
    return event


def message_event(
    ctx: ConnectionContext,
    route_key: str,
    body: str,
    request_id: str,
    message_id: str,
    now_ms: int,
) -> dict[str, Any]:
    """A MESSAGE event for the selected route ($default or a custom key)."""
    return {
        "requestContext": request_context(
            ctx, route_key, "MESSAGE", request_id, now_ms, message_id=message_id
        ),
        "body": body,
        "isBase64Encoded": False,
    }


def disconnect_event(
    ctx: ConnectionContext, status_code: int, reason: str, request_id: str, now_ms: int
) -> dict[str, Any]:
    """The $disconnect event, with API Gateway's fixed synthetic headers."""
    headers = {
        "Host": ctx.domain_name,
        "x-api-key": "",
        "X-Forwarded-For": "",
        "x-restapi": "",
    }
    return {
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "requestContext": request_context(
            ctx, "$disconnect", "DISCONNECT", request_id, now_ms, disconnect=(status_code, reason)
        ),
        "isBase64Encoded": False,
    }
