"""Splitting a worker's merged stdout/stderr into lines, log records and invocation ends (pure).

A worker writes three kinds of things to its stdout pipe, in order:

- whatever the handler prints (plain text; logged as `<request id>\\t<line>`);
- log records from its logging handler, `context.log` and `[ERROR]` reports: `RECORD_MARK`, the
  text with its newlines turned into `\\r` (the way Lambda's runtime keeps a multi-line record
  one log event), and a newline;
- a per-worker sentinel after each invocation (and after init) that had output, written after
  flushing, so the runtime knows every line of that invocation has been read before it logs END.
  An invocation without one had all its output read before its response was sent.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["RECORD_MARK", "OutputItem", "OutputSplitter", "encode_record", "sentinel"]

RECORD_MARK = "\x1f"
_MAX_PARTIAL = 64 * 1024  # a line without a newline is logged in pieces of this size

OutputItem = tuple[Literal["print", "record", "end"], str]


def sentinel(token: str) -> bytes:
    """The bytes a worker writes after each invocation's output."""
    return b"\x1e" + token.encode() + b"\x1e"


def encode_record(text: str) -> bytes:
    """A log record as the worker writes it to its stdout."""
    body = text.rstrip("\n").replace("\r\n", "\r").replace("\n", "\r")
    return (RECORD_MARK + body + "\n").encode("utf-8", "backslashreplace")


class OutputSplitter:
    """Feed it raw output bytes; it returns complete items in order."""

    def __init__(self, token: str) -> None:
        self._sentinel = sentinel(token)
        self._buffer = b""

    def feed(self, data: bytes) -> list[OutputItem]:
        """Items completed by this chunk of output."""
        self._buffer += data
        items: list[OutputItem] = []
        while True:
            index = self._buffer.find(self._sentinel)
            if index < 0:
                break
            # Output before the sentinel belongs to the invocation, even a partial last line.
            self._lines(self._buffer[:index], items, final=True)
            self._buffer = self._buffer[index + len(self._sentinel) :]
            items.append(("end", ""))
        self._buffer = self._lines(self._buffer, items, final=False)
        return items

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
            # Keep enough of the tail that a sentinel split across chunks is still found.
            cut = len(data) - len(self._sentinel)
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
