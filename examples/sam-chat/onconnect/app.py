"""$connect: remember the connection (the sample's onconnect/app.js, in Python)."""

import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    try:
        table.put_item(Item={"connectionId": event["requestContext"]["connectionId"]})
    except Exception as error:  # the sample answers 500 with the error, as here
        return {"statusCode": 500, "body": f"Failed to connect: {error}"}
    return {"statusCode": 200, "body": "Connected."}
