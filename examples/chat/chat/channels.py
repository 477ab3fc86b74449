"""channelManager (subscribeChannel, unsubscribeChannel) and listChannels.

Subscribing writes a subscription item and unsubscribing deletes it; the stream handler sees
the INSERT or REMOVE and tells the channel (subscriber_sub / subscriber_unsub), exactly as an
admin or another system editing the table would be announced.
"""

from __future__ import annotations

from typing import Any

from chat import delivery, protocol, store

OK = {"statusCode": 200}


def manager(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """subscribeChannel and unsubscribeChannel, by route key."""
    request = event["requestContext"]
    connection_id = request["connectionId"]
    try:
        action = protocol.parse_action(event.get("body"))
        channel = protocol.channel_id(action.get("channelId"))
    except protocol.ProtocolError as error:
        delivery.reply(event, protocol.error_event(str(error)))
        return OK
    chat = store.default_store()
    if request["routeKey"] == "subscribeChannel":
        known = chat.connection(connection_id)
        name = protocol.display_name(known.get("name") if known else None)
        chat.subscribe(channel, connection_id, name, store.now())
    elif not chat.unsubscribe(channel, connection_id):
        delivery.reply(event, protocol.error_event(f"not subscribed to {channel}"))
    return OK


def list_channels(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """{"action": "listChannels"} -> channel_list, with subscriber counts."""
    chat = store.default_store()
    counts = {channel: chat.count_subscribers(channel) for channel in chat.channels()}
    counts.setdefault(protocol.GENERAL, 0)
    connection_id = event["requestContext"]["connectionId"]
    subscribed = chat.connection_channels(connection_id)
    delivery.reply(event, protocol.channel_list_event(counts, subscribed, connection_id))
    return OK
