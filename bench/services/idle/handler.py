"""Row 5's handler: two-way echo (the connections row only holds connections open)."""


def echo(event, context):
    """Send the body back as the route response."""
    return {"statusCode": 200, "body": event.get("body") or ""}
