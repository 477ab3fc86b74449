"""One exception hierarchy for everything sockgate reports to a user.

    SockgateError                 base; str() is one actionable sentence, never a traceback
    ├── ConfigError               a bad serverless.yml (names the file, the key path and the fix)
    ├── HandlerError              a handler that cannot be loaded or run as configured
    ├── ResourceError             a table or other resource that cannot be created or reached
    └── DeployError               packaging or deploying to AWS failed

Protocol errors that a client or boto3 sees (GoneException, ValidationException, ...) are not
user errors of sockgate and live with the protocol that sends them.
"""

from __future__ import annotations

__all__ = ["ConfigError", "DeployError", "HandlerError", "ResourceError", "SockgateError"]


class SockgateError(Exception):
    """Base of every error sockgate reports to a user; the CLI prints str(error) and exits."""

    exit_code: int = 1


class ConfigError(SockgateError):
    """A serverless.yml that cannot be used: says where (file and key path) and how to fix it."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        path: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.path = path
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f" at {self.path}" if self.path else "") + ": "
        elif self.path:
            where = f"{self.path}: "
        text = where + self.message
        if self.fix:
            text = text.rstrip(".") + ". " + self.fix
        return text


class HandlerError(SockgateError):
    """A handler that cannot be loaded or run as configured."""


class ResourceError(SockgateError):
    """A resource (table, stream, port) that cannot be created or reached."""


class DeployError(SockgateError):
    """Packaging or deploying to AWS failed."""
