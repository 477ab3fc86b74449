"""The chat protocol's pure parts: validation, names, sanitising, event shapes."""

from __future__ import annotations

import json

import pytest

from chat import protocol


@pytest.mark.parametrize("value", ["General", "a", "dev-ops_2", "x" * 64, "9lives"])
def test_valid_channel_ids(value: str) -> None:
    assert protocol.channel_id(value) == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "channelId is required"),
        ("", "channelId is required"),
        ("x" * 65, protocol.CHANNEL_RULE),
        ("-leading", protocol.CHANNEL_RULE),
        ("has space", protocol.CHANNEL_RULE),
        ("semi;colon", protocol.CHANNEL_RULE),
        ("<script>", protocol.CHANNEL_RULE),
        ("café", protocol.CHANNEL_RULE),
        (42, protocol.CHANNEL_RULE),
        (["General"], protocol.CHANNEL_RULE),
    ],
)
def test_invalid_channel_ids(value: object, message: str) -> None:
    with pytest.raises(protocol.ProtocolError, match=message.replace("(", r"\(")):
        protocol.channel_id(value)


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Ada Lovelace", "Ada Lovelace"),
        ("<b>Eve</b>", "bEveb"),
        ("Jean-Luc  \t Picard", "Jean-Luc Picard"),
        ("José 2", "José 2"),
        ("'; DROP TABLE--", "DROP TABLE--"),
        ("!!!", "Anonymous"),
        ("", "Anonymous"),
        (None, "Anonymous"),
        (123, "Anonymous"),
        ("x" * 50, "x" * 32),
    ],
)
def test_display_names_keep_letters_digits_spaces_hyphens(raw: object, name: str) -> None:
    assert protocol.display_name(raw) == name


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("<b>bold</b> and <i>it</i>", "<b>bold</b> and <i>it</i>"),
        ("<script>alert(1)</script>hi", "hi"),
        ('<b onclick="x()">b</b>', "<b>b</b>"),
        ("<img src=x onerror=alert(1)>", ""),
        ('<a href="javascript:alert(1)">link</a>', "link"),
        ("<ul><li>one</li></ul>", "<ul><li>one</li></ul>"),
        ("<strike>s</strike><pre>p</pre><strong>t</strong><em>e</em><ol></ol>", None),
        ("1 < 2 & 3", "1 &lt; 2 &amp; 3"),
        ("<style>*{}</style>ok<!-- hidden -->", "ok"),
    ],
)
def test_sanitise_keeps_only_the_seed_tags(raw: str, clean: str | None) -> None:
    assert protocol.sanitise(raw) == (raw if clean is None else clean)


def test_message_content_rules() -> None:
    assert protocol.message_content(" <b>x</b> ") == "<b>x</b>"
    for bad, message in [
        (None, "content must be a string"),
        ("   ", "content is empty"),
        ("<script>only</script>", "content is empty"),
        ("<b> </b><i></i>", "content is empty"),
        ("x" * (protocol.MAX_CONTENT + 1), "longer than"),
    ]:
        with pytest.raises(protocol.ProtocolError, match=message):
            protocol.message_content(bad)


def test_history_limit_and_cursor() -> None:
    assert protocol.history_limit(None) == protocol.DEFAULT_HISTORY
    assert protocol.history_limit(1) == 1
    assert protocol.history_limit(100) == 100
    for bad in (0, 101, -1, "5", 2.5, True):
        with pytest.raises(protocol.ProtocolError, match="limit must be an integer"):
            protocol.history_limit(bad)
    assert protocol.history_cursor(None) is None
    assert protocol.history_cursor("") is None
    cursor = "2024-01-20T11:55:08.123456Z#0123abcd"
    assert protocol.history_cursor(cursor) == cursor
    for bad in ("a b", "x" * 129, 5, "<script>"):
        with pytest.raises(protocol.ProtocolError, match="before must be"):
            protocol.history_cursor(bad)


@pytest.mark.parametrize("body", [None, "", "not json", "[1, 2]", '"text"', "42"])
def test_frames_that_are_not_objects_are_invalid_actions(body: str | None) -> None:
    with pytest.raises(protocol.ProtocolError, match="invalid action type"):
        protocol.parse_action(body)


def test_event_shapes() -> None:
    assert protocol.error_event("invalid action type") == {
        "event": "error",
        "message": "invalid action type",
    }
    assert protocol.subscription_event("subscriber_sub", "General", "abc=", "Ann") == {
        "event": "subscriber_sub",
        "channelId": "General",
        "subscriberId": "abc=",
        "name": "Ann",
    }
    assert protocol.history_event("General", [], None) == {
        "event": "channel_history",
        "channelId": "General",
        "messages": [],
        "next": None,
    }
    listing = protocol.channel_list_event({"b": 1, "General": 3, "a": 0}, ["General"], "me=")
    assert [c["channelId"] for c in listing["channels"]] == ["a", "b", "General"]
    assert listing["subscribed"] == ["General"]
    assert listing["connectionId"] == "me="


def test_encode_is_compact_utf8_json() -> None:
    data = protocol.encode({"event": "x", "name": "José"})
    assert data == '{"event":"x","name":"José"}'.encode()
    assert json.loads(data) == {"event": "x", "name": "José"}
