"""Splitting a worker's merged stdout/stderr into lines, log records and invocation ends (pure).

A worker writes three kinds of things to its stdout pipe, in order:

- whatever the handler prints (plain text; logged as `<request id>\\t<line>`);
- log records from its logging handler, `context.log` and `[ERROR]` reports: `RECORD_MARK`, the
  text with its newlines turned into `\\r` (the way Lambda's runtime keeps a multi-line record
  one log event), and a newline;
- a per-worker sentinel after each invocation (and after init) that had output, written after
  flushing, so the runtime knows every line of that invocation has been read before it logs END.
  An invocation without one had all its output read before its response was sent;
- before an invocation's first output, a begin marker naming its request id: the runtime may
  have sent the next request before reading this one's response (lambdas/pool.py), so output is
  attributed by the marker, not by which response was read last.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "RECORD_MARK",
    "OutputItem",
    "OutputSplitter",
    "begin_marker",
    "encode_record",
    "sentinel",
]

RECORD_MARK = "\x1f"
_MAX_PARTIAL = 64 * 1024  # a line without a newline is logged in pieces of this size
_MAX_REQUEST_ID = 64  # a request id is a UUID's 36 characters

OutputItem = tuple[Literal["print", "record", "begin", "end"], str]
_BEGIN = b"\x1d"


def sentinel(token: str) -> bytes:
    """The bytes a worker writes after each invocation's output."""
    return b"\x1e" + token.encode() + b"\x1e"


def begin_marker(token: str, request_id: str) -> bytes:
    """The bytes a worker writes before an invocation's first output (request id "": init)."""
    return _BEGIN + token.encode() + b":" + request_id.encode() + _BEGIN


def encode_record(text: str) -> bytes:
    """A log record as the worker writes it to its stdout."""
    body = text.rstrip("\n").replace("\r\n", "\r").replace("\n", "\r")
    return (RECORD_MARK + body + "\n").encode("utf-8", "backslashreplace")


class OutputSplitter:
    """Feed it raw output bytes; it returns complete items in order."""

    def __init__(self, token: str) -> None:
        self._sentinel = sentinel(token)
        self._begin = _BEGIN + token.encode() + b":"
        self._buffer = b""

    def feed(self, data: bytes) -> list[OutputItem]:
        """Items completed by this chunk of output."""
        self._buffer += data
        items: list[OutputItem] = []
        while True:
            marker = self._next_marker()
            if marker is None:
                break
            start, end, item = marker
            # Output before a marker belongs to what came before it, even a partial last line.
            self._lines(self._buffer[:start], items, final=True)
            self._buffer = self._buffer[end:]
            items.append(item)
        self._buffer = self._lines(self._buffer, items, final=False)
        return items

    def _next_marker(self) -> tuple[int, int, OutputItem] | None:
        """The first complete marker in the buffer: where it starts and ends, and its item."""
        buffer = self._buffer
        end_at = buffer.find(self._sentinel)
        begin_at = buffer.find(self._begin)
        if begin_at >= 0 and (end_at < 0 or begin_at < end_at):
            close = buffer.find(_BEGIN, begin_at + len(self._begin))
            if close < 0:
                return None  # the rest of the marker is still in the pipe
            request_id = buffer[begin_at + len(self._begin) : close].decode("ascii", "replace")
            return begin_at, close + 1, ("begin", request_id)
        if end_at >= 0:
            return end_at, end_at + len(self._sentinel), ("end", "")
        return None

    def flush(self) -> list[OutputItem]:
        """Items left unfinished, a partial last line included: the invocation's output ended
        (without a sentinel: it wrote nothing since the runtime last read) or the worker exited."""
        items: list[OutputItem] = []
        self._lines(self._buffer, items, final=True)
        self._buffer = b""
        return items

    def _lines(self, data: bytes, items: list[OutputItem], *, final: bool) -> bytes:
        """Append the complete lines of `data` to items; return what is left unfinished."""
        cut = len(data) if final else data.rfind(b"\n") + 1
        if not final and cut == 0 and len(data) > _MAX_PARTIAL:
            # Keep enough of the tail that a marker split across chunks is still found.
            cut = len(data) - (len(self._begin) + _MAX_REQUEST_ID)
        if cut <= 0:
            return data
        text = data[:cut].decode("utf-8", "replace")
        if text.endswith("\n"):
            text = text[:-1]
        for line in text.split("\n"):
            if line.startswith(RECORD_MARK):
                items.append(("record", line[1:].replace("\r", "\n")))
            else:
                items.append(("print", line.removesuffix("\r")))
        return data[cut:]
