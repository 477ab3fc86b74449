"""Events exactly as AWS hands them to a handler, for unit tests without a gateway.

    from sockgate import events
    from chat import messages

    event = events.message({"action": "sendMessage", "content": "hi"}, route_key="sendMessage")
    messages.send_message(event, events.lambda_context("sendMessage"))

The WebSocket events come from the gateway's own builders (sockgate.gateway.events), the HTTP
API event from the HTTP API's (sockgate.httpapi.events), a stream record in the shape Lambda
delivers it: a test of a handler sees what the handler sees under `sockgate dev` and on AWS.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from sockgate.gateway import ids
from sockgate.gateway.events import (
    ConnectionContext,
    Handshake,
    connect_event,
    disconnect_event,
    handshake_headers,
    identity,
    message_event,
)
from sockgate.lambdas.context import ACCOUNT_ID, LambdaContext, function_arn

__all__ = [
    "connect",
    "connection",
    "disconnect",
    "http_request",
    "lambda_context",
    "message",
    "stream_event",
    "stream_record",
]

_sequence = itertools.count(100000000000000000000)


def connection(
    connection_id: str | None = None,
    *,
    stage: str = "dev",
    api_id: str = "abcdef1234",
    domain_name: str | None = None,
    region: str = "us-east-1",
    source_ip: str = "127.0.0.1",
    user_agent: str | None = None,
    authorizer: Mapping[str, Any] | None = None,
    connected_at_ms: int | None = None,
) -> ConnectionContext:
    """What stays the same across one connection's events; pass it to connect/message/
    disconnect so that they describe the same connection."""
    return ConnectionContext(
        connection_id=connection_id or ids.connection_id(),
        connected_at=connected_at_ms or _now_ms(),
        domain_name=domain_name or f"{api_id}.execute-api.{region}.amazonaws.com",
        stage=stage,
        api_id=api_id,
        identity=identity(source_ip, user_agent),
        authorizer=dict(authorizer) if authorizer is not None else None,
    )


def connect(
    conn: ConnectionContext | None = None,
    *,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The $connect event, with the headers API Gateway adds (Host, X-Forwarded-*)."""
    conn = conn or connection()
    sent = [("Host", conn.domain_name), *(headers or {}).items()]
    handshake = Handshake(
        headers=tuple(sent),
        query_string=urlencode(query) if query else "",
        source_ip=conn.identity.get("sourceIp", "127.0.0.1"),
        domain_name=conn.domain_name,
        local_port=443,
        scheme="https",
    )
    trace = ids.trace_id(time.time())
    forwarded = handshake_headers(handshake, trace, keep_hop_by_hop=False)
    return connect_event(conn, handshake, forwarded, ids.request_id(), _now_ms())


def message(
    body: Any,
    conn: ConnectionContext | None = None,
    *,
    route_key: str = "$default",
) -> dict[str, Any]:
    """A MESSAGE event; `body` that is not a str is sent as JSON."""
    text = body if isinstance(body, str) else json.dumps(body)
    return message_event(
        conn or connection(), route_key, text, ids.request_id(), ids.message_id(), _now_ms()
    )


def disconnect(
    conn: ConnectionContext | None = None,
    *,
    status_code: int = 1001,
    reason: str = "Going away",
) -> dict[str, Any]:
    """The $disconnect event (default: the client went away)."""
    return disconnect_event(conn or connection(), status_code, reason, ids.request_id(), _now_ms())


def stream_record(
    event_name: str = "INSERT",
    *,
    keys: Mapping[str, Any],
    new_image: Mapping[str, Any] | None = None,
    old_image: Mapping[str, Any] | None = None,
    table: str = "table",
    region: str = "us-east-1",
    view_type: str = "NEW_AND_OLD_IMAGES",
    ttl_delete: bool = False,
) -> dict[str, Any]:
    """One DynamoDB stream record as Lambda delivers it; items are plain Python values
    (serialised to DynamoDB JSON here). `ttl_delete` marks a REMOVE made by TTL."""
    from boto3.dynamodb.types import TypeSerializer

    serialise = TypeSerializer().serialize

    def image(values: Mapping[str, Any]) -> dict[str, Any]:
        return {name: serialise(value) for name, value in values.items()}

    stream_arn = (
        f"arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{table}/stream/2024-01-01T00:00:00.000"
    )
    data: dict[str, Any] = {"ApproximateCreationDateTime": int(time.time())}
    data["Keys"] = image(keys)
    if new_image is not None and view_type in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
        data["NewImage"] = image(new_image)
    if old_image is not None and view_type in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
        data["OldImage"] = image(old_image)
    data["SequenceNumber"] = str(next(_sequence))
    data["SizeBytes"] = len(json.dumps(data))
    data["StreamViewType"] = view_type
    record: dict[str, Any] = {
        "eventID": uuid.uuid4().hex,
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": data,
    }
    if ttl_delete:
        record["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    record["eventSourceARN"] = stream_arn
    return record


def stream_event(*records: Mapping[str, Any]) -> dict[str, Any]:
    """The event a stream handler gets: {"Records": [...]}."""
    return {"Records": [dict(record) for record in records]}


def http_request(
    method: str = "GET",
    path: str = "/",
    *,
    route: str | None = None,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    body: str | bytes | None = None,
    path_parameters: Mapping[str, str] | None = None,
    api_id: str = "httpapi123",
) -> dict[str, Any]:
    """An HTTP API (payload 2.0) event; `route` is the route's path ("/pages/{id}"),
    `path` the request's."""
    from sockgate.httpapi.events import ApiContext, HttpRequest, v2_event
    from sockgate.httpapi.routing import RouteMatch
    from sockgate.service.model import HttpRoute

    template = route or path
    http_route = HttpRoute(
        kind="httpApi", method=method.upper(), path=template, function="", payload_version="2.0"
    )
    sent = {"host": f"{api_id}.execute-api.us-east-1.amazonaws.com", **(headers or {})}
    request = HttpRequest(
        method=method.upper(),
        raw_path=path,
        raw_query=urlencode(query) if query else "",
        headers=tuple(sent.items()),
        body=body.encode() if isinstance(body, str) else (body or b""),
    )
    match = RouteMatch(
        http_route, f"{method.upper()} {template}", template, dict(path_parameters or {})
    )
    return v2_event(request, match, ApiContext(api_id=api_id, stage="$default"), _request_id())


def lambda_context(
    function_name: str = "function",
    *,
    timeout: float = 3.0,
    memory_mb: int = 1024,
    region: str = "us-east-1",
    request_id: str | None = None,
) -> LambdaContext:
    """The `context` Lambda passes; get_remaining_time_in_millis() counts down from `timeout`."""
    deadline_ms = _now_ms() + int(timeout * 1000)
    context = LambdaContext(
        request_id or str(uuid.uuid4()),
        deadline_ms,
        function_arn(region, function_name),
        print,
    )
    context.function_name = function_name
    context.memory_limit_in_mb = str(memory_mb)
    context.function_version = "$LATEST"
    context.log_group_name = f"/aws/lambda/{function_name}"
    context.log_stream_name = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
    return context


def _now_ms() -> int:
    return int(time.time() * 1000)


def _request_id() -> str:
    from sockgate.httpapi.events import new_request_id

    return new_request_id()
