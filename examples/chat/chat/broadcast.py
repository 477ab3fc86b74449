"""broadcast: the DynamoDB Streams handler that tells channels what changed in the table.

- Subscription INSERT -> subscriber_sub to the channel's subscribers (the newcomer included),
  and the channel is on the channel list.
- Subscription REMOVE -> subscriber_unsub to the channel's subscribers and to the removed
  connection itself, so a page learns it was kicked; not to a connection that is
  disconnecting (its connection item is already gone). When the last subscriber has left,
  the channel leaves the channel list (General stays).
- Message INSERT whose `source` is not "ws" -> channel_message to the channel's subscribers.
  sendMessage (source "ws") has already delivered its own messages; see messages.py for why
  this gives every message exactly once. MODIFY records and message deletions (TTL) send
  nothing.

Who writes the item does not matter: a client's action, the admin CLI, a bot or a console
edit all flow through here the same way, as the seed's design intends. The management
endpoint comes from WEBSOCKET_URL, since a stream event carries no requestContext.
"""

from __future__ import annotations

import logging
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from chat import delivery, protocol, store

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)

# Stop taking records when less than this is left of the function's timeout.
TIME_MARGIN_MS = 5000

_deserializer = TypeDeserializer()


def _image(record: dict[str, Any], name: str) -> dict[str, Any]:
    image = record["dynamodb"].get(name) or {}
    return {key: _deserializer.deserialize(value) for key, value in image.items()}


class _Batch:
    """One invocation's work: subscribers are read once per channel per batch."""

    def __init__(self) -> None:
        self.chat = store.default_store()
        self.endpoint = delivery.endpoint_from_environment()
        self._subscribers: dict[str, list[store.Subscriber]] = {}

    def subscribers(self, channel: str) -> list[store.Subscriber]:
        if channel not in self._subscribers:
            self._subscribers[channel] = self.chat.subscribers(channel)
        return self._subscribers[channel]

    def tell(
        self, channel: str, event: dict[str, Any], extra: store.Subscriber | None = None
    ) -> None:
        targets = list(self.subscribers(channel))
        if extra is not None and extra.connection_id not in {t.connection_id for t in targets}:
            targets.append(extra)
        delivery.fan_out(self.chat, self.endpoint, channel, targets, event)

    def record(self, record: dict[str, Any]) -> None:
        keys = _image(record, "Keys")
        kind = record.get("eventName")
        if store.is_subscription(keys) and kind in ("INSERT", "REMOVE"):
            self.subscription(keys, kind, record)
        elif store.is_message(keys) and kind == "INSERT":
            item = _image(record, "NewImage")
            if item.get("source") != store.SOURCE_WEBSOCKET:
                view = store.message_view(item)
                self.tell(view["channelId"], protocol.message_event(view))

    def subscription(self, keys: dict[str, Any], kind: str, record: dict[str, Any]) -> None:
        channel = store.channel_of(keys["pk"])
        connection_id = store.connection_of(keys["sk"])
        image = _image(record, "NewImage" if kind == "INSERT" else "OldImage")
        name = protocol.display_name(image.get("name"))
        if kind == "INSERT":
            # Records come in table order: a channel closed by an earlier REMOVE below
            # is opened again here (and this costs nothing when it is already listed).
            self.chat.ensure_channel(channel, store.now())
            event = protocol.subscription_event("subscriber_sub", channel, connection_id, name)
            self.tell(channel, event)
        else:
            event = protocol.subscription_event("subscriber_unsub", channel, connection_id, name)
            # Tell the removed connection too (it may have been kicked), unless it is the one
            # disconnecting: its connection item goes first, and a post would only get a 410.
            still_here = self.chat.connection(connection_id) is not None
            extra = store.Subscriber(connection_id, name) if still_here else None
            self.tell(channel, event, extra=extra)
            if channel != protocol.GENERAL and not self.chat.subscribers(channel):
                # The last one out closes the channel (its history stays), so listChannels
                # counts only live channels.
                self.chat.drop_channel(channel)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Handle one batch of stream records, in order.

    With `functionResponseType: ReportBatchItemFailures`, a record that fails, or that there is
    no time left for, is reported with those after it: Lambda retries from there, and the
    records already sent are not sent again.
    """
    batch = _Batch()
    records = event.get("Records", [])
    for index, record in enumerate(records):
        if context is not None and context.get_remaining_time_in_millis() < TIME_MARGIN_MS:
            log.warning("out of time; %d records left for the retry", len(records) - index)
            return _retry_from(record)
        try:
            batch.record(record)
        except Exception:
            log.exception("record %s failed; retrying from it", record.get("eventID"))
            return _retry_from(record)
    return {"batchItemFailures": []}


def _retry_from(record: dict[str, Any]) -> dict[str, Any]:
    return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
