"""connectionManager: $connect and $disconnect.

$connect stores the connection with its display name (`?name=`) and subscribes it to
General; $disconnect deletes its subscriptions and itself. Neither tells anyone: the stream
handler (broadcast.py) announces subscription changes. Nothing may be posted to a connection
during $connect — API Gateway answers 410 until the handshake completes.
"""

from __future__ import annotations

from typing import Any

from chat import protocol, store

OK = {"statusCode": 200}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Route on the event type API Gateway sets."""
    request = event["requestContext"]
    connection_id = request["connectionId"]
    chat = store.default_store()
    if request["eventType"] == "CONNECT":
        query = event.get("queryStringParameters") or {}
        name = protocol.display_name(query.get("name"))
        now = store.now()
        chat.put_connection(connection_id, name, now)
        chat.subscribe(protocol.GENERAL, connection_id, name, now)
    elif request["eventType"] == "DISCONNECT":
        chat.forget_connection(connection_id)
    return OK
