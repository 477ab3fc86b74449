"""`python -m sockgate.tables`: the table service as a standalone DynamoDB endpoint."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from sockgate import eventloop
from sockgate.errors import ResourceError

__all__ = ["main", "serve"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sockgate tables",
        description="A DynamoDB and DynamoDB Streams endpoint stored in SQLite.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port; 0 picks a free one")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--data", type=Path, help="folder holding the database (created if absent)")
    where.add_argument("--in-memory", action="store_true", help="keep everything in memory")
    parser.add_argument("--region", default="us-east-1", help="region in ARNs and records")
    return parser


async def serve(host: str, port: int, data_dir: Path | None, region: str) -> None:
    """Serve until SIGINT or SIGTERM, announcing the bound address on stdout."""
    from sockgate.tables.server import start_server  # imported late: --help stays fast

    server = await start_server(host, port, data_dir, region)
    where = f"data: {data_dir}" if data_dir is not None else "in memory"
    print(f"sockgate tables: listening on {server.url} ({where})", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.close()


def main(argv: list[str] | None = None) -> int:
    """Run the table service from the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        eventloop.run(serve(args.host, args.port, args.data, args.region))
    except ResourceError as error:
        print(f"sockgate tables: {error}", file=sys.stderr)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
