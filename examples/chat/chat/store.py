"""Table access for the chat: one DynamoDB table, keys `pk`/`sk`, GSI `reverse` (sk, pk).

Item layout (every item also has `type`):

    connection    pk=conn#<id>          sk=conn#<id>          name, connectedAt, expiresAt
    subscription  pk=channel#<channel>  sk=conn#<id>          channelId, connectionId, name,
                                                              subscribedAt, expiresAt
    channel       pk=channels           sk=channel#<channel>  channelId, createdAt
    message       pk=messages#<channel> sk=<ISO time>#<id>    channelId, id, name, content,
                                                              source, sentAt, expiresAt

- A channel's subscribers: Query pk=channel#<channel>, sk begins_with conn#.
- A connection's items (its subscriptions and itself): Query the `reverse` index, sk=conn#<id>;
  the connection item shares that sk so the index never piles every connection into one key.
- A channel's history: Query pk=messages#<channel>, newest first (ISO times sort as text).
- The channel list: Query pk=channels (the first subscription creates a channel, the last
  one leaving removes it; General stays).
- `expiresAt` (epoch seconds) drives DynamoDB TTL: messages expire after the retention
  (RETENTION_DAYS), connections and subscriptions after API Gateway's 2-hour connection limit.

Bots and other systems may write these items directly; `source` tells who wrote a message.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from boto3.dynamodb.conditions import Attr, Key

from chat import protocol

REVERSE_INDEX = "reverse"
CHANNELS_PK = "channels"
SOURCE_WEBSOCKET = "ws"
# API Gateway closes every connection after 2 hours; a little slack covers clock skew.
CONNECTION_LIFETIME = 2 * 3600 + 300
# A connection answers 410 until its $connect returns, which takes at most API Gateway's
# 29-second integration timeout: a 410 from a younger connection is no sign it has gone.
CONNECT_GRACE = 30
DEFAULT_RETENTION_DAYS = 7.0


def iso(now: float) -> str:
    """UTC ISO-8601 with microseconds, sortable as text: 2024-01-20T11:55:08.123456Z."""
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def connection_key(connection_id: str) -> dict[str, str]:
    """The key of a connection item."""
    return {"pk": f"conn#{connection_id}", "sk": f"conn#{connection_id}"}


def subscription_key(channel: str, connection_id: str) -> dict[str, str]:
    """The key of a subscription item."""
    return {"pk": f"channel#{channel}", "sk": f"conn#{connection_id}"}


def is_subscription(keys: dict[str, str]) -> bool:
    """Whether these keys are a subscription item's."""
    return keys.get("pk", "").startswith("channel#") and keys.get("sk", "").startswith("conn#")


def is_message(keys: dict[str, str]) -> bool:
    """Whether these keys are a message item's."""
    return keys.get("pk", "").startswith("messages#")


def channel_of(pk: str) -> str:
    """The channel id inside a channel#… or messages#… partition key."""
    return pk.split("#", 1)[1]


def connection_of(sk: str) -> str:
    """The connection id inside a conn#… sort key."""
    return sk.split("#", 1)[1]


def message_view(item: dict[str, Any]) -> dict[str, Any]:
    """What clients see of a message item, sanitised again: bots may write raw HTML."""
    sk = str(item.get("sk", ""))
    stamp, _, tail = sk.partition("#")
    return {
        "channelId": channel_of(str(item["pk"])),
        "id": str(item.get("id") or tail or sk),
        "name": protocol.display_name(item.get("name")),
        "content": protocol.sanitise(str(item.get("content", ""))),
        "timestamp": str(item.get("sentAt") or stamp),
    }


@dataclass(frozen=True, slots=True)
class Subscriber:
    """One connection subscribed to a channel."""

    connection_id: str
    name: str


def retention_seconds() -> float:
    """Message retention from RETENTION_DAYS (days, may be fractional)."""
    try:
        return float(os.environ.get("RETENTION_DAYS", DEFAULT_RETENTION_DAYS)) * 86400
    except ValueError:
        return DEFAULT_RETENTION_DAYS * 86400


class Store:
    """The chat's reads and writes; one instance per table, reused across invocations."""

    def __init__(self, table: Any) -> None:
        self.table = table

    # connections -------------------------------------------------------------------------

    def put_connection(self, connection_id: str, name: str, now: float) -> None:
        """Store a new connection with its display name."""
        self.table.put_item(
            Item={
                **connection_key(connection_id),
                "type": "connection",
                "connectionId": connection_id,
                "name": name,
                "connectedAt": iso(now),
                "expiresAt": int(now + CONNECTION_LIFETIME),
            }
        )

    def connection(self, connection_id: str) -> dict[str, Any] | None:
        """The connection item, or None once it has disconnected."""
        return self.table.get_item(Key=connection_key(connection_id)).get("Item")

    def connection_items(self, connection_id: str) -> list[dict[str, Any]]:
        """Every item of a connection (subscriptions and the connection item), by the index."""
        return self._query(
            IndexName=REVERSE_INDEX,
            KeyConditionExpression=Key("sk").eq(f"conn#{connection_id}"),
        )

    def connection_channels(self, connection_id: str) -> list[str]:
        """The channels a connection is subscribed to."""
        items = self.connection_items(connection_id)
        return [channel_of(i["pk"]) for i in items if str(i["pk"]).startswith("channel#")]

    def forget_connection(self, connection_id: str, *, known_channel: str | None = None) -> int:
        """Delete a connection's subscriptions and its item; returns how many were deleted."""
        keys = {(i["pk"], i["sk"]) for i in self.connection_items(connection_id)}
        if known_channel is not None:
            # The index may lag the table; the channel we just found it in is certain.
            key = subscription_key(known_channel, connection_id)
            keys.add((key["pk"], key["sk"]))
        # The connection item goes first: the stream handler then knows the subscriptions
        # that follow were removed by a disconnect, and posts nothing to the gone connection.
        for pk, sk in sorted(keys, key=lambda key: not key[0].startswith("conn#")):
            self.table.delete_item(Key={"pk": pk, "sk": sk})
        return len(keys)

    def forget_gone(self, connection_id: str, *, channel: str, now: float) -> bool:
        """After a 410: forget the connection unless it may still be inside its $connect."""
        item = self.connection(connection_id)
        if item is not None:
            try:
                connected = datetime.fromisoformat(str(item.get("connectedAt"))).timestamp()
            except ValueError:
                connected = 0.0  # not written by $connect: nothing to wait for
            if now - connected < CONNECT_GRACE:
                return False
        self.forget_connection(connection_id, known_channel=channel)
        return True

    # channels ----------------------------------------------------------------------------

    def subscribe(self, channel: str, connection_id: str, name: str, now: float) -> None:
        """Subscribe a connection to a channel (creating the channel if needed)."""
        self.table.put_item(
            Item={
                **subscription_key(channel, connection_id),
                "type": "subscription",
                "channelId": channel,
                "connectionId": connection_id,
                "name": name,
                "subscribedAt": iso(now),
                "expiresAt": int(now + CONNECTION_LIFETIME),
            }
        )
        self.ensure_channel(channel, now)

    def ensure_channel(self, channel: str, now: float) -> None:
        """Put a channel on the channel list if it is not there yet."""
        try:
            self.table.put_item(
                Item={
                    "pk": CHANNELS_PK,
                    "sk": f"channel#{channel}",
                    "type": "channel",
                    "channelId": channel,
                    "createdAt": iso(now),
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self.table.meta.client.exceptions.ConditionalCheckFailedException:
            pass  # it exists: nothing to do, and no stream record for an unchanged item

    def drop_channel(self, channel: str) -> None:
        """Take a channel off the channel list; its messages stay."""
        self.table.delete_item(Key={"pk": CHANNELS_PK, "sk": f"channel#{channel}"})

    def unsubscribe(self, channel: str, connection_id: str) -> bool:
        """Remove one subscription; False when there was none."""
        old = self.table.delete_item(
            Key=subscription_key(channel, connection_id), ReturnValues="ALL_OLD"
        )
        return "Attributes" in old

    def subscribers(self, channel: str) -> list[Subscriber]:
        """Everyone subscribed to a channel."""
        items = self._query(
            KeyConditionExpression=Key("pk").eq(f"channel#{channel}")
            & Key("sk").begins_with("conn#"),
        )
        return [
            Subscriber(connection_of(i["sk"]), str(i.get("name") or protocol.ANONYMOUS))
            for i in items
        ]

    def channels(self) -> list[str]:
        """The channel list."""
        items = self._query(KeyConditionExpression=Key("pk").eq(CHANNELS_PK))
        return [channel_of(str(i["sk"])) for i in items]

    def count_subscribers(self, channel: str) -> int:
        """How many connections are subscribed to a channel (a COUNT query)."""
        total = 0
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(f"channel#{channel}")
            & Key("sk").begins_with("conn#"),
            "Select": "COUNT",
        }
        while True:
            page = self.table.query(**kwargs)
            total += int(page.get("Count", 0))
            if "LastEvaluatedKey" not in page:
                return total
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # messages ----------------------------------------------------------------------------

    def add_message(
        self,
        channel: str,
        name: str,
        content: str,
        *,
        source: str,
        now: float,
        connection_id: str | None = None,
    ) -> dict[str, Any]:
        """Store a message and return its item."""
        message_id = uuid.uuid4().hex
        stamp = iso(now)
        item: dict[str, Any] = {
            "pk": f"messages#{channel}",
            "sk": f"{stamp}#{message_id}",
            "type": "message",
            "channelId": channel,
            "id": message_id,
            "name": name,
            "content": content,
            "source": source,
            "sentAt": stamp,
            "expiresAt": int(now + retention_seconds()),
        }
        if connection_id is not None:
            item["connectionId"] = connection_id
        self.table.put_item(Item=item)
        return item

    def history(
        self, channel: str, limit: int, before: str | None, now: float
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of messages, newest first, and the cursor of the next (older) page."""
        condition = Key("pk").eq(f"messages#{channel}")
        if before is not None:
            condition = condition & Key("sk").lt(before)
        page = self.table.query(
            KeyConditionExpression=condition,
            # TTL deletes lazily (within days); expired items must not be shown meanwhile.
            FilterExpression=Attr("expiresAt").not_exists() | Attr("expiresAt").gt(int(now)),
            ScanIndexForward=False,
            Limit=limit,
        )
        messages = [message_view(item) for item in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        return messages, (str(last["sk"]) if last else None)

    # ------------------------------------------------------------------------------------

    def _query(self, **kwargs: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            page = self.table.query(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


_default: Store | None = None


def default_store() -> Store:
    """The store of the table named by TABLE_NAME, created once per execution environment."""
    global _default
    if _default is None:
        table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
        _default = Store(table)
    return _default


def now() -> float:
    """The current time, in one place so handlers agree."""
    return time.time()
