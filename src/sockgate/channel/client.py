"""The worker's end of the local channel: one blocking connection to the gateway's socket."""

from __future__ import annotations

import functools
import os
import socket
import struct
import threading
import weakref
from typing import BinaryIO

from sockgate.channel.wire import (
    REPLY,
    ChannelReply,
    decode_reply_head,
    encode_request,
)

__all__ = ["ChannelBrokenError", "ChannelClient", "ChannelTimeoutError"]

# botocore's default read timeout: a reply later than this is a timeout over HTTP too.
READ_TIMEOUT = 60.0


class ChannelBrokenError(ConnectionError):
    """The request went out but no reply came back: the gateway may or may not have served it."""


class ChannelTimeoutError(TimeoutError):
    """The gateway did not reply in time."""


class ChannelClient:
    """One worker's connection to the gateway's local channel, shared by its threads.

    Connects on first use and again after a failure; a process forked from this one starts
    without the connection (it must not share the parent's socket).
    """

    def __init__(self, path: str, timeout: float = READ_TIMEOUT) -> None:
        self.path = path
        self._timeout = timeout
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._reader: BinaryIO | None = None
        os.register_at_fork(after_in_child=functools.partial(_forget_in_child, weakref.ref(self)))

    def request(self, method: str, path: str, body: bytes) -> ChannelReply | None:
        """Send one request and wait for its reply.

        Returns None when the channel cannot be reached before anything was sent (the caller
        then uses HTTP); raises ChannelBrokenError or ChannelTimeoutError when the request went
        out and its reply did not come back, as an HTTP client would fail in that case.
        """
        try:
            frame = encode_request(method, path, body)
        except (UnicodeEncodeError, ValueError, struct.error):
            return None
        with self._lock:
            if self._sock is not None and not self._send(frame):
                self._close()  # the gateway closed our connection: one new attempt
            if self._sock is None:
                if not self._connect() or not self._send(frame):
                    self._close()
                    return None
            return self._read_reply()

    def close(self) -> None:
        """Drop the connection (the next request connects again)."""
        with self._lock:
            self._close()

    def _connect(self) -> bool:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self._timeout)
            sock.connect(self.path)
        except OSError:
            sock.close()
            return False
        self._sock = sock
        self._reader = sock.makefile("rb")
        return True

    def _send(self, frame: bytes) -> bool:
        assert self._sock is not None
        try:
            self._sock.sendall(frame)
        except OSError:
            return False
        return True

    def _read_reply(self) -> ChannelReply:
        assert self._reader is not None
        try:
            fixed = self._reader.read(REPLY.size)
            if len(fixed) == REPLY.size:
                status, head_size, body_size = REPLY.unpack(fixed)
                rest = self._reader.read(head_size + body_size)
                if len(rest) == head_size + body_size:
                    head = decode_reply_head(rest[:head_size]) if head_size else {}
                    return ChannelReply(status, head, rest[head_size:])
        except TimeoutError as exc:
            self._close()
            raise ChannelTimeoutError("the gateway did not reply in time") from exc
        except OSError as exc:
            self._close()
            raise ChannelBrokenError("the gateway closed the local channel") from exc
        self._close()
        raise ChannelBrokenError("the gateway closed the local channel before replying")

    def _close(self) -> None:
        reader, sock = self._reader, self._sock
        self._reader = self._sock = None
        for closeable in (reader, sock):
            if closeable is not None:
                try:
                    closeable.close()
                except OSError:
                    pass

    def _forget(self) -> None:
        # In a forked child: the socket belongs to the parent; a fresh lock, no connection.
        self._lock = threading.Lock()
        self._close()


def _forget_in_child(client: weakref.ref[ChannelClient]) -> None:
    alive = client()
    if alive is not None:
        alive._forget()
