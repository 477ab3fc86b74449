"""`httpApi` (payload 2.0) and `http` (REST, payload 1.0) events."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sockgate.errors import ConfigError
from sockgate.service import HttpRoute, Service

HEAD = "service: chat\nprovider: {name: aws}\nfunctions:\n"


def with_events(events: str, provider: str = "{name: aws}") -> str:
    return (
        f"service: chat\nprovider: {provider}\nfunctions:\n"
        f"  api:\n    handler: handler.handler\n    events:\n{events}\n"
    )


def test_http_api_and_rest_forms(load: Callable[..., Service]) -> None:
    service = load(
        with_events(
            """\
      - httpApi: 'GET /items'
      - httpApi: '*'
      - httpApi: {method: post, path: '/items/{id}'}
      - httpApi: {path: pages}
      - httpApi: {method: any, path: /x, payload: '1.0'}
      - http: get users/create
      - http: {method: ANY, path: '/{proxy+}', cors: true}
      - http: 'post /'"""
        )
    )

    def route(kind: str, method: str, path: str, payload: str) -> HttpRoute:
        return HttpRoute(
            kind=kind, method=method, path=path, function="api", payload_version=payload
        )

    assert service.http_routes == (
        route("httpApi", "GET", "/items", "2.0"),
        route("httpApi", "*", "*", "2.0"),
        route("httpApi", "POST", "/items/{id}", "2.0"),
        route("httpApi", "*", "/pages", "2.0"),
        route("httpApi", "*", "/x", "1.0"),
        route("http", "GET", "/users/create", "1.0"),
        route("http", "*", "/{proxy+}", "1.0"),
        route("http", "POST", "/", "1.0"),
    )


def test_provider_http_api_payload(load: Callable[..., Service]) -> None:
    provider = "{name: aws, httpApi: {payload: '1.0'}}"
    service = load(with_events("      - httpApi: 'GET /a'", provider))
    assert service.http_routes[0].payload_version == "1.0"


def test_same_path_on_http_and_http_api_is_fine(load: Callable[..., Service]) -> None:
    service = load(with_events("      - httpApi: 'GET /a'\n      - http: 'get /a'"))
    assert len(service.http_routes) == 2


def test_duplicate_http_route_names_both_functions(
    load_error: Callable[..., ConfigError],
) -> None:
    error = load_error(
        HEAD
        + "  one:\n    handler: handler.handler\n    events:\n      - httpApi: 'GET /a'\n"
        + "  two:\n    handler: handler.handler\n    events:\n"
        + "      - httpApi: {method: get, path: /a}\n"
    )
    assert error.path == "functions.two.events[0].httpApi"
    assert "httpApi route 'GET /a' is declared by both function 'one' and function 'two'" in (
        error.message
    )


@pytest.mark.parametrize(
    ("events", "path", "message"),
    [
        ("      - httpApi: 'GET'", "functions.api.events[0].httpApi", "is not 'METHOD path'"),
        ("      - http: '*'", "functions.api.events[0].http", "is not 'METHOD path'"),
        ("      - httpApi: 'FETCH /a'", "functions.api.events[0].httpApi", "not an HTTP method"),
        ("      - httpApi: {method: get}", "functions.api.events[0].httpApi.path", "no path"),
        ("      - http: {path: /a}", "functions.api.events[0].http.method", "no method"),
        ("      - httpApi: 5", "functions.api.events[0].httpApi", "must be 'METHOD /path'"),
        (
            "      - httpApi: {path: /a, payload: '3.0'}",
            "functions.api.events[0].httpApi.payload",
            "must be one of '1.0' or '2.0'",
        ),
    ],
)
def test_http_errors(
    load_error: Callable[..., ConfigError], events: str, path: str, message: str
) -> None:
    error = load_error(with_events(events))
    assert error.path == path
    assert message in error.message


def test_bad_provider_payload(load_error: Callable[..., ConfigError]) -> None:
    error = load_error(with_events("      - httpApi: '*'", "{name: aws, httpApi: {payload: 3}}"))
    assert error.path == "provider.httpApi.payload"
