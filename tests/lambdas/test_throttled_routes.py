"""A throttled function behind a WebSocket route: API Gateway's integration failure answer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

PROBE = Path(__file__).parents[1] / "testing" / "probe"


def test_a_throttled_route_answers_internal_server_error(
    sockgate_service: Callable[..., Any],
) -> None:
    # reservedConcurrency 0: Lambda refuses the invocation (429), and API Gateway answers the
    # client as for any integration failure.
    svc = sockgate_service(PROBE, functions={"default": {"reserved_concurrency": 0}})
    with svc.connect() as ws:
        ws.send_json({"say": "hi"})
        reply = ws.receive_json()
    assert reply["message"] == "Internal server error"
    assert set(reply) == {"message", "connectionId", "requestId"}
