"""The benchmark service's handlers: plain AWS Lambda code, the same on AWS and on both runtimes."""

import json
import os

import boto3
from boto3.dynamodb.conditions import Key

_management_clients = {}
_table = None


def _management(request_context):
    """The @connections client for this API, built as AWS samples build it, reused when warm."""
    endpoint = os.environ.get("WS_ENDPOINT") or (
        f"https://{request_context['domainName']}/{request_context['stage']}"
    )
    client = _management_clients.get(endpoint)
    if client is None:
        client = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
        _management_clients[endpoint] = client
    return client


def _subscribers():
    global _table
    if _table is None:
        _table = boto3.resource("dynamodb").Table(os.environ["SUBSCRIBERS_TABLE"])
    return _table


def connect(event, context):
    """Accept every connection (serverless-offline refuses connections without a $connect)."""
    return {"statusCode": 200}


def echo(event, context):
    """Two-way route: the body goes back to the caller as the route response."""
    return {"statusCode": 200, "body": event.get("body") or ""}


def relay(event, context):
    """Echo through the @connections API: post the body back to the sender."""
    ctx = event["requestContext"]
    _management(ctx).post_to_connection(
        ConnectionId=ctx["connectionId"], Data=(event.get("body") or "").encode()
    )
    return {"statusCode": 200}


def subscribe(event, context):
    """Put the caller in a room (the seed's $connect pattern) and tell it its connection id."""
    ctx = event["requestContext"]
    room = json.loads(event["body"]).get("room", "lobby")
    _subscribers().put_item(Item={"room": room, "connectionId": ctx["connectionId"]})
    return {"statusCode": 200, "body": json.dumps({"subscribed": ctx["connectionId"]})}


def fanout(event, context):
    """Send a message to everyone in a room: one Query, then one post_to_connection each."""
    body = json.loads(event["body"])
    room = body.get("room", "lobby")
    api = _management(event["requestContext"])
    data = json.dumps({"fanout": body.get("payload")}).encode()
    table = _subscribers()
    query = {"KeyConditionExpression": Key("room").eq(room), "ProjectionExpression": "connectionId"}
    sent = 0
    while True:
        page = table.query(**query)
        for item in page["Items"]:
            try:
                api.post_to_connection(ConnectionId=item["connectionId"], Data=data)
                sent += 1
            except api.exceptions.GoneException:
                table.delete_item(Key={"room": room, "connectionId": item["connectionId"]})
        if "LastEvaluatedKey" not in page:
            break
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    print(f"fanout to {sent} subscribers of {room}")
    return {"statusCode": 200}


def cold(event, context):
    """Two-way route of a function whose module imports boto3: measures cold and warm starts."""
    return {"statusCode": 200, "body": json.dumps({"warm": True})}
