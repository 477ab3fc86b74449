"""From a Lambda result to the HTTP response API Gateway sends (pure, no I/O).

Payload 2.0 (HTTP APIs): a dict with `statusCode` is a structured response (statusCode,
headers, cookies, body, isBase64Encoded); any other JSON value is the body of a 200
`application/json` response (a string as it is, anything else JSON-encoded). A function error
or a malformed structured response answers 500 `{"message":"Internal Server Error"}`.

Payload 1.0 (REST APIs and HTTP APIs with payload 1.0): the result must be a dict with an
integer `statusCode`, string `body`, string-valued `headers` and list-valued
`multiValueHeaders`; anything else, and every function error, answers 502
`{"message": "Internal server error"}`.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from sockgate.invocation import InvocationResult

__all__ = [
    "HttpResponse",
    "MalformedResponse",
    "missing_authentication_token",
    "not_found",
    "v1_response",
    "v1_structured",
    "v2_response",
    "v2_structured",
]

# Hop-by-hop and length headers are the server's business, not the function's.
_DROPPED = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """What goes back to the HTTP client."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None


class MalformedResponse(ValueError):
    """A function's return value that API Gateway cannot turn into an HTTP response."""


def _json_response(status: int, text: str) -> HttpResponse:
    return HttpResponse(status, (("Content-Type", "application/json"),), text.encode())


def not_found() -> HttpResponse:
    """An HTTP API's answer when no route matches."""
    return _json_response(404, '{"message":"Not Found"}')


def missing_authentication_token() -> HttpResponse:
    """A REST API's (famously misleading) answer for a resource or method it does not have."""
    return _json_response(403, '{"message":"Missing Authentication Token"}')


def _v2_error() -> HttpResponse:
    return _json_response(500, '{"message":"Internal Server Error"}')


def _v1_error() -> HttpResponse:
    return _json_response(502, '{"message": "Internal server error"}')


def _status(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        raise MalformedResponse(f"statusCode must be an integer from 100 to 599, not {value!r}")
    return value


def _header_value(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise MalformedResponse(f"header {name!r} must be a string, not {type(value).__name__}")


def _headers(value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, dict):
        raise MalformedResponse("headers must be an object")
    return [(str(k), _header_value(str(k), v)) for k, v in value.items()]


def _body(result: dict[str, Any]) -> bytes:
    body = result.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedResponse("body must be a string")
    if result.get("isBase64Encoded") is True:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as error:
            raise MalformedResponse("body is not valid base64") from error
    return body.encode("utf-8")


def _finish(
    status: int, headers: list[tuple[str, str]], body: bytes, default_type: str
) -> HttpResponse:
    kept = [(k, v) for k, v in headers if k.lower() not in _DROPPED]
    if not any(k.lower() == "content-type" for k, _ in kept):
        kept.append(("Content-Type", default_type))
    return HttpResponse(status, tuple(kept), body)


def v2_structured(result: dict[str, Any]) -> HttpResponse:
    """A payload 2.0 response with `statusCode`; raises MalformedResponse when it is invalid."""
    status = _status(result["statusCode"])
    headers = _headers(result.get("headers"))
    cookies = result.get("cookies") or []
    if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
        raise MalformedResponse("cookies must be a list of strings")
    headers.extend(("Set-Cookie", cookie) for cookie in cookies)
    # UNCONFIRMED: AWS documents no default; HTTP APIs are reported to answer text/plain
    # when a structured response names no content type.
    return _finish(status, headers, _body(result), "text/plain; charset=utf-8")


def v2_response(result: InvocationResult) -> HttpResponse:
    """The HTTP response an HTTP API makes of a payload 2.0 function result."""
    if not result.ok:
        return _v2_error()
    payload = result.payload
    if isinstance(payload, dict) and "statusCode" in payload:
        try:
            return v2_structured(payload)
        except MalformedResponse:
            return _v2_error()
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return HttpResponse(200, (("Content-Type", "application/json"),), body.encode("utf-8"))


def v1_structured(result: Any) -> HttpResponse:
    """A payload 1.0 response; raises MalformedResponse when API Gateway would reject it."""
    if not isinstance(result, dict) or "statusCode" not in result:
        raise MalformedResponse("a proxy response must be an object with a statusCode")
    status = _status(result["statusCode"])
    headers = _headers(result.get("headers"))
    multi = result.get("multiValueHeaders")
    if multi is not None:
        if not isinstance(multi, dict):
            raise MalformedResponse("multiValueHeaders must be an object")
        single_names = {name.lower() for name, _ in headers}
        for name, values in multi.items():
            if not isinstance(values, list):
                raise MalformedResponse(f"multiValueHeaders {name!r} must be a list")
            if str(name).lower() in single_names:
                # Both given: API Gateway merges them; drop the single copy to avoid doubles.
                headers = [(k, v) for k, v in headers if k.lower() != str(name).lower()]
            headers.extend((str(name), _header_value(str(name), v)) for v in values)
    return _finish(status, headers, _body(result), "application/json")


def v1_response(result: InvocationResult) -> HttpResponse:
    """The HTTP response a REST API makes of a payload 1.0 function result."""
    if not result.ok:
        return _v1_error()
    try:
        return v1_structured(result.payload)
    except MalformedResponse:
        return _v1_error()
