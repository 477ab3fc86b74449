"""The local channel's frames and the gateway's request parser, without sockets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sockgate.channel.wire import (
    REPLY,
    REQUEST,
    ChannelRequest,
    RequestParser,
    decode_reply_head,
    encode_reply,
    encode_request,
    whole_request,
)

LIMIT = 64


def parse(parser: RequestParser, data: bytes) -> list[ChannelRequest]:
    parser.feed(data)
    found = []
    while (request := parser.next()) is not None:
        found.append(request)
    return found


def test_a_whole_request_is_read_without_the_parser() -> None:
    frame = encode_request("POST", "/dev/@connections/abc%3D", b"hello")
    assert whole_request(frame, LIMIT) == ChannelRequest(
        "POST", "/dev/@connections/abc%3D", b"hello"
    )
    assert whole_request(frame[:-1], LIMIT) is None  # incomplete
    assert whole_request(frame + frame, LIMIT) is None  # more than one
    assert whole_request(encode_request("POST", "/x", b"x" * (LIMIT + 1)), LIMIT) is None


def test_requests_split_anywhere_come_out_whole_and_in_order() -> None:
    frames = [encode_request("GET", f"/dev/@connections/{n}", b"") for n in range(3)]
    frames.append(encode_request("POST", "/dev/@connections/4", b"body"))
    stream = b"".join(frames)
    parser = RequestParser(LIMIT)
    found = []
    for index in range(len(stream)):  # one byte at a time
        found += parse(parser, stream[index : index + 1])
    assert [(r.method, r.path, r.body) for r in found] == [
        ("GET", "/dev/@connections/0", b""),
        ("GET", "/dev/@connections/1", b""),
        ("GET", "/dev/@connections/2", b""),
        ("POST", "/dev/@connections/4", b"body"),
    ]
    assert parser.idle


def test_an_oversized_body_is_discarded_as_it_arrives_and_answered_in_order() -> None:
    big = encode_request("POST", "/dev/@connections/big", b"x" * 1000)
    after = encode_request("GET", "/dev/@connections/next", b"")
    parser = RequestParser(LIMIT)
    assert parse(parser, big[:100]) == []
    assert not parser.idle
    assert len(parser._buffer) == 0  # the body is not held
    assert parse(parser, big[100:] + after) == [
        ChannelRequest("POST", "/dev/@connections/big", None),
        ChannelRequest("GET", "/dev/@connections/next", b""),
    ]


def test_parsing_waits_for_the_reader() -> None:
    """next() parses lazily: requests the reader has not asked for stay unparsed."""
    parser = RequestParser(LIMIT)
    parser.feed(encode_request("DELETE", "/a", b"") + encode_request("GET", "/b", b""))
    assert parser.next() == ChannelRequest("DELETE", "/a", b"")
    assert not parser.idle
    assert parser.next() == ChannelRequest("GET", "/b", b"")
    assert parser.next() is None and parser.idle


@given(
    st.lists(st.tuples(st.sampled_from(["GET", "POST", "DELETE"]), st.binary(max_size=100))),
    st.lists(st.integers(min_value=1, max_value=50)),
)
def test_any_chunking_gives_the_same_requests(
    requests: list[tuple[str, bytes]], cuts: list[int]
) -> None:
    stream = b"".join(encode_request(m, f"/p{n}", body) for n, (m, body) in enumerate(requests))
    parser, found, position = RequestParser(LIMIT), [], 0
    for cut in [*cuts, len(stream)]:
        found += parse(parser, stream[position : position + cut])
        position += cut
    found += parse(parser, stream[position:])
    assert found == [
        ChannelRequest(m, f"/p{n}", body if len(body) <= LIMIT else None)
        for n, (m, body) in enumerate(requests)
    ]


def test_reply_frames_round_trip() -> None:
    frame = encode_reply(410, {"x-amzn-ErrorType": "GoneException"}, b"{}")
    status, head_size, body_size = REPLY.unpack_from(frame)
    assert (status, body_size) == (410, 2)
    head = frame[REPLY.size : REPLY.size + head_size]
    assert decode_reply_head(head) == {"x-amzn-ErrorType": "GoneException"}
    assert frame[REPLY.size + head_size :] == b"{}"


def test_a_path_too_long_for_the_head_is_refused() -> None:
    with pytest.raises(ValueError):
        encode_request("GET", "/" + "x" * 0x10000, b"")
    assert REQUEST.size == 6
