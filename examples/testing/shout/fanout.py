"""The stream handler: every new shout goes to every connection; gone ones are removed."""

import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def _endpoint():
    # wss://{api}.execute-api.{region}.amazonaws.com/{stage} -> https://...
    url = os.environ["WEBSOCKET_URL"]
    return url.replace("wss://", "https://", 1).replace("ws://", "http://", 1)


def handler(event, context):
    api = boto3.client("apigatewaymanagementapi", endpoint_url=_endpoint())
    shouts = [
        record["dynamodb"]["NewImage"]
        for record in event["Records"]
        if record["eventName"] == "INSERT"
        and record["dynamodb"]["Keys"]["id"]["S"].startswith("shout#")
    ]
    if not shouts:
        return
    connections = table.scan(
        FilterExpression="begins_with(id, :c)", ExpressionAttributeValues={":c": "conn#"}
    )["Items"]
    for image in shouts:
        data = json.dumps({"from": image["name"]["S"], "text": image["text"]["S"]})
        for connection in connections:
            connection_id = connection["id"].removeprefix("conn#")
            try:
                api.post_to_connection(ConnectionId=connection_id, Data=data)
            except api.exceptions.GoneException:
                print(f"{connection_id} is gone; removing it")
                table.delete_item(Key={"id": connection["id"]})
