"""Shared helpers of the HTTP API tests: an in-process Invoke and service builders."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sockgate.invocation import InvocationResult
from sockgate.service.model import Function, HttpRoute, Service

Handler = Callable[[dict[str, Any], Any], Any]


class InProcessInvoke:
    """An Invoke that calls Python functions here, with Lambda's JSON round trip both ways.

    Not a mock of the runtime: it is the smallest real Invoke, so these tests exercise the HTTP
    API alone; tests/httpapi/test_runtime.py runs the same routes through worker processes.
    """

    def __init__(self, handlers: dict[str, Handler]) -> None:
        self.handlers = handlers
        self.events: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, function_key: str, event: dict[str, Any]) -> InvocationResult:
        request_id = str(uuid.uuid4())
        event = json.loads(json.dumps(event))
        self.events.append((function_key, event))
        try:
            payload = json.loads(json.dumps(self.handlers[function_key](event, None)))
        except Exception as error:
            return InvocationResult(
                request_id,
                error={
                    "errorMessage": str(error),
                    "errorType": type(error).__name__,
                    "stackTrace": [],
                    "requestId": request_id,
                },
            )
        return InvocationResult(request_id, payload=payload)

    def last_event(self) -> dict[str, Any]:
        """The event of the most recent invocation."""
        assert self.events, "no function was invoked"
        return self.events[-1][1]


def make_service(directory: Path, routes: list[HttpRoute]) -> Service:
    """A service whose functions are exactly the ones the routes name."""
    functions = {
        route.function: Function(
            key=route.function,
            name=f"site-dev-{route.function}",
            handler=f"handler.{route.function}",
            runtime="python3.11",
        )
        for route in routes
    }
    return Service(
        name="site",
        directory=directory,
        config_file=directory / "serverless.yml",
        stage="dev",
        region="us-east-1",
        functions=functions,
        http_routes=tuple(routes),
    )


def route(
    kind: str, method: str, path: str, function: str, version: str | None = None
) -> HttpRoute:
    """An HttpRoute with the payload version its kind defaults to."""
    payload = version or ("2.0" if kind == "httpApi" else "1.0")
    return HttpRoute(
        kind=kind, method=method, path=path, function=function, payload_version=payload
    )


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answers with the event it received, as JSON."""
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(event),
    }
