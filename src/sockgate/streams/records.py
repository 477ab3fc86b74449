"""Stream records as Lambda delivers them, and the facts the poller needs from them (pure)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "approximate_epoch",
    "item_key",
    "lambda_record",
    "lane_of",
    "parse_stream_arn",
    "record_size",
    "record_time",
    "sequence_number",
    "sequence_sort_key",
]


def lambda_record(raw: Mapping[str, Any], stream_arn: str) -> dict[str, Any]:
    """One GetRecords record as Lambda hands it to a handler.

    Lambda passes the record through and adds `eventSourceARN` (the stream ARN) last. The
    Streams API spells a TTL delete's identity {"PrincipalId", "Type"}; Lambda hands it on as
    {"type", "principalId"}, which is what TTL filter patterns match. The timestamp becomes
    epoch seconds, a JSON number, whatever form the client library produced.
    """
    record = dict(raw)
    identity = record.get("userIdentity")
    if isinstance(identity, Mapping):
        record["userIdentity"] = {
            "type": identity.get("Type", identity.get("type")),
            "principalId": identity.get("PrincipalId", identity.get("principalId")),
        }
    dynamodb = dict(record.get("dynamodb") or {})
    if "ApproximateCreationDateTime" in dynamodb:
        dynamodb["ApproximateCreationDateTime"] = approximate_epoch(
            dynamodb["ApproximateCreationDateTime"]
        )
    record["dynamodb"] = dynamodb
    record["eventSourceARN"] = stream_arn
    return record


def approximate_epoch(value: Any) -> int | float:
    """ApproximateCreationDateTime as epoch seconds: numbers pass, datetimes and text convert."""
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return _number(moment.timestamp())
    if isinstance(value, str):
        try:
            return _number(float(value))
        except ValueError:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return approximate_epoch(moment)
    raise ValueError(f"not a timestamp: {value!r}")


def _number(seconds: float) -> int | float:
    return int(seconds) if seconds.is_integer() else seconds


def sequence_number(record: Mapping[str, Any]) -> str:
    """The record's SequenceNumber (a numeric string)."""
    return str(record["dynamodb"]["SequenceNumber"])


def sequence_sort_key(sequence: str) -> tuple[int, int | str]:
    """Order sequence numbers numerically (they are decimal strings of varying length)."""
    return (0, int(sequence)) if sequence.isdigit() else (1, sequence)


def record_time(record: Mapping[str, Any]) -> float | None:
    """When the change happened (epoch seconds), or None if the endpoint did not say."""
    value = (record.get("dynamodb") or {}).get("ApproximateCreationDateTime")
    if value is None:
        return None
    try:
        return float(approximate_epoch(value))
    except ValueError:
        return None


def item_key(record: Mapping[str, Any]) -> str:
    """The item's primary key (partition and sort key) as canonical text."""
    keys = (record.get("dynamodb") or {}).get("Keys") or {}
    return json.dumps(keys, sort_keys=True, separators=(",", ":"))


def lane_of(record: Mapping[str, Any], lanes: int) -> int:
    """Which of `lanes` concurrent batches of a shard carries this item's records.

    With ParallelizationFactor > 1 Lambda keeps per-item order; hashing the whole key keeps
    every change of one item in one lane, in order.
    """
    if lanes <= 1:
        return 0
    digest = hashlib.blake2b(item_key(record).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % lanes


def record_size(record: Mapping[str, Any]) -> int:
    """Bytes the record adds to an invocation payload."""
    return len(json.dumps(record, separators=(",", ":"), default=str)) + 1


def parse_stream_arn(arn: str) -> dict[str, str]:
    """Partition, region, account and table of a DynamoDB stream (or table) ARN."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "dynamodb":
        raise ValueError(f"{arn!r} is not a DynamoDB stream ARN")
    resource = parts[5].split("/")
    table = resource[1] if len(resource) > 1 and resource[0] == "table" else ""
    return {"partition": parts[1], "region": parts[3], "account": parts[4], "table": table}
