"""The gateway internals the pytest plugin reaches, in one place.

The gateway has no public API yet for "close this connection with any code" or "wait until the
closes in progress have run their $disconnect"; these helpers read its registry and task sets.
tests/testing/ exercises every one of them, so a change inside the gateway fails there first.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sockgate.gateway.limits import GOING_AWAY

__all__ = ["busy", "close", "close_all", "connection_id_at", "connection_ids", "settle"]

_POLL = 0.002  # seconds between looks while settle() waits for handler tasks to end


def connection_ids(gateway: Any) -> list[str]:
    """The ids of the open connections."""
    return [conn.connection_id for conn in gateway._registry]


def connection_id_at(gateway: Any, port: int) -> str | None:
    """The id of the open connection whose client uses local `port`, or None."""
    for conn in gateway._registry:
        peer = conn.transport.get_extra_info("peername") if conn.transport else None
        if peer and peer[1] == port:
            return str(conn.connection_id)
    return None


def close(gateway: Any, connection_id: str, code: int, reason: str) -> None:
    """Close a connection as API Gateway would (close frame, then $disconnect); GoneError if
    it is not open."""
    gateway._sessions.close_connection(gateway._registry.get(connection_id), code, reason)


def close_all(gateway: Any) -> int:
    """Close every open connection with 1001 Going away; how many there were."""
    conns = list(gateway._registry)
    for conn in conns:
        gateway._sessions.close_connection(conn, *GOING_AWAY)
    return len(conns)


def busy(gateway: Any) -> int:
    """Gateway tasks that will invoke a function: messages, closes, $disconnects."""
    sessions = gateway._sessions
    return len(sessions._messages) + len(sessions._closers) + len(sessions._disconnects)


async def settle(gateway: Any, timeout: float) -> None:
    """Wait until every close in progress has ended and its $disconnect has run."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    sessions = gateway._sessions
    await sessions._closers.wait(timeout)
    # A closed connection's handler task spawns its $disconnect, then ends; open connections
    # and handshakes in progress keep theirs.
    while len(sessions._handlers) > len(gateway._registry) and loop.time() < deadline:
        await asyncio.sleep(_POLL)
    await sessions._disconnects.wait(max(0.0, deadline - loop.time()))
