"""sendMessage and defaultMessage.

Exactly-once delivery, whoever writes the message:

- sendMessage stores the message with `source: "ws"` and then sends it to every subscriber of
  the channel itself, so the sender's channel sees it at once.
- The stream handler (broadcast.py) sends every *inserted* message item whose `source` is not
  "ws": admin posts (`source: "admin"`), bots and other systems writing straight into the
  table. It skips "ws" items, so nothing sendMessage stored goes out twice, and it ignores
  MODIFY and REMOVE records, so edits and TTL expiry resend nothing.
"""

from __future__ import annotations

from typing import Any

from chat import delivery, protocol, store

OK = {"statusCode": 200}


def send_message(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """{"action": "sendMessage", "channelId", "name", "content"}."""
    connection_id = event["requestContext"]["connectionId"]
    try:
        action = protocol.parse_action(event.get("body"))
        channel = protocol.channel_id(action.get("channelId"))
        content = protocol.message_content(action.get("content"))
    except protocol.ProtocolError as error:
        delivery.reply(event, protocol.error_event(str(error)))
        return OK
    chat = store.default_store()
    name = action.get("name")
    if not name:
        known = chat.connection(connection_id)
        name = known.get("name") if known else None
    item = chat.add_message(
        channel,
        protocol.display_name(name),
        content,
        source=store.SOURCE_WEBSOCKET,
        now=store.now(),
        connection_id=connection_id,
    )
    message = protocol.message_event(store.message_view(item))
    endpoint = delivery.endpoint_from_request(event)
    delivery.fan_out(chat, endpoint, channel, chat.subscribers(channel), message)
    return OK


def default_message(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Anything no route took: tell the sender, as the seed does."""
    delivery.reply(event, protocol.error_event(protocol.INVALID_ACTION))
    return OK
