"""sockgate.events: the events a handler gets, for unit tests without a gateway."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sockgate import events
from sockgate.testing.service import ServiceUnderTest

PROBE = Path(__file__).parent / "probe"


def _shape(value: Any) -> Any:
    """Keys (in order) and value types, recursively: what must match between two events."""
    if isinstance(value, dict):
        return [(key, _shape(item)) for key, item in value.items()]
    return type(value).__name__


@pytest.fixture
def handlers(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The probe's handler module, imported as a unit test would import its own."""
    monkeypatch.setenv("TABLE_NAME", "notes-dev")
    monkeypatch.syspath_prepend(str(PROBE))
    sys.modules.pop("handlers", None)
    return importlib.import_module("handlers")


def test_message_event_has_the_gateways_shape(probe: ServiceUnderTest) -> None:
    with probe.connect() as ws:
        ws.send_json({"event": True})
        real = ws.receive_json()["event"]
    conn = events.connection(stage="dev", user_agent="any client that sends one")
    built = events.message({"event": True}, conn)
    assert _shape(built) == _shape(real)


def test_a_handler_without_a_gateway(handlers: ModuleType) -> None:
    conn = events.connection()
    refused = handlers.connect(events.connect(conn, query={"deny": "401"}), events.lambda_context())
    assert refused["statusCode"] == 401
    assert handlers.connect(events.connect(conn), events.lambda_context())["statusCode"] == 200


def test_disconnect_and_stream_events() -> None:
    conn = events.connection()
    event = events.disconnect(conn, status_code=1000, reason="bye")
    context = event["requestContext"]
    assert (context["eventType"], context["disconnectStatusCode"]) == ("DISCONNECT", 1000)
    assert context["connectionId"] == conn.connection_id
    record = events.stream_record("INSERT", keys={"id": "a"}, new_image={"id": "a", "n": 2})
    assert record["dynamodb"]["NewImage"] == {"id": {"S": "a"}, "n": {"N": "2"}}
    assert events.stream_event(record)["Records"][0]["eventSourceARN"].endswith(
        "/stream/2024-01-01T00:00:00.000"
    )


def test_http_event_and_context() -> None:
    event = events.http_request("GET", "/pages/7", route="/pages/{id}", path_parameters={"id": "7"})
    assert event["routeKey"] == "GET /pages/{id}"
    assert event["pathParameters"] == {"id": "7"}
    context = events.lambda_context("web", timeout=3)
    assert 0 < context.get_remaining_time_in_millis() <= 3000
    assert context.invoked_function_arn.endswith(":function:web")
