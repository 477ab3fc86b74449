"""In a worker: carry every `apigatewaymanagementapi` request to the local gateway.

Handlers build their management client the way AWS samples do, from the event's
`https://{domainName}/{stage}`, or from `https://{apiId}.execute-api.{region}.amazonaws.com/...`,
or with no endpoint at all. Whatever they built, the request keeps its path (`/dev/@connections/ID`)
and goes to SOCKGATE_GATEWAY_URL over plain HTTP.

The rewrite is a botocore `before-sign` event handler, added to `botocore.handlers.BUILTIN_HANDLERS`
so that every botocore Session registers it when created: boto3's default session,
`boto3.session.Session()`, `botocore.session.Session()`/`get_session()`, aiobotocore's. Rewriting
before signing keeps the signature consistent with the URL actually sent, and everything else of
boto3 stays: parameter validation, modelled exceptions (GoneException), retries. botocore is
patched when it is first imported, so a handler that never imports it pays nothing.

With the gateway's local channel (SOCKGATE_GATEWAY_SOCKET), a `before-send` handler answers the
signed request over that Unix socket instead (`fastpath`): botocore takes the reply as the HTTP
response and parses it, retries it and raises from it exactly as it would the gateway's HTTP
answer. When the channel cannot be reached, the handler steps aside and botocore sends the
request over HTTP; a channel that fails mid-request raises the error urllib3 would have raised
(ConnectionClosedError, ReadTimeoutError), which botocore retries the same way.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sockgate.lambdas.fastpath import (
    SOCKET_ENV,
    ChannelBrokenError,
    ChannelClient,
    ChannelTimeoutError,
)

__all__ = ["EVENT_NAME", "SEND_EVENT_NAME", "answer_from_channel", "install", "redirect_url"]

EVENT_NAME = "before-sign.apigatewaymanagementapi"
SEND_EVENT_NAME = "before-send.apigatewaymanagementapi"
SIGNER_EVENT_NAME = "choose-signer.apigatewaymanagementapi"
_HOOKED_MODULE = "botocore.handlers"


def redirect_url(url: str, gateway_url: str) -> str:
    """`url` sent to the gateway: its scheme and host, the gateway's; path and query, kept."""
    target = urlsplit(gateway_url)
    original = urlsplit(url)
    path = target.path.rstrip("/") + original.path
    return urlunsplit((target.scheme, target.netloc, path, original.query, ""))


def _handler(gateway_url: str) -> Callable[..., None]:
    def to_gateway(request: Any, **kwargs: Any) -> None:
        request.url = redirect_url(request.url, gateway_url)

    return to_gateway


class _Body:
    """The raw body of a channel reply, read the way botocore reads urllib3's."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self._data


def answer_from_channel(channel: ChannelClient) -> Callable[..., Any]:
    """A botocore `before-send` handler answering requests over `channel` (None: use HTTP)."""
    from botocore.awsrequest import AWSResponse
    from botocore.exceptions import ConnectionClosedError, ReadTimeoutError

    def from_channel(request: Any, **kwargs: Any) -> Any:
        body = request.body  # botocore has encoded a str Data as UTF-8 already
        if body is None:
            body = b""
        elif isinstance(body, bytearray):
            body = bytes(body)
        elif not isinstance(body, bytes):
            return None  # a file-like Data: HTTP streams it (botocore rewinds it on retries)
        url = request.url
        try:
            reply = channel.request(request.method, urlsplit(url).path, body)
        except ChannelTimeoutError as exc:
            raise ReadTimeoutError(endpoint_url=url, error=exc) from exc
        except ChannelBrokenError as exc:
            raise ConnectionClosedError(endpoint_url=url, error=exc) from exc
        if reply is None:
            return None  # the channel is unavailable: botocore sends the request over HTTP
        return AWSResponse(url, reply.status, reply.headers, _Body(reply.body))

    return from_channel


def _register(module: ModuleType, gateway_url: str, socket_path: str | None) -> None:
    handlers: list[tuple[Any, ...]] = module.BUILTIN_HANDLERS
    ours = (EVENT_NAME, SEND_EVENT_NAME, SIGNER_EVENT_NAME)
    handlers[:] = [spec for spec in handlers if spec[0] not in ours]
    handlers.append((EVENT_NAME, _handler(gateway_url)))
    if socket_path:
        handlers.append((SEND_EVENT_NAME, answer_from_channel(ChannelClient(socket_path))))
        # SigV4 is ~40% of a post's cost in the worker and the local gateway checks no
        # signature; validation, parsing, named exceptions and retries all stay.
        handlers.append((SIGNER_EVENT_NAME, _unsigned))


def _unsigned(**kwargs: Any) -> Any:
    import botocore

    return botocore.UNSIGNED


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs a callback right after one module is first imported."""

    def __init__(self, name: str, callback: Callable[[ModuleType], None]) -> None:
        self._name = name
        self._callback = callback

    def find_spec(
        self, fullname: str, path: Any, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self._name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        exec_module = loader.exec_module
        callback = self._callback

        def exec_then_call(module: ModuleType) -> None:
            exec_module(module)
            callback(module)

        loader.exec_module = exec_then_call  # type: ignore[method-assign]
        return spec


def install(gateway_url: str, socket_path: str | None = None) -> None:
    """Send every management API request of this process to the gateway at `gateway_url`,
    through its local channel at `socket_path` when it can be reached.

    `socket_path` None reads SOCKGATE_GATEWAY_SOCKET (unset or empty: HTTP only).
    """
    if socket_path is None:
        socket_path = os.environ.get(SOCKET_ENV) or None

    def callback(module: ModuleType) -> None:
        _register(module, gateway_url, socket_path)

    if _HOOKED_MODULE in sys.modules:
        callback(sys.modules[_HOOKED_MODULE])
    else:
        sys.meta_path.insert(0, _AfterImport(_HOOKED_MODULE, callback))
