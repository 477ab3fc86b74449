"""`sockgate connect`: a small wscat-like client for trying a WebSocket API by hand."""

from __future__ import annotations

import asyncio
import sys

import aiohttp

from sockgate.errors import SockgateError

__all__ = ["connect"]


async def connect(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    subprotocols: tuple[str, ...] = (),
    wait: float = 1.0,
) -> int:
    """Send each stdin line as a text frame and print every frame received; returns on close."""
    async with aiohttp.ClientSession() as session:
        try:
            ws = await session.ws_connect(
                url, headers=headers, protocols=subprotocols, autoping=True
            )
        except aiohttp.WSServerHandshakeError as error:
            raise SockgateError(f"{url} refused the connection: HTTP {error.status}") from None
        except aiohttp.ClientError as error:
            raise SockgateError(f"cannot connect to {url}: {error}") from None
        print(
            f"connected to {url}" + (f" (subprotocol {ws.protocol})" if ws.protocol else ""),
            file=sys.stderr,
            flush=True,
        )
        sender = asyncio.create_task(_send_stdin(ws, wait))
        try:
            async for message in ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    print(f"< {message.data}", flush=True)
                elif message.type == aiohttp.WSMsgType.BINARY:
                    print(f"< (binary, {len(message.data)} bytes)", flush=True)
        finally:
            sender.cancel()
        code = f" with code {ws.close_code}" if ws.close_code else ""
        print(f"closed{code}", file=sys.stderr, flush=True)
        return 0


async def _send_stdin(ws: aiohttp.ClientWebSocketResponse, wait: float) -> None:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:  # end of input: let replies arrive, then close politely
            await asyncio.sleep(wait)
            await ws.close()
            return
        await ws.send_str(line.rstrip("\n"))
