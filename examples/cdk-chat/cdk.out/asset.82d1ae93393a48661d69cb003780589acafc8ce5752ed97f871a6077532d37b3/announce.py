"""The table's stream (INSERT records only, by the mapping's filter): announce who joined."""

import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
management = boto3.client("apigatewaymanagementapi", endpoint_url=os.environ["CALLBACK_URL"])


def handler(event, context):
    for record in event["Records"]:
        image = record["dynamodb"]["NewImage"]
        joined, name = image["connectionId"]["S"], image.get("name", {}).get("S", "?")
        for item in table.scan(ProjectionExpression="connectionId")["Items"]:
            if item["connectionId"] == joined:
                continue
            try:
                management.post_to_connection(
                    ConnectionId=item["connectionId"], Data=json.dumps({"joined": name}).encode()
                )
            except management.exceptions.GoneException:
                pass
