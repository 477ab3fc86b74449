"""A worker pool's decisions, as numbers in and decisions out (pure: no processes, no clock).

`WorkerPool` (pool.py) asks three questions and acts on the answers:

- `throttle`: may this invocation run at all? Lambda answers 429 TooManyRequestsException when
  a function's invocations in flight reach its reserved concurrency, or when the functions
  without a reservation reach what the account has left for them (the account limit, 1,000 by
  default, minus every reservation).
- `start`: should one more worker start now, later (when), or not at all? While invocations
  wait, up to one worker per core starts freely; beyond that only when the queue would take
  longer to drain than a start takes. Lambda starts an environment per concurrent invocation;
  on one machine a burst of eight interpreters importing boto3 makes every caller wait for all
  of them, while queueing a few milliseconds behind a warm worker costs nothing.
- `reclaim`: which idle workers has the pool kept long enough? Lambda reclaims an idle
  execution environment after some minutes; the pool keeps one worker warm and reclaims the
  others once idle that long, and the next burst pays the cold start again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ACCOUNT_CONCURRENCY",
    "IDLE_TIMEOUT_S",
    "Load",
    "Start",
    "reclaim",
    "start",
    "throttle",
]

# Lambda's default account concurrency quota per Region (Lambda quotas page).
ACCOUNT_CONCURRENCY = 1000
# How long a worker may stay idle before it is reclaimed (Lambda does not document its own
# figure; environments are observed to live from about 5 to 15 minutes without traffic).
IDLE_TIMEOUT_S = 300.0

# The throttle reasons of Lambda's TooManyRequestsException (API reference, Invoke, Errors).
RESERVED = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT = "ConcurrentInvocationLimitExceeded"


def throttle(
    *,
    in_flight: int,
    reserved: int | None,
    unreserved_in_flight: int,
    unreserved_capacity: int,
) -> str | None:
    """The reason one more invocation is throttled, or None if it may run.

    `in_flight` counts the function's invocations running or waiting for a worker;
    `unreserved_in_flight` those of every function without reserved concurrency, and
    `unreserved_capacity` the account limit minus every reservation.
    """
    if reserved is not None:
        return RESERVED if in_flight >= reserved else None
    return ACCOUNT if unreserved_in_flight >= unreserved_capacity else None


@dataclass(frozen=True, slots=True)
class Load:
    """What a pool knows when it considers starting a worker."""

    now: float
    workers: int  # alive or starting
    waiting: int  # invocations waiting for a worker
    running_since: Sequence[float]  # when each running invocation got its worker
    limit: int  # at most this many workers
    free_workers: int  # started without weighing the cost (one per core)
    init_s: float  # recent init duration
    duration_s: float  # recent handler duration
    starting: bool = False  # a start is under way (one at a time)


@dataclass(frozen=True, slots=True)
class Start:
    """Start a worker now (`now`), or look again at `at` (a clock value), or neither."""

    now: bool = False
    at: float | None = None


def start(load: Load) -> Start:
    """Whether a worker should start for the invocations waiting."""
    if not load.waiting or load.starting or load.workers >= load.limit:
        return Start()
    running = len(load.running_since)
    if not running or load.workers < load.free_workers:
        return Start(now=True)
    # The queue drains at one handler duration per busy worker; an invocation older than a
    # start (a handler that blocks, or waits for another invocation) means the next waiter
    # waits longer than a start would take.
    queue_s = load.waiting * load.duration_s / running
    oldest_s = load.now - min(load.running_since)
    due_in = load.init_s - max(queue_s, oldest_s)
    if due_in <= 0:
        return Start(now=True)
    return Start(at=load.now + due_in)


def reclaim(
    idle_since: Sequence[float], *, now: float, idle_s: float, workers: int, keep: int = 1
) -> tuple[int, float | None]:
    """How many of the longest-idle workers to reclaim now, and when to look again.

    `idle_since` holds when each idle worker became idle, oldest first; `workers` counts every
    worker (busy ones too); at least `keep` stay. The second value is the clock value at which
    the next idle worker will have been idle `idle_s`, or None when none will be reclaimed.
    """
    count = 0
    for since in idle_since:
        if workers - count <= keep:
            return count, None
        if now - since < idle_s:
            return count, since + idle_s
        count += 1
    return count, None
