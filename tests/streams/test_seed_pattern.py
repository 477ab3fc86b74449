"""The seed's pattern as a new user would try it: a table declared in serverless.yml, a stream
event on `Fn::GetAtt: [Table, StreamArn]`, an item written by a separate boto3 script, and the
stream handler (in a Lambda worker) seeing it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

from sockgate.lambdas import Runtime
from sockgate.resources import provision_tables
from sockgate.service.intrinsics import resolve_intrinsics
from sockgate.service.loader import load_service
from sockgate.service.model import IntrinsicContext
from sockgate.streams import EventSourceMappings
from sockgate.testing.polling import eventually

from .conftest import FAST, REGION

SERVERLESS_YML = """
service: seedchat
provider:
  name: aws
  runtime: python3.11
  region: us-east-1
  environment:
    CHAT_TABLE: !Ref ChatTable
    SEEN_FILE: ${env:SEED_SEEN_FILE}
functions:
  subscriptions:
    handler: handler.subscriptions
    events:
      - stream:
          type: dynamodb
          arn: !GetAtt ChatTable.StreamArn
          batchSize: 5
          filterPatterns:
            - eventName: [INSERT]
resources:
  Resources:
    ChatTable:
      Type: AWS::DynamoDB::Table
      Properties:
        AttributeDefinitions:
          - {AttributeName: pk, AttributeType: S}
        KeySchema:
          - {AttributeName: pk, KeyType: HASH}
        BillingMode: PAY_PER_REQUEST
        StreamSpecification:
          StreamViewType: NEW_AND_OLD_IMAGES
"""

HANDLER = """
import json, os

def subscriptions(event, context):
    with open(os.environ["SEEN_FILE"], "a") as out:
        for record in event["Records"]:
            out.write(json.dumps([os.environ["CHAT_TABLE"], record["eventName"],
                                  record["dynamodb"]["NewImage"]["pk"]["S"]]) + "\\n")
"""

WRITER = """
import sys, boto3
table = boto3.resource("dynamodb").Table(sys.argv[1])
table.put_item(Item={"pk": sys.argv[2]})
table.delete_item(Key={"pk": sys.argv[2]})
table.put_item(Item={"pk": "sentinel"})  # after the REMOVE, in stream order
"""


async def test_a_boto3_script_write_reaches_the_stream_handler(
    endpoint: str, tmp_path: Path, monkeypatch: Any
) -> None:
    seen = tmp_path / "seen.jsonl"
    monkeypatch.setenv("SEED_SEEN_FILE", str(seen))
    (tmp_path / "serverless.yml").write_text(SERVERLESS_YML)
    (tmp_path / "handler.py").write_text(textwrap.dedent(HANDLER))
    stage = f"s{uuid.uuid4().hex[:6]}"
    service = load_service(tmp_path, stage=stage)

    log: list[str] = []
    attrs = provision_tables(service, endpoint_url=endpoint, region=REGION, log=log.append)
    table_name = f"seedchat-{stage}-ChatTable"
    assert log == [f"table {table_name} (ChatTable): created"]
    context = IntrinsicContext(region=REGION, stack_name=service.stack_name, resources=attrs)

    def resolve(value: Any, path: str) -> Any:
        return resolve_intrinsics(value, context, path=path)

    function = service.functions["subscriptions"]
    environment = {k: str(resolve(v, f"environment.{k}")) for k, v in function.environment.items()}
    aws = {
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }
    runtime = Runtime(service, environment=aws, function_environment={"subscriptions": environment})
    mappings = EventSourceMappings(
        service,
        runtime.invoke,
        endpoint_url=endpoint,
        region=REGION,
        state_dir=tmp_path / ".sockgate",
        resolve_arn=resolve,
        log=log.append,
        settings=FAST,
    )
    await mappings.start()
    try:
        subprocess.run(
            [sys.executable, "-c", WRITER, table_name, "room#general"],
            env={**os.environ, **aws},
            check=True,
            timeout=60,
        )
        await eventually(
            lambda: seen.exists() and len(seen.read_text().splitlines()) >= 2,
            what="the handler",
        )
    finally:
        await mappings.close()
        await runtime.close()
    # The REMOVE was filtered out; the INSERT arrived once, with the table resolved by Ref.
    assert seen.read_text().splitlines() == [
        f'["{table_name}", "INSERT", "room#general"]',
        f'["{table_name}", "INSERT", "sentinel"]',
    ]
    stream_arn = attrs["ChatTable"].attributes["StreamArn"]
    line = f"stream {stream_arn} -> subscriptions (batchSize 5, TRIM_HORIZON, filterPatterns)"
    assert line in log
