"""Sending events to connections through the API Gateway management API (@connections).

A connection that answers 410 GoneException has gone without a $disconnect (which API Gateway
delivers only on a best-effort basis): its subscriptions are deleted so nobody posts to it
again, and the stream handler tells the channels it left. One exception: a connection still
inside its $connect also answers 410 (its General subscription is announced by the stream
while the handshake may not have completed), so a connection younger than the $connect
timeout is left alone; it misses that one event, as it would on AWS.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from botocore.exceptions import ClientError

from chat import protocol
from chat.store import Store, Subscriber

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)

# Posts are network-bound; a few threads keep a big channel's fan-out short.
FAN_OUT_THREADS = 8

_clients: dict[str, Any] = {}
_pool: ThreadPoolExecutor | None = None


def endpoint_from_request(event: dict[str, Any]) -> str:
    """The management endpoint the AWS samples build: https://{domainName}/{stage}."""
    context = event["requestContext"]
    return f"https://{context['domainName']}/{context['stage']}"


def endpoint_from_environment() -> str:
    """The management endpoint of WEBSOCKET_URL (wss://host/stage -> https://host/stage).

    The stream handler has no requestContext to build it from.
    """
    url = os.environ["WEBSOCKET_URL"]
    if url.startswith("wss://"):
        return "https://" + url[len("wss://") :]
    if url.startswith("ws://"):
        return "http://" + url[len("ws://") :]
    return url


def client(endpoint: str) -> Any:
    """One management API client per endpoint, reused across invocations."""
    if endpoint not in _clients:
        _clients[endpoint] = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
    return _clients[endpoint]


def is_gone(error: ClientError) -> bool:
    """Whether a management API error means the connection is gone (410)."""
    return error.response.get("Error", {}).get("Code") in ("GoneException", "410")


def send(endpoint: str, connection_id: str, event: dict[str, Any]) -> bool:
    """Post one event; False when the connection is gone. Other errors propagate."""
    try:
        client(endpoint).post_to_connection(ConnectionId=connection_id, Data=protocol.encode(event))
    except ClientError as error:
        if is_gone(error):
            return False
        raise
    return True


def fan_out(
    store: Store,
    endpoint: str,
    channel: str,
    subscribers: Iterable[Subscriber],
    event: dict[str, Any],
) -> int:
    """Post `event` to every subscriber; clean up the gone ones. Returns how many received it.

    One failed post never stops the others: a stream batch that raised would be retried
    and deliver everything twice.
    """
    targets = list(subscribers)
    if not targets:
        return 0

    def deliver(subscriber: Subscriber) -> bool:
        try:
            if send(endpoint, subscriber.connection_id, event):
                return True
            if store.forget_gone(subscriber.connection_id, channel=channel, now=time.time()):
                log.info("connection %s is gone; removed it", subscriber.connection_id)
        except ClientError as error:
            log.warning("posting to %s failed: %s", subscriber.connection_id, error)
        return False

    if len(targets) == 1:
        return int(deliver(targets[0]))
    global _pool
    if _pool is None:  # kept warm with the execution environment, like the clients
        _pool = ThreadPoolExecutor(max_workers=FAN_OUT_THREADS)
    return sum(_pool.map(deliver, targets))


def reply(event: dict[str, Any], payload: dict[str, Any]) -> None:
    """Send `payload` to the connection that sent `event`; a gone caller is ignored."""
    send(endpoint_from_request(event), event["requestContext"]["connectionId"], payload)
