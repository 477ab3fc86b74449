"""Handlers' boto3 @connections calls travel the gateway's local channel, with boto3's behaviour.

Real worker processes run handler code written for AWS (the management client built from
requestContext); a real gateway counts the requests each transport served.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import struct
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError
from websockets.asyncio.client import connect

from sockgate.channel.botocore_hook import (
    SEND_EVENT_NAME,
    answer_from_channel,
    use_local_channel,
)
from sockgate.channel.client import ChannelBrokenError, ChannelClient, ChannelTimeoutError
from sockgate.channel.wire import REQUEST, encode_reply
from sockgate.gateway import Gateway, GatewayConfig
from sockgate.lambdas import Runtime
from sockgate.service.model import Service, WebsocketRoute

from .conftest import MakeService

WAIT = 20.0  # a worker's cold start imports boto3

HANDLER = """
import json
from concurrent.futures import ThreadPoolExecutor

import boto3


def _management(event):
    rc = event["requestContext"]
    return boto3.client(
        "apigatewaymanagementapi", endpoint_url=f"https://{rc['domainName']}/{rc['stage']}"
    )


def connect(event, context):
    return {"statusCode": 200}


def whoami(event, context):
    return {"statusCode": 200, "body": json.dumps({"me": event["requestContext"]["connectionId"]})}


def _count_requests(api):
    built = [0]
    create_request = api._endpoint.create_request

    def counted(*args, **kwargs):
        built[0] += 1
        return create_request(*args, **kwargs)

    api._endpoint.create_request = counted
    return built


def verbs(event, context):
    api = _management(event)
    built = _count_requests(api)
    target = json.loads(event["body"])["target"]
    out = {}
    posted = api.post_to_connection(ConnectionId=target, Data=b"via boto3")
    out["post"] = posted["ResponseMetadata"]["HTTPStatusCode"]
    info = api.get_connection(ConnectionId=target)
    out["get"] = [info["ResponseMetadata"]["HTTPStatusCode"], info["Identity"]["SourceIp"]]
    out["connected_at"] = type(info["ConnectedAt"]).__name__
    try:
        api.post_to_connection(ConnectionId=target, Data=b"x" * (128 * 1024 + 1))
    except api.exceptions.PayloadTooLargeException as exc:
        out["too_large"] = exc.response["Error"]["Code"]
    deleted = api.delete_connection(ConnectionId=target)
    out["delete"] = deleted["ResponseMetadata"]["HTTPStatusCode"]
    try:
        api.post_to_connection(ConnectionId=target, Data=b"late")
    except api.exceptions.GoneException as exc:
        out["gone"] = [exc.response["Error"]["Code"], str(exc)]
    out["http_requests_built"] = built[0]  # 0 when answered at before-call
    return {"statusCode": 200, "body": json.dumps(out)}


def stubbed(event, context):
    from botocore.stub import Stubber

    api = _management(event)
    stubber = Stubber(api)
    stubber.add_response("post_to_connection", {}, {"ConnectionId": "abc=", "Data": b"x"})
    stubber.add_client_error("get_connection", "GoneException", http_status_code=410)
    out = {}
    with stubber:
        out["post"] = api.post_to_connection(ConnectionId="abc=", Data=b"x")
        try:
            api.get_connection(ConnectionId="abc=")
        except api.exceptions.GoneException as exc:
            out["get"] = exc.response["Error"]["Code"]
    return {"statusCode": 200, "body": json.dumps(out)}


def threads(event, context):
    api = _management(event)
    target = json.loads(event["body"])["target"]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(
            lambda n: api.post_to_connection(ConnectionId=target, Data=str(n).encode())[
                "ResponseMetadata"]["HTTPStatusCode"],
            range(40),
        ))
    return {"statusCode": 200, "body": json.dumps(statuses)}
"""

Stack = Callable[..., Any]


def build_service(make_service: MakeService) -> Service:
    service = make_service(
        {"handler.py": HANDLER},
        connect="handler.connect",
        whoami="handler.whoami",
        verbs="handler.verbs",
        threads="handler.threads",
        stubbed="handler.stubbed",
    )
    routes = (
        WebsocketRoute(route_key="$connect", function="connect"),
        WebsocketRoute(route_key="whoami", function="whoami", two_way=True),
        WebsocketRoute(route_key="verbs", function="verbs", two_way=True),
        WebsocketRoute(route_key="threads", function="threads", two_way=True),
        WebsocketRoute(route_key="stubbed", function="stubbed", two_way=True),
    )
    return service.model_copy(update={"websocket_routes": routes})


@pytest.fixture
async def stack(make_service: MakeService) -> AsyncIterator[Stack]:
    """start(socket=...) -> a gateway over real workers; the workers get the gateway's socket
    unless `socket` names another path."""
    started: list[Any] = []

    async def start(socket_path: str | None = None) -> Gateway:
        service = build_service(make_service)
        holder: list[Runtime] = []

        async def invoke(key: str, event: dict[str, Any]) -> Any:
            return await holder[0].invoke(key, event)

        gateway = Gateway(service, invoke, GatewayConfig(port=0))
        await gateway.start()
        started.append(gateway)
        runtime = Runtime(
            service,
            environment={
                "SOCKGATE_GATEWAY_URL": gateway.http_base,
                "SOCKGATE_GATEWAY_SOCKET": socket_path or gateway.local_socket or "",
            },
            max_workers=1,
            prewarm=False,
        )
        holder.append(runtime)
        started.append(runtime)
        return gateway

    yield start
    for part in started:
        await part.close()


async def ask(ws: Any, action: str, target: str = "") -> Any:
    await ws.send(json.dumps({"action": action, "target": target}))
    return json.loads(await asyncio.wait_for(ws.recv(), WAIT))


async def two_clients(gateway: Gateway) -> tuple[Any, Any, str]:
    """A caller, and a target that learnt its connection id from a handler."""
    caller = await connect(gateway.url)
    target = await connect(gateway.url)
    return caller, target, (await ask(target, "whoami"))["me"]


async def test_handler_verbs_go_through_the_local_channel(stack: Stack) -> None:
    gateway = await stack()
    caller, target, target_id = await two_clients(gateway)
    out = await ask(caller, "verbs", target_id)
    assert out == {
        "post": 200,
        "get": [200, "127.0.0.1"],
        "connected_at": "datetime",
        "too_large": "PayloadTooLargeException",
        "delete": 204,
        "gone": [
            "GoneException",
            "An error occurred (GoneException) when calling the PostToConnection operation: ",
        ],
        "http_requests_built": 0,  # every call answered at before-call
    }
    assert await asyncio.wait_for(target.recv(), WAIT) == "via boto3"
    await asyncio.wait_for(target.wait_closed(), WAIT)
    assert gateway.management_requests == {"http": 0, "channel": 5}
    await caller.close()


async def test_threads_share_the_worker_connection(stack: Stack) -> None:
    gateway = await stack()
    caller, target, target_id = await two_clients(gateway)
    assert await ask(caller, "threads", target_id) == [200] * 40
    received = {await asyncio.wait_for(target.recv(), WAIT) for _ in range(40)}
    assert received == {str(n) for n in range(40)}
    assert gateway.management_requests == {"http": 0, "channel": 40}
    await caller.close()
    await target.close()


async def test_a_stubber_in_a_handler_still_answers(stack: Stack) -> None:
    gateway = await stack()
    caller = await connect(gateway.url)
    assert await ask(caller, "stubbed") == {"post": {}, "get": "GoneException"}
    assert gateway.management_requests == {"http": 0, "channel": 0}
    await caller.close()


async def test_without_the_socket_the_calls_go_over_http(stack: Stack, tmp_path: Path) -> None:
    gateway = await stack(socket_path=str(tmp_path / "missing.sock"))
    caller, target, target_id = await two_clients(gateway)
    out = await ask(caller, "verbs", target_id)
    assert (out["post"], out["delete"], out["gone"][0]) == (200, 204, "GoneException")
    assert out["http_requests_built"] == 5
    assert await asyncio.wait_for(target.recv(), WAIT) == "via boto3"
    assert gateway.management_requests == {"http": 5, "channel": 0}
    await caller.close()


# -- the client alone, against small servers ----------------------------------------------


class SmallServer:
    """A Unix socket server answering each connection with `behaviour(conn)` in its own thread."""

    def __init__(self, path: Path, behaviour: Callable[[socket.socket], None]) -> None:
        self.path = str(path)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(self.path)
        self._sock.listen()
        self.accepted = 0
        self._behaviour = behaviour
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(WAIT)
        with conn:
            try:
                self._behaviour(conn)
            except (OSError, struct.error):
                pass  # the client left

    def close(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (Linux)
        except OSError:
            pass
        self._sock.close()
        self._thread.join(WAIT)


def read_request(conn: socket.socket) -> bytes:
    head_size, body_size = REQUEST.unpack(conn.recv(REQUEST.size, socket.MSG_WAITALL))
    return conn.recv(head_size + body_size, socket.MSG_WAITALL)


def test_a_missing_socket_means_use_http(tmp_path: Path) -> None:
    assert ChannelClient(str(tmp_path / "none.sock")).request("GET", "/x", b"") is None


def test_a_lost_reply_is_an_error_and_the_next_request_reconnects(tmp_path: Path) -> None:
    answers = iter([None, encode_reply(200, {"x-amzn-RequestId": "r"}, b"")])

    def behaviour(conn: socket.socket) -> None:
        read_request(conn)
        reply = next(answers)
        if reply is not None:
            conn.sendall(reply)
            conn.recv(1)  # then keep the connection until the client leaves

    server = SmallServer(tmp_path / "s.sock", behaviour)
    try:
        client = ChannelClient(server.path)
        with pytest.raises(ChannelBrokenError):
            client.request("POST", "/dev/@connections/a", b"x")  # the server hung up
        reply = client.request("POST", "/dev/@connections/a", b"x")
        assert reply is not None and reply.status == 200
        assert reply.headers == {"x-amzn-RequestId": "r"}
        assert server.accepted == 2
        client.close()
    finally:
        server.close()


def test_a_silent_gateway_is_a_timeout(tmp_path: Path) -> None:
    release = threading.Event()

    def behaviour(conn: socket.socket) -> None:
        read_request(conn)
        release.wait(WAIT)

    server = SmallServer(tmp_path / "s.sock", behaviour)
    try:
        with pytest.raises(ChannelTimeoutError):
            ChannelClient(server.path, timeout=0.2).request("GET", "/dev/@connections/a", b"")
    finally:
        release.set()
        server.close()


def test_a_forked_child_opens_its_own_connection(tmp_path: Path) -> None:
    def behaviour(conn: socket.socket) -> None:
        while True:
            read_request(conn)
            conn.sendall(encode_reply(200, {}, b""))

    server = SmallServer(tmp_path / "s.sock", behaviour)
    try:
        client = ChannelClient(server.path)
        assert client.request("GET", "/a", b"") is not None
        pid = os.fork()
        if pid == 0:  # the child: its request must not travel on the parent's socket
            reply = client.request("GET", "/b", b"")
            os._exit(0 if reply is not None and reply.status == 200 else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert server.accepted == 2
        assert client.request("GET", "/c", b"") is not None  # the parent's own, still in sync
        assert server.accepted == 2
        client.close()
    finally:
        server.close()


# -- boto3 at before-call against small servers: retries as over HTTP ------------------------

ERROR_500 = encode_reply(
    500,
    {
        "x-amzn-RequestId": "11111111-2222-3333-4444-555555555555",
        "x-amzn-ErrorType": "InternalServerErrorException",
        "Content-Type": "application/json; charset=utf-8",
        "Content-Length": "36",
    },
    b'{"message": "Internal server error"}',
)
OK_200 = encode_reply(200, {"x-amzn-RequestId": "66666666-7777-8888-9999-000000000000"}, b"")


def management(attempts: int, mode: str = "standard") -> Any:
    retries: dict[str, Any] = {"mode": mode}
    if mode == "legacy":
        retries["max_attempts"] = attempts - 1  # legacy counts retries, not attempts
    else:
        retries["total_max_attempts"] = attempts
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url="https://abc123.execute-api.eu-west-1.amazonaws.com/dev",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries=retries),
    )


def replying(*replies: bytes | None) -> tuple[Callable[[socket.socket], None], list[bytes]]:
    """A server behaviour answering requests with `replies` in turn (None: hang up), the last
    one for ever after; and the list of the requests it read."""
    seen: list[bytes] = []
    lock = threading.Lock()

    def behaviour(conn: socket.socket) -> None:
        while True:
            request = read_request(conn)
            with lock:
                seen.append(request)
                reply = replies[min(len(seen), len(replies)) - 1]
            if reply is None:
                return
            conn.sendall(reply)

    return behaviour, seen


def answered(client: Any, path: str, at_call: bool) -> Any:
    """`client` answered over the channel at `path`: at before-call as in a worker, or only at
    before-send (the pipeline's own retries)."""
    if at_call:
        return use_local_channel(client, ChannelClient(path))
    client.meta.events.register(SEND_EVENT_NAME, answer_from_channel(ChannelClient(path)))
    return client


def error_of(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    response["ResponseMetadata"]["HTTPHeaders"].pop("date", None)
    return {"type": type(raised.value).__name__, "response": response}


@pytest.mark.parametrize("mode", ["standard", "legacy"])
def test_5xx_is_retried_at_before_call_as_at_before_send(tmp_path: Path, mode: str) -> None:
    outcomes = []
    for at_call in (False, True):
        behaviour, seen = replying(ERROR_500)
        server = SmallServer(tmp_path / f"{at_call}.sock", behaviour)
        try:
            client = answered(management(attempts=2, mode=mode), server.path, at_call)
            outcome = error_of(lambda c=client: c.post_to_connection(ConnectionId="a", Data=b"x"))
            outcomes.append((outcome, len(seen)))
        finally:
            server.close()
    assert outcomes[1] == outcomes[0]
    (outcome, requests) = outcomes[1]
    assert requests == 2  # the call and its one retry, no more
    meta = outcome["response"]["ResponseMetadata"]
    assert (meta["HTTPStatusCode"], meta["RetryAttempts"]) == (500, 1)
    assert outcome["response"]["Error"] == {
        "Code": "InternalServerErrorException",
        "Message": "Internal server error",
    }


def test_a_retry_that_succeeds_counts_its_attempts(tmp_path: Path) -> None:
    behaviour, seen = replying(ERROR_500, OK_200)
    server = SmallServer(tmp_path / "s.sock", behaviour)
    try:
        client = answered(management(attempts=3), server.path, at_call=True)
        meta = client.post_to_connection(ConnectionId="a", Data=b"x")["ResponseMetadata"]
    finally:
        server.close()
    assert (meta["HTTPStatusCode"], meta["RetryAttempts"], len(seen)) == (200, 1, 2)
    assert meta["RequestId"] == "66666666-7777-8888-9999-000000000000"


def test_a_lost_reply_at_before_call_is_retried_then_raised(tmp_path: Path) -> None:
    behaviour, seen = replying(None, OK_200)
    server = SmallServer(tmp_path / "s.sock", behaviour)
    try:
        client = answered(management(attempts=2), server.path, at_call=True)
        meta = client.post_to_connection(ConnectionId="a", Data=b"x")["ResponseMetadata"]
        assert (meta["RetryAttempts"], len(seen), server.accepted) == (1, 2, 2)
    finally:
        server.close()
    behaviour, seen = replying(None)
    server = SmallServer(tmp_path / "t.sock", behaviour)
    errors: list[Exception] = []
    try:
        client = answered(management(attempts=1), server.path, at_call=True)
        client.meta.events.register(
            "after-call-error.apigatewaymanagementapi",
            lambda exception, **kwargs: errors.append(exception),
        )
        with pytest.raises(ConnectionClosedError):
            client.post_to_connection(ConnectionId="a", Data=b"x")
    finally:
        server.close()
    assert len(seen) == 1 and [type(e) for e in errors] == [ConnectionClosedError]
