"""Fixtures for provisioning tests: a real DynamoDB endpoint and services with tables."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from sockgate.service.model import Service

REGION = "us-east-1"


@pytest.fixture
def dynamodb(endpoint: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def make_service(tmp_path: Path, resources: dict[str, Any], name: str | None = None) -> Service:
    """A service whose `resources.Resources` are `resources`; a unique name per test."""
    return Service(
        name=name or f"svc{uuid.uuid4().hex[:8]}",
        directory=tmp_path,
        config_file=tmp_path / "serverless.yml",
        stage="dev",
        region=REGION,
        resources=resources,
    )


def chat_table(**overrides: Any) -> dict[str, Any]:
    """The seed chat service's table, as its serverless.yml declares it."""
    properties: dict[str, Any] = {
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
        "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
    }
    properties.update(overrides)
    return {"Type": "AWS::DynamoDB::Table", "Properties": properties}
