"""Serving an aiohttp runner on a host and port: the port bound, or one clear error.

The gateway, the HTTP API and the Lambda Invoke API listen the same way; only the words of
their error differ (which part, which flag to change).
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from sockgate.errors import SockgateError

__all__ = ["authority", "listen"]


def authority(host: str, port: int) -> str:
    """`host:port`, with an IPv6 host in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def listen(
    runner: web.BaseRunner, host: str, port: int, refused: Callable[[str], SockgateError]
) -> int:
    """Set up `runner` and serve it on host:port; the port bound (the OS's pick for 0).

    When the port cannot be bound, the runner is cleaned up and `refused("host:port
    (reason)")` is raised.
    """
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as error:
        await runner.cleanup()
        raise refused(f"{authority(host, port)} ({error.strerror})") from error
    return runner.addresses[0][1] if runner.addresses else port
