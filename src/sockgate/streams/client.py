"""The DynamoDB Streams API through boto3, off the event loop.

boto3 is blocking, so every call runs in the caller's thread pool. The client keeps timestamps
as the endpoint sent them (epoch numbers on the JSON protocol) instead of parsing them into
datetimes, so records reach handlers with the exact ApproximateCreationDateTime value.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, TypeVar

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

__all__ = [
    "ExpiredIterator",
    "ShardInfo",
    "StreamGone",
    "StreamInfo",
    "StreamsClient",
    "StreamsUnavailable",
    "TrimmedData",
    "make_client",
    "make_session",
]

T = TypeVar("T")


class StreamsUnavailable(Exception):
    """The endpoint could not be reached or failed; try again later."""


class StreamGone(StreamsUnavailable):
    """The stream (or its table) does not exist."""


class ExpiredIterator(StreamsUnavailable):
    """The shard iterator expired (15 minutes on AWS); get a new one."""


class TrimmedData(StreamsUnavailable):
    """The requested position is older than the stream keeps (24 hours on AWS)."""


@dataclass(frozen=True, slots=True)
class ShardInfo:
    """One shard as DescribeStream lists it."""

    shard_id: str
    parent_id: str | None
    closed: bool  # has an EndingSequenceNumber: no records will be added


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """A stream's status and every shard it lists."""

    status: str  # ENABLING | ENABLED | DISABLING | DISABLED
    shards: tuple[ShardInfo, ...]


_sessions: dict[bool, boto3.session.Session] = {}
_sessions_lock = threading.Lock()


def make_session(endpoint_url: str | None) -> boto3.session.Session:
    """A boto3 session whose clients leave timestamps unparsed; dummy credentials locally.

    Against a local endpoint with no credentials in the environment, dummy ones are used
    (local services do not check them); against AWS the normal credential chain applies.
    Sessions are cached: loading botocore's models takes a good part of a second.
    """
    dummy = bool(endpoint_url) and not os.environ.get("AWS_ACCESS_KEY_ID")
    with _sessions_lock:
        if dummy not in _sessions:
            core = botocore.session.get_session()
            # Records go to handlers as JSON, as Lambda sends them: timestamps as the wire
            # gives them and binary values as base64 text, not datetimes and bytes.
            core.get_component("response_parser_factory").set_parser_defaults(
                timestamp_parser=lambda value: value, blob_parser=lambda value: value
            )
            if dummy:
                core.set_credentials("sockgate", "sockgate")
            _sessions[dummy] = boto3.session.Session(botocore_session=core)
        return _sessions[dummy]


def make_client(endpoint_url: str | None, region: str) -> Any:
    """A dynamodbstreams client (botocore sessions are not thread-safe: one at a time)."""
    config = Config(
        # botocore checks AWS's formats (ShardId >= 28 chars, SequenceNumber >= 21 digits);
        # other endpoints use shorter ids and the poller only echoes what they sent.
        parameter_validation=False,
        retries={"max_attempts": 2, "mode": "standard"},
        connect_timeout=3,
        read_timeout=20,
        max_pool_connections=32,
    )
    session = make_session(endpoint_url)
    with _sessions_lock:
        return session.client(
            "dynamodbstreams", endpoint_url=endpoint_url, region_name=region, config=config
        )


class StreamsClient:
    """DescribeStream, GetShardIterator and GetRecords as coroutines."""

    def __init__(self, boto_client: Any, executor: Executor) -> None:
        self._client = boto_client
        self._executor = executor

    @classmethod
    async def connect(
        cls, *, endpoint_url: str | None, region: str, executor: Executor
    ) -> StreamsClient:
        """Build the boto3 client in a thread (loading botocore's models blocks)."""
        loop = asyncio.get_running_loop()
        boto_client = await loop.run_in_executor(executor, make_client, endpoint_url, region)
        return cls(boto_client, executor)

    async def describe(self, stream_arn: str) -> StreamInfo:
        """The stream's status and all its shards (DescribeStream, every page)."""
        shards: list[ShardInfo] = []
        status = "ENABLED"
        start: str | None = None
        while True:
            kwargs: dict[str, Any] = {"StreamArn": stream_arn, "Limit": 100}
            if start:
                kwargs["ExclusiveStartShardId"] = start
            answer = await self._call(self._client.describe_stream, **kwargs)
            description = answer["StreamDescription"]
            status = description.get("StreamStatus", status)
            for shard in description.get("Shards", []):
                shards.append(
                    ShardInfo(
                        shard_id=shard["ShardId"],
                        parent_id=shard.get("ParentShardId"),
                        closed="EndingSequenceNumber" in shard.get("SequenceNumberRange", {}),
                    )
                )
            start = description.get("LastEvaluatedShardId")
            if not start:
                return StreamInfo(status, tuple(shards))

    async def iterator(
        self, stream_arn: str, shard_id: str, kind: str, sequence: str | None = None
    ) -> str:
        """A shard iterator: TRIM_HORIZON, LATEST, AT_/AFTER_SEQUENCE_NUMBER."""
        kwargs: dict[str, Any] = {
            "StreamArn": stream_arn,
            "ShardId": shard_id,
            "ShardIteratorType": kind,
        }
        if sequence is not None:
            kwargs["SequenceNumber"] = sequence
        answer = await self._call(self._client.get_shard_iterator, **kwargs)
        return str(answer["ShardIterator"])

    async def records(
        self, iterator: str, limit: int = 1000
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One GetRecords page and the next iterator (None once a closed shard is done)."""
        answer = await self._call(self._client.get_records, ShardIterator=iterator, Limit=limit)
        return list(answer.get("Records", [])), answer.get("NextShardIterator")

    def close(self) -> None:
        """Release the client's connections."""
        self._client.close()

    async def _call(self, method: Callable[..., T], **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, lambda: method(**kwargs))
        except ClientError as exc:
            raise _translate(exc) from exc
        except BotoCoreError as exc:
            raise StreamsUnavailable(str(exc)) from exc


def _translate(exc: ClientError) -> StreamsUnavailable:
    code = exc.response.get("Error", {}).get("Code", "")
    message = exc.response.get("Error", {}).get("Message", "") or str(exc)
    text = f"{code}: {message}" if code else message
    if code == "ExpiredIteratorException":
        return ExpiredIterator(text)
    if code == "TrimmedDataAccessException":
        return TrimmedData(text)
    if code == "ResourceNotFoundException":
        return StreamGone(text)
    return StreamsUnavailable(text)
