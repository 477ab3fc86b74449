"""HTTP/1.1 framing for the table service, without I/O: bytes in, requests out.

Every DynamoDB call is one small POST on a keep-alive connection, and a general web framework's
per-request work (request and response objects, routing, middlewares, a task per request) was
the largest single part of a PutItem's time. The parsing itself is llhttp's (Node's parser,
through httptools, as uvicorn uses it): Content-Length and chunked bodies, keep-alive and
``Connection: close``, HTTP/1.0, pipelined requests, and the refusal of ambiguous framing
(both Content-Length and Transfer-Encoding, conflicting lengths). This module adds what a
server decides: size limits, the Host rule, ``Expect: 100-continue``, and a status per error.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import httptools

__all__ = ["MAX_HEAD", "HttpError", "Request", "RequestParser", "status_line"]

MAX_HEAD = 64 * 1024  # request line and headers
_REASONS = {
    100: "Continue",
    200: "OK",
    400: "Bad Request",
    405: "Method Not Allowed",
    413: "Content Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    505: "HTTP Version Not Supported",
}


def status_line(status: int) -> str:
    """``HTTP/1.1 200 OK`` and its line end."""
    return f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n"


@dataclass(slots=True)
class Request:
    """One complete request. Header names are lower case."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool
    http10: bool = False


class HttpError(Exception):
    """A request that cannot be framed: answer ``status`` and close the connection.

    A protocol error sent to the client, like the DynamoDB errors (see sockgate.tables.errors),
    so not a SockgateError.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class RequestParser:
    """Cuts the bytes of one connection into its requests, in order (llhttp, via httptools).

    feed() what the socket gave, then call next_request() until it returns None (the rest of
    the next request has not arrived yet). An HttpError means the stream cannot be read on; it
    is raised once the requests that came complete before it have been handed out.
    """

    def __init__(self, max_body: int) -> None:
        self._parser = httptools.HttpRequestParser(self)
        self._max_body = max_body
        self._ready: deque[Request] = deque()
        self._error: HttpError | None = None
        self._pending = 0  # bytes of the request being received
        self._queued = 0  # bytes of the complete requests not handed out yet
        self._in_head = False
        self._target = ""
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._body_size = 0
        self._bad_coding = False
        self.continue_due = False  # the client waits for "100 Continue" before its body

    def feed(self, data: bytes | memoryview) -> None:
        """Add bytes received from the connection."""
        if self._error is not None:
            return
        self._pending += len(data)
        if self._in_head and self._pending > MAX_HEAD:
            self._error = HttpError(431, "The request line and headers are too large.")
            return
        try:
            self._parser.feed_data(data)
            if self._in_head and self._pending > MAX_HEAD:
                raise HttpError(431, "The request line and headers are too large.")
        except HttpError as exc:
            self._error = exc
        except httptools.HttpParserCallbackError as exc:
            cause = exc.__context__
            self._error = cause if isinstance(cause, HttpError) else HttpError(400, str(exc))
        except httptools.HttpParserError as exc:
            if self._bad_coding:
                self._error = HttpError(501, "Only the chunked Transfer-Encoding is supported.")
            else:
                self._error = HttpError(400, f"Malformed request: {exc}.")

    @property
    def buffered(self) -> int:
        """Bytes received and not yet handed out as a request."""
        return self._queued + self._pending

    def next_request(self) -> Request | None:
        """The next complete request, or None until more bytes arrive."""
        if self._ready:
            request = self._ready.popleft()
            self._queued -= len(request.body)
            return request
        if self._error is not None:
            raise self._error
        return None

    # -- httptools callbacks --------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._in_head = True
        self._target = ""
        self._headers = {}
        self._body = []
        self._body_size = 0
        self._bad_coding = False

    def on_url(self, url: bytes) -> None:
        self._target += url.decode("latin-1")

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        if key == "transfer-encoding" and text.strip().lower() != "chunked":
            self._bad_coding = True
        headers = self._headers
        headers[key] = f"{headers[key]}, {text}" if key in headers else text

    def on_headers_complete(self) -> None:
        self._in_head = False
        version = self._parser.get_http_version()
        if version not in ("1.1", "1.0"):
            if version.startswith("0."):
                raise HttpError(400, "Malformed request line.")
            raise HttpError(505, f"HTTP/{version} is not supported; use HTTP/1.1.")
        if version == "1.1" and "host" not in self._headers:
            raise HttpError(400, "An HTTP/1.1 request must have a Host header.")
        length = self._headers.get("content-length")
        if length is not None and int(length) > self._max_body:
            raise HttpError(413, f"The request body is larger than {self._max_body} bytes.")
        self.continue_due = self._headers.get("expect", "").lower() == "100-continue"

    def on_body(self, body: bytes) -> None:
        self._body_size += len(body)
        if self._body_size > self._max_body:
            raise HttpError(413, f"The request body is larger than {self._max_body} bytes.")
        self._body.append(body)

    def on_message_complete(self) -> None:
        parser = self._parser
        body = b"".join(self._body)
        request = Request(
            parser.get_method().decode("ascii"),
            self._target,
            self._headers,
            body,
            parser.should_keep_alive(),
            parser.get_http_version() == "1.0",
        )
        self._ready.append(request)
        self._queued += len(body)
        self._pending = 0
        self.continue_due = False
