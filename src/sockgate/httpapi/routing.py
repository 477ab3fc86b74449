"""Route matching for HTTP APIs and REST APIs (pure, no I/O).

API Gateway picks the most specific route: a literal segment beats a path variable, a path
variable beats a greedy `{name+}` variable, a method-specific route beats `ANY` on the same
resource, and the HTTP API's `$default` route catches what nothing else matched. Path variables
match one non-empty segment; a greedy variable matches one or more trailing segments. Values
handed to the handler are percent-decoded, as API Gateway decodes request parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote

from sockgate.service.model import HttpRoute

__all__ = ["RouteMatch", "Router", "normalise_path"]

_VARIABLE = re.compile(r"^\{([A-Za-z0-9_.\-]+)(\+?)\}$")


def normalise_path(path: str) -> str:
    """A route path with exactly one leading slash (`http` events may omit it)."""
    return "/" + path.lstrip("/")


@dataclass(frozen=True, slots=True)
class _Segment:
    literal: str | None  # None for a variable
    name: str = ""
    greedy: bool = False


@dataclass(frozen=True, slots=True)
class RouteMatch:
    """The route a request reached and what API Gateway tells the handler about it."""

    route: HttpRoute
    route_key: str  # "GET /pages/{id}", "ANY /{proxy+}" or "$default"
    resource: str  # the route's path template ("/pages/{id}"), "$default" for the catch-all
    path_parameters: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Compiled:
    route: HttpRoute
    method: str  # upper case, or "ANY"
    resource: str
    segments: tuple[_Segment, ...]
    catch_all: bool

    @property
    def route_key(self) -> str:
        return "$default" if self.catch_all else f"{self.method} {self.resource}"


def _compile(route: HttpRoute) -> _Compiled:
    method = "ANY" if route.method in ("*", "ANY") else route.method.upper()
    if route.path == "*":
        return _Compiled(route, method, "$default", (), catch_all=True)
    resource = normalise_path(route.path)
    segments: list[_Segment] = []
    parts = resource[1:].split("/") if resource != "/" else []
    for index, part in enumerate(parts):
        variable = _VARIABLE.match(part)
        if variable is None:
            segments.append(_Segment(literal=part))
            continue
        greedy = variable.group(2) == "+"
        if greedy and index != len(parts) - 1:
            # API Gateway refuses such a route at deploy time; never match it here either.
            segments.append(_Segment(literal=part))
            continue
        segments.append(_Segment(literal=None, name=variable.group(1), greedy=greedy))
    return _Compiled(route, method, resource, tuple(segments), catch_all=False)


def _match_segments(
    segments: tuple[_Segment, ...], parts: list[str]
) -> tuple[dict[str, str], tuple[int, ...]] | None:
    """Path parameters and a specificity rank (lower is more specific), or None."""
    params: dict[str, str] = {}
    rank: list[int] = []
    for index, segment in enumerate(segments):
        if segment.greedy:
            rest = parts[index:]
            if not rest or not rest[0]:
                return None
            params[segment.name] = unquote("/".join(rest))
            rank.append(2)
            return params, tuple(rank)
        if index >= len(parts):
            return None
        part = parts[index]
        if segment.literal is not None:
            if unquote(part) != segment.literal:
                return None
            rank.append(0)
        else:
            if not part:
                return None
            params[segment.name] = unquote(part)
            rank.append(1)
    if len(parts) != len(segments):
        return None
    return params, tuple(rank)


class Router:
    """Matches (method, raw path) against one API's routes."""

    def __init__(self, routes: Iterable[HttpRoute]) -> None:
        self._routes = [_compile(route) for route in routes]

    def __bool__(self) -> bool:
        return bool(self._routes)

    def match(self, method: str, raw_path: str) -> RouteMatch | None:
        """The most specific route for this request, or None when nothing matches."""
        method = method.upper()
        parts = raw_path[1:].split("/") if raw_path not in ("", "/") else []
        best: tuple[tuple[int, ...], int, _Compiled, dict[str, str]] | None = None
        catch_all: _Compiled | None = None
        for compiled in self._routes:
            if compiled.method not in ("ANY", method):
                continue
            if compiled.catch_all:
                if catch_all is None or catch_all.method == "ANY":
                    catch_all = compiled
                continue
            found = _match_segments(compiled.segments, parts)
            if found is None:
                continue
            params, rank = found
            # Literal-first ranking, then more literal segments, then GET-over-ANY.
            key = (_rank_key(rank), 1 if compiled.method == "ANY" else 0)
            if best is None or key < (best[0], best[1]):
                best = (key[0], key[1], compiled, params)
        if best is not None:
            compiled, params = best[2], best[3]
            return RouteMatch(compiled.route, compiled.route_key, compiled.resource, params)
        if catch_all is not None:
            return RouteMatch(catch_all.route, "$default", "$default", {})
        return None


def _rank_key(rank: tuple[int, ...]) -> tuple[int, ...]:
    # Greedy routes sort after every non-greedy one; among greedy routes a longer literal
    # prefix wins (/pets/{proxy+} before /{proxy+}).
    greedy = 1 if rank and rank[-1] == 2 else 0
    if greedy:
        return (1, -len(rank), *rank)
    return (0, *rank)
