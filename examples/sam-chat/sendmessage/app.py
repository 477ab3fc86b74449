"""sendmessage: post `data` to every connection (the sample's sendmessage/app.js, in Python).

The management endpoint is built from the API id and stage, as the sample builds it, so it is
the same code on AWS and under sockgate.
"""

import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    context_ = event["requestContext"]
    try:
        items = table.scan(ProjectionExpression="connectionId")["Items"]
    except Exception as error:
        return {"statusCode": 500, "body": str(error)}
    region = os.environ["AWS_REGION"]
    endpoint = f"https://{context_['apiId']}.execute-api.{region}.amazonaws.com/{context_['stage']}"
    api = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
    data = json.loads(event["body"])["data"]
    for item in items:
        try:
            api.post_to_connection(ConnectionId=item["connectionId"], Data=data.encode())
        except api.exceptions.GoneException:
            print(f"Found stale connection, deleting {item['connectionId']}")
            table.delete_item(Key={"connectionId": item["connectionId"]})
    return {"statusCode": 200, "body": "Data sent."}
