"""$connect REQUEST authorizers: identity sources, the authorizer event, policy evaluation (pure).

Outcomes (AWS: Lambda REQUEST authorizers for WebSocket APIs): a missing identity source answers 401
without invoking the authorizer; an authorizer that raises "Unauthorized" answers 401; any other
error, a timeout, or a malformed response answers 500; an explicit Deny, or no Allow matching the
methodArn, answers 403; an Allow lets the $connect integration decide. Later events of the
connection carry `requestContext.authorizer` = {principalId, **context, integrationLatency}.

Choices where AWS is UNCONFIRMED:
- Header identity sources match case-insensitively; query string ones exactly.
- A response without a string `principalId` is malformed (500), as REST APIs treat it.
- `context` values must be string, number or boolean (null, objects, arrays: 500); they keep
  their JSON types in later events; `integrationLatency` is an integer in milliseconds.
- Statements match Action `execute-api:Invoke` (case-insensitive, `*`/`?` wildcards) and the
  Resource (case-sensitive, wildcards); NotAction/NotResource statements are ignored.
- Stage variables and `context.*` identity sources are not supported locally (startup error).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from sockgate.gateway.errors import GatewayConfigError
from sockgate.invocation import InvocationResult

__all__ = [
    "ACCOUNT_ID",
    "AuthDecision",
    "IdentitySource",
    "authorizer_event",
    "evaluate",
    "method_arn",
    "missing_identity",
    "parse_identity_sources",
]

ACCOUNT_ID = "000000000000"  # the account id sockgate uses everywhere locally
_HEADER = "route.request.header."
_QUERY = "route.request.querystring."
_SCALARS = (str, int, float, bool)


@dataclass(frozen=True, slots=True)
class IdentitySource:
    """One identity source: a handshake header or query string parameter."""

    kind: Literal["header", "querystring"]
    name: str
    expression: str


def parse_identity_sources(sources: Sequence[str]) -> tuple[IdentitySource, ...]:
    """Compile identitySource expressions; raises GatewayConfigError for unsupported ones."""
    parsed = []
    for source in sources:
        if source.startswith(_HEADER) and len(source) > len(_HEADER):
            parsed.append(IdentitySource("header", source[len(_HEADER) :], source))
        elif source.startswith(_QUERY) and len(source) > len(_QUERY):
            parsed.append(IdentitySource("querystring", source[len(_QUERY) :], source))
        else:
            raise GatewayConfigError(
                f"The authorizer identity source {source!r} is not supported locally; use "
                "route.request.header.<Name> or route.request.querystring.<name>."
            )
    return tuple(parsed)


def missing_identity(
    sources: Sequence[IdentitySource],
    headers: Sequence[tuple[str, str]],
    query: Mapping[str, Sequence[str]],
) -> str | None:
    """The first identity source absent or empty in the handshake, or None when all are there."""
    for source in sources:
        if source.kind == "header":
            wanted = source.name.lower()
            values = [value for name, value in headers if name.lower() == wanted]
        else:
            values = list(query.get(source.name, ()))
        if not values or not values[-1]:
            return source.expression
    return None


def method_arn(region: str, api_id: str, stage: str) -> str:
    """The methodArn of the $connect route."""
    return f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{api_id}/{stage}/$connect"


def authorizer_event(
    arn: str,
    headers: tuple[dict[str, str], dict[str, list[str]]],
    query: tuple[dict[str, str], dict[str, list[str]]],
    request_context: dict[str, Any],
) -> dict[str, Any]:
    """The REQUEST authorizer event; empty query and stage variable objects are {}."""
    return {
        "type": "REQUEST",
        "methodArn": arn,
        "headers": headers[0],
        "multiValueHeaders": headers[1],
        "queryStringParameters": query[0],
        "multiValueQueryStringParameters": query[1],
        "stageVariables": {},
        "requestContext": request_context,
    }


@dataclass(frozen=True, slots=True)
class AuthDecision:
    """The authorizer's verdict: allowed with a context, or a refusal status and log sentence."""

    status: int | None  # None: allowed
    context: dict[str, Any] | None = None  # requestContext.authorizer when allowed
    problem: str | None = None

    @property
    def allowed(self) -> bool:
        """True when the $connect integration may run."""
        return self.status is None

    @property
    def body(self) -> str:
        """The body API Gateway answers a refusal with."""
        if self.status == 401:
            return '{"message":"Unauthorized"}'
        if self.status == 403:
            return '{"message":"Forbidden"}'
        return '{"message":null}'


def evaluate(result: InvocationResult | None, arn: str, latency_ms: int) -> AuthDecision:
    """Judge an authorizer invocation (None: it timed out) against the $connect methodArn."""
    if result is None:
        return AuthDecision(500, problem="authorizer timed out")
    if not result.ok:
        error = result.error or {}
        if error.get("errorMessage") == "Unauthorized":
            return AuthDecision(401, problem="authorizer raised Unauthorized")
        return AuthDecision(
            500, problem=f"authorizer failed: {error.get('errorType')}: {error.get('errorMessage')}"
        )
    response = result.payload
    if not isinstance(response, dict):
        return AuthDecision(500, problem="authorizer returned a non-object")
    principal = response.get("principalId")
    if not isinstance(principal, str):
        return AuthDecision(500, problem="authorizer response has no string principalId")
    statements = _statements(response.get("policyDocument"))
    if statements is None:
        return AuthDecision(500, problem="authorizer response has no valid policyDocument")
    context = response.get("context") or {}
    if not isinstance(context, dict) or not all(
        isinstance(value, _SCALARS) for value in context.values()
    ):
        return AuthDecision(
            500, problem="authorizer context must map names to strings, numbers or booleans"
        )
    verdict = _verdict(statements, arn)
    if verdict != "Allow":
        return AuthDecision(403, problem=f"authorizer policy does not allow {arn} ({verdict})")
    extra = {k: v for k, v in context.items() if k not in ("principalId", "integrationLatency")}
    return AuthDecision(
        None, context={"principalId": principal, **extra, "integrationLatency": latency_ms}
    )


def _statements(document: Any) -> list[dict[str, Any]] | None:
    if not isinstance(document, dict):
        return None
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        return None
    return statements


def _verdict(statements: list[dict[str, Any]], arn: str) -> str:
    """'Allow' when an Allow matches and no Deny does; else 'explicit Deny' or 'no Allow'."""
    allowed = False
    for statement in statements:
        if not _matches(statement.get("Action"), "execute-api:Invoke", ignore_case=True):
            continue
        if not _matches(statement.get("Resource"), arn, ignore_case=False):
            continue
        effect = statement.get("Effect")
        if effect == "Deny":
            return "explicit Deny"
        allowed = allowed or effect == "Allow"
    return "Allow" if allowed else "no Allow"


def _matches(patterns: Any, value: str, *, ignore_case: bool) -> bool:
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, list):
        return False
    return any(
        isinstance(p, str) and _wildcard(p, ignore_case).fullmatch(value) is not None
        for p in patterns
    )


@lru_cache(maxsize=256)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """An IAM wildcard pattern (`*` any run, `?` one character) as a regex."""
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)
