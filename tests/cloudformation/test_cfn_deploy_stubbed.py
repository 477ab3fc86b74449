"""What moto cannot model, answered as AWS answers it (botocore's Stubber validates every
request and response against the service model): a failed update and its rollback, the
"no updates" wording, Outputs after a change set, and a stack in a state that refuses
updates. Each test states the exact calls, in order, across both clients."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from sockgate.cloudformation import deploy, info, remove
from sockgate.errors import DeployError
from sockgate.service.model import Service

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/chat-dev/1a2b"
CHANGE_SET_ID = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/sockgate-1/9z"
BUCKET = "chat-dev-serverlessdeploymentbucket-abc"
WSS = "wss://abc123.execute-api.us-east-1.amazonaws.com/dev"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
TOO_BIG = 'Resource handler returned message: "Unzipped size must be smaller than 262144000 bytes"'


class StubbedSession(boto3.session.Session):
    """A real Session whose clients are the stubbed ones given."""

    def __init__(self, clients: dict[str, Any]) -> None:
        super().__init__(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        self._stubbed = clients

    def client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self._stubbed[service_name]


class Aws:
    """Stubbed CloudFormation and S3 clients behind one session, calls logged in order."""

    def __init__(self, call_log: Any) -> None:
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        self.cfn = session.client("cloudformation")
        self.s3 = session.client("s3")
        for client in (self.cfn, self.s3):
            call_log.attach(client.meta.events)
        self.cf_stub, self.s3_stub = Stubber(self.cfn), Stubber(self.s3)
        self.session = StubbedSession({"cloudformation": self.cfn, "s3": self.s3})


@pytest.fixture
def aws(call_log: Any) -> Iterator[Aws]:
    stubbed = Aws(call_log)
    with stubbed.cf_stub, stubbed.s3_stub:
        yield stubbed
        stubbed.cf_stub.assert_no_pending_responses()
        stubbed.s3_stub.assert_no_pending_responses()


def _stack(status: str, outputs: dict[str, str] | None = None) -> dict[str, Any]:
    stack: dict[str, Any] = {
        "StackId": STACK_ID,
        "StackName": "chat-dev",
        "CreationTime": NOW,
        "StackStatus": status,
    }
    if outputs is not None:
        stack["Outputs"] = [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()]
    return stack


def _event(n: int, logical_id: str, kind: str, status: str, reason: str = "") -> dict[str, Any]:
    event = {
        "StackId": STACK_ID,
        "EventId": f"event-{n}",
        "StackName": "chat-dev",
        "LogicalResourceId": logical_id,
        "ResourceType": kind,
        "Timestamp": NOW,
        "ResourceStatus": status,
    }
    if reason:
        event["ResourceStatusReason"] = reason
    return event


def _events(*events: dict[str, Any]) -> dict[str, Any]:
    return {"StackEvents": list(reversed(events))}  # newest first, as AWS returns them


def _existing_stack_and_upload(aws: Aws) -> None:
    outputs = {"ServerlessDeploymentBucketName": BUCKET, "ServiceEndpointWebsocket": WSS}
    aws.cf_stub.add_response(
        "describe_stacks",
        {"Stacks": [_stack("UPDATE_COMPLETE", outputs)]},
        {"StackName": "chat-dev"},
    )
    aws.s3_stub.add_client_error("head_object", "404", http_status_code=404)
    aws.s3_stub.add_response("put_object", {}, {"Bucket": BUCKET, "Key": ANY, "Body": ANY})
    aws.s3_stub.add_response(
        "put_object",
        {},
        {"Bucket": BUCKET, "Key": ANY, "Body": ANY, "ContentType": "application/json"},
    )


def _change_set(aws: Aws, status: str = "CREATE_COMPLETE", reason: str = "") -> None:
    aws.cf_stub.add_response(
        "create_change_set",
        {"Id": CHANGE_SET_ID, "StackId": STACK_ID},
        {
            "StackName": "chat-dev",
            "ChangeSetName": ANY,
            "ChangeSetType": "UPDATE",
            "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
            "Tags": [{"Key": "STAGE", "Value": "dev"}],
            "TemplateURL": ANY,
        },
    )
    described: dict[str, Any] = {"ChangeSetId": CHANGE_SET_ID, "Status": status}
    if status == "FAILED":
        described |= {"ExecutionStatus": "UNAVAILABLE", "StatusReason": reason}
    else:
        described["ExecutionStatus"] = "AVAILABLE"
    aws.cf_stub.add_response("describe_change_set", described, {"ChangeSetName": CHANGE_SET_ID})


UPLOAD = ["cloudformation.DescribeStacks", "s3.HeadObject", "s3.PutObject", "s3.PutObject"]


def test_a_failed_update_names_each_failed_resource_and_raises(
    chat_service: Service, aws: Aws, call_log: Any
) -> None:
    _existing_stack_and_upload(aws)
    _change_set(aws)
    old = _event(1, "chat-dev", "AWS::CloudFormation::Stack", "UPDATE_COMPLETE")
    aws.cf_stub.add_response("describe_stack_events", _events(old), {"StackName": STACK_ID})
    aws.cf_stub.add_response("execute_change_set", {}, {"ChangeSetName": CHANGE_SET_ID})
    failed = [
        _event(2, "chat-dev", "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS"),
        _event(3, "ActionHandlerLambdaFunction", "AWS::Lambda::Function", "UPDATE_FAILED",
               TOO_BIG),
        _event(4, "sendMessageWebsocketsRoute", "AWS::ApiGatewayV2::Route", "UPDATE_FAILED",
               "Resource update cancelled"),
        _event(5, "chat-dev", "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_IN_PROGRESS",
               "The following resource(s) failed to update: [ActionHandlerLambdaFunction]."),
    ]  # fmt: skip
    aws.cf_stub.add_response(
        "describe_stack_events", _events(old, *failed), {"StackName": STACK_ID}
    )
    aws.cf_stub.add_response(
        "describe_stacks",
        {"Stacks": [_stack("UPDATE_ROLLBACK_IN_PROGRESS")]},
        {"StackName": STACK_ID},
    )
    done = _event(6, "chat-dev", "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_COMPLETE")
    aws.cf_stub.add_response(
        "describe_stack_events", _events(old, *failed, done), {"StackName": STACK_ID}
    )
    aws.cf_stub.add_response(
        "describe_stacks", {"Stacks": [_stack("UPDATE_ROLLBACK_COMPLETE")]}, {"StackName": STACK_ID}
    )
    aws.cf_stub.add_response(
        "describe_stack_events", _events(old, *failed, done), {"StackName": STACK_ID}
    )
    lines: list[str] = []

    with pytest.raises(DeployError) as raised:
        deploy(chat_service, session=aws.session, progress=lines.append, poll_interval=0)

    assert str(raised.value) == (
        "Updating stack chat-dev failed (UPDATE_ROLLBACK_COMPLETE): "
        "ActionHandlerLambdaFunction (AWS::Lambda::Function): Resource handler returned "
        'message: "Unzipped size must be smaller than 262144000 bytes"; '
        "sendMessageWebsocketsRoute (AWS::ApiGatewayV2::Route): Resource update cancelled"
    )
    # The events were shown as they happened, oldest first, failures with their reason.
    shown = [line.split()[0] for line in lines if line.split()[0].isupper()]
    assert shown == [
        "UPDATE_IN_PROGRESS",
        "UPDATE_FAILED",
        "UPDATE_FAILED",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE",
    ]
    assert any(
        line.endswith('Unzipped size must be smaller than 262144000 bytes"') for line in lines
    )
    assert call_log.names == [
        *UPLOAD,
        "cloudformation.CreateChangeSet",
        "cloudformation.DescribeChangeSet",
        "cloudformation.DescribeStackEvents",
        "cloudformation.ExecuteChangeSet",
        "cloudformation.DescribeStackEvents",
        "cloudformation.DescribeStacks",
        "cloudformation.DescribeStackEvents",
        "cloudformation.DescribeStacks",
        "cloudformation.DescribeStackEvents",
    ]


@pytest.mark.parametrize(
    "reason",
    [
        "The submitted information didn't contain changes. Submit different information to "
        "create a change set.",
        "No updates are to be performed.",
    ],
)
def test_nothing_to_change_is_reported_not_raised(
    chat_service: Service, aws: Aws, call_log: Any, reason: str
) -> None:
    _existing_stack_and_upload(aws)
    _change_set(aws, status="FAILED", reason=reason)
    aws.cf_stub.add_response("delete_change_set", {}, {"ChangeSetName": CHANGE_SET_ID})
    lines: list[str] = []
    result = deploy(chat_service, session=aws.session, progress=lines.append, poll_interval=0)
    assert "No changes to deploy" in lines
    assert result.changed is False
    assert result.outputs["ServiceEndpointWebsocket"] == WSS
    assert f"ServiceEndpointWebsocket: {WSS}" in lines  # the outputs are printed
    assert call_log.names == [
        *UPLOAD,
        "cloudformation.CreateChangeSet",
        "cloudformation.DescribeChangeSet",
        "cloudformation.DeleteChangeSet",
    ]


def test_another_change_set_failure_is_an_error(chat_service: Service, aws: Aws) -> None:
    _existing_stack_and_upload(aws)
    _change_set(aws, status="FAILED", reason="Template format error: Unresolved resource X")
    aws.cf_stub.add_response("delete_change_set", {}, {"ChangeSetName": CHANGE_SET_ID})
    with pytest.raises(DeployError, match="rejected the change set for chat-dev: Template format"):
        deploy(chat_service, session=aws.session, progress=lambda _: None, poll_interval=0)


def test_a_successful_update_prints_the_outputs(
    chat_service: Service, aws: Aws, call_log: Any
) -> None:
    _existing_stack_and_upload(aws)
    _change_set(aws)
    aws.cf_stub.add_response("describe_stack_events", _events(), {"StackName": STACK_ID})
    aws.cf_stub.add_response("execute_change_set", {}, {"ChangeSetName": CHANGE_SET_ID})
    aws.cf_stub.add_response("describe_stack_events", _events(), {"StackName": STACK_ID})
    outputs = {"ServiceEndpointWebsocket": WSS, "ServerlessDeploymentBucketName": BUCKET}
    aws.cf_stub.add_response(
        "describe_stacks", {"Stacks": [_stack("UPDATE_COMPLETE", outputs)]}, {"StackName": STACK_ID}
    )
    aws.cf_stub.add_response("describe_stack_events", _events(), {"StackName": STACK_ID})
    lines: list[str] = []
    result = deploy(chat_service, session=aws.session, progress=lines.append, poll_interval=0)
    assert result.outputs == outputs
    assert lines[-2:] == [
        f"ServerlessDeploymentBucketName: {BUCKET}",
        f"ServiceEndpointWebsocket: {WSS}",
    ]
    # The bucket came from the Outputs: no DescribeStackResource on AWS.
    assert "cloudformation.DescribeStackResource" not in call_log.names


@pytest.mark.parametrize(
    ("status", "advice"),
    [
        ("ROLLBACK_COMPLETE", "cannot be updated; run `sockgate remove`, then deploy again"),
        ("UPDATE_ROLLBACK_FAILED", "continue the rollback in the CloudFormation console"),
        ("UPDATE_IN_PROGRESS", "is busy \\(UPDATE_IN_PROGRESS\\); deploy again once"),
    ],
)
def test_a_stack_that_cannot_take_an_update_is_refused_before_any_upload(
    chat_service: Service, aws: Aws, call_log: Any, status: str, advice: str
) -> None:
    aws.cf_stub.add_response(
        "describe_stacks", {"Stacks": [_stack(status)]}, {"StackName": "chat-dev"}
    )
    with pytest.raises(DeployError, match=advice):
        deploy(chat_service, session=aws.session, progress=lambda _: None, poll_interval=0)
    assert call_log.names == ["cloudformation.DescribeStacks"]


def test_info_gives_the_urls_routes_functions_and_mappings(
    chat_service: Service, aws: Aws, call_log: Any
) -> None:
    outputs = {"ServiceEndpointWebsocket": WSS, "HttpApiUrl": "https://h.execute-api.aws"}
    aws.cf_stub.add_response(
        "describe_stacks",
        {"Stacks": [_stack("UPDATE_COMPLETE", outputs)]},
        {"StackName": "chat-dev"},
    )
    resources = {
        "SconnectWebsocketsRoute": ("AWS::ApiGatewayV2::Route", "r1"),
        "sendMessageWebsocketsRoute": ("AWS::ApiGatewayV2::Route", "r2"),
        "ConnectionHandlerLambdaFunction": ("AWS::Lambda::Function", "chat-dev-connectionHandler"),
        "ActionHandlerLambdaFunction": ("AWS::Lambda::Function", "chat-dev-actionHandler"),
        "ChannelUnderscoresubscriberEventSourceMappingDynamodbChatTable": (
            "AWS::Lambda::EventSourceMapping",
            "7c1d-uuid",
        ),
    }
    summaries = [
        {
            "LogicalResourceId": logical_id,
            "PhysicalResourceId": physical,
            "ResourceType": kind,
            "LastUpdatedTimestamp": NOW,
            "ResourceStatus": "UPDATE_COMPLETE",
        }
        for logical_id, (kind, physical) in resources.items()
    ]
    aws.cf_stub.add_response(
        "list_stack_resources", {"StackResourceSummaries": summaries}, {"StackName": STACK_ID}
    )
    stack = info(chat_service, session=aws.session)
    assert stack.websocket_url == WSS
    assert (
        stack.connections_url
        == "https://abc123.execute-api.us-east-1.amazonaws.com/dev/@connections"
    )
    assert stack.http_url == "https://h.execute-api.aws"
    assert [(r.route_key, r.function) for r in stack.routes] == [
        ("$connect", "chat-dev-connectionHandler"),
        ("sendMessage", "chat-dev-actionHandler"),
    ]
    assert [f.key for f in stack.functions] == ["connectionHandler", "actionHandler"]
    assert [(m.uuid, m.function) for m in stack.stream_mappings] == [
        ("7c1d-uuid", "chat-dev-channel_subscriber")
    ]
    assert "@connections: https://abc123.execute-api.us-east-1.amazonaws.com/dev/@connections" in (
        stack.lines()
    )
    assert call_log.names == ["cloudformation.DescribeStacks", "cloudformation.ListStackResources"]


def test_remove_deletes_every_version_and_waits_for_the_deletion(
    chat_service: Service, aws: Aws, call_log: Any
) -> None:
    outputs = {"ServerlessDeploymentBucketName": BUCKET}
    aws.cf_stub.add_response(
        "describe_stacks",
        {"Stacks": [_stack("UPDATE_COMPLETE", outputs)]},
        {"StackName": "chat-dev"},
    )
    versions = {
        "Versions": [{"Key": "a.zip", "VersionId": "v1"}, {"Key": "a.zip", "VersionId": "v2"}],
        "DeleteMarkers": [{"Key": "b.json", "VersionId": "v3"}],
    }
    aws.s3_stub.add_response("list_object_versions", versions, {"Bucket": BUCKET})
    objects = [
        {"Key": "a.zip", "VersionId": "v1"},
        {"Key": "a.zip", "VersionId": "v2"},
        {"Key": "b.json", "VersionId": "v3"},
    ]
    aws.s3_stub.add_response(
        "delete_objects", {}, {"Bucket": BUCKET, "Delete": {"Objects": objects, "Quiet": True}}
    )
    old = _event(1, "chat-dev", "AWS::CloudFormation::Stack", "UPDATE_COMPLETE")
    aws.cf_stub.add_response("describe_stack_events", _events(old), {"StackName": STACK_ID})
    aws.cf_stub.add_response("delete_stack", {}, {"StackName": STACK_ID})
    deleting = _event(2, "chat-dev", "AWS::CloudFormation::Stack", "DELETE_IN_PROGRESS")
    aws.cf_stub.add_response(
        "describe_stack_events", _events(old, deleting), {"StackName": STACK_ID}
    )
    aws.cf_stub.add_response(
        "describe_stacks", {"Stacks": [_stack("DELETE_IN_PROGRESS")]}, {"StackName": STACK_ID}
    )
    gone = _event(3, "chat-dev", "AWS::CloudFormation::Stack", "DELETE_COMPLETE")
    aws.cf_stub.add_response(
        "describe_stack_events", _events(old, deleting, gone), {"StackName": STACK_ID}
    )
    aws.cf_stub.add_response(
        "describe_stacks", {"Stacks": [_stack("DELETE_COMPLETE")]}, {"StackName": STACK_ID}
    )
    aws.cf_stub.add_response(
        "describe_stack_events", _events(old, deleting, gone), {"StackName": STACK_ID}
    )
    lines: list[str] = []
    remove(chat_service, session=aws.session, progress=lines.append, poll_interval=0)
    assert lines[0] == f"Emptied s3://{BUCKET} (3 objects)"
    assert [line.split()[0] for line in lines[2:4]] == ["DELETE_IN_PROGRESS", "DELETE_COMPLETE"]
    assert call_log.names == [
        "cloudformation.DescribeStacks",
        "s3.ListObjectVersions",
        "s3.DeleteObjects",
        "cloudformation.DescribeStackEvents",
        "cloudformation.DeleteStack",
        "cloudformation.DescribeStackEvents",
        "cloudformation.DescribeStacks",
        "cloudformation.DescribeStackEvents",
        "cloudformation.DescribeStacks",
        "cloudformation.DescribeStackEvents",
    ]
