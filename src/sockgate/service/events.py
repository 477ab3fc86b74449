"""Function events -> WebsocketRoute, HttpRoute and StreamEvent, with cross-checks.

`websocket` follows SLS `compile/events/websockets/lib/validate.js` (string and object
forms, string/object authorizers) plus the serverless-websockets-plugin spelling `routeKey`
of the seed article; `httpApi`/`http` follow the Framework's `METHOD /path` forms. Other
event types (sqs, schedule, s3, ...) are kept on `Function.events` and not run.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sockgate.errors import ConfigError
from sockgate.service.model import Authorizer, Function, HttpRoute, StreamEvent, WebsocketRoute
from sockgate.service.schema import RawAuthorizer, RawHttpEvent, RawWebsocket
from sockgate.service.streams import stream_event
from sockgate.service.validation import join_path, validate_model

__all__ = ["EventTables", "collect_events"]

log = logging.getLogger("sockgate.service")

DEFAULT_IDENTITY_SOURCE = ("route.request.header.Auth",)  # SLS validate.js, also when omitted
_IDENTITY_PREFIXES = (
    "route.request.header.",
    "route.request.querystring.",
    "stageVariables.",
    "context.",
)
_HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "OPTIONS", "HEAD", "DELETE", "ANY", "*"}


@dataclass
class EventTables:
    """Everything the events of all functions declare, in declaration order."""

    websocket_routes: list[WebsocketRoute] = field(default_factory=list)
    # Routes a later function declared again and so took over (see _take_over_route).
    overridden_websocket_routes: list[WebsocketRoute] = field(default_factory=list)
    http_routes: list[HttpRoute] = field(default_factory=list)
    streams: list[StreamEvent] = field(default_factory=list)


@dataclass(frozen=True)
class _Where:
    file: str
    path: str

    def child(self, *keys: str | int) -> _Where:
        return _Where(self.file, join_path(self.path, *keys))

    def error(self, message: str, fix: str | None = None, *keys: str | int) -> ConfigError:
        return ConfigError(message, file=self.file, path=join_path(self.path, *keys), fix=fix)


def collect_events(
    functions: Mapping[str, Function], *, file: str, http_payload: Literal["1.0", "2.0"] = "2.0"
) -> EventTables:
    """Parse the events of every function.

    A WebSocket route declared by two functions goes to the one declared last, with a warning,
    as the Framework deploys it; any other duplicate route is an error naming both functions.
    """
    tables = EventTables()
    ws_index: dict[str, int] = {}  # route key -> its place in tables.websocket_routes
    http_owners: dict[tuple[str, str, str], str] = {}
    for key, function in functions.items():
        for index, event in enumerate(function.events):
            kind, value = _event_kind(event)
            at = _Where(file, f"functions.{key}.events[{index}].{kind}")
            if kind == "websocket":
                route = _websocket(value, key, functions, at)
                index_of = ws_index.get(route.route_key)
                if index_of is None:
                    ws_index[route.route_key] = len(tables.websocket_routes)
                    tables.websocket_routes.append(route)
                else:
                    earlier = tables.websocket_routes[index_of]
                    tables.websocket_routes[index_of] = _take_over_route(earlier, route, at)
                    tables.overridden_websocket_routes.append(earlier)
            elif kind in ("httpApi", "http"):
                http = _http(value, key, kind, http_payload, at)
                label = f"{kind} route '{http.method} {http.path}'"
                _claim(http_owners, (kind, http.method, http.path), key, at, label)
                tables.http_routes.append(http)
            elif kind == "stream":
                tables.streams.append(stream_event(value, key, file=file, path=at.path))
    return tables


def _event_kind(event: dict[str, Any]) -> tuple[str, Any]:
    ((kind, value),) = event.items()  # build_function checked the one-key shape
    return str(kind), value


def _claim(owners: dict[Any, str], key: Any, function: str, at: _Where, label: str) -> None:
    if key not in owners:
        owners[key] = function
        return
    previous = owners[key]
    if previous == function:
        raise at.error(
            f"{label} is declared twice by function '{function}'", "Remove one of the events."
        )
    raise at.error(
        f"{label} is declared by both function '{previous}' and function '{function}'",
        "Keep it on one function and remove the other event.",
    )


# -- websocket ----------------------------------------------------------------------------


def _take_over_route(earlier: WebsocketRoute, later: WebsocketRoute, at: _Where) -> WebsocketRoute:
    """The route API Gateway ends up with when a later function declares it again.

    The Framework compiles every event of a route into the same logical id
    (`<RouteKey>WebsocketsRoute`) with lodash `_.merge`, so the later event's Target (its
    function) and AuthorizationType win, while a RouteResponseSelectionExpression set only by
    the earlier event survives the merge (the route stays two-way). Deploying such a file
    works; refusing it locally would break the promise that what deploys also runs here.
    """
    if earlier.function == later.function:
        raise at.error(
            f"route '{later.route_key}' is declared twice by function '{later.function}'",
            "Remove one of the events.",
        )
    log.warning(
        "%s at %s: route '%s' is declared by both function '%s' and function '%s'; "
        "'%s', declared last, handles it (as on AWS). Keep the route on one function.",
        at.file, at.path, later.route_key, earlier.function, later.function, later.function,
    )  # fmt: skip
    return later.model_copy(update={"two_way": earlier.two_way or later.two_way})


def _websocket(
    value: Any, function: str, functions: Mapping[str, Function], at: _Where
) -> WebsocketRoute:
    if isinstance(value, str):
        raw = RawWebsocket(route=value)
    elif isinstance(value, dict):
        raw = validate_model(RawWebsocket, value, file=at.file, path=at.path)
    else:
        raise at.error(
            "must be a route key or a mapping with 'route'",
            "Write it as '- websocket: $connect' or '- websocket: {route: hello}'.",
        )
    if raw.route and raw.route_key and raw.route != raw.route_key:
        raise at.error(
            f"has both route '{raw.route}' and routeKey '{raw.route_key}'",
            "Keep only 'route' (routeKey is the old serverless-websockets-plugin spelling).",
        )
    route_key = raw.route or raw.route_key
    if not route_key:
        raise at.error("has no route", "Add route: $connect, $disconnect, $default or a name.")
    authorizer = None
    if raw.authorizer is not None:
        if route_key != "$connect":
            raise at.error(
                f"an authorizer is only allowed on the $connect route, not on '{route_key}'",
                "Move the authorizer to the '- websocket: {route: $connect, authorizer: ...}' "
                "event; API Gateway authorizes a connection once, when it opens.",
                "authorizer",
            )
        authorizer = _authorizer(
            raw.authorizer, functions, _Where(at.file, f"{at.path}.authorizer")
        )
    return WebsocketRoute(
        route_key=route_key,
        function=function,
        two_way=raw.route_response_selection_expression == "$default",
        authorizer=authorizer,
    )


def _authorizer(value: Any, functions: Mapping[str, Function], at: _Where) -> Authorizer:
    if isinstance(value, str):
        if ":" in value:  # an ARN (SLS validate.js): the name is its last segment
            return Authorizer(
                name=value.split(":")[-1], function=_function_for_arn(value, functions), arn=value
            )
        return Authorizer(name=value, function=_known_function(value, functions, at))
    if not isinstance(value, dict):
        raise at.error(
            "must be a function key, an ARN, or a mapping with 'name' or 'arn'",
            "Write it as 'authorizer: auth' or 'authorizer: {name: auth}'.",
        )
    raw = validate_model(RawAuthorizer, value, file=at.file, path=at.path)
    if raw.arn is None and not raw.name:
        raise at.error(
            "needs a name (a function of this service) or an arn",
            "Add name: <function key> or arn: arn:aws:lambda:...",
        )
    identity = _identity_source(raw.identity_source, at)
    if raw.arn is not None:
        if isinstance(raw.arn, str):
            name = raw.arn.split(":")[-1]
        elif not raw.name:
            raise at.error(
                "an arn given as a CloudFormation function needs a name too",
                "Add name: <authorizer name> next to arn.",
                "arn",
            )
        else:
            name = raw.name
        function = _function_for_arn(raw.arn, functions)
        return Authorizer(name=name, function=function, arn=raw.arn, identity_source=identity)
    assert raw.name is not None
    function = _known_function(raw.name, functions, at.child("name"))
    return Authorizer(name=raw.name, function=function, identity_source=identity)


def _known_function(key: str, functions: Mapping[str, Function], at: _Where) -> str:
    if key not in functions:
        known = ", ".join(functions) or "none"
        raise at.error(
            f"the authorizer function '{key}' is not a function of this service",
            f"Use one of: {known}; or give the authorizer's arn for a function elsewhere.",
        )
    return key


def _function_for_arn(arn: Any, functions: Mapping[str, Function]) -> str | None:
    """The function of this service an ARN (or Fn::GetAtt [XLambdaFunction, Arn]) points at."""
    if isinstance(arn, str):
        parts = arn.split(":")  # arn:aws:lambda:region:account:function:NAME[:qualifier]
        name = parts[6] if len(parts) > 6 and parts[5] == "function" else None
        return next((key for key, fn in functions.items() if fn.name == name), None)
    if isinstance(arn, dict) and isinstance(arn.get("Fn::GetAtt"), list):
        logical_id = arn["Fn::GetAtt"][0] if arn["Fn::GetAtt"] else None
        return next((key for key, fn in functions.items() if fn.logical_id == logical_id), None)
    return None


def _identity_source(value: Any, at: _Where) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_IDENTITY_SOURCE
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise at.error(
            "must be a string or a list of strings",
            "Write it as identitySource: [route.request.header.Auth].",
            "identitySource",
        )
    for index, item in enumerate(items):
        if not item.startswith(_IDENTITY_PREFIXES) or item.endswith("."):
            raise at.error(
                f"'{item}' is not an identity source API Gateway accepts",
                "Use route.request.header.<Name>, route.request.querystring.<name>, "
                "stageVariables.<name> or context.<name>.",
                "identitySource",
                *([index] if not isinstance(value, str) else []),
            )
    return tuple(items)


# -- httpApi / http -----------------------------------------------------------------------


def _http(
    value: Any, function: str, kind: str, default_payload: Literal["1.0", "2.0"], at: _Where
) -> HttpRoute:
    payload: Literal["1.0", "2.0"] = default_payload if kind == "httpApi" else "1.0"
    if isinstance(value, str):
        method, path = _split_route(value, kind, at)
    elif isinstance(value, dict):
        raw = validate_model(RawHttpEvent, value, file=at.file, path=at.path)
        if raw.path is None:
            raise at.error("has no path", "Add path: /my/path.", "path")
        if raw.method is None and kind == "http":
            raise at.error("has no method", "Add method: get (or post, any, ...).", "method")
        method, path = raw.method or "*", raw.path
        if kind == "httpApi" and raw.payload:
            payload = raw.payload
    else:
        raise at.error(
            "must be 'METHOD /path' or a mapping with method and path",
            "Write it as 'GET /items' or {method: get, path: /items}.",
        )
    method = method.upper()
    if method not in _HTTP_METHODS:
        allowed = ", ".join(sorted(_HTTP_METHODS - {"*"}))
        raise at.error(f"'{method}' is not an HTTP method", f"Use one of {allowed}, or *.")
    method = "*" if method == "ANY" else method
    if path != "*" and not path.startswith("/"):
        path = "/" + path
    return HttpRoute(
        kind=kind,  # type: ignore[arg-type]
        method=method,
        path=path,
        function=function,
        payload_version=payload,
    )


def _split_route(value: str, kind: str, at: _Where) -> tuple[str, str]:
    text = value.strip()
    if text == "*" and kind == "httpApi":
        return "*", "*"
    parts = text.split()
    if len(parts) != 2:
        example = "'GET /items' or '*'" if kind == "httpApi" else "'get items'"
        raise at.error(f"'{value}' is not 'METHOD path'", f"Write it as {example}.")
    return parts[0], parts[1]
