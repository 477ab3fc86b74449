"""Handlers of the hello service: plain AWS Lambda code, nothing sockgate-specific."""

import json
import os

import boto3


def connection(event, context):
    """Accept every connection; log who came and went."""
    ctx = event["requestContext"]
    print(f"{ctx['eventType']} {ctx['connectionId']}")
    return {"statusCode": 200}


def echo(event, context):
    """Send the message back through the @connections API, as AWS samples do."""
    ctx = event["requestContext"]
    api = boto3.client(
        "apigatewaymanagementapi", endpoint_url=f"https://{ctx['domainName']}/{ctx['stage']}"
    )
    api.post_to_connection(ConnectionId=ctx["connectionId"], Data=event["body"].encode())
    return {"statusCode": 200}


def ping(event, context):
    """A two-way route: the returned body goes straight back to the caller."""
    return {"statusCode": 200, "body": json.dumps({"pong": os.environ["GREETING"]})}
