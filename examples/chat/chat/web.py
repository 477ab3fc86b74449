"""web: serves the chat page (web/) through the HTTP API, locally and on AWS alike.

GET / answers index.html with the WebSocket URL written into
`<meta name="chat-websocket-url">`: WEBSOCKET_URL, which serverless.yml builds from the
WebSocket API's own endpoint (`Fn::GetAtt: [WebsocketsApi, ApiEndpoint]` plus the stage), so
it is wss://<id>.execute-api.<region>.amazonaws.com/<stage> on AWS and the local gateway's
ws:// URL under sockgate. GET /{file} answers the page's other files; nothing else is served.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
META = '<meta name="chat-websocket-url" content="">'
# The page loads nothing inline and talks only to its own origin and the WebSocket API.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "cache-control": "no-cache",
}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """GET / and GET /{file}."""
    name = (event.get("pathParameters") or {}).get("file") or "index.html"
    if name not in FILES:
        return {
            "statusCode": 404,
            "headers": {"content-type": "text/plain; charset=utf-8"},
            "body": f"{name} not found",
        }
    body = (WEB_DIR / name).read_text(encoding="utf-8")
    if name == "index.html":
        url = os.environ.get("WEBSOCKET_URL", "")
        body = body.replace(META, META.replace('content=""', f'content="{html.escape(url)}"'))
    return {
        "statusCode": 200,
        "headers": {"content-type": FILES[name], **SECURITY_HEADERS},
        "body": body,
    }
