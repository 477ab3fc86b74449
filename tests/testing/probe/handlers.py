"""Handlers of the probe service, written as for AWS (boto3 clients built the usual way)."""

import json
import os
import time
import uuid

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def _management(event):
    context = event["requestContext"]
    url = f"https://{context['domainName']}/{context['stage']}"
    return boto3.client("apigatewaymanagementapi", endpoint_url=url)


def connect(event, context):
    query = event.get("queryStringParameters") or {}
    if "deny" in query:
        return {"statusCode": int(query["deny"]), "body": "denied"}
    print("connected", event["requestContext"]["connectionId"])
    return {"statusCode": 200}


def disconnect(event, context):
    request = event["requestContext"]
    table.put_item(
        Item={
            "id": f"disconnect-{request['connectionId']}",
            "kind": "disconnect",
            "code": request["disconnectStatusCode"],
            "reason": request["disconnectReason"],
        }
    )
    return {"statusCode": 200}


def default(event, context):
    """{"say": x} echoes x; {"note": x} stores a note (the stream sends it back);
    {"env": name} answers an environment variable; {"event": true} answers the event."""
    body = json.loads(event["body"])
    connection_id = event["requestContext"]["connectionId"]
    if "note" in body:
        item = {"id": uuid.uuid4().hex, "kind": "note", "to": connection_id, "text": body["note"]}
        table.put_item(Item=item)
        return {"statusCode": 200}
    if "env" in body:
        answer = {"env": os.environ.get(body["env"])}
    elif "event" in body:
        answer = {"event": event}
    else:
        answer = {"said": body.get("say")}
    print("answering", json.dumps(answer)[:80])
    _management(event).post_to_connection(ConnectionId=connection_id, Data=json.dumps(answer))
    return {"statusCode": 200}


def slow(event, context):
    time.sleep(float(event.get("seconds", 5)))
    return {"slept": event.get("seconds", 5)}


def notify(event, context):
    """Send each new note to its connection; a note for a connection that is gone (410) is
    deleted."""
    url = os.environ["AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"]
    api = boto3.client("apigatewaymanagementapi", endpoint_url=url)
    for record in event["Records"]:
        image = record["dynamodb"].get("NewImage") or {}
        if record["eventName"] != "INSERT" or image.get("kind", {}).get("S") != "note":
            continue
        if image["text"]["S"] == "boom":
            raise RuntimeError("boom")  # retried until the record expires: drain() times out
        try:
            api.post_to_connection(
                ConnectionId=image["to"]["S"], Data=json.dumps({"note": image["text"]["S"]})
            )
        except api.exceptions.GoneException:
            print("gone:", image["to"]["S"])
            table.delete_item(Key={"id": image["id"]["S"]})
