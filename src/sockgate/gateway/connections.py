"""The connection registry: every open connection by id, and what GetConnection reports.

A connection is in the registry from the moment its 101 is sent until its close begins (a close
frame arrives, DELETE, a timer, a quota, shutdown): from then on PostToConnection answers 410,
exactly as it does while `$connect` is still running.

Per-connection state is one slotted object (a few hundred bytes next to aiohttp's own), and the
gateway keeps no per-connection tasks of its own: one timer handle covers both the idle timeout
and the maximum duration.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sockgate.gateway.config import TimerHandle
from sockgate.gateway.errors import GoneError
from sockgate.gateway.events import ConnectionContext

if TYPE_CHECKING:  # the state is pure data; only the adapter (session.py) touches the I/O
    import asyncio

    from sockgate.gateway.wsresponse import GuardedWebSocketResponse

__all__ = ["Connection", "ConnectionInfo", "ConnectionRegistry", "iso8601"]


def iso8601(epoch_seconds: float) -> str:
    """ISO-8601 in UTC with milliseconds and Z, e.g. "2024-01-20T11:54:57.419Z"."""
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    """What GetConnection reports about one connection."""

    connection_id: str
    connected_at: float  # epoch seconds
    last_active_at: float  # epoch seconds: the last data frame in either direction
    source_ip: str
    user_agent: str | None

    def to_wire(self) -> dict[str, Any]:
        """The GetConnection response body.

        UNCONFIRMED: AWS marks identity.userAgent required; without a User-Agent header on the
        handshake we leave it out, matching requestContext.identity.
        """
        identity = {"sourceIp": self.source_ip}
        if self.user_agent is not None:
            identity["userAgent"] = self.user_agent
        return {
            "connectedAt": iso8601(self.connected_at),
            "identity": identity,
            "lastActiveAt": iso8601(self.last_active_at),
        }


@dataclass(slots=True, eq=False)
class Connection:
    """One open connection: its event context, its socket, its timers and its close state."""

    ctx: ConnectionContext
    ws: GuardedWebSocketResponse
    transport: asyncio.Transport | None  # PostToConnection writes here and reads its buffer size
    connected_mono: float  # the gateway clock's time at the 101
    last_active: float  # the gateway clock's time of the last data frame in either direction
    close_code: int | None = None  # set once, by whoever starts the close
    close_reason: str = ""
    timer: TimerHandle | None = None  # the idle / maximum-duration deadline
    inflight: int = 0  # message invocations running for this connection
    drained: asyncio.Future[None] | None = None  # set while the reader waits for inflight to fall
    closer: asyncio.Task[Any] | None = None  # a server-initiated close in progress

    @property
    def connection_id(self) -> str:
        """The connectionId."""
        return self.ctx.connection_id

    def info(self) -> ConnectionInfo:
        """The GetConnection view; wall times derived from the monotonic clock."""
        connected = self.ctx.connected_at / 1000
        identity = self.ctx.identity
        return ConnectionInfo(
            connection_id=self.ctx.connection_id,
            connected_at=connected,
            last_active_at=connected + max(0.0, self.last_active - self.connected_mono),
            source_ip=identity.get("sourceIp", ""),
            user_agent=identity.get("userAgent"),
        )


class ConnectionRegistry:
    """Open connections by connectionId."""

    __slots__ = ("_by_id",)

    def __init__(self) -> None:
        self._by_id: dict[str, Connection] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Connection]:
        return iter(list(self._by_id.values()))

    def add(self, connection: Connection) -> None:
        """Register an established connection."""
        self._by_id[connection.connection_id] = connection

    def discard(self, connection_id: str) -> Connection | None:
        """Forget a connection (its close has begun); returns it if it was registered."""
        return self._by_id.pop(connection_id, None)

    def find(self, connection_id: str) -> Connection | None:
        """The open connection with this id, or None."""
        return self._by_id.get(connection_id)

    def get(self, connection_id: str) -> Connection:
        """The open connection with this id; raises GoneError when there is none."""
        connection = self._by_id.get(connection_id)
        if connection is None:
            raise GoneError(connection_id)
        return connection
