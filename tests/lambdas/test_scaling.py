"""The pool's decisions (scaling.py), from numbers alone: no processes, no clock."""

from __future__ import annotations

from sockgate.lambdas import scaling
from sockgate.lambdas.scaling import Load, Start


def load(**fields: object) -> Load:
    base: dict[str, object] = {
        "now": 100.0,
        "workers": 2,
        "waiting": 1,
        "running_since": (99.99, 99.99),
        "limit": 8,
        "free_workers": 2,
        "init_s": 0.2,
        "duration_s": 0.01,
    }
    base.update(fields)
    return Load(**base)  # type: ignore[arg-type]


def test_throttle_at_the_reservation() -> None:
    args = {"unreserved_in_flight": 0, "unreserved_capacity": 1000}
    assert scaling.throttle(in_flight=0, reserved=0, **args) == scaling.RESERVED
    assert scaling.throttle(in_flight=1, reserved=2, **args) is None
    assert scaling.throttle(in_flight=2, reserved=2, **args) == scaling.RESERVED


def test_unreserved_functions_share_what_the_account_has_left() -> None:
    assert (
        scaling.throttle(
            in_flight=0, reserved=None, unreserved_in_flight=899, unreserved_capacity=900
        )
        is None
    )
    assert (
        scaling.throttle(
            in_flight=0, reserved=None, unreserved_in_flight=900, unreserved_capacity=900
        )
        == scaling.ACCOUNT
    )
    # A reservation is the function's own, whatever the account's other functions use.
    assert (
        scaling.throttle(in_flight=0, reserved=5, unreserved_in_flight=900, unreserved_capacity=900)
        is None
    )


def test_start_nothing_without_waiters_at_the_limit_or_while_starting() -> None:
    assert scaling.start(load(waiting=0)) == Start()
    assert scaling.start(load(workers=8)) == Start()
    assert scaling.start(load(starting=True)) == Start()


def test_start_at_once_below_one_per_core_or_with_nothing_running() -> None:
    assert scaling.start(load(workers=1)) == Start(now=True)
    assert scaling.start(load(workers=4, running_since=())) == Start(now=True)


def test_beyond_one_per_core_start_only_when_waiting_costs_more_than_a_start() -> None:
    # 1 waiter x 10 ms / 2 busy = 5 ms of queue, the oldest running for 10 ms: a start (200
    # ms) is due once the oldest has run for 200 ms.
    decision = scaling.start(load())
    assert not decision.now and decision.at is not None
    assert abs(decision.at - (99.99 + 0.2)) < 1e-9
    # A long queue: 100 waiters x 10 ms / 2 = 500 ms > 200 ms.
    assert scaling.start(load(waiting=100)) == Start(now=True)
    # A handler blocked for longer than a start.
    assert scaling.start(load(running_since=(99.0, 99.99))) == Start(now=True)


def test_reclaim_the_longest_idle_keeping_one_warm() -> None:
    # Idle since 0, 10 and 50; idle time 30 s; 3 workers.
    assert scaling.reclaim([0.0, 10.0, 50.0], now=20.0, idle_s=30.0, workers=3) == (0, 30.0)
    assert scaling.reclaim([0.0, 10.0, 50.0], now=45.0, idle_s=30.0, workers=3) == (2, None)
    # With a fourth worker busy, the third idle one is due at 50 + 30.
    assert scaling.reclaim([0.0, 10.0, 50.0], now=45.0, idle_s=30.0, workers=4) == (2, 80.0)
    # All idle long enough: one stays warm, and nothing more is due.
    assert scaling.reclaim([0.0, 10.0, 50.0], now=500.0, idle_s=30.0, workers=3) == (2, None)
    # A busy worker counts as the warm one: every idle worker may go.
    assert scaling.reclaim([0.0, 10.0], now=500.0, idle_s=30.0, workers=3) == (2, None)
    assert scaling.reclaim([], now=500.0, idle_s=30.0, workers=1) == (0, None)
