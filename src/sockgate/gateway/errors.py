"""Errors of the gateway.

    SockgateError (sockgate.errors)
    └── GatewayError                  base of everything the gateway raises
        ├── GatewayConfigError        a service the gateway cannot serve locally (startup error)
        └── ManagementError           an @connections error; carries the HTTP status and AWS type
            ├── BadRequestError       400 BadRequestException: the connection id is malformed
            ├── ForbiddenError        403 ForbiddenException: no such resource on this API
            ├── GoneError             410 GoneException: no such connection (closed, never
            │                         existed, or still in $connect)
            ├── PayloadTooLargeError  413 PayloadTooLargeException: Data over 128 KB
            └── LimitExceededError    429 LimitExceededException: the client's buffer is full

A ManagementError is what the in-process verbs (`Gateway.post_to_connection`, ...) raise and
what the HTTP layer turns into the response boto3 parses into its named exception.
"""

from __future__ import annotations

from typing import ClassVar

from sockgate.errors import SockgateError

__all__ = [
    "BadRequestError",
    "ForbiddenError",
    "GatewayConfigError",
    "GatewayError",
    "GoneError",
    "LimitExceededError",
    "ManagementError",
    "PayloadTooLargeError",
]


class GatewayError(SockgateError):
    """Base of every error the gateway raises."""


class GatewayConfigError(GatewayError):
    """A service the gateway cannot serve as configured; one sentence saying what to change.

    `path` is the serverless.yml key path at fault when the gateway knows it.
    """

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


class ManagementError(GatewayError):
    """An @connections error: HTTP status, AWS error type and the wire `message` (may be None)."""

    status: ClassVar[int] = 500
    error_type: ClassVar[str] = "InternalServerErrorException"

    def __init__(self, connection_id: str, wire_message: str | None = None) -> None:
        self.connection_id = connection_id
        self.wire_message = wire_message
        super().__init__(str(self))

    def __str__(self) -> str:
        detail = f": {self.wire_message}" if self.wire_message else ""
        return f"{self.error_type} for connection {self.connection_id!r}{detail}"


class BadRequestError(ManagementError):
    """400: the connection id is not in API Gateway's format."""

    status = 400
    error_type = "BadRequestException"


class ForbiddenError(ManagementError):
    """403: the request names no resource of this API (wrong stage or path)."""

    status = 403
    error_type = "ForbiddenException"


class GoneError(ManagementError):
    """410: the connection is closed, never existed, or is still in its $connect."""

    status = 410
    error_type = "GoneException"


class PayloadTooLargeError(ManagementError):
    """413: PostToConnection Data over the message quota."""

    status = 413
    error_type = "PayloadTooLargeException"


class LimitExceededError(ManagementError):
    """429: the client is not reading and its outbound buffer is full."""

    status = 429
    error_type = "LimitExceededException"
