"""Errors the DynamoDB-compatible table service sends to its clients.

    DynamoDBError                       base; type_name + message, put on the wire by the server
    ├── ValidationException             400, com.amazon.coral.validate#ValidationException
    ├── SerializationException          400, com.amazon.coral.service#SerializationException
    └── ConditionalCheckFailedException 400, com.amazonaws.dynamodb.v20120810#...; may carry Item

These are protocol errors a client (boto3) sees, not user errors of sockgate, so they do not
derive from SockgateError (see sockgate.errors). The server answers
``{"__type": error.wire_type, "message": error.message}`` with ``error.status``; boto3 reads the
part after ``#`` as the error code. The namespaces are the ones real DynamoDB sends: validation
errors come from the Coral validation layer, the rest from the DynamoDB service namespace.

Other error classes (ResourceNotFoundException, TransactionCanceledException, ...) belong here
too; whoever needs one adds it beside these.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "ConditionalCheckFailedException",
    "DynamoDBError",
    "SerializationException",
    "ValidationException",
]

SERVICE_NAMESPACE = "com.amazonaws.dynamodb.v20120810"


class DynamoDBError(Exception):
    """An error answered to a DynamoDB client: a type name and one message."""

    type_name: ClassVar[str] = "InternalServerError"
    namespace: ClassVar[str] = SERVICE_NAMESPACE
    status: ClassVar[int] = 500

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)

    @property
    def wire_type(self) -> str:
        """The ``__type`` field of the JSON error body."""
        return f"{self.namespace}#{self.type_name}"

    def to_wire(self) -> dict[str, Any]:
        """The JSON error body DynamoDB sends (some errors, such as an unknown operation's,
        carry no message)."""
        if not self.message:
            return {"__type": self.wire_type}
        return {"__type": self.wire_type, "message": self.message}


class ValidationException(DynamoDBError):
    """A request DynamoDB refuses before touching data: malformed values, bad expressions."""

    type_name = "ValidationException"
    namespace = "com.amazon.coral.validate"
    status = 400


class SerializationException(DynamoDBError):
    """A request body whose JSON does not fit the operation's shape (e.g. ``{"S": 5}``)."""

    type_name = "SerializationException"
    namespace = "com.amazon.coral.service"
    status = 400


class ConditionalCheckFailedException(DynamoDBError):
    """A ConditionExpression (or Expected) that evaluated to false.

    ``item`` is the current item, sent back as ``Item`` when the request asked for
    ReturnValuesOnConditionCheckFailure=ALL_OLD.
    """

    type_name = "ConditionalCheckFailedException"
    status = 400

    def __init__(
        self, message: str = "The conditional request failed", *, item: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.item = item

    def to_wire(self) -> dict[str, Any]:
        """The error body, with the item when one was asked for."""
        body = super().to_wire()
        if self.item is not None:
            body["Item"] = self.item
        return body


# --- added by the table-service engineer (operations, streams, transactions) ---------------

__all__ += [
    "ExpiredIteratorException",
    "IdempotentParameterMismatchException",
    "InternalServerError",
    "LimitExceededException",
    "ResourceInUseException",
    "ResourceNotFoundException",
    "TransactionCanceledException",
    "TrimmedDataAccessException",
    "UnknownOperationException",
]


class InternalServerError(DynamoDBError):
    """A failure of the service itself (never the answer to bad input)."""

    type_name = "InternalServerError"
    status = 500


class UnknownOperationException(DynamoDBError):
    """An X-Amz-Target naming no operation."""

    type_name = "UnknownOperationException"
    namespace = "com.amazon.coral.service"
    status = 400


class ResourceNotFoundException(DynamoDBError):
    """A table, index or stream that does not exist."""

    type_name = "ResourceNotFoundException"
    status = 400


class ResourceInUseException(DynamoDBError):
    """A table that already exists (CreateTable) or is busy."""

    type_name = "ResourceInUseException"
    status = 400


class LimitExceededException(DynamoDBError):
    """Too many tables, indexes or concurrent control-plane operations."""

    type_name = "LimitExceededException"
    status = 400


class IdempotentParameterMismatchException(DynamoDBError):
    """A ClientRequestToken reused with a different request."""

    type_name = "IdempotentParameterMismatchException"
    status = 400


class TransactionCanceledException(DynamoDBError):
    """A transaction of which some action failed; one reason per action, in order.

    Each reason is {"Code": "None" | "ConditionalCheckFailed" | "ValidationError" | ...} with
    "Message" (and "Item" when ReturnValuesOnConditionCheckFailure=ALL_OLD) where one applies.
    """

    type_name = "TransactionCanceledException"
    status = 400

    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        codes = ", ".join(reason["Code"] for reason in reasons)
        super().__init__(
            "Transaction cancelled, please refer cancellation reasons for specific reasons "
            f"[{codes}]"
        )
        self.reasons = reasons

    def to_wire(self) -> dict[str, Any]:
        """The error body, with CancellationReasons as boto3 parses them."""
        body = super().to_wire()
        body["CancellationReasons"] = self.reasons
        return body


class ExpiredIteratorException(DynamoDBError):
    """A shard iterator older than 15 minutes (DynamoDB Streams)."""

    type_name = "ExpiredIteratorException"
    namespace = "com.amazonaws.dynamodb.v20120810"
    status = 400


class TrimmedDataAccessException(DynamoDBError):
    """A sequence number older than the stream's 24-hour retention (DynamoDB Streams)."""

    type_name = "TrimmedDataAccessException"
    status = 400


# --- the front door: authentication (#15) --------------------------------------------------

__all__ += [
    "IncompleteSignatureException",
    "InvalidSignatureException",
    "MissingAuthenticationTokenException",
]


class MissingAuthenticationTokenException(DynamoDBError):
    """A request without SigV4 credentials (no Authorization header, none in the query)."""

    type_name = "MissingAuthenticationTokenException"
    namespace = "com.amazon.coral.service"
    status = 400


class IncompleteSignatureException(DynamoDBError):
    """A SigV4 Authorization header without its parts, or a request without a date."""

    type_name = "IncompleteSignatureException"
    namespace = "com.amazon.coral.service"
    status = 400


class InvalidSignatureException(DynamoDBError):
    """Credentials given twice (header and query string)."""

    type_name = "InvalidSignatureException"
    namespace = "com.amazon.coral.service"
    status = 400


# --- PartiQL (#15) -------------------------------------------------------------------------

__all__ += ["DuplicateItemException"]


class DuplicateItemException(DynamoDBError):
    """A PartiQL INSERT of an item whose primary key is already in the table."""

    type_name = "DuplicateItemException"
    status = 400
