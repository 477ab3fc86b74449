"""A tiny DynamoDB Streams endpoint for shard layouts moto cannot make (several shards,
parents and children, closed shards, expired iterators).

It speaks the real wire protocol (JSON 1.0 over HTTP on 127.0.0.1, port 0), so the poller
under test uses its real boto3 client against it; only the stream contents are scripted.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/stub/stream/2024-01-01T00:00:00.000"


@dataclass
class StubShard:
    shard_id: str
    parent: str | None
    records: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False


class StubStreams:
    """A stream whose shards tests add, fill and close; serves the Streams API."""

    def __init__(self) -> None:
        self.arn = ARN
        self.status = "ENABLED"
        self.shards: dict[str, StubShard] = {}
        self.expire_next = 0  # answer the next N GetRecords with ExpiredIteratorException
        self.requests: list[str] = []
        self._seq = itertools.count(10**20)  # 21 digits, like AWS
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StubStreams:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_shard(self, shard_id: str, parent: str | None = None) -> None:
        with self._lock:
            self.shards[shard_id] = StubShard(shard_id, parent)

    def put(self, shard_id: str, pk: str, value: int = 0) -> str:
        with self._lock:
            seq = str(next(self._seq))
            self.shards[shard_id].records.append(
                {
                    "eventID": f"ev{seq}",
                    "eventName": "INSERT",
                    "eventVersion": "1.1",
                    "eventSource": "aws:dynamodb",
                    "awsRegion": "us-east-1",
                    "dynamodb": {
                        "ApproximateCreationDateTime": 1700000000,
                        "Keys": {"pk": {"S": pk}},
                        "NewImage": {"pk": {"S": pk}, "v": {"N": str(value)}},
                        "SequenceNumber": seq,
                        "SizeBytes": 20,
                        "StreamViewType": "NEW_IMAGE",
                    },
                }
            )
            return seq

    def close_shard(self, shard_id: str) -> None:
        with self._lock:
            self.shards[shard_id].closed = True

    # -- the API ---------------------------------------------------------------------------

    def handle(self, target: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.requests.append(target)
        with self._lock:
            if body.get("StreamArn", self.arn) != self.arn:
                return _error("ResourceNotFoundException", "Requested resource not found")
            if target == "DescribeStream":
                return 200, self._describe()
            if target == "GetShardIterator":
                return self._iterator(body)
            if target == "GetRecords":
                return self._records(body)
        return _error("UnknownOperationException", target)

    def _describe(self) -> dict[str, Any]:
        shards = []
        for shard in self.shards.values():
            first = shard.records[0]["dynamodb"]["SequenceNumber"] if shard.records else "1"
            numbers: dict[str, str] = {"StartingSequenceNumber": first}
            if shard.closed:
                last = shard.records[-1]["dynamodb"]["SequenceNumber"] if shard.records else "1"
                numbers["EndingSequenceNumber"] = last
            entry: dict[str, Any] = {"ShardId": shard.shard_id, "SequenceNumberRange": numbers}
            if shard.parent:
                entry["ParentShardId"] = shard.parent
            shards.append(entry)
        return {
            "StreamDescription": {
                "StreamArn": self.arn,
                "StreamStatus": self.status,
                "StreamViewType": "NEW_IMAGE",
                "TableName": "stub",
                "Shards": shards,
            }
        }

    def _iterator(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        shard = self.shards[body["ShardId"]]
        kind = body["ShardIteratorType"]
        seqs = [r["dynamodb"]["SequenceNumber"] for r in shard.records]
        if kind == "TRIM_HORIZON":
            position = 0
        elif kind == "LATEST":
            position = len(seqs)
        else:
            index = seqs.index(body["SequenceNumber"])
            position = index + (kind == "AFTER_SEQUENCE_NUMBER")
        return 200, {"ShardIterator": _encode(shard.shard_id, position)}

    def _records(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.expire_next:
            self.expire_next -= 1
            return _error("ExpiredIteratorException", "Iterator expired")
        shard_id, position = _decode(body["ShardIterator"])
        shard = self.shards[shard_id]
        page = shard.records[position : position + int(body.get("Limit", 1000))]
        end = position + len(page)
        answer: dict[str, Any] = {"Records": page}
        if not (shard.closed and end >= len(shard.records)):
            answer["NextShardIterator"] = _encode(shard_id, end)
        return 200, answer


def _encode(shard_id: str, position: int) -> str:
    return base64.b64encode(json.dumps([shard_id, position]).encode()).decode()


def _decode(iterator: str) -> tuple[str, int]:
    shard_id, position = json.loads(base64.b64decode(iterator))
    return shard_id, position


def _error(code: str, message: str) -> tuple[int, dict[str, Any]]:
    return 400, {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}


def _handler(stub: StubStreams) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            target = self.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
            status, answer = stub.handle(target, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
