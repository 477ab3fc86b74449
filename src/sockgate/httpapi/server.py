"""The local HTTP API on aiohttp: sockets in, `Dispatcher` does the rest."""

from __future__ import annotations

import logging

from aiohttp import web
from multidict import CIMultiDict

from sockgate.errors import ResourceError
from sockgate.httpapi.dispatch import Dispatcher
from sockgate.httpapi.events import HttpRequest
from sockgate.httplog import RefusalLogger
from sockgate.invocation import Invoke
from sockgate.listen import authority, listen
from sockgate.service.model import Service

__all__ = ["HttpApi"]

log = logging.getLogger("sockgate.httpapi")

# API Gateway's payload quota for HTTP and REST APIs.
MAX_BODY_BYTES = 10 * 1024 * 1024


class HttpApi:
    """Serves a service's `httpApi` and `http` routes on one port.

    `port=0` binds a free port; read `port` or `url` after `start()`.
    """

    def __init__(
        self,
        service: Service,
        invoke: Invoke,
        *,
        host: str = "127.0.0.1",
        port: int = 3000,
        stage: str = "dev",
    ) -> None:
        self._dispatcher = Dispatcher(service, invoke, stage=stage)
        self._host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:3000."""
        return f"http://{authority(self._host, self.port)}"

    async def start(self) -> None:
        """Bind and serve; raises ResourceError when the port cannot be bound."""
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            logger=RefusalLogger(log),
        )
        self.port = await listen(
            runner,
            self._host,
            self.port,
            lambda where: ResourceError(
                f"the HTTP API cannot listen on {where}. Choose another port with --http-port."
            ),
        )
        self._runner = runner

    async def close(self) -> None:
        """Stop serving; safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.json_response({"message": "Request Entity Too Large"}, status=413)
        path, _, query = request.raw_path.partition("?")
        http_request = HttpRequest(
            method=request.method,
            raw_path=path,
            raw_query=query,
            headers=tuple(
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in request.raw_headers
            ),
            body=body,
            source_ip=request.remote or "127.0.0.1",
            protocol=f"HTTP/{request.version.major}.{request.version.minor}",
            local_port=self.port or 0,
            scheme=request.scheme,
        )
        response = await self._dispatcher.handle(http_request)
        log.debug("%s %s -> %d", request.method, path, response.status)
        return web.Response(
            status=response.status, headers=CIMultiDict(response.headers), body=response.body
        )
