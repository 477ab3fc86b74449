"""Route selection, without sockets."""

from __future__ import annotations

import json

import pytest

from sockgate.gateway.errors import GatewayConfigError
from sockgate.gateway.routing import RouteTable, SelectionExpression
from sockgate.service.model import WebsocketRoute


def table(*keys: str, expression: str = "$request.body.action") -> RouteTable:
    return RouteTable(
        [WebsocketRoute(route_key=k, function=f"fn{i}") for i, k in enumerate(keys)], expression
    )


def selected(t: RouteTable, body: object) -> str | None:
    text = body if isinstance(body, str) else json.dumps(body)
    route = t.select(text)
    return None if route is None else route.route_key


def test_action_selects_matching_route() -> None:
    t = table("$default", "chat", "echo")
    assert selected(t, {"action": "chat", "message": "hi"}) == "chat"
    assert selected(t, {"action": "echo"}) == "echo"


def test_matching_is_exact_and_case_sensitive() -> None:
    t = table("$default", "chat")
    assert selected(t, {"action": "Chat"}) == "$default"
    assert selected(t, {"action": "chat "}) == "$default"


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "",
        "{",
        {"message": "no action"},
        {"action": "unknown"},
        ["chat"],
        '"chat"',
        {"action": 1},
        {"action": True},
        {"action": None},
        {"action": {"name": "chat"}},
        {"action": ["chat"]},
        {"action": ""},
    ],
)
def test_unroutable_messages_fall_back_to_default(body: object) -> None:
    assert selected(table("$default", "chat"), body) == "$default"


@pytest.mark.parametrize("reserved", ["$connect", "$disconnect"])
def test_reserved_keys_are_never_selected_by_a_message(reserved: str) -> None:
    t = table("$connect", "$disconnect", "$default")
    assert selected(t, {"action": reserved}) == "$default"
    assert selected(table("$connect", "$disconnect"), {"action": reserved}) is None


def test_without_default_an_unmatched_message_selects_nothing() -> None:
    t = table("chat")
    assert selected(t, {"action": "other"}) is None
    assert selected(t, "plain text") is None
    assert selected(t, {"action": "chat"}) == "chat"


def test_nested_member_path() -> None:
    t = table("$default", "echo", expression="$request.body.service.do")
    assert selected(t, {"service": {"do": "echo"}}) == "echo"
    assert selected(t, {"service": "echo"}) == "$default"
    assert selected(t, {"service": {"do": {"x": 1}}}) == "$default"


def test_braced_expression() -> None:
    t = table("$default", "echo", expression="${request.body.type}")
    assert selected(t, {"type": "echo"}) == "echo"


def test_template_with_literal_text() -> None:
    t = table("$default", "v2-beta", expression="${request.body.version}-beta")
    assert selected(t, {"version": "v2"}) == "v2-beta"
    assert selected(t, {"version": 2}) == "$default"


def test_escaped_dollar_is_literal() -> None:
    expression = SelectionExpression.parse("\\$${request.body.kind}")
    assert expression.evaluate('{"kind": "x"}') == "$x"


@pytest.mark.parametrize(
    "source",
    ["action", "$request.header.action", "$request.body", "${request.body}", "$context.routeKey"],
)
def test_unsupported_expressions_are_config_errors(source: str) -> None:
    with pytest.raises(GatewayConfigError, match="route selection expression"):
        SelectionExpression.parse(source)


def test_duplicate_route_keys_are_rejected() -> None:
    with pytest.raises(GatewayConfigError, match="declared twice"):
        table("chat", "chat")


def test_connect_and_disconnect_routes_are_exposed() -> None:
    t = table("$connect", "$disconnect", "chat")
    assert t.connect is not None and t.connect.route_key == "$connect"
    assert t.disconnect is not None and t.disconnect.route_key == "$disconnect"
    assert table("chat").connect is None


DEEP_BODIES = [
    "[" * 1000,  # one 1,000-byte frame of "[" is enough to exhaust Python's recursion
    "[" * 5000 + "]" * 5000,
    '{"a":' * 3000 + "1" + "}" * 3000,
    '{"action": "chat", "deep": ' + "[" * 5000 + "]" * 5000 + "}",
]


@pytest.mark.parametrize("body", DEEP_BODIES, ids=["open-1000", "list-5000", "obj-3000", "member"])
def test_deeply_nested_bodies_fall_back_to_default(body: str) -> None:
    assert selected(table("$default", "chat"), body) == "$default"
    assert selected(table("chat"), body) is None
