"""Route selection: from a message's text to the route that handles it (pure, no I/O).

API Gateway evaluates the API's routeSelectionExpression against the JSON body of each message
and picks the route whose key equals the result exactly; anything that cannot be evaluated, or
matches no route, falls back to `$default`. Supported expressions: `$request.body.a.b`,
`${request.body.a.b}`, and templates mixing braced variables with literal text
(`${request.body.version}-beta`, `\\$` for a literal dollar).

Choices where AWS's documentation is silent (UNCONFIRMED; docs/architecture.md):
- A selected value that is not a string (number, boolean, object, array, null) or is the empty
  string selects `$default` (as serverless-offline does); we do not stringify it.
- A value of `$connect` or `$disconnect` never reaches those routes: it selects `$default`.
- In a template every variable must evaluate to a non-empty string, else `$default`.
- A body too deeply nested to parse (`[[[[...`) is unroutable like any other non-JSON body.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sockgate.gateway.errors import GatewayConfigError
from sockgate.service.model import WebsocketRoute

__all__ = [
    "CONNECT",
    "DEFAULT",
    "DISCONNECT",
    "RouteTable",
    "SelectionExpression",
]

CONNECT = "$connect"
DISCONNECT = "$disconnect"
EXPRESSION_PATH = "provider.websocketsApiRouteSelectionExpression"
DEFAULT = "$default"
_RESERVED = frozenset({CONNECT, DISCONNECT})

_SEGMENT = r"[A-Za-z0-9_\-:@]+"
_BRACED = re.compile(r"\$\{request\.body((?:\." + _SEGMENT + r")+)\}")
_BARE = re.compile(r"\$request\.body((?:\." + _SEGMENT + r")+)")
_decode = json.JSONDecoder().decode


@dataclass(frozen=True, slots=True)
class SelectionExpression:
    """A compiled routeSelectionExpression: literal text and JSON paths into the body."""

    source: str
    parts: tuple[str | tuple[str, ...], ...]  # a str is literal text, a tuple a body path

    @classmethod
    def parse(cls, source: str) -> SelectionExpression:
        """Compile `source`; raises GatewayConfigError for what API Gateway would refuse."""
        parts: list[str | tuple[str, ...]] = []
        literal: list[str] = []
        i = 0
        while i < len(source):
            if source.startswith("\\$", i):
                literal.append("$")
                i += 2
                continue
            if source[i] != "$":
                literal.append(source[i])
                i += 1
                continue
            match = _BRACED.match(source, i) or _BARE.match(source, i)
            if match is None:
                raise GatewayConfigError(
                    f"The route selection expression {source!r} is not supported: a WebSocket "
                    "API selects routes from the message body, e.g. $request.body.action or "
                    "${request.body.action}.",
                    path=EXPRESSION_PATH,
                )
            if literal:
                parts.append("".join(literal))
                literal.clear()
            parts.append(tuple(match.group(1)[1:].split(".")))
            i = match.end()
        if literal:
            parts.append("".join(literal))
        if not any(isinstance(part, tuple) for part in parts):
            raise GatewayConfigError(
                f"The route selection expression {source!r} reads nothing from the message: "
                "use $request.body.<member>, e.g. $request.body.action.",
                path=EXPRESSION_PATH,
            )
        return cls(source, tuple(parts))

    def evaluate(self, body: str) -> str | None:
        """The selected route key for a message, or None when it cannot be evaluated."""
        try:
            document = _decode(body)
        except (ValueError, RecursionError):
            # A body nested deeper than the parser's recursion limit has no member to select,
            # like any other body that does not parse: the message goes to $default.
            return None
        if len(self.parts) == 1:
            return _member(document, self.parts[0])  # type: ignore[arg-type]
        pieces = []
        for part in self.parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            value = _member(document, part)
            if value is None:
                return None
            pieces.append(value)
        return "".join(pieces)


def _member(document: Any, path: tuple[str, ...]) -> str | None:
    """The non-empty string at `path` in a JSON document, else None."""
    value = document
    for name in path:
        if type(value) is not dict:
            return None
        value = value.get(name)
    if type(value) is str and value:
        return value
    return None


class RouteTable:
    """The routes of one WebSocket API, compiled once; `select` runs per message."""

    __slots__ = ("_default", "_expression", "_routes", "connect", "disconnect")

    def __init__(self, routes: Iterable[WebsocketRoute], expression: str) -> None:
        self._expression = SelectionExpression.parse(expression)
        self._routes: dict[str, WebsocketRoute] = {}
        for route in routes:
            if route.route_key in self._routes:
                raise GatewayConfigError(
                    f"The WebSocket route {route.route_key!r} is declared twice; keep one."
                )
            self._routes[route.route_key] = route
        self._default = self._routes.get(DEFAULT)
        self.connect = self._routes.get(CONNECT)
        self.disconnect = self._routes.get(DISCONNECT)

    @property
    def expression(self) -> SelectionExpression:
        """The compiled route selection expression."""
        return self._expression

    def select(self, body: str) -> WebsocketRoute | None:
        """The route for a message: the matching key, else $default, else None (Forbidden)."""
        key = self._expression.evaluate(body)
        if key is not None and key not in _RESERVED:
            route = self._routes.get(key)
            if route is not None:
                return route
        return self._default
