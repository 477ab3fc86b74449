"""sockgate.httpapi: the service's `httpApi` (payload 2.0) and `http` (payload 1.0) routes.

routing.py    route matching: literal > {param} > {proxy+}, method > ANY, then $default
events.py     request -> Lambda proxy event (2.0 and 1.0), pure
responses.py  Lambda result -> HTTP response, pure
dispatch.py   one request in, one response out (routing + invoke)
server.py     aiohttp on the network
"""

from sockgate.httpapi.server import HttpApi

__all__ = ["HttpApi"]
