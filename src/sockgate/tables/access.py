"""What DynamoDB's front door decides before an operation runs (pure, no I/O).

In DynamoDB's order, per request:

1. ``Origin``: every answer carries ``Access-Control-Allow-Origin: *``; an ``OPTIONS``
   preflight is answered at once, echoing the requested method and headers (browser SDKs).
2. ``GET``: the health text. Any other method than ``POST``, or a body whose content type is
   neither ``application/x-amz-json-1.0`` nor ``application/json``: 404
   ``<UnknownOperationException/>``. The content type is echoed (``application/json`` in,
   ``application/json`` out).
3. The body must be JSON (SerializationException), the target an operation
   (UnknownOperationException), both before authentication is looked at.
4. Authentication: SigV4 in an ``Authorization`` header or in the query string. No header:
   MissingAuthenticationTokenException. A header missing ``Credential``, ``Signature`` or
   ``SignedHeaders``, or a request without ``X-Amz-Date``/``Date``:
   IncompleteSignatureException, naming each. Signatures are not verified (any credentials
   are accepted, as by DynamoDB Local): there is no secret to check them against.

Texts as dynalite records them from DynamoDB.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from sockgate.tables.errors import (
    DynamoDBError,
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
)

__all__ = [
    "JSON_TYPES",
    "UNKNOWN_OPERATION_BODY",
    "authentication_problem",
    "content_type",
    "preflight_headers",
]

JSON_TYPES = ("application/x-amz-json-1.0", "application/json")
UNKNOWN_OPERATION_BODY = b"<UnknownOperationException/>\n"
_HEADER_PARAMETERS = ("Credential", "Signature", "SignedHeaders")
_QUERY_PARAMETERS = (
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date",
)  # fmt: skip


def content_type(headers: dict[str, str]) -> str:
    """The request's media type, without parameters, as sent ('' when absent)."""
    value = headers.get("content-type", "")
    if ";" in value:
        value = value.split(";", 1)[0]
    return value.strip()


def preflight_headers(headers: dict[str, str]) -> str:
    """The header lines of the answer to a CORS preflight (after Allow-Origin)."""
    lines = ""
    wanted_headers = headers.get("access-control-request-headers")
    if wanted_headers:
        lines += f"Access-Control-Allow-Headers: {wanted_headers}\r\n"
    wanted_method = headers.get("access-control-request-method")
    if wanted_method:
        lines += f"Access-Control-Allow-Methods: {wanted_method}\r\n"
    return lines + "Access-Control-Max-Age: 172800\r\n"


def authentication_problem(target: str, headers: dict[str, str]) -> DynamoDBError | None:
    """The error DynamoDB answers for the request's credentials, or None when they will do."""
    header = headers.get("authorization")
    query = parse_qs(target.split("?", 1)[1]) if "?" in target else {}
    in_query = "X-Amz-Algorithm" in query
    if header is not None and in_query:
        return InvalidSignatureException(
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP "
            "header."
        )
    if (header is None and not in_query) or (
        header is not None and not header.strip().startswith("AWS4-")
    ):
        return MissingAuthenticationTokenException("Request is missing Authentication Token")
    message = ""
    if header is not None:
        found = set()
        for part in header.replace(",", " ").split()[1:]:
            name, _, value = part.partition("=")
            if value:
                found.add(name)
        for name in _HEADER_PARAMETERS:
            if name not in found:
                message += f"Authorization header requires '{name}' parameter. "
        if "x-amz-date" not in headers and "date" not in headers:
            message += (
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                "header. "
            )
        if message:
            message += f"Authorization={header}"
    else:
        for name in _QUERY_PARAMETERS:
            if not query.get(name):
                message += f"AWS query-string parameters must include '{name}'. "
        if message:
            message += "Re-examine the query-string parameters."
    return IncompleteSignatureException(message) if message else None
