"""deploy, info and remove against moto's S3 and CloudFormation, with the exact calls made.

moto applies change sets and creates the buckets, roles, functions, tables and mappings it
models; it skips AWS::ApiGatewayV2::* resources and does not fill Outputs after a change set,
which is why the bucket is read with DescribeStackResource here (AWS answers from Outputs,
see the stubbed tests).
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from sockgate.cloudformation import deploy, info, remove
from sockgate.errors import DeployError
from sockgate.service.model import Service

CREATE_STACK = [
    "cloudformation.DescribeStacks",
    # a new stack: created holding only the deployment bucket
    "cloudformation.CreateChangeSet",
    "cloudformation.DescribeChangeSet",
    "cloudformation.DescribeStackEvents",
    "cloudformation.ExecuteChangeSet",
    "cloudformation.DescribeStackEvents",
    "cloudformation.DescribeStacks",
    "cloudformation.DescribeStackEvents",
    "cloudformation.DescribeStackResource",
]
UPLOAD_AND_UPDATE = [
    "s3.HeadObject",
    "s3.PutObject",  # the zip
    "s3.PutObject",  # the template
    "cloudformation.CreateChangeSet",
    "cloudformation.DescribeChangeSet",
    "cloudformation.DescribeStackEvents",
    "cloudformation.ExecuteChangeSet",
    "cloudformation.DescribeStackEvents",
    "cloudformation.DescribeStacks",
    "cloudformation.DescribeStackEvents",
]


def _deploy(service: Service, aws: boto3.session.Session, lines: list[str]) -> Any:
    return deploy(service, session=aws, progress=lines.append, poll_interval=0)


def test_first_deploy_creates_the_bucket_then_the_whole_stack(
    chat_service: Service, aws: boto3.session.Session, calls: Any
) -> None:
    lines: list[str] = []
    result = _deploy(chat_service, aws, lines)

    assert calls.names == CREATE_STACK + UPLOAD_AND_UPDATE
    create, update = calls.params("cloudformation.CreateChangeSet")
    assert (create["StackName"], create["ChangeSetType"]) == ("chat-dev", "CREATE")
    assert '"ServerlessDeploymentBucket"' in create["TemplateBody"]
    assert update["ChangeSetType"] == "UPDATE"
    assert update["Capabilities"] == [
        "CAPABILITY_IAM",
        "CAPABILITY_NAMED_IAM",
        "CAPABILITY_AUTO_EXPAND",
    ]
    assert update["Tags"] == [{"Key": "STAGE", "Value": "dev"}]
    bucket = calls.params("s3.HeadObject")[0]["Bucket"]
    key = calls.params("s3.HeadObject")[0]["Key"]
    assert update["TemplateURL"] == (
        f"https://s3.us-east-1.amazonaws.com/{bucket}/{key.rsplit('/', 1)[0]}"
        "/compiled-cloudformation-template.json"
    )
    assert (result.stack_name, result.status, result.changed) == (
        "chat-dev",
        "UPDATE_COMPLETE",
        True,
    )
    assert f"Uploading s3://{bucket}/{key}" in lines
    assert any(line.startswith("UPDATE_COMPLETE ") and "chat-dev" in line for line in lines)

    # What moto built from the template: the functions with their code, the stream mapping.
    s3 = aws.client("s3")
    assert s3.get_object(Bucket=bucket, Key=key)["ContentLength"] > 0
    functions = aws.client("lambda").list_functions()["Functions"]
    assert sorted(f["FunctionName"] for f in functions) == [
        "chat-dev-actionHandler",
        "chat-dev-channel_subscriber",
        "chat-dev-connectionHandler",
        "chat-dev-defaultHandler",
    ]
    mappings = aws.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    assert [m["FunctionArn"].rsplit(":", 1)[1] for m in mappings] == ["chat-dev-channel_subscriber"]


def test_redeploying_unchanged_code_reports_no_changes(
    chat_service: Service, aws: boto3.session.Session, calls: Any
) -> None:
    _deploy(chat_service, aws, [])
    calls.clear()
    lines: list[str] = []
    result = _deploy(chat_service, aws, lines)
    assert calls.names == [
        "cloudformation.DescribeStacks",
        "cloudformation.DescribeStackResource",
        "s3.HeadObject",  # found: the zip is not uploaded again
        "s3.PutObject",  # the template
        "cloudformation.CreateChangeSet",
        "cloudformation.DescribeChangeSet",
        "cloudformation.DeleteChangeSet",
    ]
    assert "No changes to deploy" in lines
    assert not any("Uploading" in line for line in lines)
    assert (result.changed, result.status) == (False, "UPDATE_COMPLETE")


def test_changed_code_is_uploaded_under_a_new_key_and_updates_the_stack(
    chat_service: Service, aws: boto3.session.Session, calls: Any
) -> None:
    _deploy(chat_service, aws, [])
    first_key = calls.params("s3.HeadObject")[0]["Key"]
    calls.clear()
    (chat_service.directory / "src" / "handler.py").write_text("def handler(e, c):\n    return 2\n")
    result = _deploy(chat_service, aws, [])
    assert calls.names == [
        "cloudformation.DescribeStacks",
        "cloudformation.DescribeStackResource",
        *UPLOAD_AND_UPDATE,
    ]
    new_key = calls.params("s3.HeadObject")[0]["Key"]
    assert new_key != first_key
    assert calls.params("s3.PutObject")[0]["Key"] == new_key
    assert result.changed


def test_info_reads_the_deployed_functions_and_mappings(
    chat_service: Service, aws: boto3.session.Session, calls: Any
) -> None:
    _deploy(chat_service, aws, [])
    calls.clear()
    stack = info(chat_service, session=aws)
    assert calls.names == ["cloudformation.DescribeStacks", "cloudformation.ListStackResources"]
    assert [(f.key, f.name) for f in stack.functions] == [
        ("connectionHandler", "chat-dev-connectionHandler"),
        ("defaultHandler", "chat-dev-defaultHandler"),
        ("actionHandler", "chat-dev-actionHandler"),
        ("channel_subscriber", "chat-dev-channel_subscriber"),
    ]
    (mapping,) = stack.stream_mappings
    mappings = aws.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    assert mapping.uuid == mappings[0]["UUID"]
    assert mapping.function == "chat-dev-channel_subscriber"
    assert stack.status == "UPDATE_COMPLETE"


def test_remove_empties_the_bucket_and_deletes_the_stack(
    chat_service: Service, aws: boto3.session.Session, calls: Any
) -> None:
    _deploy(chat_service, aws, [])
    bucket = calls.params("s3.HeadObject")[0]["Bucket"]
    calls.clear()
    lines: list[str] = []
    remove(chat_service, session=aws, progress=lines.append, poll_interval=0)
    assert calls.names == [
        "cloudformation.DescribeStacks",
        "cloudformation.DescribeStackResource",
        "s3.ListObjectVersions",
        "s3.DeleteObjects",
        "cloudformation.DescribeStackEvents",
        "cloudformation.DeleteStack",
        "cloudformation.DescribeStackEvents",
        "cloudformation.DescribeStacks",
        "cloudformation.DescribeStackEvents",
    ]
    deleted = calls.params("s3.DeleteObjects")[0]["Delete"]["Objects"]
    assert len(deleted) == 2  # the zip and the template
    assert f"Emptied s3://{bucket} (2 objects)" in lines
    assert lines[-1] == "Stack chat-dev removed"
    cfn = aws.client("cloudformation")
    with pytest.raises(cfn.exceptions.ClientError, match="does not exist"):
        cfn.describe_stacks(StackName="chat-dev")


def test_remove_and_info_of_a_stack_that_is_not_there(
    chat_service: Service, aws: boto3.session.Session, calls: Any
) -> None:
    with pytest.raises(DeployError, match="Stack chat-dev does not exist in us-east-1; nothing"):
        remove(chat_service, session=aws, poll_interval=0)
    with pytest.raises(DeployError, match="run `sockgate deploy` first"):
        info(chat_service, session=aws)
    assert calls.names == ["cloudformation.DescribeStacks"] * 2
