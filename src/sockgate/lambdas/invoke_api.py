"""Lambda's Invoke API, as requests in and responses out (pure: no sockets, no processes).

`POST /2015-03-31/functions/{FunctionName}/invocations` with the headers boto3 sends
(X-Amz-Invocation-Type, X-Amz-Log-Type, X-Amz-Client-Context) and the payload as the body. What
Lambda answers, from its API reference (Invoke: Request Syntax, Response Syntax, Errors) and
boto3's service model:

- RequestResponse: 200 with the function's response as the body and `X-Amz-Executed-Version:
  $LATEST`; a function error is still 200, with `X-Amz-Function-Error: Unhandled` and the error
  object ({"errorMessage", "errorType", "requestId", "stackTrace"}) as the body. `X-Amz-Log-Type:
  Tail` adds `X-Amz-Log-Result`, the last 4 KB of the invocation's log, base64-encoded.
- Event: 202 and no body (the function runs afterwards); DryRun: 204.
- API errors are JSON bodies {"Type": "User", "message": ...} with the error's name in the
  `x-amzn-ErrorType` header, which botocore turns into its named exceptions:
  ResourceNotFoundException (404, "Function not found: <arn>"), RequestEntityTooLargeException
  (413; 6 MB for a synchronous invocation, 1 MB for an asynchronous one since the 2025 raise
  from 256 KB), InvalidRequestContentException (400, a payload that is not JSON),
  InvalidParameterValueException (400), TooManyRequestsException (429, "Rate Exceeded.", with
  its Reason).
- A response over 6 MB is a function error: Function.ResponseSizeTooLarge.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any

from sockgate.invocation import InvocationResult

__all__ = [
    "ASYNC_PAYLOAD_LIMIT",
    "INVOKE_PATH",
    "SYNC_PAYLOAD_LIMIT",
    "ApiResponse",
    "InvokeRequest",
    "api_error",
    "parse_invoke",
    "result_response",
]

INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024  # 6291456 bytes, request and response
ASYNC_PAYLOAD_LIMIT = 1024 * 1024  # Event invocations (256 KB before the 2025 raise)
# Lambda's own figure for the response limit in its error message (6 MB plus 100 bytes).
_RESPONSE_LIMIT_TEXT = 6291556
_LOG_TAIL = 4096
_TYPES = ("RequestResponse", "Event", "DryRun")
# FunctionName: a name, a full or partial ARN, with an optional qualifier (API reference).
_NAME = re.compile(
    r"^(?:arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):)?(?:(?P<account>\d{12}):)?"
    r"(?:function:)?(?P<function>[a-zA-Z0-9_.-]+)(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]+))?$"
)


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """An HTTP response of the Invoke API."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class InvokeRequest:
    """A valid Invoke request: which function, how, and the event."""

    function_key: str
    invocation_type: str  # RequestResponse | Event | DryRun
    tail: bool  # X-Amz-Log-Type: Tail
    event: Any


def api_error(status: int, name: str, message: str, **extra: str) -> ApiResponse:
    """An API error as Lambda sends it: botocore reads the name from x-amzn-ErrorType."""
    body = {"Type": "User", "message": message, **extra}
    return ApiResponse(
        status,
        json.dumps(body).encode(),
        {"Content-Type": "application/json", "x-amzn-ErrorType": name},
    )


def function_arn(region: str, account_id: str, name: str) -> str:
    """The ARN Lambda names in its errors."""
    return f"arn:aws:lambda:{region}:{account_id}:function:{name}"


def parse_invoke(
    *,
    name: str,
    qualifier: str | None,
    headers: dict[str, str],
    body: bytes,
    functions: dict[str, str],
    region: str,
    account_id: str,
) -> InvokeRequest | ApiResponse:
    """Validate one Invoke request against the service's functions (deployed name -> key)."""
    match = _NAME.match(name)
    if match is None:
        return api_error(
            400,
            "ValidationException",
            f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?"
            "(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?",
        )
    function = match["function"]
    qualifier = qualifier or match["qualifier"]
    key = functions.get(function)
    wrong_place = (match["region"] or region) != region
    if key is None or wrong_place or qualifier not in (None, "$LATEST"):
        arn = function_arn(match["region"] or region, match["account"] or account_id, function)
        suffix = f":{qualifier}" if qualifier else ""
        return api_error(404, "ResourceNotFoundException", f"Function not found: {arn}{suffix}")
    invocation_type = headers.get("x-amz-invocation-type") or "RequestResponse"
    if invocation_type not in _TYPES:
        return api_error(
            400,
            "InvalidParameterValueException",
            f"Unsupported invocation type {invocation_type}; use one of {', '.join(_TYPES)}.",
        )
    limit = ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else SYNC_PAYLOAD_LIMIT
    if len(body) > limit:
        if invocation_type == "Event":
            message = (
                f"{len(body)} byte payload is too large for the Event invocation type "
                f"(limit {limit} bytes)"
            )
        else:
            message = f"Request must be smaller than {limit} bytes for the InvokeFunction operation"
        return api_error(413, "RequestEntityTooLargeException", message)
    try:
        event = json.loads(body, parse_constant=_non_standard) if body.strip() else {}
    except (ValueError, UnicodeDecodeError) as exc:
        return api_error(
            400,
            "InvalidRequestContentException",
            f"Could not parse request body into json: Could not parse payload into json: {exc}",
        )
    tail = (headers.get("x-amz-log-type") or "None") == "Tail"
    return InvokeRequest(key, invocation_type, tail, event)


def _non_standard(token: str) -> Any:
    # Lambda's JSON parser (Jackson) refuses NaN and Infinity, which Python's accepts.
    raise ValueError(f"Non-standard token '{token}'")


def result_response(result: InvocationResult, *, tail: bool) -> ApiResponse:
    """The response to a RequestResponse invocation."""
    if result.throttled:
        error = result.error or {}
        extra = {"Reason": str(error["Reason"])} if "Reason" in error else {}
        return api_error(429, "TooManyRequestsException", "Rate Exceeded.", **extra)
    headers = {"Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST"}
    if tail:
        log = "\n".join(result.logs) + "\n"
        tail_bytes = log.encode()[-_LOG_TAIL:]
        headers["X-Amz-Log-Result"] = base64.b64encode(tail_bytes).decode()
    if result.error is not None:
        headers["X-Amz-Function-Error"] = "Unhandled"
        return ApiResponse(200, json.dumps(result.error).encode(), headers)
    payload = result.payload
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    if len(body) > SYNC_PAYLOAD_LIMIT:
        headers["X-Amz-Function-Error"] = "Unhandled"
        error = {
            "errorMessage": "Response payload size exceeded maximum allowed payload size "
            f"({_RESPONSE_LIMIT_TEXT} bytes).",
            "errorType": "Function.ResponseSizeTooLarge",
        }
        return ApiResponse(200, json.dumps(error).encode(), headers)
    return ApiResponse(200, body, headers)
