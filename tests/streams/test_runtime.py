"""The whole path with real processes: a table on the table service, its stream polled through
boto3, batches run by the Lambda runtime's worker processes, which write back with boto3."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from sockgate.invocation import InvocationResult
from sockgate.lambdas import Runtime
from sockgate.service.model import Function, Service, StreamEvent
from sockgate.testing.polling import eventually

from .conftest import REGION, running

HANDLER = """
import os
import boto3

table = boto3.resource("dynamodb").Table(os.environ["AUDIT_TABLE"])

def fan(event, context):
    failed = []
    for record in event["Records"]:
        key = record["dynamodb"]["Keys"]["pk"]["S"]
        if key.startswith("poison"):
            failed.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
            break
        table.put_item(Item={"pk": key, "event": record["eventName"],
                             "source": record["eventSourceARN"]})
    return {"batchItemFailures": failed}
"""


async def test_stream_batches_run_in_worker_processes(
    make_table, endpoint: str, tmp_path: Path
) -> None:
    source, audit = make_table(), make_table()
    (tmp_path / "handler.py").write_text(textwrap.dedent(HANDLER))
    event = StreamEvent(
        function="fan",
        arn=source.stream_arn,
        batch_size=10,
        report_batch_item_failures=True,
        maximum_retry_attempts=1,
    )
    service = Service(
        name="chat",
        directory=tmp_path,
        config_file=tmp_path / "serverless.yml",
        stage="dev",
        region=REGION,
        functions={
            "fan": Function(
                key="fan",
                name="chat-dev-fan",
                handler="handler.fan",
                runtime="python3.11",
                environment={"AUDIT_TABLE": audit.name},
            )
        },
        streams=(event,),
    )
    runtime = Runtime(
        service,
        environment={
            "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        },
        function_environment={"fan": {"AUDIT_TABLE": audit.name}},
        prewarm=False,
    )
    results: list[InvocationResult] = []

    async def invoke(function: str, event: dict[str, Any]) -> InvocationResult:
        result = await runtime.invoke(function, event)
        results.append(result)
        return result

    state = tmp_path / "state"
    source.put("a")
    source.put("poison")
    source.put("b")
    try:
        async with running(service, invoke, endpoint, state):

            def audited() -> set[str]:
                items = audit.client.scan(TableName=audit.name)["Items"]
                return {item["pk"]["S"] for item in items}

            await eventually(lambda: (state / "failures" / "fan.jsonl").exists(), what="poison")
            # "b" stayed behind "poison" in the retried batch and was given up with it.
            assert audited() == {"a"}
            source.put("c")
            await eventually(lambda: audited() == {"a", "c"}, what="the next record")
            source.delete("a")
            await eventually(
                lambda: any(
                    i["event"]["S"] == "REMOVE"
                    for i in audit.client.scan(TableName=audit.name)["Items"]
                ),
                what="the REMOVE record",
            )
    finally:
        await runtime.close()

    assert all(result.ok for result in results), [r.error for r in results]
    failure = json.loads((state / "failures" / "fan.jsonl").read_text())
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 2
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 2
    assert "functionError" not in failure["responseContext"]  # it answered, partially
    items = audit.client.scan(TableName=audit.name)["Items"]
    assert {item["source"]["S"] for item in items} == {source.stream_arn}
