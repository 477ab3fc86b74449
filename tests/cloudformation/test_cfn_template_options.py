"""resources: merging, custom roles, an existing deployment bucket, and refused input."""

from __future__ import annotations

import pytest

from sockgate.cloudformation import build_template
from sockgate.cloudformation.template import core_template
from sockgate.errors import DeployError
from sockgate.service.model import Function, Service, WebsocketRoute


def test_resources_deep_merge_over_generated_ones(chat_service: Service) -> None:
    override = {
        "ConnectionHandlerLambdaFunction": {"Properties": {"TracingConfig": {"Mode": "Active"}}},
        "WebsocketsApi": {"Properties": {"Description": "Chat"}},
    }
    service = chat_service.model_copy(update={"resources": {**chat_service.resources, **override}})
    resources = build_template(service)["Resources"]
    function = resources["ConnectionHandlerLambdaFunction"]["Properties"]
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert function["Handler"] == "src/handler.connectionHandler"  # the rest is kept
    assert resources["WebsocketsApi"]["Properties"]["Description"] == "Chat"
    assert resources["WebsocketsApi"]["Properties"]["ProtocolType"] == "WEBSOCKET"


def test_an_existing_role_replaces_the_generated_one(chat_service: Service) -> None:
    arn = "arn:aws:iam::123456789012:role/chat"
    service = chat_service.model_copy(update={"provider": {"iam": {"role": arn}}})
    resources = build_template(service)["Resources"]
    assert "IamRoleLambdaExecution" not in resources
    assert resources["DefaultHandlerLambdaFunction"]["Properties"]["Role"] == arn
    mapping = resources["ChannelUnderscoresubscriberEventSourceMappingDynamodbChatTable"]
    assert mapping["DependsOn"] == []

    by_name = chat_service.model_copy(update={"provider": {"role": "ChatRole"}})
    function = build_template(by_name)["Resources"]["DefaultHandlerLambdaFunction"]
    assert function["Properties"]["Role"] == {"Fn::GetAtt": ["ChatRole", "Arn"]}
    assert function["DependsOn"] == ["DefaultHandlerLogGroup", "ChatRole"]


def test_role_settings_name_path_and_managed_policies(chat_service: Service) -> None:
    policy = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"
    provider = {
        "iam": {"role": {"name": "chat-role", "path": "/chat/", "managedPolicies": [policy]}}
    }
    service = chat_service.model_copy(update={"provider": provider})
    role = build_template(service)["Resources"]["IamRoleLambdaExecution"]["Properties"]
    assert (role["RoleName"], role["Path"], role["ManagedPolicyArns"]) == (
        "chat-role",
        "/chat/",
        [policy],
    )


def test_an_existing_deployment_bucket_means_no_stack_bucket(chat_service: Service) -> None:
    for service, bucket in [
        (
            chat_service.model_copy(update={"provider": {"deploymentBucket": "my-bucket"}}),
            "my-bucket",
        ),
        (chat_service, "given-bucket"),
    ]:
        artifact_bucket = None if bucket == "my-bucket" else bucket
        template = build_template(service, artifact_bucket=artifact_bucket)
        assert "ServerlessDeploymentBucket" not in template["Resources"]
        assert "ServerlessDeploymentBucketName" not in template["Outputs"]
        code = template["Resources"]["DefaultHandlerLambdaFunction"]["Properties"]["Code"]
        assert code["S3Bucket"] == bucket


def test_the_core_template_holds_only_the_bucket() -> None:
    core = core_template()
    assert set(core["Resources"]) == {
        "ServerlessDeploymentBucket",
        "ServerlessDeploymentBucketPolicy",
    }
    assert core["Outputs"] == {
        "ServerlessDeploymentBucketName": {"Value": {"Ref": "ServerlessDeploymentBucket"}}
    }


def test_functions_named_outside_the_stack_prefix_get_their_own_log_grants(
    chat_service: Service,
) -> None:
    odd = Function(key="odd", name="custom-name", handler="src/handler.odd", runtime="python3.11")
    service = chat_service.model_copy(update={"functions": {**chat_service.functions, "odd": odd}})
    role = build_template(service)["Resources"]["IamRoleLambdaExecution"]["Properties"]
    create = role["Policies"][0]["PolicyDocument"]["Statement"][0]["Resource"]
    assert create[-1] == {
        "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}"
        ":log-group:/aws/lambda/custom-name:*"
    }


def test_refused_input_is_one_clear_sentence(chat_service: Service) -> None:
    bad_env = chat_service.functions["defaultHandler"].model_copy(
        update={"environment": {"X": "1"}}
    )
    service = chat_service.model_copy(
        update={"functions": {**chat_service.functions, "defaultHandler": bad_env}}
    )
    with pytest.raises(DeployError, match="environment variable 'X', which Lambda rejects"):
        build_template(service)

    route = WebsocketRoute(route_key="$default", function="missing")
    with pytest.raises(DeployError, match="function 'missing', which is not in `functions:`"):
        build_template(chat_service.model_copy(update={"websocket_routes": (route,)}))

    node = chat_service.functions["defaultHandler"].model_copy(update={"runtime": "nodejs20.x"})
    with pytest.raises(DeployError, match="runtime nodejs20.x; sockgate packages Python"):
        build_template(
            chat_service.model_copy(
                update={"functions": {**chat_service.functions, "defaultHandler": node}}
            )
        )


def test_fractional_timeouts_round_up_and_arm64_is_kept(chat_service: Service) -> None:
    fn = chat_service.functions["defaultHandler"].model_copy(update={"timeout": 2.5})
    service = chat_service.model_copy(
        update={
            "functions": {"defaultHandler": fn},
            "websocket_routes": (WebsocketRoute(route_key="$default", function="defaultHandler"),),
            "streams": (),
            "provider": {"architecture": "arm64"},
        }
    )
    properties = build_template(service)["Resources"]["DefaultHandlerLambdaFunction"]["Properties"]
    assert properties["Timeout"] == 3
    assert properties["Architectures"] == ["arm64"]
