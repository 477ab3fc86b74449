"""$connect (a name is required) and $disconnect."""

import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    request = event["requestContext"]
    connection_id = request["connectionId"]
    if request["eventType"] == "CONNECT":
        name = (event.get("queryStringParameters") or {}).get("name")
        if not name:
            return {"statusCode": 401, "body": "a name is required: ?name=..."}
        table.put_item(Item={"id": f"conn#{connection_id}", "name": name})
    else:
        table.delete_item(Key={"id": f"conn#{connection_id}"})
    return {"statusCode": 200}
