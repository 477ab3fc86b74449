"""$connect, $disconnect and $default of the CDK chat."""

import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def on_connect(event, context):
    request = event["requestContext"]
    name = (event.get("queryStringParameters") or {}).get("name") or "anonymous"
    # What the authorizer returned in its context is here, as API Gateway passes it.
    user = request.get("authorizer", {}).get("user", "?")
    table.put_item(Item={"connectionId": request["connectionId"], "name": name, "user": user})
    return {"statusCode": 200}


def on_disconnect(event, context):
    table.delete_item(Key={"connectionId": event["requestContext"]["connectionId"]})
    return {"statusCode": 200}


def on_default(event, context):
    return {"statusCode": 200, "body": json.dumps({"routes": ["sendmessage"]})}
