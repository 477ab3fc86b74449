"""$connect REQUEST authorizer: ?token=letmein is allowed, anything else is refused."""


def handler(event, context):
    token = (event.get("queryStringParameters") or {}).get("token")
    effect = "Allow" if token == "letmein" else "Deny"
    return {
        "principalId": "chat-user",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}
            ],
        },
        "context": {"user": "chat-user"},
    }
