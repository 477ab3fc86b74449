"""Lambda proxy events for HTTP APIs (payload 2.0) and REST APIs (payload 1.0); pure, no I/O.

The shapes follow API Gateway's documented formats and real captures (AWS Lambda developer
guide `event-v2.json`, aws-lambda-go `apigw-v2-request-*.json` and `apigw-request.json`):

- 2.0: header names lower-cased, repeated headers joined with commas; `cookies` split out of
  the Cookie header (which then leaves `headers`); repeated query parameters joined with
  commas; `queryStringParameters`, `pathParameters`, `cookies` and `body` absent when empty;
  `requestContext.stage` is `$default`.
- 1.0: header names as sent, `headers` holding the last value and `multiValueHeaders` all of
  them, the same for the query string; absent parts are `null`; `resource` is the route's
  path template, `path` the request path without the stage, `requestContext.path` with it.

Both: the client's headers plus what API Gateway adds, as in its captures: X-Forwarded-For (the
client's value, if any, then the source IP), X-Forwarded-Port and X-Forwarded-Proto (AWS: 443
and https; locally the listener's), and X-Amzn-Trace-Id unless the client sent one.

The path: an HTTP API hands the handler the path percent-decoded, in 2.0's `rawPath` and
`requestContext.http.path` and in 1.0's `path`, the same way it decodes `pathParameters` (AWS
does not document it; every published capture shows it: `/a%2Fb` arrives as `/a/b`). A REST
API (`http` events) keeps `path` as the client sent it.
"""

from __future__ import annotations

import base64
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from sockgate.httpapi.routing import RouteMatch

__all__ = [
    "ApiContext",
    "HttpRequest",
    "forwarded_headers",
    "new_request_id",
    "rest_event",
    "trace_header",
    "v2_event",
]

# Content types whose bodies HTTP APIs hand over as text; anything else arrives base64-encoded.
# UNCONFIRMED: AWS does not document the exact list; this is the common-sense textual set.
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")
_TEXT_SUFFIXES = ("+json", "+xml")
_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One HTTP request as received, before any API Gateway processing."""

    method: str
    raw_path: str  # percent-encoded, without the query string
    raw_query: str = ""  # without the leading "?"
    headers: tuple[tuple[str, str], ...] = ()  # in order, names as sent
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"
    time_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    local_port: int = 443  # the port the client connected to (X-Forwarded-Port)
    scheme: str = "https"  # X-Forwarded-Proto

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None


@dataclass(frozen=True, slots=True)
class ApiContext:
    """The API a request arrived at."""

    api_id: str
    stage: str  # the REST stage; HTTP APIs always report "$default"
    account_id: str = "000000000000"
    domain_name: str = ""  # default: the request's Host header


def new_request_id() -> str:
    """An id shaped like API Gateway's (16 URL-safe base64 characters ending in '=')."""
    return base64.urlsafe_b64encode(os.urandom(11)).decode()


def trace_header(time_ms: int) -> str:
    """An X-Amzn-Trace-Id value for a new request: Root=1-<epoch seconds, hex>-<96 bits, hex>."""
    return f"Root=1-{time_ms // 1000:08x}-{os.urandom(12).hex()}"


def forwarded_headers(request: HttpRequest) -> list[tuple[str, str]]:
    """The request's headers as API Gateway forwards them to the integration."""
    forwarded_for = request.source_ip
    has_trace = False
    result: list[tuple[str, str]] = []
    for name, value in request.headers:
        lower = name.lower()
        if lower == "x-forwarded-for":
            forwarded_for = f"{value}, {request.source_ip}"
            continue
        if lower in ("x-forwarded-port", "x-forwarded-proto"):
            continue
        has_trace = has_trace or lower == "x-amzn-trace-id"
        result.append((name, value))
    if not has_trace:
        result.append(("X-Amzn-Trace-Id", trace_header(request.time_ms)))
    result.append(("X-Forwarded-For", forwarded_for))
    result.append(("X-Forwarded-Port", str(request.local_port)))
    result.append(("X-Forwarded-Proto", request.scheme))
    return result


def _clf_time(time_ms: int) -> str:
    # Always English month names and UTC, whatever the locale: build it by hand.
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    t = time.gmtime(time_ms / 1000)
    return (
        f"{t.tm_mday:02d}/{months[t.tm_mon - 1]}/{t.tm_year:04d}:"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    )


def _domain(request: HttpRequest, api: ApiContext) -> tuple[str, str]:
    domain = api.domain_name or (request.header("host") or "localhost").lower()
    return domain, domain.split(".", 1)[0]


def _is_text(content_type: str | None) -> bool:
    if content_type is None:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return (
        media.startswith(_TEXT_TYPES)
        or media.endswith(_TEXT_SUFFIXES)
        or media == _FORM
        or not media
    )


def _v2_body(request: HttpRequest) -> tuple[str | None, bool]:
    if not request.body:
        return None, False
    if _is_text(request.header("content-type")):
        try:
            return request.body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(request.body).decode("ascii"), True


def v2_event(
    request: HttpRequest, match: RouteMatch, api: ApiContext, request_id: str
) -> dict[str, Any]:
    """The payload 2.0 event an HTTP API sends to the route's function."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in forwarded_headers(request):
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    query: dict[str, str] = {}
    for name, value in parse_qsl(request.raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    domain, prefix = _domain(request, api)
    path = unquote(request.raw_path)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route_key,
        "rawPath": path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = {
        "accountId": api.account_id,
        "apiId": api.api_id,
        "domainName": domain,
        "domainPrefix": prefix,
        "http": {
            "method": request.method.upper(),
            "path": path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": match.route_key,
        "stage": "$default",
        "time": _clf_time(request.time_ms),
        "timeEpoch": request.time_ms,
    }
    body, encoded = _v2_body(request)
    if body is not None:
        event["body"] = body
    if match.path_parameters:
        event["pathParameters"] = dict(match.path_parameters)
    event["isBase64Encoded"] = encoded
    return event


def _multi(pairs: list[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]] | None:
    if not pairs:
        return None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value  # REST keeps the last value of a repeated name
        multi.setdefault(name, []).append(value)
    return single, multi


def rest_event(
    request: HttpRequest,
    match: RouteMatch,
    api: ApiContext,
    request_id: str,
    *,
    path: str,
    http_api: bool = False,
) -> dict[str, Any]:
    """The payload 1.0 event: a REST API (`http` event), or an HTTP API with payload 1.0.

    `path` is the request path the API sees (for REST, without the stage prefix).
    """
    headers = _multi(forwarded_headers(request))
    query = _multi(parse_qsl(request.raw_query, keep_blank_values=True))
    if http_api:
        path = unquote(path)
    domain, prefix = _domain(request, api)
    stage = "$default" if http_api else api.stage
    user_agent = request.header("user-agent")
    event: dict[str, Any] = {"version": "1.0"} if http_api else {}
    event.update(
        {
            "resource": match.resource,
            "path": path,
            "httpMethod": request.method.upper(),
            "headers": headers[0] if headers else None,
            "multiValueHeaders": headers[1] if headers else None,
            "queryStringParameters": query[0] if query else None,
            "multiValueQueryStringParameters": query[1] if query else None,
            "requestContext": {
                "accountId": api.account_id,
                "apiId": api.api_id,
                "domainName": domain,
                "domainPrefix": prefix,
                "extendedRequestId": new_request_id(),
                "httpMethod": request.method.upper(),
                "identity": {
                    "accessKey": None,
                    "accountId": None,
                    "caller": None,
                    "cognitoAuthenticationProvider": None,
                    "cognitoAuthenticationType": None,
                    "cognitoIdentityId": None,
                    "cognitoIdentityPoolId": None,
                    "principalOrgId": None,
                    "sourceIp": request.source_ip,
                    "user": None,
                    "userAgent": user_agent,
                    "userArn": None,
                },
                "path": path if http_api else f"/{api.stage}{path}",
                "protocol": request.protocol,
                "requestId": request_id,
                "requestTime": _clf_time(request.time_ms),
                "requestTimeEpoch": request.time_ms,
                "resourceId": None if http_api else _resource_id(match.resource),
                "resourcePath": match.resource,
                "stage": stage,
            },
            "pathParameters": dict(match.path_parameters) or None,
            "stageVariables": None,
            # Without binaryMediaTypes a REST API passes every body as text.
            "body": request.body.decode("utf-8", errors="replace") if request.body else None,
            "isBase64Encoded": False,
        }
    )
    return event


def _resource_id(resource: str) -> str:
    # A stable 6-character id per resource path, like API Gateway's resource ids.
    return uuid.uuid5(uuid.NAMESPACE_URL, resource).hex[:6]
