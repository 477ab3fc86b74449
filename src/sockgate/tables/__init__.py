"""sockgate.tables: a DynamoDB- and DynamoDB Streams-compatible endpoint stored in SQLite.

    server = await start_server("127.0.0.1", 0, Path(".sockgate/tables"))  # or None: in memory
    boto3.client("dynamodb", endpoint_url=server.url)
    await server.close()

`python -m sockgate.tables --port 8000 --data DIR` runs it standalone (see __main__.main).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sockgate.tables.server import TableServer, start_server

__all__ = ["TableServer", "start_server"]


def __getattr__(name: str) -> Any:
    # Imported on first use: the pure modules (values, expressions) load without aiohttp.
    if name in __all__:
        from sockgate.tables import server

        return getattr(server, name)
    raise AttributeError(name)
