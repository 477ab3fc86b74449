"""The pytest plugin runs templates too: `sockgate_service(path)` on a SAM folder or a CDK app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.templates.helpers import write_project

pytestmark = pytest.mark.timeout(90)


def test_sam_chat_under_the_plugin(sockgate_service: Any, sam_chat: Path) -> None:
    svc = sockgate_service(sam_chat)
    with svc.connect() as ann, svc.connect() as bob:
        bob.send_json({"action": "sendmessage", "data": "from bob"})
        assert ann.receive() == "from bob"
        assert bob.receive() == "from bob"


def test_cdk_chat_under_the_plugin(sockgate_service: Any, cdk_chat: Path) -> None:
    svc = sockgate_service(cdk_chat)
    with svc.connect(query={"token": "letmein", "name": "ann"}) as ann:
        with svc.connect(query={"token": "letmein", "name": "bob"}):
            svc.drain()  # the stream's INSERT records, delivered: Ann hears Bob joined
            assert ann.receive_json(where=lambda m: "joined" in m) == {"joined": "bob"}


ECHO_TEMPLATE = r"""
Parameters:
  StageName: {Type: String, Default: v1}
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      {Name: echo, ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}
  DefaultRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: $default, Target: !Sub "integrations/${Integ}"}
  Integ:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !Join ["", ["arn:aws:apigateway:", !Ref "AWS::Region",
        ":lambda:path/2015-03-31/functions/", !GetAtt Echo.Arn, "/invocations"]]
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref Api, StageName: !Ref StageName}
  Echo:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: lambda-function.handler
      Code: src
      Environment:
        Variables:
          MANAGEMENT_URL: !Sub "https://${Api}.execute-api.${AWS::Region}.amazonaws.com/${Stage}"
          ENDPOINT: !GetAtt Api.ApiEndpoint
"""
ECHO = """
import os
import boto3

api = boto3.client("apigatewaymanagementapi", endpoint_url=os.environ["MANAGEMENT_URL"])


def handler(event, context):
    reply = f"{os.environ['MANAGEMENT_URL']} {os.environ['ENDPOINT']} {event['body']}"
    api.post_to_connection(ConnectionId=event["requestContext"]["connectionId"], Data=reply)
    return {"statusCode": 200}
"""


def test_management_client_from_sub_reaches_the_gateway(
    sockgate_service: Any, tmp_path: Path
) -> None:
    write_project(tmp_path / "echo", ECHO_TEMPLATE, {"src/lambda-function.py": ECHO})
    svc = sockgate_service(tmp_path / "echo")
    with svc.connect() as ws:
        ws.send("hello")
        url, endpoint, body = str(ws.receive()).split(" ")
    api_id = url.removeprefix("https://").split(".")[0]
    assert url == f"https://{api_id}.execute-api.us-east-1.amazonaws.com/v1"
    assert svc.websocket_url == f"{endpoint}/v1"  # Fn::GetAtt Api.ApiEndpoint: the local one
    assert body == "hello"


SAM_WEBSOCKET = r"""
Transform: AWS::Serverless-2016-10-31
Resources:
  Chat:
    Type: AWS::Serverless::WebSocketApi
    Properties:
      RouteSelectionExpression: $request.body.action
      StageName: sam
      Routes:
        $default: {FunctionArn: !GetAtt Echo.Arn}
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
"""
SAM_ECHO = """
import boto3


def handler(event, context):
    request = event["requestContext"]
    url = f"https://{request['domainName']}/{request['stage']}"
    api = boto3.client("apigatewaymanagementapi", endpoint_url=url)
    api.post_to_connection(ConnectionId=request["connectionId"], Data=event["body"].upper())
    return {"statusCode": 200}
"""


def test_sams_own_websocket_api(sockgate_service: Any, tmp_path: Path) -> None:
    write_project(tmp_path / "sam", SAM_WEBSOCKET, {"src/app.py": SAM_ECHO})
    svc = sockgate_service(tmp_path / "sam")
    assert svc.websocket_url.endswith("/sam")
    with svc.connect() as ws:
        ws.send("hello")
        assert ws.receive() == "HELLO"
