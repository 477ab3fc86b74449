"""What a lane reports about each batch to an observer (the inspector, #18), if one is set.

The lanes know nothing of who listens: `MappingContext.observer` is None unless `sockgate dev`
runs the inspector, and then each batch costs one call with a small frozen report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["BatchObserver", "BatchReport"]


@dataclass(frozen=True, slots=True)
class BatchReport:
    """One batch invoked (or discarded before it was invoked, outcome "expired")."""

    mapping_id: str
    function_key: str
    shard_id: str
    records: int
    size: int  # bytes of the records in the invocation payload
    first_sequence: str
    last_sequence: str
    outcome: str  # success | partial | failure | expired
    acked: int  # records acknowledged at the head
    discarded: int  # records sent to the failure destination
    condition: str  # the onFailure condition when discarded
    retry: bool  # the remaining records are retried after a pause
    bisected: bool  # the batch was split in two
    request_id: str | None
    event_names: tuple[str, ...]  # INSERT / MODIFY / REMOVE, per record


class BatchObserver(Protocol):
    """Receives every batch report."""

    def batch(self, report: BatchReport) -> None: ...
