"""sendmessage: the message to every connection, through the management API at CALLBACK_URL.

The module's file name is not a Python identifier; Lambda's runtime imports it all the same.
"""

import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
management = boto3.client("apigatewaymanagementapi", endpoint_url=os.environ["CALLBACK_URL"])


def handler(event, context):
    sender = event["requestContext"]["connectionId"]
    data = json.loads(event["body"]).get("data", "")
    for item in table.scan(ProjectionExpression="connectionId")["Items"]:
        try:
            management.post_to_connection(
                ConnectionId=item["connectionId"],
                Data=json.dumps({"from": sender, "data": data}).encode(),
            )
        except management.exceptions.GoneException:
            table.delete_item(Key={"connectionId": item["connectionId"]})
    return {"statusCode": 200}
