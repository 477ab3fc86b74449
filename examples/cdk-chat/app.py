"""A WebSocket chat written with the AWS CDK (Python): what `regenerate.sh` synthesises.

`cdk.out/` next to this file is its synthesised cloud assembly, shipped so that
`sockgate dev examples/cdk-chat` (and the tests) need neither Node nor aws-cdk-lib.

    $connect     a REQUEST authorizer on ?token=..., then the connection is stored
    $disconnect  the connection is removed
    sendmessage  {"action": "sendmessage", "data": "..."} goes to every connection
    $default     replies with the routes there are (two-way)
    stream       a new connection is announced to the others ({"joined": name})
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct


class ChatStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        table = dynamodb.Table(
            self,
            "Connections",
            partition_key=dynamodb.Attribute(
                name="connectionId", type=dynamodb.AttributeType.STRING
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            stream=dynamodb.StreamViewType.NEW_IMAGE,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        code = lambda_.Code.from_asset("lambda")

        def function(name: str, handler: str) -> lambda_.Function:
            fn = lambda_.Function(
                self,
                name,
                runtime=lambda_.Runtime.PYTHON_3_12,
                handler=handler,
                code=code,
                environment={"TABLE_NAME": table.table_name},
            )
            table.grant_read_write_data(fn)
            return fn

        connect = function("Connect", "connections.on_connect")
        disconnect = function("Disconnect", "connections.on_disconnect")
        send = function("SendMessage", "send-message.handler")  # not a Python identifier
        default = function("DefaultMessage", "connections.on_default")
        authorize = function("Authorize", "authorizer.handler")
        announce = function("Announce", "announce.handler")

        api = apigw.WebSocketApi(
            self,
            "ChatApi",
            connect_route_options=apigw.WebSocketRouteOptions(
                integration=integrations.WebSocketLambdaIntegration("ConnectIntegration", connect),
                authorizer=authorizers.WebSocketLambdaAuthorizer(
                    "TokenAuthorizer",
                    authorize,
                    identity_source=["route.request.querystring.token"],
                ),
            ),
            disconnect_route_options=apigw.WebSocketRouteOptions(
                integration=integrations.WebSocketLambdaIntegration(
                    "DisconnectIntegration", disconnect
                ),
            ),
            default_route_options=apigw.WebSocketRouteOptions(
                integration=integrations.WebSocketLambdaIntegration("DefaultIntegration", default),
                return_response=True,
            ),
        )
        api.add_route(
            "sendmessage",
            integration=integrations.WebSocketLambdaIntegration("SendIntegration", send),
        )
        stage = apigw.WebSocketStage(
            self, "Stage", web_socket_api=api, stage_name="live", auto_deploy=True
        )
        for fn in (send, announce):
            stage.grant_management_api_access(fn)
            # https://{api}.execute-api.{region}.amazonaws.com/live, as CDK writes it
            fn.add_environment("CALLBACK_URL", stage.callback_url)

        announce.add_event_source(
            sources.DynamoEventSource(
                table,
                starting_position=lambda_.StartingPosition.LATEST,
                batch_size=10,
                retry_attempts=2,
                filters=[
                    lambda_.FilterCriteria.filter(
                        {"eventName": lambda_.FilterRule.is_equal("INSERT")}
                    )
                ],
            )
        )
        cdk.CfnOutput(self, "WebSocketUrl", value=stage.url)


app = cdk.App()
ChatStack(app, "CdkChatStack")
app.synth()
