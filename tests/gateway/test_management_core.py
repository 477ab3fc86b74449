"""`management.serve_now`: the @connections API on in-process verbs, without sockets."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sockgate.gateway.connections import ConnectionInfo
from sockgate.gateway.errors import GoneError, LimitExceededError
from sockgate.gateway.management import Send, serve_now

LIMIT = 128 * 1024
OPEN = "AAAAAAAAAAAAAAA="


@dataclass
class Verbs:
    """The gateway's verbs over one open connection; records what was sent."""

    sent: list[bytes] = field(default_factory=list)
    full: bool = False

    def prepare_post(self, connection_id: str, data: bytes) -> Send:
        if connection_id != OPEN:
            raise GoneError(connection_id)
        if self.full:
            raise LimitExceededError(connection_id, "The client is not reading its messages")
        return lambda: self.sent.append(data)

    def get_connection(self, connection_id: str) -> ConnectionInfo:
        if connection_id != OPEN:
            raise GoneError(connection_id)
        return ConnectionInfo(OPEN, 1_700_000_000.0, 1_700_000_001.5, "127.0.0.1", "test/1")

    async def delete_connection(self, connection_id: str) -> None:
        raise AssertionError("serve_now never deletes")


def test_an_accepted_post_is_200_and_its_send() -> None:
    verbs = Verbs()
    served = serve_now(verbs, "POST", OPEN, b"hello", LIMIT)
    assert served is not None
    reply, send = served
    assert (reply.status, reply.body) == (200, b"")
    assert reply.headers["x-amzn-RequestId"]
    assert verbs.sent == [] and send is not None
    send()  # the transport sends the frame in the same step as the reply
    assert verbs.sent == [b"hello"]


def test_gone_is_410_without_a_message() -> None:
    reply, send = serve_now(Verbs(), "POST", "BBBBBBBBBBBBBBB=", b"x", LIMIT) or (None, None)
    assert reply is not None and send is None
    assert (reply.status, reply.headers["x-amzn-ErrorType"], reply.body) == (
        410,
        "GoneException",
        b"{}",
    )


def test_over_the_quota_is_413_and_a_full_buffer_429() -> None:
    reply, _ = serve_now(Verbs(), "POST", OPEN, None, LIMIT) or (None, None)
    assert reply is not None and reply.status == 413
    assert reply.headers["x-amzn-ErrorType"] == "PayloadTooLargeException"
    assert json.loads(reply.body) == {"message": "Message size exceeds the limit of 131072 bytes"}
    reply, _ = serve_now(Verbs(full=True), "POST", OPEN, b"x", LIMIT) or (None, None)
    assert reply is not None and reply.status == 429
    assert reply.headers["x-amzn-ErrorType"] == "LimitExceededException"


def test_get_connection_and_other_methods() -> None:
    reply, _ = serve_now(Verbs(), "GET", OPEN, b"", LIMIT) or (None, None)
    assert reply is not None and reply.status == 200
    assert json.loads(reply.body) == {
        "connectedAt": "2023-11-14T22:13:20.000Z",
        "identity": {"sourceIp": "127.0.0.1", "userAgent": "test/1"},
        "lastActiveAt": "2023-11-14T22:13:21.500Z",
    }
    reply, _ = serve_now(Verbs(), "PUT", OPEN, b"", LIMIT) or (None, None)
    assert reply is not None and (reply.status, json.loads(reply.body)) == (
        403,
        {"message": "Forbidden"},
    )
    assert serve_now(Verbs(), "DELETE", OPEN, b"", LIMIT) is None  # DELETE may wait: serve()
