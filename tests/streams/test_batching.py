"""Batch sizing and checkpoint positions, without I/O."""

from __future__ import annotations

import pytest

from sockgate.streams.batching import ShardProgress, batch_length, batch_ready


def test_batch_length_respects_the_limit_and_the_payload_size() -> None:
    assert batch_length([10] * 20, 5) == 5
    assert batch_length([10] * 3, 5) == 3
    assert batch_length([], 5) == 0
    assert batch_length([100, 100, 100], 10, max_bytes=250) == 2
    assert batch_length([1000, 1], 10, max_bytes=100) == 1  # never fewer than one


def test_batch_ready() -> None:
    common = {"first_arrival": 10.0, "now": 10.5, "flush": False}
    assert batch_ready(0, 10, window=0, **common) == float("inf")
    assert batch_ready(3, 10, window=0, **common) is None  # no window: send now
    assert batch_ready(10, 10, window=5, **common) is None  # full
    assert batch_ready(3, 10, window=5, **common) == pytest.approx(4.5)
    assert batch_ready(3, 10, window=0.5, **common) is None  # window passed
    assert batch_ready(3, 10, window=5, first_arrival=10.0, now=10.5, flush=True) is None


def test_in_order_acknowledgements_advance_the_checkpoint() -> None:
    progress = ShardProgress()
    for seq in ["1", "2", "3"]:
        assert progress.read(seq)
    assert progress.checkpoint is None and progress.pending == 3
    progress.ack(["1", "2"])
    assert progress.state == ("2", ())
    progress.ack(["3"])
    assert progress.state == ("3", ()) and progress.pending == 0


def test_out_of_order_acknowledgements_are_kept_beyond_the_checkpoint() -> None:
    progress = ShardProgress("10")
    for seq in ["11", "12", "13", "14"]:
        progress.read(seq)
    progress.ack(["12", "14"])
    assert progress.state == ("10", ("12", "14"))
    assert (progress.pending, progress.outstanding) == (2, 4)
    progress.ack(["11"])
    assert progress.state == ("12", ("14",))
    progress.ack(["13"])
    assert progress.state == ("14", ())


def test_a_restart_skips_records_acknowledged_beyond_the_checkpoint() -> None:
    progress = ShardProgress("10", acked=["12", "14"])
    delivered = [seq for seq in ["11", "12", "13", "14", "15"] if progress.read(seq)]
    assert delivered == ["11", "13", "15"]
    progress.ack(["11", "13"])
    assert progress.state == ("14", ())


def test_records_at_or_before_the_checkpoint_are_not_delivered_again() -> None:
    progress = ShardProgress("100")
    assert not progress.read("99")
    assert not progress.read("100")
    assert progress.read("101")
    assert not progress.read("101")  # the same record twice


def test_sequence_numbers_compare_numerically() -> None:
    progress = ShardProgress("9")
    assert progress.read("10")  # "10" < "9" as text, but later as a number


def test_acknowledging_unknown_or_repeated_records_is_harmless() -> None:
    progress = ShardProgress()
    progress.read("1")
    progress.ack(["7"])
    progress.ack(["1"])
    progress.ack(["1"])
    assert progress.state == ("1", ()) and progress.pending == 0
