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
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = ["EVENT_NAME", "install", "redirect_url"]

EVENT_NAME = "before-sign.apigatewaymanagementapi"
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


def _register(module: ModuleType, gateway_url: str) -> None:
    handlers: list[tuple[Any, ...]] = module.BUILTIN_HANDLERS
    handlers[:] = [spec for spec in handlers if spec[0] != EVENT_NAME]
    handlers.append((EVENT_NAME, _handler(gateway_url)))


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


def install(gateway_url: str) -> None:
    """Send every management API request of this process to `gateway_url`."""

    def callback(module: ModuleType) -> None:
        _register(module, gateway_url)

    if _HOOKED_MODULE in sys.modules:
        callback(sys.modules[_HOOKED_MODULE])
    else:
        sys.meta_path.insert(0, _AfterImport(_HOOKED_MODULE, callback))
