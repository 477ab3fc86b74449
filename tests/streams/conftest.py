"""Fixtures for stream tests: a real DynamoDB endpoint, tables with streams, an in-process
invoker that records what handlers receive, and a way to run mappings."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from sockgate.errors import ConfigError
from sockgate.invocation import InvocationResult
from sockgate.service.model import Function, Service, StreamEvent
from sockgate.streams import EventSourceMappings, PollSettings

REGION = "us-east-1"


# -- endpoint --------------------------------------------------------------------------------


@pytest.fixture(params=["tables", "moto"])
def any_endpoint(request: pytest.FixtureRequest) -> str:
    """Both endpoints: the table service, and moto as the oracle it must agree with."""
    return str(request.getfixturevalue(f"{request.param}_endpoint"))


@pytest.fixture
def dynamodb(endpoint: str) -> Any:
    return client(endpoint)


def client(endpoint: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@dataclass
class Table:
    name: str
    stream_arn: str
    client: Any

    def put(self, pk: str, **attrs: Any) -> None:
        item = {"pk": {"S": pk}, **{k: _attr(v) for k, v in attrs.items()}}
        self.client.put_item(TableName=self.name, Item=item)

    def update(self, pk: str, **attrs: Any) -> None:
        names = {f"#{k}": k for k in attrs}
        values = {f":{k}": _attr(v) for k, v in attrs.items()}
        self.client.update_item(
            TableName=self.name,
            Key={"pk": {"S": pk}},
            UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in attrs),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def delete(self, pk: str) -> None:
        self.client.delete_item(TableName=self.name, Key={"pk": {"S": pk}})


def _attr(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        return {"N": str(value)}
    return {"S": str(value)}


@pytest.fixture
def make_table(dynamodb: Any) -> Callable[..., Table]:
    return table_maker(dynamodb)


def table_maker(dynamodb: Any) -> Callable[..., Table]:
    def make(view_type: str = "NEW_AND_OLD_IMAGES") -> Table:
        name = f"t-{uuid.uuid4().hex[:10]}"
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": view_type},
        )
        arn = dynamodb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
        return Table(name, arn, dynamodb)

    return make


# -- the invoker -----------------------------------------------------------------------------


Behaviour = Callable[[dict[str, Any]], Any]


@dataclass
class Invocation:
    function: str
    records: list[dict[str, Any]]
    result: InvocationResult

    @property
    def sequences(self) -> list[str]:
        return [r["dynamodb"]["SequenceNumber"] for r in self.records]


@dataclass
class Handlers:
    """An in-process Invoke: calls Python functions, records every invocation."""

    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    invocations: list[Invocation] = field(default_factory=list)
    started: int = 0

    async def __call__(self, function: str, event: dict[str, Any]) -> InvocationResult:
        self.started += 1
        request_id = str(uuid.uuid4())
        behaviour = self.behaviours.get(function, lambda event: None)
        try:
            payload = behaviour(event)
            if asyncio.iscoroutine(payload):
                payload = await payload
            result = InvocationResult(request_id=request_id, payload=payload)
        except Exception as exc:
            result = InvocationResult(
                request_id=request_id,
                error={
                    "errorMessage": str(exc),
                    "errorType": type(exc).__name__,
                    "requestId": request_id,
                    "stackTrace": [],
                },
            )
        self.invocations.append(Invocation(function, event["Records"], result))
        return result

    def records(self, function: str | None = None, *, ok_only: bool = True) -> list[dict]:
        return [
            record
            for inv in self.invocations
            if (function is None or inv.function == function) and (inv.result.ok or not ok_only)
            for record in inv.records
        ]

    def delivered(self, function: str | None = None) -> list[str]:
        """Sequence numbers of records in successful invocations, in delivery order."""
        return [r["dynamodb"]["SequenceNumber"] for r in self.records(function)]


@pytest.fixture
def handlers() -> Handlers:
    return Handlers()


# -- services and mappings -------------------------------------------------------------------


def make_service(tmp_path: Path, *events: StreamEvent) -> Service:
    functions = {
        event.function: Function(
            key=event.function,
            name=f"chat-dev-{event.function}",
            handler=f"handler.{event.function}",
            runtime="python3.11",
            events=({"stream": {"arn": event.arn}},),
        )
        for event in events
    }
    return Service(
        name="chat",
        directory=tmp_path,
        config_file=tmp_path / "serverless.yml",
        stage="dev",
        region=REGION,
        functions=functions,
        streams=tuple(events),
    )


def resolver(resources: dict[str, str] | None = None) -> Callable[[Any, str], str]:
    """A test-local stand-in for sockgate.service.intrinsics: strings and Fn::GetAtt StreamArn."""

    def resolve(value: Any, path: str) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and "Fn::GetAtt" in value and resources:
            logical, attribute = value["Fn::GetAtt"]
            if attribute == "StreamArn" and logical in resources:
                return resources[logical]
        raise ConfigError(f"cannot resolve {value!r}", path=path)

    return resolve


FAST = PollSettings(discovery_interval=0.2, error_backoff=0.2, close_timeout=3.0)


@contextlib.asynccontextmanager
async def running(
    service: Service,
    invoke: Any,
    endpoint: str,
    state_dir: Path,
    *,
    log: list[str] | None = None,
    **kwargs: Any,
) -> AsyncIterator[EventSourceMappings]:
    lines = log if log is not None else []
    mappings = EventSourceMappings(
        service,
        invoke,
        endpoint_url=endpoint,
        region=REGION,
        state_dir=state_dir,
        resolve_arn=kwargs.pop("resolve_arn", resolver()),
        log=lines.append,
        settings=kwargs.pop("settings", FAST),
        **kwargs,
    )
    await mappings.start()
    try:
        yield mappings
    finally:
        await mappings.close()
