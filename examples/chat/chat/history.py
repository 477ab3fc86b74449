"""getHistory: one page of a channel's messages, newest first, with a Query (never a Scan).

    {"action": "getHistory", "channelId": "General", "limit": 20, "before": null}
    -> {"event": "channel_history", "channelId", "messages": [...], "next": "<cursor>"|null}

Pass `next` back as `before` for the page of older messages; `next` is null on the last page.
Messages past their retention are never returned, even before TTL has deleted them.
"""

from __future__ import annotations

from typing import Any

from chat import delivery, protocol, store

OK = {"statusCode": 200}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answer the caller with one page of history."""
    try:
        action = protocol.parse_action(event.get("body"))
        channel = protocol.channel_id(action.get("channelId"))
        limit = protocol.history_limit(action.get("limit"))
        before = protocol.history_cursor(action.get("before"))
    except protocol.ProtocolError as error:
        delivery.reply(event, protocol.error_event(str(error)))
        return OK
    messages, next_cursor = store.default_store().history(channel, limit, before, store.now())
    delivery.reply(event, protocol.history_event(channel, messages, next_cursor))
    return OK
