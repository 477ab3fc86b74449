"""sockgate.listen: the port bound, or the part's own error naming the address."""

from __future__ import annotations

import socket

import pytest
from aiohttp import web

from sockgate.errors import ResourceError
from sockgate.listen import authority, listen


def test_authority_brackets_an_ipv6_host() -> None:
    assert authority("127.0.0.1", 3001) == "127.0.0.1:3001"
    assert authority("::1", 3001) == "[::1]:3001"


async def test_port_zero_binds_one_and_says_which() -> None:
    runner = web.AppRunner(web.Application())
    port = await listen(runner, "127.0.0.1", 0, ResourceError)
    try:
        assert port > 0
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    finally:
        await runner.cleanup()


async def test_a_taken_port_is_the_parts_own_error_naming_the_address() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        runner = web.AppRunner(web.Application())
        with pytest.raises(ResourceError) as raised:
            await listen(runner, "127.0.0.1", port, lambda where: ResourceError(f"x on {where}"))
        assert str(raised.value).startswith(f"x on 127.0.0.1:{port} (")
        assert "in use" in str(raised.value)
        assert runner.server is None  # cleaned up
