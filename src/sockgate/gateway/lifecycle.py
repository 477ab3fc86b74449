"""A connection's lifecycle as decisions: events in, actions out (pure; no sockets, no loop).

`Lifecycle` decides everything API Gateway decides about an open connection: which route a
message selects (or the Forbidden frame), when a connection is idle or too old, which close
code a client's close frame, a quota violation or a server-side close records for
`$disconnect`, and whether a PostToConnection may write. `session.Sessions` is the adapter that
feeds it what aiohttp reads and carries out what it returns; tests drive it directly with a
fake clock and fake ids, in microseconds (python-websockets' `protocol.py` is the model).

Events and what they return:

    message(conn, text)           Invoke(route, event, request_id) or Reply(forbidden frame)
    binary(conn)                  Closed(1003): close with that code
    close_frame(conn, code, why)  Closed: the code to record, the code to answer with
    violation(conn, code, what)   Closed: aiohttp has already sent the close frame
    lost(conn)                    Closed(1006): the TCP connection went without a close frame
    deadline(conn)                the clock time the connection's one timer is due
    tick(conn)                    Closed(1001) when idle or too old, else None (re-arm)
    close(conn, code, reason)     Closed for a server-side close (DELETE, shutdown), or None
    may_post(conn, ...)           raises GoneError / LimitExceededError like PostToConnection
    ended(conn)                   the (code, reason) its $disconnect reports

The Connection (connections.py) is the state; the core reads and writes only its plain fields
(times, close code and reason), never its socket.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sockgate.gateway import ids
from sockgate.gateway.connections import Connection
from sockgate.gateway.errors import GoneError, LimitExceededError
from sockgate.gateway.events import message_event
from sockgate.gateway.limits import (
    ABNORMAL,
    CLIENT_NO_STATUS,
    GOING_AWAY,
    close_reason,
    may_be_sent,
)
from sockgate.gateway.responses import forbidden_frame
from sockgate.gateway.routing import RouteTable
from sockgate.service.model import WebsocketRoute

__all__ = ["Closed", "Invoke", "Lifecycle", "Reply"]

# UNCONFIRMED: AWS answers 429 when "the client-side buffer is full"; its size is not published.
# PostToConnection answers 429 once the transport buffer holds more than this; it is also the
# transport's high-water mark, past which the gateway's own replies (two-way routes, Forbidden
# frames) wait for the client to read.
OUTBOUND_BUFFER_LIMIT = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Invoke:
    """Run `route`'s function with `event` (a two-way route's reply goes back to the client)."""

    route: WebsocketRoute
    event: dict[str, Any]
    request_id: str


@dataclass(frozen=True, slots=True)
class Reply:
    """Send this text frame to the client (the gateway's own answer, e.g. Forbidden)."""

    text: str
    problem: str | None = None  # a sentence for the operator's log


@dataclass(frozen=True, slots=True)
class Closed:
    """The connection is closing: `code`/`reason` are what $disconnect reports; `answer` and
    `answer_reason` the close frame to send (None when nothing more is to be sent, e.g. aiohttp
    has sent it); `problem` a sentence for the operator's log."""

    code: int
    reason: str
    answer: int | None = None
    answer_reason: str = ""
    problem: str | None = None


class Lifecycle:
    """The decisions for every connection of one WebSocket API."""

    __slots__ = ("_epoch_ms", "_idle", "_max", "_message_id", "_request_id", "_routes", "now")

    def __init__(
        self,
        routes: RouteTable,
        *,
        idle_timeout: float,
        max_duration: float,
        now: Callable[[], float],
        request_id: Callable[[], str] = ids.request_id,
        message_id: Callable[[], str] = ids.message_id,
        epoch_ms: Callable[[], int] = ids.epoch_ms,
    ) -> None:
        self._routes = routes
        self._idle = idle_timeout
        self._max = max_duration
        self.now = now  # the gateway clock: the loop's time, or a test's
        self._request_id = request_id
        self._message_id = message_id
        self._epoch_ms = epoch_ms

    # -- reading --------------------------------------------------------------------------

    def message(self, conn: Connection, text: str) -> Invoke | Reply:
        """A text message arrived: the route to invoke, or the Forbidden frame."""
        conn.last_active = self.now()
        route = self._routes.select(text)
        request_id = self._request_id()
        if route is None:
            return Reply(
                forbidden_frame(conn.connection_id, request_id),
                "no route matches and there is no $default route",
            )
        event = message_event(
            conn.ctx, route.route_key, text, request_id, self._message_id(), self._epoch_ms()
        )
        return Invoke(route, event, request_id)

    def binary(self, conn: Connection) -> Closed:
        """A binary message: API Gateway accepts text only (1003)."""
        return self._closing(conn, 1003, close_reason(1003), answer=1003)

    def close_frame(self, conn: Connection, code: int, reason: str) -> Closed:
        """The client's close frame (code 0: it carried none)."""
        if code and not may_be_sent(code):  # 1006, 5000, ...: RFC 6455 §7.4, never echoed
            problem = (
                f"the client's close frame carried code {code}, which RFC 6455 does not allow "
                "in a close frame"
            )
            reason = close_reason(1002)
            return self._closing(conn, 1002, reason, answer=1002, why=reason, problem=problem)
        recorded = (code, reason) if code else CLIENT_NO_STATUS
        return self._closing(conn, *recorded, answer=code if code else 1000)

    def violation(self, conn: Connection, code: int, description: str) -> Closed:
        """A quota or protocol violation aiohttp (or the frame guard) closed with `code`."""
        return self._closing(conn, code, close_reason(code), problem=description)

    def lost(self, conn: Connection) -> Closed:
        """The connection ended without a close handshake (or after ours)."""
        return self._closing(conn, *ABNORMAL)

    def ended(self, conn: Connection) -> tuple[int, str]:
        """What the connection's $disconnect reports (1006 unless a close was recorded)."""
        if conn.close_code is None:
            conn.close_code, conn.close_reason = ABNORMAL
        return conn.close_code, conn.close_reason

    # -- timers ---------------------------------------------------------------------------

    def deadline(self, conn: Connection) -> float:
        """When the connection's one timer is due: its idle timeout or its maximum duration."""
        return min(conn.last_active + self._idle, conn.connected_mono + self._max)

    def tick(self, conn: Connection) -> Closed | None:
        """The timer fired: close with 1001 when idle or too old; None to re-arm it."""
        if conn.close_code is not None:
            return None
        now = self.now()
        if now >= conn.connected_mono + self._max:
            why = "maximum duration reached"
        elif now >= conn.last_active + self._idle:
            why = "idle timeout"
        else:
            return None  # activity moved the deadline
        return self._closing(
            conn, *GOING_AWAY, answer=GOING_AWAY[0], why=GOING_AWAY[1], problem=why
        )

    # -- the management API ---------------------------------------------------------------

    def close(self, conn: Connection, code: int, reason: str) -> Closed | None:
        """A server-side close (DELETE, a test, shutdown); None if one is already under way."""
        if conn.close_code is not None:
            return None
        return self._closing(conn, code, reason, answer=code, why=reason)

    def may_post(self, conn: Connection, *, writable: bool, buffered: int) -> None:
        """Raise what PostToConnection answers when a frame cannot go out now.

        GoneError once the connection is closing (or its socket is: `writable` False);
        LimitExceededError (429) once `buffered` bytes wait for a client that stopped reading.
        """
        if conn.close_code is not None or not writable:
            raise GoneError(conn.connection_id)
        if buffered > OUTBOUND_BUFFER_LIMIT:
            raise LimitExceededError(conn.connection_id, "The client is not reading its messages")

    def sent(self, conn: Connection) -> None:
        """A data frame went to the client: activity for the idle timer."""
        conn.last_active = self.now()

    # -- helpers --------------------------------------------------------------------------

    @staticmethod
    def _closing(
        conn: Connection,
        code: int,
        reason: str,
        *,
        answer: int | None = None,
        why: str = "",
        problem: str | None = None,
    ) -> Closed:
        """Record the first close code the connection gets; later ones do not replace it."""
        if conn.close_code is None:
            conn.close_code, conn.close_reason = code, reason
        return Closed(conn.close_code, conn.close_reason, answer, why, problem)
