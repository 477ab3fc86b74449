"""$disconnect: forget the connection (the sample's ondisconnect/app.js, in Python)."""

import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    try:
        table.delete_item(Key={"connectionId": event["requestContext"]["connectionId"]})
    except Exception as error:
        return {"statusCode": 500, "body": f"Failed to disconnect: {error}"}
    return {"statusCode": 200, "body": "Disconnected."}
