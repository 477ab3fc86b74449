"""$connect REQUEST authorizers, without sockets."""

from __future__ import annotations

from typing import Any

import pytest

from sockgate.gateway.authorizers import (
    authorizer_event,
    evaluate,
    method_arn,
    missing_identity,
    parse_identity_sources,
)
from sockgate.gateway.errors import GatewayConfigError
from sockgate.invocation import InvocationResult

ARN = method_arn("us-east-1", "abcdefghij", "dev")


def policy(
    effect: str = "Allow", resource: Any = ARN, action: Any = "execute-api:Invoke", **extra: Any
) -> dict:
    return {
        "principalId": "user-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": action, "Effect": effect, "Resource": resource}],
        },
        **extra,
    }


def judge(payload: Any) -> Any:
    return evaluate(InvocationResult("r", payload=payload), ARN, 7)


def test_method_arn_format() -> None:
    assert ARN == "arn:aws:execute-api:us-east-1:000000000000:abcdefghij/dev/$connect"


def test_identity_sources_parse() -> None:
    sources = parse_identity_sources(
        ["route.request.header.Auth", "route.request.querystring.token"]
    )
    assert [(s.kind, s.name) for s in sources] == [("header", "Auth"), ("querystring", "token")]


@pytest.mark.parametrize(
    "source", ["stageVariables.x", "context.x", "route.request.header.", "method.request.header.A"]
)
def test_unsupported_identity_sources_are_config_errors(source: str) -> None:
    with pytest.raises(GatewayConfigError, match="identity source"):
        parse_identity_sources([source])


def test_missing_identity_header_is_case_insensitive_and_query_exact() -> None:
    sources = parse_identity_sources(
        ["route.request.header.Auth", "route.request.querystring.token"]
    )
    assert missing_identity(sources, [("auth", "x")], {"token": ["t"]}) is None
    assert missing_identity(sources, [("AUTH", "x")], {}) == "route.request.querystring.token"
    assert (
        missing_identity(sources, [("AUTH", "x")], {"Token": ["t"]})
        == "route.request.querystring.token"
    )
    assert (
        missing_identity(sources, [("Auth", "")], {"token": ["t"]}) == "route.request.header.Auth"
    )
    assert missing_identity(sources, [], {"token": ["t"]}) == "route.request.header.Auth"
    assert (
        missing_identity(sources, [("Auth", "x")], {"token": [""]})
        == "route.request.querystring.token"
    )


def test_authorizer_event_shape() -> None:
    event = authorizer_event(ARN, ({"H": "v"}, {"H": ["v"]}), ({}, {}), {"routeKey": "$connect"})
    assert event == {
        "type": "REQUEST",
        "methodArn": ARN,
        "headers": {"H": "v"},
        "multiValueHeaders": {"H": ["v"]},
        "queryStringParameters": {},
        "multiValueQueryStringParameters": {},
        "stageVariables": {},
        "requestContext": {"routeKey": "$connect"},
    }


def test_allow_exact_arn_gives_context() -> None:
    decision = judge(policy(context={"tier": "gold", "n": 1, "admin": False}))
    assert decision.allowed
    assert decision.context == {
        "principalId": "user-1",
        "tier": "gold",
        "n": 1,
        "admin": False,
        "integrationLatency": 7,
    }


@pytest.mark.parametrize(
    "resource",
    [
        "*",
        "arn:aws:execute-api:*:*:*",
        "arn:aws:execute-api:us-east-1:000000000000:abcdefghij/*",
        "arn:aws:execute-api:us-east-1:000000000000:abcdefghij/dev/*",
        "arn:aws:execute-api:us-east-1:000000000000:abcdefghij/dev/$conn?ct",
        ["arn:aws:s3:::bucket", ARN],
    ],
)
def test_allow_wildcards(resource: Any) -> None:
    assert judge(policy(resource=resource)).allowed


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:execute-api:us-east-1:000000000000:abcdefghij/dev/*/*",  # PT-5800
        "arn:aws:execute-api:us-east-1:000000000000:abcdefghij/prod/$connect",
        ARN.upper(),
    ],
)
def test_allow_not_matching_method_arn_is_403(resource: str) -> None:
    decision = judge(policy(resource=resource))
    assert decision.status == 403 and decision.body == '{"message":"Forbidden"}'


def test_explicit_deny_wins() -> None:
    payload = policy()
    payload["policyDocument"]["Statement"].append(
        {"Action": "execute-api:*", "Effect": "Deny", "Resource": "*"}
    )
    assert judge(payload).status == 403
    assert judge(policy(effect="Deny")).status == 403


def test_action_must_cover_invoke() -> None:
    assert judge(policy(action="execute-api:ManageConnections")).status == 403
    assert judge(policy(action=["EXECUTE-API:invoke"])).allowed
    assert judge(policy(action="execute-api:*")).allowed


def test_single_statement_object_is_accepted() -> None:
    payload = policy()
    payload["policyDocument"]["Statement"] = payload["policyDocument"]["Statement"][0]
    assert judge(payload).allowed


def test_unauthorized_error_is_401() -> None:
    result = InvocationResult("r", error={"errorType": "Exception", "errorMessage": "Unauthorized"})
    decision = evaluate(result, ARN, 1)
    assert decision.status == 401 and decision.body == '{"message":"Unauthorized"}'


def test_other_errors_and_timeouts_are_500() -> None:
    result = InvocationResult("r", error={"errorType": "KeyError", "errorMessage": "'x'"})
    assert evaluate(result, ARN, 1).status == 500
    assert evaluate(None, ARN, 1).status == 500
    assert evaluate(None, ARN, 1).body == '{"message":null}'


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "Allow",
        {"statusCode": 401},
        {"principalId": "u"},
        {"principalId": "u", "policyDocument": {"Statement": "x"}},
        {"policyDocument": policy()["policyDocument"]},
        policy(principalId=5),
        policy(context={"nested": {"a": 1}}),
        policy(context={"list": [1]}),
        policy(context={"null": None}),
        policy(context="text"),
    ],
)
def test_malformed_responses_are_500(payload: Any) -> None:
    assert judge(payload).status == 500
