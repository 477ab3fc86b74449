"""The DynamoDB Streams API: ListStreams, DescribeStream, GetShardIterator, GetRecords.

Each stream has one shard. Records are written by the item's own transaction (see
storage.streamlog); this module only reads them. Shard iterators are opaque strings carrying
the stream, the next sequence number and the time they were issued; they expire after
15 minutes like AWS's.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from sockgate.tables.errors import (
    ExpiredIteratorException,
    ResourceNotFoundException,
    SerializationException,
    TrimmedDataAccessException,
    ValidationException,
)
from sockgate.tables.operations.context import Context, Result
from sockgate.tables.payloads import Constraints, RawItems, decode_json
from sockgate.tables.storage.streamlog import StreamLog, StreamMeta, format_seq, parse_seq

__all__ = ["describe_stream", "get_records", "get_shard_iterator", "list_streams"]

ITERATOR_LIFETIME = 15 * 60
_ITERATOR_TYPES = ("TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER")


def _stream(ctx: Context, arn: Any) -> StreamMeta:
    checks = Constraints()
    checks.not_null(arn, "streamArn")
    checks.raise_if_any()
    stream = ctx.store.streams.by_arn(arn)
    if stream is None:
        raise ResourceNotFoundException(f"Requested resource not found: Stream: {arn} not found")
    return stream


def list_streams(ctx: Context, req: dict[str, Any]) -> Result:
    """ListStreams, optionally of one table, paged by ExclusiveStartStreamArn."""
    checks = Constraints()
    checks.int_range(req.get("Limit"), "limit", 1, 100)
    checks.raise_if_any()
    streams = ctx.store.streams.all()
    if req.get("TableName") is not None:
        streams = [s for s in streams if s.table_name == req["TableName"]]
    start = req.get("ExclusiveStartStreamArn")
    if start is not None:
        arns = [s.arn for s in streams]
        streams = streams[arns.index(start) + 1 :] if start in arns else []
    limit = req.get("Limit") or 100
    out: Result = {
        "Streams": [
            {"StreamArn": s.arn, "TableName": s.table_name, "StreamLabel": s.label}
            for s in streams[:limit]
        ]
    }
    if len(streams) > limit:
        out["LastEvaluatedStreamArn"] = streams[limit - 1].arn
    return out


def describe_stream(ctx: Context, req: dict[str, Any]) -> Result:
    """DescribeStream: status, key schema and the one shard with its sequence range."""
    stream = _stream(ctx, req.get("StreamArn"))
    first, _ = ctx.store.streams.seq_range(stream.sid)
    start = first if first is not None else StreamLog.first_possible(stream)
    seq_range = {"StartingSequenceNumber": format_seq(start)}
    if stream.end_seq is not None:
        seq_range["EndingSequenceNumber"] = format_seq(max(stream.end_seq, start))
    shards = [{"ShardId": stream.shard_id, "SequenceNumberRange": seq_range}]
    if req.get("ExclusiveStartShardId") == stream.shard_id:
        shards = []
    return {
        "StreamDescription": {
            "StreamArn": stream.arn,
            "StreamLabel": stream.label,
            "StreamStatus": "ENABLED" if stream.enabled else "DISABLED",
            "StreamViewType": stream.view,
            "CreationRequestDateTime": stream.created,
            "TableName": stream.table_name,
            "KeySchema": stream.key_schema,
            "Shards": shards,
        }
    }


def _encode_iterator(stream: StreamMeta, position: int, issued: float) -> str:
    token = json.dumps([stream.sid, position, round(issued, 3), stream.shard_id])
    return f"{stream.arn}|1|{base64.urlsafe_b64encode(token.encode()).decode()}"


def _decode_iterator(text: Any) -> tuple[int, int, float, str]:
    try:
        token = base64.urlsafe_b64decode(str(text).rsplit("|", 1)[1].encode())
        sid, position, issued, shard = decode_json(token)
        return int(sid), int(position), float(issued), str(shard)
    except (IndexError, ValueError, TypeError, SerializationException):
        raise ValidationException("Invalid ShardIterator") from None


def get_shard_iterator(ctx: Context, req: dict[str, Any]) -> Result:
    """GetShardIterator for TRIM_HORIZON, LATEST, AT_ or AFTER_SEQUENCE_NUMBER."""
    checks = Constraints()
    checks.not_null(req.get("ShardId"), "shardId")
    checks.not_null(req.get("ShardIteratorType"), "shardIteratorType")
    checks.enum(req.get("ShardIteratorType"), "shardIteratorType", _ITERATOR_TYPES)
    checks.raise_if_any()
    stream = _stream(ctx, req.get("StreamArn"))
    if req["ShardId"] != stream.shard_id:
        raise ResourceNotFoundException(
            f"Requested resource not found: Shard: {req['ShardId']} in Stream: {stream.arn} "
            "not found"
        )
    kind = req["ShardIteratorType"]
    first, last = ctx.store.streams.seq_range(stream.sid)
    if kind == "TRIM_HORIZON":
        position = 0
    elif kind == "LATEST":
        position = (last if last is not None else StreamLog.first_possible(stream) - 1) + 1
    else:
        text = req.get("SequenceNumber")
        if text is None:
            raise ValidationException(f"Must provide a SequenceNumber for ShardIteratorType {kind}")
        seq = parse_seq(text)
        if seq is None:
            raise ValidationException(f"Invalid SequenceNumber: {text}")
        if first is not None and seq < first and seq >= StreamLog.first_possible(stream):
            raise TrimmedDataAccessException(
                "The operation attempted to read past the oldest stream record in a shard."
            )
        position = seq if kind == "AT_SEQUENCE_NUMBER" else seq + 1
    return {"ShardIterator": _encode_iterator(stream, position, ctx.now())}


def get_records(ctx: Context, req: dict[str, Any]) -> Result:
    """GetRecords: up to Limit (1000) records; no NextShardIterator once a closed shard is read."""
    checks = Constraints()
    checks.not_null(req.get("ShardIterator"), "shardIterator")
    checks.int_range(req.get("Limit"), "limit", 1, 1000)
    checks.raise_if_any()
    sid, position, issued, _ = _decode_iterator(req["ShardIterator"])
    now = ctx.now()
    if now - issued > ITERATOR_LIFETIME:
        raise ExpiredIteratorException(
            f"Iterator expired. The iterator was created at time {_ms(issued)} while right now "
            f"it is {_ms(now)} which is further in the future than the tolerated delay of "
            f"{ITERATOR_LIFETIME * 1000} milliseconds."
        )
    stream = ctx.store.streams.get(sid)
    if stream is None:
        raise ResourceNotFoundException("Requested resource not found: Stream not found")
    limit = req.get("Limit") or 1000
    rows = ctx.store.streams.read(sid, position, limit)
    records = RawItems(text for _, text in rows)
    next_position = rows[-1][0] + 1 if rows else position
    out: Result = {"Records": records}
    # A closed shard gets no new records: once a read comes back short, the shard is done.
    if stream.end_seq is None or (len(rows) == limit and next_position <= stream.end_seq):
        out["NextShardIterator"] = _encode_iterator(stream, next_position, now)
    return out


def _ms(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
