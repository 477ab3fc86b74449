"""Route matching: API Gateway's precedence, path variables and the $default catch-all."""

from __future__ import annotations

import pytest

from sockgate.httpapi.routing import Router
from sockgate.service.model import HttpRoute


def route(kind: str, method: str, path: str, function: str) -> HttpRoute:
    version = "2.0" if kind == "httpApi" else "1.0"
    return HttpRoute(
        kind=kind, method=method, path=path, function=function, payload_version=version
    )


ROUTES = [
    route("httpApi", "GET", "/pets/dog/1", "exact"),
    route("httpApi", "GET", "/pets/dog/{id}", "dog"),
    route("httpApi", "GET", "/pets/{proxy+}", "pets"),
    route("httpApi", "*", "/{proxy+}", "anything"),
    route("httpApi", "POST", "/pets/dog/{id}", "post_dog"),
    route("httpApi", "*", "/pets/dog/{id}", "any_dog"),
    route("httpApi", "GET", "/", "root"),
]


@pytest.mark.parametrize(
    ("method", "path", "function", "route_key", "params"),
    [
        ("GET", "/pets/dog/1", "exact", "GET /pets/dog/1", {}),
        ("GET", "/pets/dog/2", "dog", "GET /pets/dog/{id}", {"id": "2"}),
        ("POST", "/pets/dog/2", "post_dog", "POST /pets/dog/{id}", {"id": "2"}),
        ("DELETE", "/pets/dog/2", "any_dog", "ANY /pets/dog/{id}", {"id": "2"}),
        ("GET", "/pets/cat/1", "pets", "GET /pets/{proxy+}", {"proxy": "cat/1"}),
        ("POST", "/pets/cat/1", "anything", "ANY /{proxy+}", {"proxy": "pets/cat/1"}),
        ("GET", "/", "root", "GET /", {}),
        ("GET", "/a%20b", "anything", "ANY /{proxy+}", {"proxy": "a b"}),
    ],
)
def test_most_specific_route_wins(
    method: str, path: str, function: str, route_key: str, params: dict[str, str]
) -> None:
    match = Router(ROUTES).match(method, path)
    assert match is not None
    assert (match.route.function, match.route_key, match.path_parameters) == (
        function,
        route_key,
        params,
    )


def test_variables_need_a_non_empty_segment() -> None:
    router = Router([route("httpApi", "GET", "/items/{id}", "item")])
    assert router.match("GET", "/items/") is None
    assert router.match("GET", "/items") is None
    assert router.match("GET", "/items/1/2") is None


def test_greedy_variable_does_not_match_the_bare_prefix() -> None:
    router = Router([route("httpApi", "GET", "/files/{proxy+}", "files")])
    assert router.match("GET", "/files") is None
    assert router.match("GET", "/files/") is None
    match = router.match("GET", "/files/a/b.txt")
    assert match is not None and match.path_parameters == {"proxy": "a/b.txt"}


def test_default_route_catches_the_rest() -> None:
    router = Router([route("httpApi", "GET", "/", "root"), route("httpApi", "*", "*", "fallback")])
    match = router.match("PUT", "/nowhere")
    assert match is not None
    assert (match.route.function, match.route_key, match.resource) == (
        "fallback",
        "$default",
        "$default",
    )


def test_method_must_match() -> None:
    router = Router([route("httpApi", "GET", "/", "root")])
    assert router.match("POST", "/") is None
    assert router.match("get", "/") is not None


def test_http_paths_without_leading_slash_are_normalised() -> None:
    router = Router([route("http", "GET", "hello/{name}", "hello")])
    match = router.match("GET", "/hello/ann")
    assert match is not None
    assert match.resource == "/hello/{name}"
    assert match.route_key == "GET /hello/{name}"


def test_empty_router_is_falsy() -> None:
    assert not Router([])
    assert Router([route("httpApi", "GET", "/", "root")])
