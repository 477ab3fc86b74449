"""HTTP/1.1 framing: the parser alone, then real sockets against the session server."""

from __future__ import annotations

import json
import logging
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest
from tables_support import SIGNED_LINES

from sockgate.tables.httpwire import MAX_HEAD, HttpError, RequestParser

TARGET = "DynamoDB_20120810.ListTables"


def post(body: bytes = b"{}", target: str = TARGET, extra: str = "", version: str = "1.1") -> bytes:
    return (
        f"POST / HTTP/{version}\r\nHost: x\r\nX-Amz-Target: {target}\r\n{SIGNED_LINES}"
        f"Content-Type: application/x-amz-json-1.0\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


# --- the parser, without sockets -------------------------------------------------------------


def test_a_request_fed_one_byte_at_a_time_comes_out_whole() -> None:
    parser = RequestParser(1000)
    data = post(b'{"Limit": 5}')
    for i, byte in enumerate(data):
        assert parser.next_request() is None, i
        parser.feed(bytes([byte]))
    request = parser.next_request()
    assert request is not None
    assert (request.method, request.target, request.body) == ("POST", "/", b'{"Limit": 5}')
    assert request.headers["x-amz-target"] == TARGET and request.keep_alive
    assert parser.next_request() is None and parser.buffered == 0


def test_pipelined_requests_come_out_in_order() -> None:
    parser = RequestParser(1000)
    parser.feed(post(b"1") + b"\r\n" + post(b"22") + post(b"333", extra="Connection: close\r\n"))
    bodies = []
    while (request := parser.next_request()) is not None:
        bodies.append((request.body, request.keep_alive))
    assert bodies == [(b"1", True), (b"22", True), (b"333", False)]


def test_chunked_bodies_with_extensions_and_trailers() -> None:
    parser = RequestParser(1000)
    head = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunks = b"5;name=x\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n"
    parser.feed(head + chunks[:20])
    assert parser.next_request() is None
    parser.feed(chunks[20:] + post(b"next"))
    first, second = parser.next_request(), parser.next_request()
    assert first is not None and first.body == b"hello world"
    assert second is not None and second.body == b"next"


def test_http10_closes_unless_asked_to_keep_alive() -> None:
    parser = RequestParser(1000)
    parser.feed(post(version="1.0", extra="Connection: Keep-Alive\r\n") + post(version="1.0"))
    first, second = parser.next_request(), parser.next_request()
    assert first is not None and first.keep_alive and first.http10
    assert second is not None and not second.keep_alive
    # Nothing may follow a request that closes the connection.
    parser.feed(post())
    with pytest.raises(HttpError) as caught:
        parser.next_request()
    assert caught.value.status == 400


def test_expect_100_continue_is_flagged_until_the_body_arrives() -> None:
    parser = RequestParser(1000)
    parser.feed(post(b"{}", extra="Expect: 100-continue\r\n")[:-2])
    assert parser.next_request() is None and parser.continue_due
    parser.feed(b"{}")
    assert parser.next_request() is not None and not parser.continue_due


REQUEST = b"POST / HTTP/1.1\r\nHost: x\r\n"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"POST /\r\n\r\n", 400),
        (b"GARBAGE\r\n\r\n", 400),
        (b"POST / HTTP/2.0\r\n\r\n", 505),
        (REQUEST + b"No colon here\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 400),
        (REQUEST + b" folded: header\r\n\r\n", 400),
        (REQUEST + b"Content-Length: -1\r\n\r\n", 400),
        (REQUEST + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        (REQUEST + b"Content-Length: 1001\r\n\r\n", 413),
        (REQUEST + b"Transfer-Encoding: gzip\r\n\r\n", 501),
        (REQUEST + b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400),
        (REQUEST + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        (REQUEST + b"Transfer-Encoding: chunked\r\n\r\n3e9\r\n" + b"x" * 1001, 413),
        (REQUEST + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n", 400),
        (REQUEST + b"X: " + b"y" * MAX_HEAD, 431),
    ],
)
def test_unframeable_requests_are_refused_with_a_status(data: bytes, status: int) -> None:
    parser = RequestParser(1000)
    parser.feed(data)
    with pytest.raises(HttpError) as caught:
        parser.next_request()
    assert caught.value.status == status


# --- real sockets --------------------------------------------------------------------------


class Conn:
    """A raw client socket that reads whole responses (Content-Length framed)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        self.buffer += data
        return bool(data)

    def response(self, head_only: bool = False) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            assert self._fill(), "connection closed before a response"
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        if status == 100 or head_only:
            return status, headers, b""
        while len(self.buffer) < length:
            assert self._fill(), "connection closed in a body"
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body

    def closed_by_server(self) -> bool:
        try:
            return not self._fill()
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


@pytest.fixture()
def conn(server: Any) -> Any:
    connection = Conn(server.url)
    yield connection
    connection.close()


def test_pipelined_requests_are_answered_in_order(conn: Conn) -> None:
    unknown = post(target="DynamoDB_20120810.Nope")
    conn.send(post(b'{"Limit": 1}') + unknown + post(b"{not json") + post(b'{"Limit": 2}'))
    answers = [conn.response() for _ in range(4)]
    assert [status for status, _, _ in answers] == [200, 400, 400, 200]
    assert json.loads(answers[1][2])["__type"].endswith("#UnknownOperationException")
    assert json.loads(answers[2][2])["__type"].endswith("#SerializationException")
    ids = {headers["x-amzn-requestid"] for _, headers, _ in answers}
    assert len(ids) == 4


def test_slow_and_chunked_bodies(conn: Conn) -> None:
    data = post(b'{"Limit": 3}')
    for i in range(0, len(data), 7):
        conn.send(data[i : i + 7])
    assert conn.response()[0] == 200
    conn.send(
        f"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: {TARGET}\r\n{SIGNED_LINES}"
        "Content-Type: application/x-amz-json-1.0\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        + b'3\r\n{"L\r\n9\r\nimit": 4}\r\n0\r\n\r\n'
    )
    status, _, body = conn.response()
    assert status == 200 and "TableNames" in json.loads(body)


def test_expect_100_continue(conn: Conn) -> None:
    data = post(b"{}", extra="Expect: 100-continue\r\n")
    conn.send(data[:-2])
    assert conn.response()[0] == 100
    conn.send(data[-2:])
    assert conn.response()[0] == 200


def test_connection_close_and_http10(server: Any) -> None:
    cases = [
        (post(extra="Connection: close\r\n"), "close"),
        (post(version="1.0"), "close"),
        (post(version="1.0", extra="Connection: keep-alive\r\n"), "keep-alive"),
    ]
    for request, header in cases:
        conn = Conn(server.url)
        try:
            conn.send(request)
            status, headers, _ = conn.response()
            assert status == 200 and headers["connection"] == header
            if header == "close":
                assert conn.closed_by_server()
            else:
                conn.send(request)
                assert conn.response()[0] == 200
        finally:
            conn.close()


def test_unframeable_request_gets_an_answer_and_the_server_goes_on(
    server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="sockgate.tables")
    too_large = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n"
    for garbage, status in ((b"BLAH\r\n\r\n", 400), (too_large, 413)):
        conn = Conn(server.url)
        try:
            conn.send(garbage)
            assert conn.response()[0] == status
            assert conn.closed_by_server()
        finally:
            conn.close()
    refused = [r.getMessage() for r in caplog.records if "unreadable" in r.getMessage()]
    assert [m.split(":")[1].split()[0] for m in refused] == ["400", "413"]  # one line each
    conn = Conn(server.url)
    conn.send(post())
    assert conn.response()[0] == 200
    conn.close()


def test_health_check_and_other_methods(conn: Conn) -> None:
    conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    status, _, body = conn.response()
    assert status == 200 and body.startswith(b"healthy: dynamodb.")
    conn.send(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
    status, headers, _ = conn.response(head_only=True)
    assert status == 200 and int(headers["content-length"]) == len(body)
    conn.send(b"DELETE / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert conn.response()[::2] == (404, b"<UnknownOperationException/>\n")
