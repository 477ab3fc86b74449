"""Helpers for the gateway tests: an in-process Invoke over plain Python handlers, services.

`LocalInvoke` runs each handler in a thread (as a worker would run it off the event loop),
round-trips events and results through JSON (as Lambda does), and turns exceptions and timeouts
into Lambda's error objects. It records every event per function so tests can await them.
"""

from __future__ import annotations

import asyncio
import json
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from sockgate.channel.botocore_hook import SEND_EVENT_NAME, answer_from_channel
from sockgate.channel.client import ChannelClient
from sockgate.invocation import InvocationResult
from sockgate.service.model import Authorizer, Function, Service, WebsocketRoute

Handler = Callable[[dict[str, Any], Any], Any]
WAIT = 5.0  # seconds any single expected event may take


def ok(_event: dict[str, Any], _context: Any) -> dict[str, Any]:
    """A handler that accepts."""
    return {"statusCode": 200}


class LocalInvoke:
    """Invoke = async (function_key, event) -> InvocationResult, over Python callables."""

    def __init__(self, handlers: dict[str, Handler], timeouts: dict[str, float]) -> None:
        self.handlers = handlers
        self.timeouts = timeouts
        self._queues: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self.counts: dict[str, int] = {}
        self.raise_invoker_error = False

    def _queue(self, key: str) -> asyncio.Queue[dict[str, Any]]:
        return self._queues.setdefault(key, asyncio.Queue())

    async def __call__(self, key: str, event: dict[str, Any]) -> InvocationResult:
        if self.raise_invoker_error:
            raise RuntimeError("worker pool is broken")
        event = json.loads(json.dumps(event))
        self.counts[key] = self.counts.get(key, 0) + 1
        self._queue(key).put_nowait(event)
        request_id = str(uuid.uuid4())
        timeout = self.timeouts.get(key, 6.0)
        try:
            payload = await asyncio.wait_for(
                asyncio.to_thread(self.handlers[key], event, None), timeout
            )
        except TimeoutError:
            message = f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds"
            return InvocationResult(
                request_id, error={"errorType": "Sandbox.Timedout", "errorMessage": message}
            )
        except Exception as exc:
            frames = traceback.extract_tb(exc.__traceback__)[1:]
            return InvocationResult(
                request_id,
                error={
                    "errorMessage": str(exc),
                    "errorType": type(exc).__name__,
                    "requestId": request_id,
                    "stackTrace": traceback.format_list(frames),
                },
            )
        return InvocationResult(request_id, payload=json.loads(json.dumps(payload)))

    async def next(self, key: str, timeout: float = WAIT) -> dict[str, Any]:
        """The next event `key` was invoked with (waits for it)."""
        return await asyncio.wait_for(self._queue(key).get(), timeout)

    def pending(self, key: str) -> int:
        """How many recorded events of `key` were not taken with next()."""
        return self._queue(key).qsize()


def make_service(
    routes: dict[str, str],
    *,
    two_way: Iterable[str] = (),
    authorizer: Authorizer | None = None,
    timeouts: dict[str, float] | None = None,
    extra_functions: Iterable[str] = (),
    expression: str = "$request.body.action",
) -> Service:
    """A Service with WebSocket routes {route_key: function_key}."""
    keys = set(routes.values()) | set(extra_functions)
    if authorizer is not None and authorizer.function:
        keys.add(authorizer.function)
    timeouts = timeouts or {}
    functions = {
        key: Function(
            key=key,
            name=f"svc-dev-{key}",
            handler=f"handler.{key}",
            runtime="python3.11",
            timeout=timeouts.get(key, 6.0),
        )
        for key in keys
    }
    two_way = set(two_way)
    ws_routes = tuple(
        WebsocketRoute(
            route_key=route,
            function=function,
            two_way=route in two_way,
            authorizer=authorizer if route == "$connect" else None,
        )
        for route, function in routes.items()
    )
    return Service(
        name="svc",
        directory=Path("."),
        config_file=Path("serverless.yml"),
        stage="dev",
        region="us-east-1",
        route_selection_expression=expression,
        functions=functions,
        websocket_routes=ws_routes,
    )


def management_client(endpoint_url: str) -> Any:
    """A real boto3 apigatewaymanagementapi client (dummy credentials, no retries)."""
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def through_channel(client: Any, socket_path: str | None) -> Any:
    """`client`, its requests answered over the gateway's local channel, as in a worker."""
    assert socket_path is not None
    client.meta.events.register(SEND_EVENT_NAME, answer_from_channel(ChannelClient(socket_path)))
    return client


class Gate:
    """A threading.Event a handler waits on, released from the test (bounded wait)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def wait(self) -> None:
        self._event.wait(WAIT * 2)

    def open(self) -> None:
        self._event.set()
