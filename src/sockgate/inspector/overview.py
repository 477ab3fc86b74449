"""What the overview shows of the service itself: routes, functions, streams."""

from __future__ import annotations

from typing import Any

from sockgate.service.model import Service

__all__ = ["describe_service"]


def describe_service(service: Service) -> dict[str, Any]:
    """The service's name, its routes and their functions, and its functions' settings."""
    return {
        "name": service.name,
        "stage": service.stage,
        "region": service.region,
        "routes": [
            {"route": route.route_key, "function": route.function, "twoWay": route.two_way}
            for route in service.websocket_routes
        ],
        "http": [
            {"method": route.method, "path": route.path, "function": route.function}
            for route in service.http_routes
        ],
        "streams": [
            {"type": stream.type, "function": stream.function} for stream in service.streams
        ],
        "functions": {
            key: {
                "handler": function.handler,
                "memorySize": function.memory_size,
                "timeout": function.timeout,
            }
            for key, function in service.functions.items()
        },
    }
