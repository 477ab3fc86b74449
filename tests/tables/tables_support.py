"""Helpers of the table-service tests: a server on a background loop, clients, small makers."""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config

from sockgate.tables.server import TableServer, start_server


class ServerThread:
    """A table server on its own event loop in a background thread (boto3 calls are blocking)."""

    def __init__(self, data_dir: Path | None) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        future = asyncio.run_coroutine_threadsafe(start_server("127.0.0.1", 0, data_dir), self.loop)
        self.server: TableServer = future.result(timeout=30)

    @property
    def url(self) -> str:
        return self.server.url

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


# What a signed request carries (the service checks its shape, not the signature).
AUTH = (
    "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host;x-amz-date;x-amz-target, Signature=" + "0" * 64
)
SIGNED = {"Authorization": AUTH, "X-Amz-Date": "20240101T000000Z"}
SIGNED_LINES = "".join(f"{name}: {value}\r\n" for name, value in SIGNED.items())


def client_for(url: str, service: str = "dynamodb") -> Any:
    """A boto3 client aimed at url, with dummy credentials and no retries (errors show)."""
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )


def create(
    ddb: Any, name: str, hash_type: str = "S", range_type: str | None = None, **extra: Any
) -> Any:
    """Create a pk(/sk) table, PAY_PER_REQUEST unless told otherwise."""
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attrs = [{"AttributeName": "pk", "AttributeType": hash_type}]
    if range_type is not None:
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attrs.append({"AttributeName": "sk", "AttributeType": range_type})
    attrs.extend(extra.pop("extra_attributes", []))
    extra.setdefault("BillingMode", "PAY_PER_REQUEST")
    return ddb.create_table(TableName=name, KeySchema=keys, AttributeDefinitions=attrs, **extra)


def error_of(call: Any, *args: Any, **kwargs: Any) -> tuple[str, str, dict[str, Any]]:
    """(code, message, full response) of the ClientError a call raises."""
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    response = caught.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response


def post(url: str, target: str, body: Any) -> tuple[int, dict[str, Any]]:
    """POST one signed JSON request with a raw HTTP client; (status, decoded answer)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target, **SIGNED}
    conn.request("POST", "/", json.dumps(body).encode(), headers)
    response = conn.getresponse()
    answer = json.loads(response.read())
    conn.close()
    return response.status, answer
