"""The `shout` route: store the shout; the stream handler delivers it."""

import json
import os
import time
import uuid

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def shout(event, context):
    body = json.loads(event["body"])
    connection_id = event["requestContext"]["connectionId"]
    sender = table.get_item(Key={"id": f"conn#{connection_id}"}).get("Item", {})
    table.put_item(
        Item={
            "id": f"shout#{uuid.uuid4().hex}",
            "name": sender.get("name", "?"),
            "text": str(body.get("text", "")),
            "at": int(time.time()),
        }
    )
    return {"statusCode": 200}
