"""WebSocket clients for tests: sync (websockets.sync) and async (websockets.asyncio).

Both speak JSON, wait with a timeout that names what did not arrive, and report how the server
closed (`close_code`, `close_reason`). A refused handshake raises HandshakeRefused with the
status `$connect` (or the authorizer) answered.
"""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import Callable, Generator, Mapping
from types import TracebackType
from typing import Any, Generic, TypeVar

from websockets.asyncio.client import ClientConnection as AsyncConnection
from websockets.asyncio.client import connect as async_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection as SyncConnection
from websockets.sync.client import connect as sync_connect

__all__ = [
    "AsyncConnect",
    "AsyncWebSocketClient",
    "ClosedError",
    "HandshakeRefused",
    "WebSocketClient",
    "connect_sync",
]


# websockets 17 wants `with connect(...)` unless asked for a plain connection (older versions
# know no such flag and return one anyway).
_DIRECT: dict[str, Any] = (
    {"legacy": True} if "legacy" in inspect.signature(sync_connect).parameters else {}
)


class HandshakeRefused(Exception):
    """The gateway refused the WebSocket handshake ($connect or its authorizer said no)."""

    def __init__(self, status: int, body: str, headers: Mapping[str, str]) -> None:
        self.status = status
        self.body = body
        self.headers = dict(headers)
        super().__init__(f"the handshake was refused with HTTP {status}: {body}")


class ClosedError(Exception):
    """A message was awaited on a connection the server (or the client) has closed."""

    def __init__(self, code: int | None, reason: str) -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"the connection is closed ({code} {reason!r})")


def _refused(error: InvalidStatus) -> HandshakeRefused:
    response = error.response
    body = response.body.decode(errors="replace") if response.body else ""
    return HandshakeRefused(response.status_code, body, dict(response.headers.raw_items()))


def _decode(message: str | bytes) -> Any:
    return json.loads(message)


def connect_sync(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    subprotocols: list[str] | None = None,
    timeout: float = 10.0,
) -> WebSocketClient:
    """Open a sync client; HandshakeRefused if the gateway says no."""
    try:
        ws = sync_connect(
            url,
            additional_headers=dict(headers or {}),
            subprotocols=subprotocols,  # type: ignore[arg-type]
            open_timeout=timeout,
            close_timeout=timeout,
            max_size=None,
            compression=None,
            **_DIRECT,
        )
    except InvalidStatus as error:
        raise _refused(error) from None
    return WebSocketClient(ws)


_Connection = TypeVar("_Connection", SyncConnection, AsyncConnection)


class _Client(Generic[_Connection]):
    """What the sync and the async client read alike: the connection's state, not its I/O."""

    ws: _Connection
    service: Any  # the ServiceUnderTest that opened it, for connection_id
    _opened_by = "svc.connect()"

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol the gateway selected, if any."""
        return self.ws.subprotocol

    @property
    def connection_id(self) -> str:
        """This connection's connectionId, as the handlers see it."""
        if self.service is None:
            raise RuntimeError(f"only a client opened by {self._opened_by} knows its connectionId")
        found: str | None = self.service.connection_id_of(self.ws.local_address[1])
        if found is None:
            raise ClosedError(self.close_code, self.close_reason)
        return found

    @property
    def close_code(self) -> int | None:
        """The code of the close frame the server sent (None while open)."""
        frame = self.ws.protocol.close_rcvd
        return frame.code if frame is not None else None

    @property
    def close_reason(self) -> str:
        """The reason of the close frame the server sent ("" while open)."""
        frame = self.ws.protocol.close_rcvd
        return frame.reason if frame is not None else ""


class WebSocketClient(_Client[SyncConnection]):
    """A sync WebSocket client; use it as a context manager (closes with 1000)."""

    def __init__(self, ws: SyncConnection) -> None:
        self.ws = ws
        self.service: Any = None  # the ServiceUnderTest that opened it, for connection_id

    def send(self, message: str | bytes) -> None:
        """Send a text (str) or binary (bytes) frame."""
        self.ws.send(message)

    def send_json(self, value: Any) -> None:
        """Send `value` as a JSON text frame."""
        self.ws.send(json.dumps(value))

    def receive(self, timeout: float = 5.0) -> str | bytes:
        """The next message; TimeoutError if none within `timeout`, ClosedError once closed."""
        try:
            return self.ws.recv(timeout)
        except TimeoutError:
            raise TimeoutError(f"no message within {timeout:g} s") from None
        except ConnectionClosed:
            raise ClosedError(self.close_code, self.close_reason) from None

    def receive_json(
        self, timeout: float = 5.0, *, where: Callable[[Any], bool] | None = None
    ) -> Any:
        """The next message, decoded from JSON; with `where`, the next one it accepts (the
        messages before it are dropped)."""
        deadline = time.monotonic() + timeout
        while True:
            value = _decode(self.receive(max(0.0, deadline - time.monotonic())))
            if where is None or where(value):
                return value

    def receive_nothing(self, within: float = 0.2) -> None:
        """Fail (AssertionError) if a message arrives within `within` seconds."""
        try:
            message = self.ws.recv(within)
        except (TimeoutError, ConnectionClosed):
            return
        raise AssertionError(f"expected no message within {within:g} s, got {message!r}")

    def wait_closed(self, timeout: float = 5.0) -> tuple[int | None, str]:
        """Wait until the server closes the connection; (code, reason). Messages that arrive
        before the close are dropped."""
        try:
            while True:
                self.ws.recv(timeout)
        except TimeoutError:
            raise TimeoutError(f"the connection was not closed within {timeout:g} s") from None
        except ConnectionClosed:
            return self.close_code, self.close_reason

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection (waits for the server's close frame)."""
        self.ws.close(code, reason)

    def __enter__(self) -> WebSocketClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncWebSocketClient(_Client[AsyncConnection]):
    """The async twin of WebSocketClient, for pytest-asyncio tests."""

    _opened_by = "svc.connect_async()"

    def __init__(self, ws: AsyncConnection, service: Any = None) -> None:
        self.ws = ws
        self.service = service

    async def send(self, message: str | bytes) -> None:
        """Send a text (str) or binary (bytes) frame."""
        await self.ws.send(message)

    async def send_json(self, value: Any) -> None:
        """Send `value` as a JSON text frame."""
        await self.ws.send(json.dumps(value))

    async def receive(self, timeout: float = 5.0) -> str | bytes:
        """The next message; TimeoutError if none within `timeout`, ClosedError once closed."""
        import asyncio

        try:
            async with asyncio.timeout(timeout):
                return await self.ws.recv()
        except TimeoutError:
            raise TimeoutError(f"no message within {timeout:g} s") from None
        except ConnectionClosed:
            raise ClosedError(self.close_code, self.close_reason) from None

    async def receive_json(
        self, timeout: float = 5.0, *, where: Callable[[Any], bool] | None = None
    ) -> Any:
        """The next message, decoded from JSON; with `where`, the next one it accepts (the
        messages before it are dropped)."""
        deadline = time.monotonic() + timeout
        while True:
            value = _decode(await self.receive(max(0.0, deadline - time.monotonic())))
            if where is None or where(value):
                return value

    async def receive_nothing(self, within: float = 0.2) -> None:
        """Fail (AssertionError) if a message arrives within `within` seconds."""
        try:
            message = await self.receive(within)
        except (TimeoutError, ClosedError):
            return
        raise AssertionError(f"expected no message within {within:g} s, got {message!r}")

    async def wait_closed(self, timeout: float = 5.0) -> tuple[int | None, str]:
        """Wait until the server closes the connection; (code, reason)."""
        try:
            while True:
                await self.receive(timeout)
        except ClosedError:
            return self.close_code, self.close_reason
        except TimeoutError:
            raise TimeoutError(f"the connection was not closed within {timeout:g} s") from None

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection."""
        await self.ws.close(code, reason)

    async def __aenter__(self) -> AsyncWebSocketClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class AsyncConnect:
    """`await svc.connect_async(...)` or `async with svc.connect_async(...) as ws`."""

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None,
        subprotocols: list[str] | None,
        timeout: float,
        service: Any,
    ) -> None:
        self.url = url
        self.headers = dict(headers or {})
        self.subprotocols = subprotocols
        self.timeout = timeout
        self.service = service
        self._client: AsyncWebSocketClient | None = None

    async def _open(self) -> AsyncWebSocketClient:
        try:
            ws = await async_connect(
                self.url,
                additional_headers=self.headers,
                subprotocols=self.subprotocols,  # type: ignore[arg-type]
                open_timeout=self.timeout,
                close_timeout=self.timeout,
                max_size=None,
                compression=None,
            )
        except InvalidStatus as error:
            raise _refused(error) from None
        return AsyncWebSocketClient(ws, self.service)

    def __await__(self) -> Generator[Any, None, AsyncWebSocketClient]:
        return self._open().__await__()

    async def __aenter__(self) -> AsyncWebSocketClient:
        self._client = await self._open()
        return self._client

    async def __aexit__(self, *exc_info: object) -> None:
        if self._client is not None:
            await self._client.close()
