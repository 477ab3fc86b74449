"""The context object a handler receives, with the attributes of Lambda's Python runtime (§8.1)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

__all__ = ["ACCOUNT_ID", "CognitoIdentity", "LambdaContext", "function_arn"]

ACCOUNT_ID = "000000000000"


def function_arn(region: str, name: str) -> str:
    """The unqualified ARN Lambda gives a function."""
    return f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"


class CognitoIdentity:
    """`context.identity`: both ids are None unless invoked through Cognito."""

    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self) -> None:
        self.cognito_identity_id: str | None = None
        self.cognito_identity_pool_id: str | None = None

    def __repr__(self) -> str:
        return (
            f"CognitoIdentity([cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}])"
        )


class LambdaContext:
    """What Lambda's runtime passes as `context`; values come from the reserved variables."""

    def __init__(
        self,
        request_id: str,
        deadline_ms: int,
        invoked_function_arn: str,
        log: Callable[[str], None],
    ) -> None:
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")  # a string
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id: str | None = None
        self.client_context: object | None = None
        self.identity = CognitoIdentity()
        self._deadline_ms = deadline_ms
        self._log = log

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function times out; never negative."""
        remaining = self._deadline_ms - int(time.time() * 1000)
        return remaining if remaining > 0 else 0

    def log(self, msg: object) -> None:
        """Write to the function's log."""
        self._log(str(msg))

    def w3c(self) -> dict[str, str]:
        """W3C trace-context fields from the client context; none are ever supplied here."""
        return {}

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},"
            f"client_context={self.client_context},"
            f"identity={self.identity},"
            f"tenant_id={self.tenant_id}])"
        )
