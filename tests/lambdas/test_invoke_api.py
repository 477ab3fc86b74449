"""Lambda's Invoke API: real boto3 clients against the server, real workers behind it."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sockgate.lambdas import Runtime
from sockgate.lambdas.invoke_server import InvokeServer
from sockgate.service.model import Service
from sockgate.testing.polling import eventually

from .conftest import MakeService

HANDLER = """
import json, os
import boto3

def echo(event, context):
    print("echoing")
    return {"event": event, "name": context.function_name}

def fail(event, context):
    raise ValueError("no good")

def mark(event, context):
    with open(event["file"], "a") as f:
        f.write("ran\\n")
    if event.get("fail"):
        raise RuntimeError("again")
    return None

def caller(event, context):
    # Unchanged AWS code: the endpoint comes from AWS_ENDPOINT_URL_LAMBDA.
    client = boto3.client("lambda")
    response = client.invoke(
        FunctionName=os.environ["TARGET"], Payload=json.dumps({"from": "caller"})
    )
    return {
        "status": response["StatusCode"],
        "payload": json.loads(response["Payload"].read()),
        "error": response.get("FunctionError"),
    }

def big(event, context):
    return "x" * (7 * 1024 * 1024)
"""

LOCAL = {
    "region_name": "eu-west-1",
    "aws_access_key_id": "local",
    "aws_secret_access_key": "local",
}

Start = Callable[..., Any]


@pytest.fixture
async def start(make_service: MakeService) -> AsyncIterator[Start]:
    """Start a runtime and its Invoke API over the given functions; return a boto3 client."""
    opened: list[tuple[Runtime, InvokeServer]] = []

    async def build(**functions: Any) -> tuple[Any, Runtime, InvokeServer, Service]:
        service = make_service({"handler.py": HANDLER}, **functions)
        holder: list[Runtime] = []
        server = InvokeServer(
            service, lambda key, event: holder[0].invoke(key, event), retry_delays=(0.0, 0.0)
        )
        await server.start()
        environment = {"AWS_ENDPOINT_URL_LAMBDA": server.url, "TARGET": "chat-dev-echo"}
        runtime = Runtime(service, environment=environment, prewarm=False)
        holder.append(runtime)
        opened.append((runtime, server))
        config = Config(retries={"total_max_attempts": 1})
        client = boto3.client("lambda", endpoint_url=server.url, config=config, **LOCAL)
        return client, runtime, server, service

    yield build
    for runtime, server in opened:
        await server.close()
        await runtime.close()


async def call(function: Callable[..., Any], **kwargs: Any) -> Any:
    return await asyncio.to_thread(function, **kwargs)


async def test_request_response(start: Start) -> None:
    client, *_ = await start(echo="handler.echo")
    response = await call(client.invoke, FunctionName="chat-dev-echo", Payload=b'{"a": 1}')
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"event": {"a": 1}, "name": "chat-dev-echo"}
    # A full ARN and a partial one name the same function; an empty payload is {}.
    arn = "arn:aws:lambda:eu-west-1:000000000000:function:chat-dev-echo"
    for name in (arn, "000000000000:function:chat-dev-echo"):
        response = await call(client.invoke, FunctionName=name)
        assert json.loads(response["Payload"].read())["event"] == {}


async def test_function_error_and_log_tail(start: Start) -> None:
    client, *_ = await start(fail="handler.fail", echo="handler.echo")
    response = await call(client.invoke, FunctionName="chat-dev-fail", LogType="Tail")
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "ValueError" and error["errorMessage"] == "no good"
    assert error["requestId"] and error["stackTrace"]
    tail = base64.b64decode(response["LogResult"]).decode()
    assert tail.startswith("START RequestId: ") and "\nREPORT RequestId: " in tail
    echo = await call(client.invoke, FunctionName="chat-dev-echo", LogType="Tail")
    assert "echoing\n" in base64.b64decode(echo["LogResult"]).decode()


async def test_event_and_dry_run(start: Start, tmp_path: Path) -> None:
    client, *_ = await start(mark="handler.mark")
    marks = tmp_path / "marks.txt"
    dry = await call(
        client.invoke,
        FunctionName="chat-dev-mark",
        InvocationType="DryRun",
        Payload=json.dumps({"file": str(marks)}),
    )
    assert dry["StatusCode"] == 204 and not marks.exists()
    response = await call(
        client.invoke,
        FunctionName="chat-dev-mark",
        InvocationType="Event",
        Payload=json.dumps({"file": str(marks)}),
    )
    assert response["StatusCode"] == 202
    assert response["Payload"].read() == b""
    await eventually(marks.exists, what="the event ran")
    # A failing event is retried twice, as Lambda retries asynchronous invocations.
    failing = tmp_path / "failing.txt"
    payload = json.dumps({"file": str(failing), "fail": True})
    await call(client.invoke, FunctionName="chat-dev-mark", InvocationType="Event", Payload=payload)
    await eventually(
        lambda: failing.exists() and failing.read_text().count("ran") == 3, what="three tries"
    )


async def test_api_errors_are_botocores_named_exceptions(start: Start) -> None:
    client, *_ = await start(echo="handler.echo", off=("handler.echo", {"reserved_concurrency": 0}))
    with pytest.raises(client.exceptions.ResourceNotFoundException) as missing:
        await call(client.invoke, FunctionName="nope")
    assert missing.value.response["Error"]["Message"] == (
        "Function not found: arn:aws:lambda:eu-west-1:000000000000:function:nope"
    )
    with pytest.raises(client.exceptions.TooManyRequestsException) as throttled:
        await call(client.invoke, FunctionName="chat-dev-off")
    assert throttled.value.response["Error"]["Message"] == "Rate Exceeded."
    assert throttled.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert throttled.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    with pytest.raises(ClientError) as large:
        await call(
            client.invoke, FunctionName="chat-dev-echo", Payload=b'"' + b"x" * 6291456 + b'"'
        )
    # Lambda's wire code, which botocore does not model (its RequestTooLargeException is
    # another one): a ClientError, as on AWS.
    assert large.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert large.value.response["Error"]["Message"] == (
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    )
    with pytest.raises(ClientError) as large_event:
        await call(
            client.invoke,
            FunctionName="chat-dev-echo",
            InvocationType="Event",
            Payload=b'"' + b"x" * 1048576 + b'"',
        )
    assert (
        "byte payload is too large for the Event invocation type (limit 1048576 bytes)"
        in (large_event.value.response["Error"]["Message"])
    )
    with pytest.raises(client.exceptions.InvalidRequestContentException):
        await call(client.invoke, FunctionName="chat-dev-echo", Payload=b"{not json")
    # Lambda's parser refuses the non-standard tokens Python's json would accept.
    for token in (b"NaN", b"Infinity", b"-Infinity"):
        with pytest.raises(client.exceptions.InvalidRequestContentException) as refused:
            payload = b'{"n": ' + token + b"}"
            await call(client.invoke, FunctionName="chat-dev-echo", Payload=payload)
        message = refused.value.response["Error"]["Message"]
        assert f"Non-standard token '{token.decode()}'" in message


async def test_a_response_over_6_mb_is_a_function_error(start: Start) -> None:
    client, *_ = await start(big="handler.big")
    response = await call(client.invoke, FunctionName="chat-dev-big")
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "Function.ResponseSizeTooLarge"


async def test_a_handler_invokes_another_function_unchanged(start: Start) -> None:
    client, *_ = await start(caller="handler.caller", echo="handler.echo")
    response = await call(client.invoke, FunctionName="chat-dev-caller")
    assert json.loads(response["Payload"].read()) == {
        "status": 200,
        "payload": {"event": {"from": "caller"}, "name": "chat-dev-echo"},
        "error": None,
    }
