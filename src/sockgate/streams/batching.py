"""Batch sizing and shard checkpoint positions (pure)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence

from sockgate.streams.records import sequence_sort_key

__all__ = ["MAX_PAYLOAD_BYTES", "ShardProgress", "batch_length", "batch_ready"]

# Lambda's synchronous invocation payload limit; a batch stops growing before it.
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
_ENVELOPE_BYTES = len('{"Records":[]}')


def batch_length(sizes: Sequence[int], limit: int, max_bytes: int = MAX_PAYLOAD_BYTES) -> int:
    """How many of the pending records (by payload size) form the next batch: at most `limit`,
    within `max_bytes`, and never fewer than one when any is pending."""
    total = _ENVELOPE_BYTES
    count = 0
    for size in sizes[:limit]:
        if count and total + size > max_bytes:
            break
        total += size
        count += 1
    return count


def batch_ready(
    pending: int,
    limit: int,
    *,
    first_arrival: float,
    window: float,
    now: float,
    flush: bool,
) -> float | None:
    """None when a batch should be invoked now, else the seconds to wait for more records.

    A batch goes out when it is full, when the batching window since its first record has
    passed, or when nothing more can arrive (`flush`: the shard ended or is being retried).
    """
    if pending <= 0:
        return float("inf")
    if pending >= limit or flush or window <= 0:
        return None
    remaining = first_arrival + window - now
    return None if remaining <= 0 else remaining


class ShardProgress:
    """Which records of one shard are acknowledged, and the checkpoint that follows.

    Records are read in sequence order and may be acknowledged out of order (filtered ones at
    once, concurrent lanes in any order). The checkpoint is the highest sequence number with
    every record up to it acknowledged; the acknowledged records beyond it are kept too, so a
    restart skips exactly those and re-delivers none that was acknowledged.
    """

    def __init__(self, checkpoint: str | None = None, acked: Iterable[str] = ()) -> None:
        self.checkpoint = checkpoint
        self._restored_acks = set(acked)
        self._outstanding: OrderedDict[str, bool] = OrderedDict()  # read, in order -> acked?
        self._pending = 0
        self.last_read: str | None = None

    def read(self, sequence: str) -> bool:
        """Register a record just read; False when it was acknowledged before a restart."""
        if self.checkpoint is not None and sequence_sort_key(sequence) <= sequence_sort_key(
            self.checkpoint
        ):
            return False  # an endpoint re-serving an old record: already acknowledged
        self.last_read = sequence
        if sequence in self._outstanding:
            return False
        done = sequence in self._restored_acks
        self._restored_acks.discard(sequence)
        self._outstanding[sequence] = done
        self._pending += not done
        self._advance()
        return not done

    def ack(self, sequences: Iterable[str]) -> None:
        """Acknowledge records (delivered successfully, filtered out, or sent to onFailure)."""
        for sequence in sequences:
            if self._outstanding.get(sequence) is False:
                self._outstanding[sequence] = True
                self._pending -= 1
        self._advance()

    @property
    def acked_beyond(self) -> list[str]:
        """Acknowledged records after the checkpoint (held back by an earlier pending one)."""
        return [seq for seq, done in self._outstanding.items() if done]

    @property
    def pending(self) -> int:
        """Records read but not yet acknowledged."""
        return self._pending

    @property
    def outstanding(self) -> int:
        """Records after the checkpoint: pending ones and those acknowledged beyond it."""
        return len(self._outstanding)

    @property
    def state(self) -> tuple[str | None, tuple[str, ...]]:
        """What a checkpoint store saves: (checkpoint, acknowledged records beyond it)."""
        return self.checkpoint, tuple(self.acked_beyond)

    def _advance(self) -> None:
        while self._outstanding:
            sequence, done = next(iter(self._outstanding.items()))
            if not done:
                return
            self._outstanding.popitem(last=False)
            self.checkpoint = sequence
