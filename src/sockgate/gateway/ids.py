"""Identifiers in API Gateway's formats: connection, request and message ids, api ids, trace ids.

Real ids look like "BFaT_fALIAMCKug=": 16 characters of URL-safe base64 ending in "=", which is
what 11 random bytes encode to. Connection ids use the OS random source because anyone who knows
one can post to that client; request and message ids are merely unique and come from a fast PRNG
seeded from it (they are made for every message).
"""

from __future__ import annotations

import base64
import hashlib
import os
import random
import re
import time

__all__ = [
    "api_id_for",
    "connection_id",
    "epoch_ms",
    "is_api_id",
    "is_connection_id",
    "message_id",
    "request_id",
    "response_request_id",
    "trace_id",
]

_ID_BYTES = 11  # 11 bytes -> 15 base64 characters and one "=" of padding
_CONNECTION_ID = re.compile(r"[A-Za-z0-9_\-]{15}=")
_API_ID = re.compile(r"[a-z0-9]{10}")
_ALPHABET36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_rng = random.Random(os.urandom(32))
_getrandbits = _rng.getrandbits
_b64 = base64.urlsafe_b64encode


def connection_id() -> str:
    """A new connectionId, e.g. "BFaT_fALIAMCKug="."""
    return _b64(os.urandom(_ID_BYTES)).decode("ascii")


def request_id() -> str:
    """A new requestId (also used as extendedRequestId), e.g. "BFaVtH2HoAMFZEQ="."""
    return _b64(_getrandbits(88).to_bytes(_ID_BYTES, "big")).decode("ascii")


# A messageId has the same shape as a requestId.
message_id = request_id


def response_request_id() -> str:
    """An x-amzn-RequestId header value: a random version-4 UUID's text, e.g.
    "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0" (from the fast PRNG: it is made for every post)."""
    n = _getrandbits(128) & _UUID4_CLEAR | _UUID4_SET
    text = f"{n:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


# Version 4 and the RFC 4122 variant, as uuid.uuid4() sets them.
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


def is_connection_id(value: str) -> bool:
    """True when `value` has the shape of a connectionId this gateway hands out."""
    return _CONNECTION_ID.fullmatch(value) is not None


def is_api_id(value: str) -> bool:
    """True for a 10-character lowercase alphanumeric API id."""
    return _API_ID.fullmatch(value) is not None


def api_id_for(name: str) -> str:
    """A stable 10-character lowercase alphanumeric API id derived from a service name."""
    number = int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big")
    chars = []
    for _ in range(10):
        number, digit = divmod(number, 36)
        chars.append(_ALPHABET36[digit])
    return "".join(chars)


def trace_id(epoch_seconds: float) -> str:
    """An X-Amzn-Trace-Id header value: Root=1-<8 hex epoch seconds>-<24 hex random>."""
    return f"Root=1-{int(epoch_seconds):08x}-{_getrandbits(96):024x}"


def epoch_ms() -> int:
    """Now, in epoch milliseconds (the events' requestTimeEpoch, connectedAt)."""
    return time.time_ns() // 1_000_000
