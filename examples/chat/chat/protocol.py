"""The chat protocol: actions in, events out, validation and sanitising. Pure: no I/O.

Client actions (JSON text frames, routed on `action`):

    {"action": "sendMessage", "channelId": "General", "name": "Ann", "content": "<b>hi</b>"}
    {"action": "subscribeChannel", "channelId": "random"}
    {"action": "unsubscribeChannel", "channelId": "random"}
    {"action": "getHistory", "channelId": "General", "limit": 20, "before": "<cursor>"}
    {"action": "listChannels"}

Server events (JSON text frames):

    {"event": "channel_message", "channelId", "name", "content", "id", "timestamp"}
    {"event": "subscriber_sub", "channelId", "subscriberId", "name"}
    {"event": "subscriber_unsub", "channelId", "subscriberId", "name"}
    {"event": "channel_history", "channelId", "messages": [newest first], "next": cursor|null}
    {"event": "channel_list", "channels": [{"channelId", "subscribers"}], "subscribed": [...],
     "connectionId": "<the caller's>"}
    {"event": "error", "message": "..."}

Names keep only letters, digits, spaces and hyphens; content keeps only the seed's tags
(ul ol b i em strike pre strong li) without attributes, sanitised by nh3.
"""

from __future__ import annotations

import json
import re
from typing import Any

import nh3

GENERAL = "General"
ANONYMOUS = "Anonymous"
ALLOWED_TAGS = frozenset({"ul", "ol", "b", "i", "em", "strike", "pre", "strong", "li"})
MAX_NAME = 32
MAX_CONTENT = 2000  # characters after sanitising; far below API Gateway's 128 KB frames
MAX_HISTORY = 100
DEFAULT_HISTORY = 20
MAX_CURSOR = 128

_CHANNEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_CURSOR = re.compile(r"[0-9A-Za-z:.#_-]{1,128}")

INVALID_ACTION = "invalid action type"
CHANNEL_RULE = "channelId must be 1 to 64 letters, digits, hyphens or underscores"


class ProtocolError(ValueError):
    """A client frame that cannot be served; str() is the error event's message."""


def parse_action(body: str | None) -> dict[str, Any]:
    """The JSON object of a routed frame; raises ProtocolError for anything else."""
    try:
        value = json.loads(body or "")
    except ValueError as error:
        raise ProtocolError(INVALID_ACTION) from error
    if not isinstance(value, dict):
        raise ProtocolError(INVALID_ACTION)
    return value


def channel_id(value: Any) -> str:
    """A valid channel id, or ProtocolError."""
    if value is None or value == "":
        raise ProtocolError("channelId is required")
    if not isinstance(value, str) or not _CHANNEL_ID.fullmatch(value):
        raise ProtocolError(CHANNEL_RULE)
    return value


def display_name(value: Any) -> str:
    """A name with only letters, digits, spaces and hyphens; "Anonymous" when nothing is left."""
    if not isinstance(value, str):
        return ANONYMOUS
    # As the seed does: drop every other character, keep (collapsed) whitespace.
    kept = "".join(ch for ch in value if ch.isalnum() or ch == "-" or ch.isspace())
    name = " ".join(kept.split())[:MAX_NAME].strip()
    return name or ANONYMOUS


def sanitise(content: str) -> str:
    """HTML with only the allowed tags and no attributes, comments or scripts."""
    return nh3.clean(content, tags=set(ALLOWED_TAGS), attributes={}, link_rel=None)


def message_content(value: Any) -> str:
    """Sanitised, non-empty message content, or ProtocolError."""
    if not isinstance(value, str):
        raise ProtocolError("content must be a string")
    clean = sanitise(value).strip()
    if not nh3.clean(clean, tags=set()).strip():  # only tags, no text: nothing to show
        raise ProtocolError("content is empty")
    if len(clean) > MAX_CONTENT:
        raise ProtocolError(f"content is longer than {MAX_CONTENT} characters")
    return clean


def history_limit(value: Any) -> int:
    """The page size of getHistory (default 20), or ProtocolError."""
    if value is None:
        return DEFAULT_HISTORY
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_HISTORY:
        raise ProtocolError(f"limit must be an integer from 1 to {MAX_HISTORY}")
    return value


def history_cursor(value: Any) -> str | None:
    """The `before` cursor of getHistory (a `next` from an earlier page), or ProtocolError."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _CURSOR.fullmatch(value):
        raise ProtocolError("before must be the next value of an earlier channel_history")
    return value


def encode(event: dict[str, Any]) -> bytes:
    """A server event as the bytes of one text frame."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def error_event(message: str) -> dict[str, Any]:
    """{"event": "error", "message": ...}."""
    return {"event": "error", "message": message}


def message_event(message: dict[str, Any]) -> dict[str, Any]:
    """channel_message for one stored message (see `message_view`)."""
    return {"event": "channel_message", **message}


def subscription_event(
    kind: str, channel: str, subscriber_id: str, name: str | None
) -> dict[str, Any]:
    """subscriber_sub or subscriber_unsub."""
    return {
        "event": kind,
        "channelId": channel,
        "subscriberId": subscriber_id,
        "name": name or ANONYMOUS,
    }


def history_event(
    channel: str, messages: list[dict[str, Any]], next_cursor: str | None
) -> dict[str, Any]:
    """channel_history: messages newest first, `next` to pass as `before` for older ones."""
    return {
        "event": "channel_history",
        "channelId": channel,
        "messages": messages,
        "next": next_cursor,
    }


def channel_list_event(
    counts: dict[str, int], subscribed: list[str], connection_id: str
) -> dict[str, Any]:
    """channel_list: every channel with its subscriber count, the caller's channels and id.

    The caller's own connection id lets a page recognise itself in subscriber_unsub (kicked).
    """
    channels = [{"channelId": c, "subscribers": counts[c]} for c in sorted(counts, key=str.lower)]
    return {
        "event": "channel_list",
        "channels": channels,
        "subscribed": sorted(subscribed),
        "connectionId": connection_id,
    }
