"""`websocket` events: every form, authorizers, duplicates and their errors."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from sockgate.errors import ConfigError
from sockgate.service import Authorizer, Service, WebsocketRoute

HEAD = "service: chat\nprovider: {name: aws}\nfunctions:\n"


def one_function(events: str, *, extra: str = "") -> str:
    return HEAD + f"  connect:\n    handler: handler.handler\n    events:\n{events}\n{extra}"


def test_all_route_forms(load: Callable[..., Service]) -> None:
    service = load(
        HEAD
        + """\
  a:
    handler: handler.handler
    events:
      - websocket: $connect
      - websocket:
          route: $disconnect
  b:
    handler: handler.handler
    events:
      - websocket:
          routeKey: $default
      - websocket:
          route: hello
          routeResponseSelectionExpression: $default
      - websocket: {route: same, routeKey: same}
      - sqs: arn:aws:sqs:us-east-1:1:q
"""
    )
    assert service.websocket_routes == (
        WebsocketRoute(route_key="$connect", function="a"),
        WebsocketRoute(route_key="$disconnect", function="a"),
        WebsocketRoute(route_key="$default", function="b"),
        WebsocketRoute(route_key="hello", function="b", two_way=True),
        WebsocketRoute(route_key="same", function="b"),
    )
    assert service.route("hello") is not None and service.route("hello").two_way
    assert service.route("nope") is None
    # other event types stay on the function, untouched
    assert service.functions["b"].events[-1] == {"sqs": "arn:aws:sqs:us-east-1:1:q"}


def test_authorizer_forms(load: Callable[..., Service]) -> None:
    def authorizer_of(spec: str) -> Authorizer | None:
        service = load(
            HEAD
            + "  auth: {handler: handler.handler}\n"
            + "  connect:\n    handler: handler.handler\n    events:\n"
            + f"      - websocket:\n          route: $connect\n          authorizer: {spec}\n"
        )
        route = service.route("$connect")
        assert route is not None
        return route.authorizer

    assert authorizer_of("auth") == Authorizer(name="auth", function="auth")
    assert authorizer_of("{name: auth}") == Authorizer(name="auth", function="auth")
    assert authorizer_of(
        "{name: auth, identitySource: route.request.querystring.token}"
    ) == Authorizer(
        name="auth", function="auth", identity_source=("route.request.querystring.token",)
    )
    assert authorizer_of(
        "{name: auth, identitySource: [route.request.header.Auth, stageVariables.x, context.y]}"
    ).identity_source == ("route.request.header.Auth", "stageVariables.x", "context.y")
    external = "arn:aws:lambda:us-east-1:123456789012:function:other-auth"
    assert authorizer_of(external) == Authorizer(name="other-auth", function=None, arn=external)
    assert authorizer_of(f"{{arn: '{external}'}}") == Authorizer(
        name="other-auth", function=None, arn=external
    )
    # an ARN of a function of this service is run locally
    own = "arn:aws:lambda:us-east-1:123456789012:function:chat-dev-auth"
    assert authorizer_of(own) == Authorizer(name="chat-dev-auth", function="auth", arn=own)
    assert authorizer_of("{name: myAuth, arn: !GetAtt AuthLambdaFunction.Arn}") == Authorizer(
        name="myAuth", function="auth", arn={"Fn::GetAtt": ["AuthLambdaFunction", "Arn"]}
    )
    assert authorizer_of("{name: ext, arn: !ImportValue shared-auth}") == Authorizer(
        name="ext", function=None, arn={"Fn::ImportValue": "shared-auth"}
    )


def _two_functions(route: str, first: str = "", second: str = "") -> str:
    return (
        HEAD
        + "  multiCall1:\n    handler: handler.handler\n    events:\n"
        + f"      - websocket: {{route: '{route}'{first}}}\n"
        + "  multiCall2:\n    handler: handler.handler\n    events:\n"
        + f"      - websocket: {{routeKey: '{route}'{second}}}\n"
    )


@pytest.mark.parametrize("route", ["makeMultiCalls", "$connect", "$disconnect", "$default"])
def test_a_route_two_functions_declare_goes_to_the_last_with_one_warning(
    load: Callable[..., Service], caplog: pytest.LogCaptureFixture, route: str
) -> None:
    # As the Framework deploys it: both events compile to one route resource, the last wins.
    with caplog.at_level(logging.WARNING, logger="sockgate.service"):
        service = load(_two_functions(route))
    assert service.websocket_routes == (WebsocketRoute(route_key=route, function="multiCall2"),)
    assert service.route(route) == WebsocketRoute(route_key=route, function="multiCall2")
    assert service.overridden_websocket_routes == (
        WebsocketRoute(route_key=route, function="multiCall1"),
    )
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "sockgate.service",
            "WARNING",
            f"{service.config_file} at functions.multiCall2.events[0].websocket: route '{route}' "
            "is declared by both function 'multiCall1' and function 'multiCall2'; 'multiCall2', "
            "declared last, handles it (as on AWS). Keep the route on one function.",
        )
    ]


def test_an_overridden_route_keeps_an_earlier_two_way_setting(
    load: Callable[..., Service],
) -> None:
    # The Framework's _.merge keeps a RouteResponseSelectionExpression only the earlier set.
    service = load(_two_functions("hi", first=", routeResponseSelectionExpression: $default"))
    assert service.websocket_routes == (
        WebsocketRoute(route_key="hi", function="multiCall2", two_way=True),
    )


def test_an_overridden_connect_takes_the_last_functions_authorizer(
    load: Callable[..., Service],
) -> None:
    # AuthorizationType comes from the last event: NONE here, so no authorizer runs.
    service = load(_two_functions("$connect", first=", authorizer: multiCall1"))
    assert service.websocket_routes == (
        WebsocketRoute(route_key="$connect", function="multiCall2"),
    )
    assert service.overridden_websocket_routes[0].authorizer == Authorizer(
        name="multiCall1", function="multiCall1"
    )


def test_duplicate_route_in_one_function(load_error: Callable[..., ConfigError]) -> None:
    error = load_error(one_function("      - websocket: hi\n      - websocket: hi"))
    assert error.path == "functions.connect.events[1].websocket"
    assert "declared twice by function 'connect'" in error.message


@pytest.mark.parametrize(
    ("events", "path", "message"),
    [
        (
            "      - websocket: {route: hi, authorizer: connect}",
            "functions.connect.events[0].websocket.authorizer",
            "an authorizer is only allowed on the $connect route, not on 'hi'",
        ),
        (
            "      - websocket: {route: $connect, authorizer: nope}",
            "functions.connect.events[0].websocket.authorizer",
            "the authorizer function 'nope' is not a function of this service",
        ),
        (
            "      - websocket: {route: $connect, authorizer: {name: nope}}",
            "functions.connect.events[0].websocket.authorizer.name",
            "'nope' is not a function",
        ),
        (
            "      - websocket: {route: $connect, authorizer: {identitySource: x}}",
            "functions.connect.events[0].websocket.authorizer",
            "needs a name",
        ),
        (
            "      - websocket: {route: $connect, authorizer: {arn: !GetAtt X.Arn}}",
            "functions.connect.events[0].websocket.authorizer.arn",
            "needs a name too",
        ),
        (
            "      - websocket: {route: $connect, authorizer: {name: connect, type: TOKEN}}",
            "functions.connect.events[0].websocket.authorizer",
            "unknown key 'type'",
        ),
        (
            "      - websocket: {route: $connect, authorizer: [a]}",
            "functions.connect.events[0].websocket.authorizer",
            "must be a function key, an ARN, or a mapping",
        ),
        (
            "      - websocket: {route: $connect, authorizer: "
            "{name: connect, identitySource: [route.request.header.A, method.request.header.B]}}",
            "functions.connect.events[0].websocket.authorizer.identitySource[1]",
            "'method.request.header.B' is not an identity source",
        ),
        (
            "      - websocket: {route: $connect, authorizer: {name: connect, identitySource: 5}}",
            "functions.connect.events[0].websocket.authorizer.identitySource",
            "must be a string or a list of strings",
        ),
        (
            "      - websocket: {route: hi, routeResponseSelectionExpression: $request.body}",
            "functions.connect.events[0].websocket.routeResponseSelectionExpression",
            "must be one of '$default'",
        ),
        (
            "      - websocket: {route: hi, routeKey: ho}",
            "functions.connect.events[0].websocket",
            "has both route 'hi' and routeKey 'ho'",
        ),
        (
            "      - websocket: {routeResponseSelectionExpression: $default}",
            "functions.connect.events[0].websocket",
            "has no route",
        ),
        (
            "      - websocket: {route: hi, extra: 1}",
            "functions.connect.events[0].websocket",
            "unknown key 'extra'",
        ),
        ("      - websocket: 5", "functions.connect.events[0].websocket", "must be a route key"),
        ("      - websocket:", "functions.connect.events[0].websocket", "must be a route key"),
        ("      - websocket", "functions.connect.events[0]", "one event type"),
        (
            "      - {websocket: a, http: 'get x'}",
            "functions.connect.events[0]",
            "one event type",
        ),
    ],
)
def test_websocket_errors(
    load_error: Callable[..., ConfigError], events: str, path: str, message: str
) -> None:
    error = load_error(one_function(events))
    assert error.path == path
    assert message in error.message
    assert error.file and error.file.endswith("serverless.yml")
