"""Quotas on what a client sends, and the close codes and reasons the gateway uses (pure).

API Gateway closes a connection with 1009 when a frame exceeds 32 KB or a message 128 KB, and with
1003 when a binary frame arrives (AWS's WebSocket quotas page); RFC 6455 §5.1 has a server close
with 1002 when a client frame is not masked. aiohttp enforces only a whole-message limit, accepts
unmasked frames and never surfaces frame lengths, so `FrameGuard` reads the frame headers of the
inbound byte stream itself: it parses only headers (2-14 bytes per frame) and skips payloads, so it
costs little and stops an oversize frame before its payload is buffered. The WebSocket layer feeds
it every chunk before aiohttp's parser sees the chunk (see `sockgate.gateway.wsresponse`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ABNORMAL",
    "CLIENT_NO_STATUS",
    "DELETED",
    "GOING_AWAY",
    "FrameGuard",
    "Violation",
    "close_reason",
    "may_be_sent",
]

# (code, reason) pairs reported in $disconnect's disconnectStatusCode / disconnectReason.
DELETED = (1000, "Connection Closed Normally")  # DELETE @connections (observed)
GOING_AWAY = (1001, "Going away")  # idle timeout (observed), max duration, shutdown
CLIENT_NO_STATUS = (1005, "Client-side close frame status not set")  # observed
# UNCONFIRMED: the reason AWS reports for a dropped TCP connection; we use the RFC 6455 name.
ABNORMAL = (1006, "Connection Closed Abnormally")

# UNCONFIRMED: reasons for gateway-enforced closes (AWS documents the codes only).
_REASONS = {
    1002: "Protocol error",
    1003: "Unsupported data",
    1007: "Invalid frame payload data",
    1009: "Message too big",
    1011: "Internal error",
}

_OP_TEXT = 0x1
_OP_BINARY = 0x2
_OP_FIRST_CONTROL = 0x8
_MAX_HEADER = 14
# _parse_header folds the MASK bit (bit 7 of the second byte) into the first byte's flags as bit
# 8, so the hot path tests one int it already holds instead of unpacking another.
_MASKED = 0x100


# RFC 6455 §7.4.1 and IANA's registry: the codes an endpoint may put in a close frame. 1004 is
# reserved; 1005, 1006 and 1015 are for reporting only and must never be sent; 1016-2999 are
# reserved for the protocol; 3000-4999 belong to libraries and applications.
_SENDABLE = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014})


def may_be_sent(code: int) -> bool:
    """Whether a close frame may carry `code`; receiving any other code is a protocol error."""
    return code in _SENDABLE or 3000 <= code <= 4999


def close_reason(code: int) -> str:
    """The disconnectReason for a close the gateway enforced with `code`."""
    return _REASONS.get(code, "")


@dataclass(frozen=True, slots=True)
class Violation:
    """A rule the client broke (a quota, masking): the close code and a sentence for the log."""

    code: int
    description: str

    @property
    def reason(self) -> str:
        """The disconnectReason reported for this close."""
        return close_reason(self.code)


_UNMASKED = Violation(
    1002, "the client sent an unmasked frame; RFC 6455 requires every client frame to be masked"
)


class FrameGuard:
    """Watches frame headers of a client's byte stream for quota and masking violations."""

    __slots__ = ("_head", "_max_frame", "_max_message", "_message", "_skip")

    def __init__(self, max_frame_bytes: int, max_message_bytes: int) -> None:
        self._max_frame = max_frame_bytes
        self._max_message = max_message_bytes
        self._head = b""  # a header split across chunks
        self._skip = 0  # payload bytes of the current frame still to come
        self._message = 0  # bytes of the current data message so far

    def feed(self, data: bytes) -> tuple[int, Violation | None]:
        """Scan a chunk; returns (bytes of `data` before the offending frame, violation).

        Without a violation the first element is len(data). This runs for every chunk read
        from every client, so the common path indexes bytes in place rather than slicing.
        """
        pos = 0
        end = len(data)
        if self._head:
            pos, violation = self._feed_carried(data)
            if violation is not None or pos < 0:
                return (0, violation) if violation is not None else (end, None)
        skip = self._skip
        while pos < end:
            if skip:
                if skip >= end - pos:
                    self._skip = skip - (end - pos)
                    return end, None
                pos += skip
                skip = 0
            header = _parse_header(data, pos, end)
            if header is None:
                self._head = bytes(data[pos:end])
                self._skip = 0
                return end, None
            size, flags, length = header
            if not flags & _MASKED:
                self._skip = 0
                return pos, _UNMASKED
            if flags & 0x0F < _OP_FIRST_CONTROL:
                violation = self._check(flags, length)
                if violation is not None:
                    self._skip = 0
                    return pos, violation
            pos += size
            skip = length
        self._skip = skip
        return end, None

    def _feed_carried(self, data: bytes) -> tuple[int, Violation | None]:
        """Finish a header split across chunks: (position after it in `data`, or -1; violation)."""
        carried = len(self._head)
        head = self._head + data[:_MAX_HEADER]
        header = _parse_header(head, 0, len(head))
        if header is None:
            self._head = head
            return -1, None
        self._head = b""
        size, flags, length = header
        if not flags & _MASKED:
            return 0, _UNMASKED
        if flags & 0x0F < _OP_FIRST_CONTROL:
            violation = self._check(flags, length)
            if violation is not None:
                return 0, violation
        self._skip = length
        return size - carried, None

    def _check(self, flags: int, length: int) -> Violation | None:
        """Quota checks for a data frame header."""
        opcode = flags & 0x0F
        if opcode == _OP_BINARY:
            return Violation(
                1003, "the client sent a binary frame; API Gateway accepts text frames only"
            )
        if opcode == _OP_TEXT:
            self._message = 0
        if length > self._max_frame:
            return Violation(
                1009,
                f"the client sent a {length}-byte frame; the frame quota is "
                f"{self._max_frame} bytes",
            )
        self._message += length
        if self._message > self._max_message:
            return Violation(
                1009,
                f"the client sent a message of over {self._max_message} bytes, the message quota",
            )
        if flags & 0x80:  # FIN
            self._message = 0
        return None


def _parse_header(data: bytes, pos: int, end: int) -> tuple[int, int, int] | None:
    """(header size, flags, payload length) of the frame at `pos`, or None if incomplete.

    flags is the first byte (FIN, RSV, opcode), plus _MASKED when the MASK bit is set.
    """
    if end - pos < 2:
        return None
    second = data[pos + 1]
    flag = second & 0x7F
    masked = second & 0x80
    size = 6 if masked else 2
    if flag == 126:
        size += 2
        if end - pos < size:
            return None
        length = (data[pos + 2] << 8) | data[pos + 3]
    elif flag == 127:
        size += 8
        if end - pos < size:
            return None
        length = int.from_bytes(data[pos + 2 : pos + 10], "big")
    else:
        if end - pos < size:
            return None
        length = flag
    return size, data[pos] | (masked << 1), length
