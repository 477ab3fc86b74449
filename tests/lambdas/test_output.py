"""The worker output splitter: lines, records and invocation ends (no processes)."""

from __future__ import annotations

from sockgate.lambdas.output import OutputSplitter, encode_record, sentinel

TOKEN = "abc123"


def test_lines_records_and_end_in_order() -> None:
    splitter = OutputSplitter(TOKEN)
    data = b"hello\n" + encode_record("[INFO]\tts\tid\tmulti\nline\n") + b"bye\n" + sentinel(TOKEN)
    assert splitter.feed(data) == [
        ("print", "hello"),
        ("record", "[INFO]\tts\tid\tmulti\nline"),
        ("print", "bye"),
        ("end", ""),
    ]


def test_partial_line_waits_for_newline_or_end() -> None:
    splitter = OutputSplitter(TOKEN)
    assert splitter.feed(b"no newline yet") == []
    assert splitter.feed(b", still" + sentinel(TOKEN) + b"next") == [
        ("print", "no newline yet, still"),
        ("end", ""),
    ]
    assert splitter.flush() == [("print", "next")]


def test_sentinel_split_across_chunks() -> None:
    splitter = OutputSplitter(TOKEN)
    marker = sentinel(TOKEN)
    items = splitter.feed(b"a\n" + marker[:3])
    items += splitter.feed(marker[3:] + b"b\n")
    assert items == [("print", "a"), ("end", ""), ("print", "b")]


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    splitter = OutputSplitter(TOKEN)
    assert splitter.feed(b"\xff\xfe garbage\n") == [("print", "\ufffd\ufffd garbage")]


def test_very_long_line_without_newline_is_emitted_in_pieces() -> None:
    splitter = OutputSplitter(TOKEN)
    items = splitter.feed(b"x" * 200_000)
    assert items and all(kind == "print" for kind, _ in items)
    rest = splitter.feed(sentinel(TOKEN))
    assert "".join(text for _, text in items + rest) == "x" * 200_000
    assert rest[-1] == ("end", "")
