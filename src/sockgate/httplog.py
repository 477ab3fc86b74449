"""One warning line, not a traceback, for each malformed request sockgate's aiohttp servers refuse.

aiohttp answers a request it cannot parse (a bad request line or header, an unknown content
encoding) with 400 itself and logs it through the server's `logger` with `logger.exception`, a
full traceback; a first request that is not HTTP at all is logged at debug level, so the
operator sees nothing. Both are the client's fault, so the gateway and the HTTP API hand aiohttp
a `RefusalLogger` instead: such a refusal becomes one line naming the peer, the status and
aiohttp's reason, as the table service logs its own refusals. Every other error keeps its
traceback.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

__all__ = ["RefusalLogger", "log_refusal"]

# How aiohttp's RequestHandler begins the record of a request it could not parse (handle_error)
# and of an error raised after the handler answered (start).
_UNPARSED = "Error handling request"
_AFTERWARDS = "Unhandled exception"


def log_refusal(log: logging.Logger, peer: object, status: int, reason: str) -> None:
    """The one line an operator gets for a malformed request the server refused."""
    # aiohttp's reasons span lines: the reason, the offending bytes, a caret under them.
    lines = (line.strip() for line in reason.splitlines())
    text = " ".join(line for line in lines if line.strip("^"))
    log.warning("refused a malformed HTTP request from %s: %d %s", peer, status, text)


class RefusalLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """The `logger` to give aiohttp's web.Server or AppRunner: refusals as one warning line on
    `refusals`, everything else on aiohttp's own logger as before."""

    def __init__(self, refusals: logging.Logger) -> None:
        super().__init__(logging.getLogger("aiohttp.server"), {})
        self._refusals = refusals

    def exception(self, msg: object, *args: object, exc_info: Any = True, **kwargs: Any) -> None:
        if not self._refused(msg, args, exc_info):
            super().exception(msg, *args, exc_info=exc_info, **kwargs)

    def debug(self, msg: object, *args: object, **kwargs: Any) -> None:
        if not self._refused(msg, args, kwargs.get("exc_info")):
            super().debug(msg, *args, **kwargs)

    def _refused(self, msg: object, args: tuple[object, ...], exc_info: Any) -> bool:
        """Handle a record about a refused malformed request; False when it is not one."""
        if not isinstance(msg, str):
            return False
        error = exc_info if isinstance(exc_info, BaseException) else sys.exc_info()[1]
        if msg.startswith(_AFTERWARDS) and isinstance(error, RequestPayloadError):
            # A body that did not decode: the handler has answered 400 and logged it; aiohttp
            # then drains the unread rest of the body and meets the same error again.
            self.logger.debug("%s after a refused body: %s", msg, error)
            return True
        if msg.startswith(_UNPARSED) and isinstance(error, HttpProcessingError):
            log_refusal(self._refusals, args[0] if args else "?", error.code, error.message)
            return True
        return False
