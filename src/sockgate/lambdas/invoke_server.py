"""Lambda's Invoke API on HTTP, for every function of a service (aiohttp; the rules are in
invoke_api.py).

Handlers reach it through boto3 as they would reach Lambda: workers get AWS_ENDPOINT_URL_LAMBDA,
so `boto3.client("lambda").invoke(FunctionName=..., Payload=...)` works unchanged, and so do
`aws lambda invoke --endpoint-url` and `sockgate invoke`.

An Event invocation is answered 202 at once and run afterwards. As Lambda does ("How Lambda
handles errors and retries with asynchronous invocation"), a function error is retried twice,
one minute and then two minutes later, and a throttled event goes back to the queue and is
tried again, 1 second later at first and up to 5 minutes apart, for up to 6 hours; events still
waiting when the server closes are dropped, with a log line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from aiohttp import web

from sockgate.errors import ResourceError
from sockgate.invocation import Invoke
from sockgate.lambdas.context import ACCOUNT_ID
from sockgate.lambdas.invoke_api import (
    SYNC_PAYLOAD_LIMIT,
    ApiResponse,
    InvokeRequest,
    api_error,
    parse_invoke,
    result_response,
)
from sockgate.listen import authority, listen
from sockgate.service.model import Service

__all__ = ["ASYNC_RETRY_DELAYS", "InvokeServer"]

log = logging.getLogger("sockgate.lambda")

# Lambda's retries of a failed asynchronous invocation (Error handling and automatic retries).
ASYNC_RETRY_DELAYS = (60.0, 120.0)
_THROTTLE_BACKOFF = (1.0, 300.0)  # first and longest wait before trying a throttled event again
MAXIMUM_EVENT_AGE_S = 6 * 3600.0


class InvokeServer:
    """Serves POST /2015-03-31/functions/{name}/invocations for a service's functions."""

    def __init__(
        self,
        service: Service,
        invoke: Invoke,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        retry_delays: Sequence[float] = ASYNC_RETRY_DELAYS,
    ) -> None:
        self._service = service
        self._invoke = invoke
        self._host = host
        self.port = port
        self._retry_delays = tuple(retry_delays)
        self._functions = {f.name: key for key, f in service.functions.items()}
        self._runner: web.AppRunner | None = None
        self._events: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        """The endpoint URL (AWS_ENDPOINT_URL_LAMBDA)."""
        return f"http://{authority(self._host, self.port)}"

    async def start(self) -> None:
        """Listen; the port is read back when 0 was asked for."""
        # Larger than Lambda's limits, so that a payload over them gets Lambda's own error.
        app = web.Application(client_max_size=SYNC_PAYLOAD_LIMIT * 2)
        app.router.add_post("/2015-03-31/functions/{name}/invocations", self._handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        self.port = await listen(
            runner,
            self._host,
            self.port,
            lambda where: ResourceError(
                f"the Lambda Invoke API cannot listen on {where}. "
                "Choose another port with --lambda-port."
            ),
        )
        self._runner = runner

    async def close(self) -> None:
        """Stop serving and drop the events still waiting; safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        for task in list(self._events):
            task.cancel()
        await asyncio.gather(*self._events, return_exceptions=True)

    async def _handle(self, request: web.Request) -> web.Response:
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            response = api_error(
                413,
                "RequestEntityTooLargeException",
                f"Request must be smaller than {SYNC_PAYLOAD_LIMIT} bytes for the "
                "InvokeFunction operation",
            )
            return _web(response)
        parsed = parse_invoke(
            name=request.match_info["name"],
            qualifier=request.query.get("Qualifier"),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            functions=self._functions,
            region=self._service.region,
            account_id=ACCOUNT_ID,
        )
        if isinstance(parsed, ApiResponse):
            return _web(parsed)
        if parsed.invocation_type == "DryRun":
            return _web(ApiResponse(204))
        if parsed.invocation_type == "Event":
            task = asyncio.ensure_future(self._run_event(parsed))
            self._events.add(task)
            task.add_done_callback(self._events.discard)
            return _web(ApiResponse(202))
        result = await self._invoke(parsed.function_key, parsed.event)
        return _web(result_response(result, tail=parsed.tail))

    async def _run_event(self, request: InvokeRequest) -> None:
        key, event = request.function_key, request.event
        retries = list(self._retry_delays)
        backoff = _THROTTLE_BACKOFF[0]
        loop = asyncio.get_running_loop()
        expires = loop.time() + MAXIMUM_EVENT_AGE_S
        try:
            while True:
                result = await self._invoke(key, event)
                if result.throttled:
                    if loop.time() + backoff > expires:
                        log.info("[%s] a throttled asynchronous invocation expired (6 h)", key)
                        return
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, _THROTTLE_BACKOFF[1])
                    continue
                if result.ok or not retries:
                    if not result.ok:
                        log.info(
                            "[%s] asynchronous invocation %s failed after %d retries: %s",
                            key,
                            result.request_id,
                            len(self._retry_delays),
                            (result.error or {}).get("errorType"),
                        )
                    return
                delay = retries.pop(0)
                log.info(
                    "[%s] asynchronous invocation %s failed; Lambda retries it in %gs",
                    key,
                    result.request_id,
                    delay,
                )
                await asyncio.sleep(delay)
        except asyncio.CancelledError:
            log.info("[%s] an asynchronous invocation was dropped: the server stopped", key)
            raise
        except Exception:
            log.exception("[%s] asynchronous invocation failed", key)


def _web(response: ApiResponse) -> web.Response:
    return web.Response(status=response.status, body=response.body, headers=response.headers)
