"""One request in, one response out: route, build the event, invoke, shape the answer.

Both APIs share one local port. `http` (REST) routes live under `/{stage}/...`, as a REST
API's URL carries its stage; `httpApi` routes live at the root, as Serverless deploys HTTP
APIs on the `$default` stage. No socket here: the server hands in an `HttpRequest`.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from typing import Any

from sockgate.httpapi.events import ApiContext, HttpRequest, new_request_id, rest_event, v2_event
from sockgate.httpapi.responses import (
    HttpResponse,
    MalformedResponse,
    missing_authentication_token,
    not_found,
    v1_response,
    v1_structured,
    v2_response,
)
from sockgate.httpapi.routing import RouteMatch, Router
from sockgate.invocation import InvocationResult, Invoke
from sockgate.service.model import Service

__all__ = ["Dispatcher", "api_id"]

log = logging.getLogger("sockgate.httpapi")

_HTTP_API_ERROR = HttpResponse(
    500, (("Content-Type", "application/json"),), b'{"message":"Internal Server Error"}'
)


def api_id(service: Service, kind: str) -> str:
    """A stable 10-character lowercase id per service, stage and API kind, like AWS's."""
    digest = hashlib.sha256(f"{service.name}/{service.stage}/{kind}".encode()).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[b % len(alphabet)] for b in digest[:10])


class Dispatcher:
    """Routes requests to the service's `httpApi` and `http` functions."""

    def __init__(self, service: Service, invoke: Invoke, *, stage: str) -> None:
        self._invoke = invoke
        self._stage = stage
        self._http_api = Router(r for r in service.http_routes if r.kind == "httpApi")
        self._rest = Router(r for r in service.http_routes if r.kind == "http")
        self._http_api_context = ApiContext(api_id=api_id(service, "httpApi"), stage="$default")
        self._rest_context = ApiContext(api_id=api_id(service, "http"), stage=stage)

    async def handle(self, request: HttpRequest) -> HttpResponse:
        """Answer one request as API Gateway would."""
        rest_path = self._rest_path(request.raw_path)
        if rest_path is not None and self._rest:
            match = self._rest.match(request.method, rest_path)
            if match is not None:
                return await self._call_rest(request, match, rest_path)
        match = self._http_api.match(request.method, request.raw_path)
        if match is not None:
            return await self._call_http_api(request, match)
        if rest_path is not None and self._rest:
            return missing_authentication_token()
        return not_found()

    def _rest_path(self, raw_path: str) -> str | None:
        prefix = f"/{self._stage}"
        if raw_path == prefix:
            return "/"
        if raw_path.startswith(prefix + "/"):
            return raw_path[len(prefix) :]
        return None

    async def _call_rest(self, request: HttpRequest, match: RouteMatch, path: str) -> HttpResponse:
        request_id = str(uuid.uuid4())
        event = rest_event(request, match, self._rest_context, request_id, path=path)
        result = await self._run(match, event, request_id)
        response = v1_response(result)
        return _with_header(response, "x-amzn-RequestId", request_id)

    async def _call_http_api(self, request: HttpRequest, match: RouteMatch) -> HttpResponse:
        request_id = new_request_id()
        if match.route.payload_version == "1.0":
            event = rest_event(
                request,
                match,
                self._http_api_context,
                request_id,
                path=request.raw_path,
                http_api=True,
            )
            result = await self._run(match, event, request_id)
            response = _http_api_v1(result)
        else:
            event = v2_event(request, match, self._http_api_context, request_id)
            result = await self._run(match, event, request_id)
            response = v2_response(result)
        return _with_header(response, "apigw-requestid", request_id)

    async def _run(
        self, match: RouteMatch, event: dict[str, Any], request_id: str
    ) -> InvocationResult:
        try:
            result = await self._invoke(match.route.function, event)
        except Exception:  # the client gets API Gateway's error; the log gets the cause
            log.exception("%s: invoking %s failed", match.route_key, match.route.function)
            return InvocationResult(request_id=request_id, error={"errorType": "InvokeError"})
        if not result.ok:
            log.info("%s -> %s failed: %s", match.route_key, match.route.function, result.error)
        return result


def _http_api_v1(result: InvocationResult) -> HttpResponse:
    # An HTTP API reads a payload 1.0 result like a REST API but answers errors its own way.
    if not result.ok:
        return _HTTP_API_ERROR
    try:
        return v1_structured(result.payload)
    except MalformedResponse:
        return _HTTP_API_ERROR


def _with_header(response: HttpResponse, name: str, value: str) -> HttpResponse:
    return HttpResponse(response.status, (*response.headers, (name, value)), response.body)
