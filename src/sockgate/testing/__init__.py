"""Testing a service: the pytest plugin (`sockgate_service`), its clients and clock, and
`sockgate dev` as a child process (DevProcess). Imported lazily: the plugin loads in every
pytest run and costs nothing until a test uses it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sockgate.testing.process import DevProcess, ServiceUrls

if TYPE_CHECKING:
    from sockgate.testing.clients import (
        AsyncWebSocketClient,
        ClosedError,
        HandshakeRefused,
        WebSocketClient,
    )
    from sockgate.testing.clock import TestClock
    from sockgate.testing.service import ServiceUnderTest

__all__ = [
    "AsyncWebSocketClient",
    "ClosedError",
    "DevProcess",
    "HandshakeRefused",
    "ServiceUnderTest",
    "ServiceUrls",
    "TestClock",
    "WebSocketClient",
]

_LAZY = {
    "AsyncWebSocketClient": "sockgate.testing.clients",
    "ClosedError": "sockgate.testing.clients",
    "HandshakeRefused": "sockgate.testing.clients",
    "WebSocketClient": "sockgate.testing.clients",
    "TestClock": "sockgate.testing.clock",
    "ServiceUnderTest": "sockgate.testing.service",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
