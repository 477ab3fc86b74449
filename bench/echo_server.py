"""A bare aiohttp WebSocket echo server: the ceiling for a Python gateway on this machine.

POST /@connections/{id} (with or without a stage in front) answers 200 and does nothing: the
cost of boto3 over HTTP to an aiohttp server, without a gateway behind it.

Every WebSocket path echoes text messages back, except /fanout: there a message
`{"action": "fanout", "payload": P}` goes to every other /fanout connection as `{"fanout": P}`,
the broadcast of the benchmark's fan-out route without a handler in between.

`python -m bench.echo_server --port 0` prints `bench echo: listening on ws://HOST:PORT/` once
bound, then serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal

from aiohttp import WSMsgType, web

READY_PREFIX = "bench echo: listening on "
ROOM = web.AppKey("room", set)


async def echo(request: web.Request) -> web.WebSocketResponse:
    """Send every text message straight back."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for message in ws:
        if message.type == WSMsgType.TEXT:
            await ws.send_str(message.data)
    return ws


async def post_to_nothing(request: web.Request) -> web.Response:
    """A PostToConnection that reads its body and succeeds."""
    await request.read()
    return web.Response(status=200)


async def fanout(request: web.Request) -> web.WebSocketResponse:
    """Broadcast each message's payload to every other connection on this path."""
    members: set[web.WebSocketResponse] = request.app[ROOM]
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    members.add(ws)
    try:
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            text = json.dumps({"fanout": json.loads(message.data).get("payload")})
            for member in list(members):
                if member is not ws and not member.closed:
                    await member.send_str(text)
    finally:
        members.discard(ws)
    return ws


async def serve(host: str, port: int) -> None:
    """Serve until a stop signal, announcing the bound URL on stdout."""
    app = web.Application()
    app[ROOM] = set()
    app.router.add_post("/@connections/{id}", post_to_nothing)
    app.router.add_post("/{stage}/@connections/{id}", post_to_nothing)
    app.router.add_get("/fanout", fanout)
    app.router.add_get("/{tail:.*}", echo)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)  # aiohttp's defaults, as the gateway uses them
    await site.start()
    bound = runner.addresses[0][1]
    print(f"{READY_PREFIX}ws://{host}:{bound}/", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
