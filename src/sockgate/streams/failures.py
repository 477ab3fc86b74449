"""onFailure: Lambda's invocation record for a discarded batch, kept locally as JSON lines.

On AWS the record goes to an SQS queue or SNS topic. Locally every discarded batch is appended
to `<state_dir>/failures/<function>.jsonl` (also when no destination is configured, so nothing
is lost silently) and reported as one log line.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sockgate.invocation import InvocationResult
from sockgate.streams.records import record_time, sequence_number

__all__ = ["DiscardedBatch", "FailureSink", "invocation_record"]


@dataclass(frozen=True, slots=True)
class DiscardedBatch:
    """A batch given up on, with what the invocation record reports about it."""

    records: Sequence[Mapping[str, Any]]
    shard_id: str
    stream_arn: str
    condition: str  # RetryAttemptsExhausted | RecordAgeExceeded
    invocations: int
    last_result: InvocationResult | None


def invocation_record(batch: DiscardedBatch, function_arn: str, now: float) -> dict[str, Any]:
    """The onFailure invocation record (awsdocs with-ddb.md shape; metadata, not the records)."""
    first, last = batch.records[0], batch.records[-1]
    result = batch.last_result
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if result is not None and not result.ok:
        response["functionError"] = "Unhandled"
    return {
        "requestContext": {
            "requestId": result.request_id if result is not None else str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": batch.condition,
            "approximateInvokeCount": batch.invocations,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": _iso(now, millis=True),
        "DDBStreamBatchInfo": {
            "shardId": batch.shard_id,
            "startSequenceNumber": sequence_number(first),
            "endSequenceNumber": sequence_number(last),
            "approximateArrivalOfFirstRecord": _iso(record_time(first) or now),
            "approximateArrivalOfLastRecord": _iso(record_time(last) or now),
            "batchSize": len(batch.records),
            "streamArn": batch.stream_arn,
        },
    }


def _iso(epoch: float, *, millis: bool = False) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class FailureSink:
    """Appends invocation records to JSON-lines files and logs one line per discarded batch."""

    def __init__(self, state_dir: Path, log: Callable[[str], None]) -> None:
        self.directory = state_dir / "failures"
        self._log = log

    def path(self, function_key: str) -> Path:
        """The JSON-lines file of one function."""
        return self.directory / f"{function_key}.jsonl"

    def write(self, function_key: str, record: Mapping[str, Any], destination: str | None) -> Path:
        """Append one record (one line, flushed and synced) and log where it went."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path(function_key)
        line = json.dumps(record, separators=(",", ":")) + "\n"
        # One write() of a whole line on an O_APPEND file: never interleaved or half-written.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        info = record["DDBStreamBatchInfo"]
        where = f"onFailure {destination}" if destination else "no onFailure destination"
        self._log(
            f"stream {function_key}: gave up on {info['batchSize']} record(s) of "
            f"{info['shardId']} (sequence {info['startSequenceNumber']}.."
            f"{info['endSequenceNumber']}, {record['requestContext']['condition']} after "
            f"{record['requestContext']['approximateInvokeCount']} invocation(s)); "
            f"{where}; invocation record appended to {path}"
        )
        return path
