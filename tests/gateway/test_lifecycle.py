"""The connection lifecycle's decisions with a fake clock and fake ids: no sockets, no loop."""

from __future__ import annotations

import itertools

import pytest

from sockgate.gateway.connections import Connection
from sockgate.gateway.errors import GoneError, LimitExceededError
from sockgate.gateway.events import ConnectionContext
from sockgate.gateway.lifecycle import OUTBOUND_BUFFER_LIMIT, Closed, Invoke, Lifecycle, Reply
from sockgate.gateway.routing import RouteTable
from sockgate.service.model import WebsocketRoute

IDLE = 600.0
MAX = 7200.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def lifecycle(clock: FakeClock, *, default: bool = True) -> Lifecycle:
    routes = [WebsocketRoute(route_key="chat", function="chatFn", two_way=True)]
    if default:
        routes.append(WebsocketRoute(route_key="$default", function="defaultFn"))
    counter = itertools.count(1)
    return Lifecycle(
        RouteTable(routes, "$request.body.action"),
        idle_timeout=IDLE,
        max_duration=MAX,
        now=clock,
        request_id=lambda: f"req{next(counter)}=",
        message_id=lambda: "msg=",
        epoch_ms=lambda: 1_700_000_000_000,
    )


def connection(clock: FakeClock) -> Connection:
    ctx = ConnectionContext("conn0000000000A=", 1_700_000_000_000, "localhost", "dev", "abc")
    return Connection(ctx, ws=None, transport=None, connected_mono=clock(), last_active=clock())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_a_message_selects_its_route_with_injected_ids(clock: FakeClock) -> None:
    core, conn = lifecycle(clock), connection(clock)
    clock.now += 5
    action = core.message(conn, '{"action": "chat"}')
    assert isinstance(action, Invoke)
    assert (action.route.route_key, action.request_id) == ("chat", "req1=")
    context = action.event["requestContext"]
    assert (context["routeKey"], context["messageId"], context["requestId"]) == (
        "chat",
        "msg=",
        "req1=",
    )
    assert conn.last_active == clock.now


def test_no_route_and_no_default_is_the_forbidden_frame(clock: FakeClock) -> None:
    core, conn = lifecycle(clock, default=False), connection(clock)
    action = core.message(conn, "not json")
    assert action == Reply(
        '{"message": "Forbidden", "connectionId":"conn0000000000A=", "requestId":"req1="}',
        "no route matches and there is no $default route",
    )


@pytest.mark.parametrize(
    ("code", "reason", "recorded", "answer"),
    [
        (1000, "bye", (1000, "bye"), 1000),
        (4001, "custom", (4001, "custom"), 4001),
        (0, "", (1005, "Client-side close frame status not set"), 1000),
        (1006, "", (1002, "Protocol error"), 1002),
        (1015, "", (1002, "Protocol error"), 1002),
        (5000, "", (1002, "Protocol error"), 1002),
        (2999, "", (1002, "Protocol error"), 1002),
    ],
)
def test_client_close_frames(
    clock: FakeClock, code: int, reason: str, recorded: tuple[int, str], answer: int
) -> None:
    core, conn = lifecycle(clock), connection(clock)
    closed = core.close_frame(conn, code, reason)
    assert (closed.code, closed.reason, closed.answer) == (*recorded, answer)
    assert core.ended(conn) == recorded


def test_binary_violation_and_loss(clock: FakeClock) -> None:
    core = lifecycle(clock)
    assert core.binary(connection(clock)) == Closed(1003, "Unsupported data", 1003)
    violated = core.violation(connection(clock), 1009, "a 40000-byte frame")
    assert violated == Closed(1009, "Message too big", None, "", "a 40000-byte frame")
    lost = connection(clock)
    assert core.lost(lost) == Closed(1006, "Connection Closed Abnormally")
    assert core.ended(connection(clock)) == (1006, "Connection Closed Abnormally")


def test_the_first_close_is_the_one_disconnect_reports(clock: FakeClock) -> None:
    core, conn = lifecycle(clock), connection(clock)
    deleted = core.close(conn, 1000, "Connection Closed Normally")
    assert deleted == Closed(1000, "Connection Closed Normally", 1000, "Connection Closed Normally")
    assert core.close(conn, 1001, "Going away") is None  # already closing
    assert core.close_frame(conn, 4000, "late").code == 1000
    assert core.ended(conn) == (1000, "Connection Closed Normally")


def test_idle_timeout(clock: FakeClock) -> None:
    core, conn = lifecycle(clock), connection(clock)
    assert core.deadline(conn) == clock.now + IDLE
    clock.now += IDLE - 0.001
    assert core.tick(conn) is None
    clock.now += 0.001
    closed = core.tick(conn)
    assert closed == Closed(1001, "Going away", 1001, "Going away", "idle timeout")


def test_activity_moves_the_idle_deadline_but_not_the_maximum(clock: FakeClock) -> None:
    core, conn = lifecycle(clock), connection(clock)
    opened = clock.now
    for _ in range(17):  # a message every 400 s keeps it open past 600 s ...
        clock.now += 400
        assert core.tick(conn) is None
        core.message(conn, '{"action": "chat"}')
        assert core.deadline(conn) == min(clock.now + IDLE, opened + MAX)
    clock.now = opened + MAX  # ... until the 2-hour limit, whatever the traffic
    closed = core.tick(conn)
    assert closed is not None and closed.code == 1001
    assert closed.problem == "maximum duration reached"


def test_posted_frames_count_as_activity(clock: FakeClock) -> None:
    core, conn = lifecycle(clock), connection(clock)
    clock.now += 500
    core.sent(conn)
    clock.now += 500
    assert core.tick(conn) is None
    assert core.deadline(conn) == clock.now - 500 + IDLE


def test_may_post(clock: FakeClock) -> None:
    core, conn = lifecycle(clock), connection(clock)
    core.may_post(conn, writable=True, buffered=OUTBOUND_BUFFER_LIMIT)
    with pytest.raises(LimitExceededError):
        core.may_post(conn, writable=True, buffered=OUTBOUND_BUFFER_LIMIT + 1)
    with pytest.raises(GoneError):
        core.may_post(conn, writable=False, buffered=0)
    core.close(conn, 1000, "Connection Closed Normally")
    with pytest.raises(GoneError):
        core.may_post(conn, writable=True, buffered=0)
