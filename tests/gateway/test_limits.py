"""The frame and message quotas on the inbound byte stream, without sockets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sockgate.gateway.limits import FrameGuard

from .rawws import frame

KB = 1024


def guard() -> FrameGuard:
    return FrameGuard(32 * KB, 128 * KB)


def test_frames_within_quota_pass() -> None:
    data = frame(1, b"x" * 10) + frame(1, b"y" * 32 * KB) + frame(9, b"ping") + frame(1, b"")
    assert guard().feed(data) == (len(data), None)


def test_oversize_frame_is_1009_before_its_payload() -> None:
    first = frame(1, b"ok")
    data = first + frame(1, b"z" * (32 * KB + 1))
    allowed, violation = guard().feed(data[: len(first) + 20])  # payload barely started
    assert violation is not None and violation.code == 1009
    assert allowed == len(first)
    assert violation.reason == "Message too big"


def test_binary_frame_is_1003() -> None:
    allowed, violation = guard().feed(frame(2, b"\x00\x01"))
    assert violation is not None and violation.code == 1003 and allowed == 0


def test_fragmented_message_up_to_quota_passes() -> None:
    parts = [frame(1, b"a" * 32 * KB, fin=False)]
    parts += [frame(0, b"b" * 32 * KB, fin=False) for _ in range(2)]
    parts.append(frame(0, b"c" * 32 * KB, fin=True))
    data = b"".join(parts)
    g = guard()
    assert g.feed(data) == (len(data), None)
    # the next message starts from zero again
    assert g.feed(frame(1, b"d" * 32 * KB)) == (len(frame(1, b"d" * 32 * KB)), None)


def test_fragmented_message_over_quota_is_1009() -> None:
    parts = [frame(1, b"a" * 32 * KB, fin=False)]
    parts += [frame(0, b"b" * 32 * KB, fin=False) for _ in range(3)]
    over = frame(0, b"!", fin=True)
    data = b"".join(parts)
    allowed, violation = guard().feed(data + over)
    assert violation is not None and violation.code == 1009 and allowed == len(data)


def test_control_frames_inside_a_fragmented_message() -> None:
    data = frame(1, b"a" * 100, fin=False) + frame(9, b"p") + frame(0, b"b" * 100, fin=True)
    assert guard().feed(data) == (len(data), None)


def test_headers_split_across_chunks_one_byte_at_a_time() -> None:
    data = frame(1, b"x" * 300) + frame(1, b"y" * 70000)
    g = FrameGuard(100 * KB, 128 * KB)
    for i in range(len(data)):
        assert g.feed(data[i : i + 1]) == (1, None)
    over = frame(1, b"z" * (100 * KB + 1))
    results = [g.feed(over[i : i + 1]) for i in range(14)]
    violations = [v for _, v in results if v is not None]
    assert violations and violations[0].code == 1009
    # the violation is reported on the byte that completes the 10-byte header (masked: 14)
    assert results.index(next(r for r in results if r[1] is not None)) == 13


def test_sixty_four_bit_lengths() -> None:
    g = FrameGuard(10**12, 10**12)
    big = frame(1, b"q" * 70000)
    assert g.feed(big) == (len(big), None)


@pytest.mark.parametrize("opcode", [0x1, 0x9, 0x8])  # text, ping, close
def test_unmasked_frame_is_1002(opcode: int) -> None:
    first = frame(1, b"ok")
    allowed, violation = guard().feed(first + frame(opcode, b"hi", mask=False) + frame(1, b"x"))
    assert violation is not None and violation.code == 1002 and allowed == len(first)
    assert violation.reason == "Protocol error"


def test_unmasked_header_split_across_chunks_is_1002() -> None:
    g = guard()
    unmasked = frame(1, b"y" * 300, mask=False)  # a 4-byte header
    assert g.feed(unmasked[:1]) == (1, None)
    allowed, violation = g.feed(unmasked[1:])
    assert violation is not None and violation.code == 1002 and allowed == 0


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 70000), min_size=1, max_size=6),
    cuts=st.lists(st.integers(1, 200000), max_size=8),
)
def test_any_chunking_sees_the_same_frames(sizes: list[int], cuts: list[int]) -> None:
    limit = 64 * KB
    data = b"".join(frame(1, b"p" * size) + frame(9, b"") for size in sizes)
    whole = FrameGuard(limit, 10**9).feed(data)[1]
    g = FrameGuard(limit, 10**9)
    seen = None
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    for start, stop in zip(points, points[1:], strict=False):
        _, violation = g.feed(data[start:stop])
        if violation is not None:
            seen = violation
            break
    expected = next((s for s in sizes if s > limit), None)
    assert (whole is None) == (expected is None) == (seen is None)
