"""The chat service's template: valid CloudFormation, Serverless's names, every option kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sockgate.cloudformation import build_template
from sockgate.service.model import Service


def _deployment_ids(resources: dict[str, Any]) -> list[str]:
    return [k for k, r in resources.items() if r["Type"] == "AWS::ApiGatewayV2::Deployment"]


def test_the_chat_template_passes_cfn_lint(
    chat_service: Service, lint: Callable[[dict[str, Any]], list[str]]
) -> None:
    assert lint(build_template(chat_service)) == []


def test_the_chat_template_has_the_frameworks_logical_ids(chat_service: Service) -> None:
    resources = build_template(chat_service)["Resources"]
    deployments = _deployment_ids(resources)
    assert len(deployments) == 1 and deployments[0].startswith("WebsocketsDeployment")
    assert set(resources) - set(deployments) == {
        "ServerlessDeploymentBucket",
        "ServerlessDeploymentBucketPolicy",
        "IamRoleLambdaExecution",
        *(f"{f}LogGroup" for f in ("ConnectionHandler", "DefaultHandler", "ActionHandler")),
        *(f"{f}LambdaFunction" for f in ("ConnectionHandler", "DefaultHandler", "ActionHandler")),
        "ChannelUnderscoresubscriberLogGroup",
        "ChannelUnderscoresubscriberLambdaFunction",
        "WebsocketsApi",
        "ConnectionHandlerWebsocketsIntegration",
        "DefaultHandlerWebsocketsIntegration",
        "ActionHandlerWebsocketsIntegration",
        "ConnectionHandlerLambdaPermissionWebsockets",
        "DefaultHandlerLambdaPermissionWebsockets",
        "ActionHandlerLambdaPermissionWebsockets",
        "SconnectWebsocketsRoute",
        "SdisconnectWebsocketsRoute",
        "SdefaultWebsocketsRoute",
        "sendMessageWebsocketsRoute",
        "WebsocketsDeploymentStage",
        "ChannelUnderscoresubscriberEventSourceMappingDynamodbChatTable",
        "ChatTable",
        "FailedQueue",
    }


def test_functions_keep_intrinsics_and_load_code_from_the_bucket(chat_service: Service) -> None:
    template = build_template(chat_service, artifact_key="serverless/chat/dev/abc/chat.zip")
    function = template["Resources"]["ConnectionHandlerLambdaFunction"]
    assert function["DependsOn"] == ["ConnectionHandlerLogGroup"]
    assert function["Properties"] == {
        "Code": {
            "S3Bucket": {"Ref": "ServerlessDeploymentBucket"},
            "S3Key": "serverless/chat/dev/abc/chat.zip",
        },
        "Handler": "src/handler.connectionHandler",
        "Runtime": "python3.11",
        "FunctionName": "chat-dev-connectionHandler",
        "MemorySize": 1024,
        "Timeout": 6,
        "Environment": {"Variables": {"CHAT_TABLE": {"Ref": "ChatTable"}, "DEBUG": "false"}},
        "Role": {"Fn::GetAtt": ["IamRoleLambdaExecution", "Arn"]},
    }
    log_group = template["Resources"]["ConnectionHandlerLogGroup"]["Properties"]
    assert log_group == {
        "LogGroupName": "/aws/lambda/chat-dev-connectionHandler",
        "RetentionInDays": 14,
    }


def test_the_role_grants_logs_user_statements_streams_and_manage_connections(
    chat_service: Service,
) -> None:
    role = build_template(chat_service)["Resources"]["IamRoleLambdaExecution"]["Properties"]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    logs = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
    assert statements == [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:CreateLogGroup", "logs:TagResource"],
            "Resource": [{"Fn::Sub": f"{logs}/aws/lambda/chat-dev*:*"}],
        },
        {
            "Effect": "Allow",
            "Action": ["logs:PutLogEvents"],
            "Resource": [{"Fn::Sub": f"{logs}/aws/lambda/chat-dev*:*:*"}],
        },
        chat_service.iam_statements[0],
        {
            "Effect": "Allow",
            "Action": [
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:DescribeStream",
                "dynamodb:ListStreams",
            ],
            "Resource": [{"Fn::GetAtt": ["ChatTable", "StreamArn"]}],
        },
        {
            "Effect": "Allow",
            "Action": ["sqs:ListQueues", "sqs:SendMessage"],
            "Resource": [{"Fn::GetAtt": ["FailedQueue", "Arn"]}],
        },
        {
            "Effect": "Allow",
            "Action": ["execute-api:ManageConnections"],
            "Resource": [
                {
                    "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:"
                    "${AWS::AccountId}:${WebsocketsApi}/*/*/@connections/*"
                }
            ],
        },
    ]
    assert role["RoleName"] == {
        "Fn::Join": ["-", ["chat", "dev", {"Ref": "AWS::Region"}, "lambdaRole"]]
    }


def test_the_stream_mapping_carries_every_option(chat_service: Service) -> None:
    resources = build_template(chat_service)["Resources"]
    mapping = resources["ChannelUnderscoresubscriberEventSourceMappingDynamodbChatTable"]
    assert mapping["DependsOn"] == ["IamRoleLambdaExecution"]
    assert mapping["Properties"] == {
        "BatchSize": 100,
        "Enabled": True,
        "EventSourceArn": {"Fn::GetAtt": ["ChatTable", "StreamArn"]},
        "FunctionName": {"Fn::GetAtt": ["ChannelUnderscoresubscriberLambdaFunction", "Arn"]},
        "StartingPosition": "LATEST",
        "MaximumBatchingWindowInSeconds": 1,
        "MaximumRetryAttempts": 3,
        "MaximumRecordAgeInSeconds": 120,
        "BisectBatchOnFunctionError": True,
        "ParallelizationFactor": 2,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "FilterCriteria": {"Filters": [{"Pattern": '{"eventName":["INSERT","REMOVE"]}'}]},
        "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": ["FailedQueue", "Arn"]}}},
    }
    assert json.loads(mapping["Properties"]["FilterCriteria"]["Filters"][0]["Pattern"]) == {
        "eventName": ["INSERT", "REMOVE"]
    }


def test_the_websocket_api_routes_and_stage(chat_service: Service) -> None:
    template = build_template(chat_service)
    resources = template["Resources"]
    assert resources["WebsocketsApi"]["Properties"] == {
        "Name": "dev-chat-websockets",
        "RouteSelectionExpression": "$request.body.action",
        "Description": "Serverless Websockets",
        "ProtocolType": "WEBSOCKET",
    }
    route = resources["sendMessageWebsocketsRoute"]["Properties"]
    assert route == {
        "ApiId": {"Ref": "WebsocketsApi"},
        "RouteKey": "sendMessage",
        "AuthorizationType": "NONE",
        "Target": {
            "Fn::Join": ["/", ["integrations", {"Ref": "ActionHandlerWebsocketsIntegration"}]]
        },
    }
    integration = resources["ActionHandlerWebsocketsIntegration"]["Properties"]
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert {"Fn::GetAtt": ["ActionHandlerLambdaFunction", "Arn"]} in (
        integration["IntegrationUri"]["Fn::Join"][1]
    )
    (deployment_id,) = _deployment_ids(resources)
    assert resources[deployment_id]["DependsOn"] == [
        "SconnectWebsocketsRoute",
        "SdisconnectWebsocketsRoute",
        "SdefaultWebsocketsRoute",
        "sendMessageWebsocketsRoute",
    ]
    stage = resources["WebsocketsDeploymentStage"]["Properties"]
    assert stage["DeploymentId"] == {"Ref": deployment_id}
    assert stage["StageName"] == "dev"
    permission = resources["ActionHandlerLambdaPermissionWebsockets"]["Properties"]
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert permission["FunctionName"] == {"Fn::GetAtt": ["ActionHandlerLambdaFunction", "Arn"]}


def test_outputs_hold_the_wss_url_the_bucket_and_the_users_outputs(chat_service: Service) -> None:
    outputs = build_template(chat_service)["Outputs"]
    assert outputs["ServiceEndpointWebsocket"]["Value"] == {
        "Fn::Join": [
            "",
            [
                "wss://",
                {"Ref": "WebsocketsApi"},
                ".execute-api.",
                {"Ref": "AWS::Region"},
                ".",
                {"Ref": "AWS::URLSuffix"},
                "/dev",
            ],
        ]
    }
    assert outputs["ServerlessDeploymentBucketName"] == {
        "Value": {"Ref": "ServerlessDeploymentBucket"}
    }
    assert outputs["ChatTableName"] == {"Value": {"Ref": "ChatTable"}}
    assert "HttpApiUrl" not in outputs


def test_the_deployment_id_changes_with_the_routes_only(chat_service: Service) -> None:
    def deployment(service: Service) -> str:
        (deployment_id,) = _deployment_ids(build_template(service)["Resources"])
        return deployment_id

    first = deployment(chat_service)
    assert deployment(chat_service) == first  # stable: no needless redeployments
    new_code = build_template(chat_service, artifact_key="serverless/chat/dev/other/chat.zip")
    assert first in new_code["Resources"]  # code changes leave the API's snapshot alone
    fewer_routes = chat_service.model_copy(
        update={"websocket_routes": chat_service.websocket_routes[:3]}
    )
    assert deployment(fewer_routes) != first
