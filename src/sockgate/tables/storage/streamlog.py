"""Stream storage: one shard per stream, records written in the item's own transaction."""

from __future__ import annotations

import itertools
import json
import secrets
import sqlite3
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sockgate.tables.model import TableMeta, stream_arn
from sockgate.tables.values import item_size

__all__ = [
    "RETENTION_SECONDS",
    "TTL_IDENTITY",
    "StreamLog",
    "StreamMeta",
    "format_seq",
    "parse_seq",
    "seq_at",
    "stream_label",
]

RETENTION_SECONDS = 24 * 3600
# Sequence numbers are shown as fixed-width numeric strings (21 digits), so they order the same
# as strings and as numbers.
_SEQ_BASE = 10**20
# Identity of TTL deletes, as the boto3 model (shape Identity) names its members on the wire.
# Lambda's event for the same record spells them userIdentity.type / .principalId.
TTL_IDENTITY = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}


def format_seq(seq: int) -> str:
    """The SequenceNumber string of an internal sequence number."""
    return str(_SEQ_BASE + seq)


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def seq_at(moment: float) -> int:
    """The smallest sequence number a record written at that moment can get."""
    return int(moment * 1_000_000) * 10


def parse_seq(text: str) -> int | None:
    """The internal sequence number of a SequenceNumber string, None if not one of ours."""
    if not isinstance(text, str) or not text.isdigit() or len(text) != 21:
        return None
    return int(text) - _SEQ_BASE


def stream_label(now: float) -> str:
    """A StreamLabel: the creation time as ISO 8601 with milliseconds, as AWS writes it."""
    moment = datetime.fromtimestamp(now, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


@dataclass(frozen=True)
class StreamMeta:
    """One stream of a table and its single shard."""

    sid: int
    tid: int
    table_name: str
    arn: str
    label: str
    view: str
    created: float
    shard_id: str
    key_schema: list[dict[str, str]]
    enabled: bool = True
    end_seq: int | None = None  # set when the stream is disabled: the shard is closed
    closed_at: float | None = None

    def to_json(self) -> str:
        """Serialise for the streams table."""
        return json.dumps(asdict(self))


class StreamLog:
    """Reads and writes streams and their records on one connection."""

    def __init__(self, conn: sqlite3.Connection, region: str) -> None:
        self.conn = conn
        self.region = region
        self._region_json = _json(region)
        row = conn.execute("SELECT max(seq) FROM records").fetchone()
        self._last_seq = row[0] or 0
        # eventIDs: 32 hex digits, a random half per run and a counter (no syscall per record).
        self._id_prefix = secrets.token_hex(8)
        self._event_ids = itertools.count()

    # --- streams ---------------------------------------------------------------------------

    def create(self, meta: TableMeta, view: str, now: float) -> StreamMeta:
        """Open a new stream (new ARN and shard) for a table."""
        # A table's streams must have distinct labels (hence ARNs), even when one is
        # disabled and the next enabled within the same millisecond.
        taken = {s.label for s in self.all() if s.table_name == meta.name}
        while stream_label(now) in taken:
            now += 0.001
        label = stream_label(now)
        row = self.conn.execute("SELECT max(sid) FROM streams").fetchone()
        sid = (row[0] or 0) + 1
        shard = f"shardId-{int(now * 1000):020d}-{secrets.token_hex(4)}"
        keys = [{"AttributeName": meta.hash_key, "KeyType": "HASH"}]
        if meta.range_key is not None:
            keys.append({"AttributeName": meta.range_key, "KeyType": "RANGE"})
        stream = StreamMeta(
            sid, meta.tid, meta.name, stream_arn(self.region, meta.name, label), label, view, now,
            shard, keys,
        )  # fmt: skip
        self.conn.execute(
            "INSERT INTO streams(sid, tid, meta) VALUES(?,?,?)", (sid, meta.tid, stream.to_json())
        )
        return stream

    def close(self, sid: int, now: float) -> None:
        """Disable a stream: its shard ends at the last record written."""
        stream = self.get(sid)
        if stream is None or not stream.enabled:
            return
        last = self.seq_range(sid)[1]
        # An empty shard ends just before the first number it could have held.
        end = last if last is not None else self.first_possible(stream) - 1
        closed = replace(stream, enabled=False, end_seq=end, closed_at=now)
        self.conn.execute("UPDATE streams SET meta=? WHERE sid=?", (closed.to_json(), sid))

    def get(self, sid: int) -> StreamMeta | None:
        """A stream by storage id."""
        row = self.conn.execute("SELECT meta FROM streams WHERE sid=?", (sid,)).fetchone()
        return None if row is None else StreamMeta(**json.loads(row[0]))

    def by_arn(self, arn: str) -> StreamMeta | None:
        """A stream by ARN."""
        for stream in self.all():
            if stream.arn == arn:
                return stream
        return None

    def all(self) -> list[StreamMeta]:
        """Every stream still within retention, oldest first."""
        rows = self.conn.execute("SELECT meta FROM streams ORDER BY sid").fetchall()
        return [StreamMeta(**json.loads(row[0])) for row in rows]

    @staticmethod
    def first_possible(stream: StreamMeta) -> int:
        """A number no record of the stream is below (numbers derive from the clock)."""
        return seq_at(stream.created)

    def seq_range(self, sid: int) -> tuple[int | None, int | None]:
        """(first, last) sequence number held for a stream."""
        row = self.conn.execute(
            "SELECT min(seq), max(seq) FROM records WHERE sid=?", (sid,)
        ).fetchone()
        return row[0], row[1]

    # --- records ---------------------------------------------------------------------------

    def append(
        self,
        sid: int,
        view: str,
        meta: TableMeta,
        old: dict[str, Any] | None,
        new: dict[str, Any] | None,
        identity: dict[str, str] | None = None,
        new_size: int | None = None,
        new_json: bytes | None = None,
    ) -> None:
        """Write the record of one item change (inside the caller's transaction).

        new_json, the new item's stored JSON when the caller has it, goes into the record
        as it is rather than being encoded a second time.
        """
        now = time.time()
        self._last_seq = seq = max(self._last_seq + 1, seq_at(now))
        source = new if new is not None else old
        assert source is not None
        keys = {name: source[name] for name in meta.key_names}
        # SizeBytes counts the keys and the images the record carries.
        size = item_size(keys)
        # The record is assembled from JSON fragments in AWS's member order; only the keys and
        # an old image need encoding.
        body = [b'"ApproximateCreationDateTime":%d' % int(now), b'"Keys":' + _json(keys)]
        if new is not None and view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
            body.append(b'"NewImage":' + (new_json if new_json is not None else _json(new)))
            size += new_size if new_size is not None else item_size(new)
        if old is not None and view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
            body.append(b'"OldImage":' + _json(old))
            size += item_size(old)
        body.append(b'"SequenceNumber":"%s"' % format_seq(seq).encode())
        body.append(b'"SizeBytes":%d' % size)
        body.append(b'"StreamViewType":"%s"' % view.encode())  # one of four names
        event = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
        record = [
            b'"eventID":"%s%016x"' % (self._id_prefix.encode(), next(self._event_ids)),
            b'"eventName":"%s"' % event.encode(),
            b'"eventVersion":"1.1"',
            b'"eventSource":"aws:dynamodb"',
            b'"awsRegion":' + self._region_json,
            b'"dynamodb":{' + b",".join(body) + b"}",
        ]
        if identity is not None:
            record.append(b'"userIdentity":' + _json(identity))
        text = b"{" + b",".join(record) + b"}"
        self.conn.execute("INSERT INTO records(sid, seq, rec) VALUES(?,?,?)", (sid, seq, text))

    def read(self, sid: int, position: int, limit: int) -> list[tuple[int, bytes]]:
        """Up to limit (seq, record JSON) of a stream from sequence number position on."""
        rows = self.conn.execute(
            "SELECT seq, rec FROM records WHERE sid=? AND seq>=? ORDER BY seq LIMIT ?",
            (sid, position, limit),
        ).fetchall()
        # Data folders written before records were stored as BLOBs hold them as TEXT.
        return [(seq, rec.encode() if isinstance(rec, str) else rec) for seq, rec in rows]

    def trim(self, now: float) -> None:
        """Drop records past the 24-hour retention and closed streams left with none."""
        horizon = now - RETENTION_SECONDS
        oldest = seq_at(horizon)
        for stream in self.all():
            self.conn.execute("DELETE FROM records WHERE sid=? AND seq<?", (stream.sid, oldest))
            if stream.closed_at is not None and stream.closed_at < horizon:
                self.conn.execute("DELETE FROM streams WHERE sid=?", (stream.sid,))
