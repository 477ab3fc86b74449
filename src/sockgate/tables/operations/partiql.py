"""ExecuteStatement, BatchExecuteStatement and ExecuteTransaction: PartiQL on the operations.

Each statement is parsed (sockgate.tables.partiql) and run as the operation it stands for
(Query, Scan, GetItem, PutItem, UpdateItem, DeleteItem, TransactGetItems,
TransactWriteItems), so conditions, validation and stream records are those operations' own.
Error texts are DynamoDB's PartiQL messages.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import Any

from sockgate.tables.errors import (
    ConditionalCheckFailedException,
    DuplicateItemException,
    DynamoDBError,
    TransactionCanceledException,
    ValidationException,
)
from sockgate.tables.model import TableMeta
from sockgate.tables.operations import items, query, transactions
from sockgate.tables.operations.context import Context, Result
from sockgate.tables.partiql.parser import Delete, Exists, Insert, Select, Statement, Update, parse
from sockgate.tables.partiql.translate import (
    Placeholders,
    full_key,
    plan_select,
    update_expression,
)
from sockgate.tables.payloads import decode_json, require_table

__all__ = ["batch_execute_statement", "execute_statement", "execute_transaction", "reads_only"]

Request = dict[str, Any]
DUPLICATE = "Duplicate primary key exists in table"
_BATCH_CODES = {
    "ConditionalCheckFailedException": "ConditionalCheckFailed",
    "DuplicateItemException": "DuplicateItem",
    "ResourceNotFoundException": "ResourceNotFound",
    "TransactionConflictException": "TransactionConflict",
    "ValidationException": "ValidationError",
}


# --- ExecuteStatement ------------------------------------------------------------------------

# The first word of an ExecuteStatement's Statement, read from the raw body (on the loop,
# before the body is decoded on the thread that runs the statement).
_FIRST_WORD = re.compile(rb'"Statement"\s*:\s*"(?:\s|\\[nrt])*([A-Za-z]+)')


def reads_only(body: bytes) -> bool:
    """Whether an ExecuteStatement body holds a SELECT (run as a read, off the loop).

    Anything unclear (an escaped letter, a member named twice) counts as a write: it then
    runs where writes run, which is always correct, only not in parallel.
    """
    found = _FIRST_WORD.findall(body)
    return len(found) == 1 and found[0].upper() == b"SELECT"


def execute_statement(ctx: Context, req: dict[str, Any]) -> Result:
    """ExecuteStatement: one PartiQL statement; a SELECT pages with Limit and NextToken."""
    statement = parse(req["Statement"], req.get("Parameters"))
    if isinstance(statement, Select):
        return _select(ctx, statement, req)
    if isinstance(statement, Exists):
        raise ValidationException("EXISTS can only be used in ExecuteTransaction write requests.")
    return _write(ctx, statement, req.get("ReturnValuesOnConditionCheckFailure"))


def _select(ctx: Context, statement: Select, req: dict[str, Any]) -> Result:
    meta = require_table(ctx.tables, statement.table)
    if statement.index is not None and req.get("ConsistentRead"):
        index = meta.index(statement.index)
        if index is not None and index.is_global:
            raise ValidationException(
                "Strongly consistent read is not supported on Global Secondary Indexes"
            )
    plan = plan_select(meta, statement)
    digest = _digest(req)
    part, start = _resume(req.get("NextToken"), digest, len(plan.requests))
    request = dict(plan.requests[part])
    for name in ("ConsistentRead", "Limit", "ReturnConsumedCapacity"):
        if req.get(name) is not None:
            request[name] = req[name]
    if start is not None:
        request["ExclusiveStartKey"] = start
    run = query.query if plan.operation == "Query" else query.scan
    page = run(ctx, request)
    out: Result = {"Items": page.get("Items", [])}
    last = page.get("LastEvaluatedKey")
    if last is not None:
        out["NextToken"] = _token(digest, part, last)
        out["LastEvaluatedKey"] = last
    elif part + 1 < len(plan.requests):
        out["NextToken"] = _token(digest, part + 1, None)
    if "ConsumedCapacity" in page:
        out["ConsumedCapacity"] = page["ConsumedCapacity"]
    return out


def _digest(req: dict[str, Any]) -> str:
    shown = json.dumps([req["Statement"], req.get("Parameters")], sort_keys=True)
    return hashlib.sha256(shown.encode()).hexdigest()[:32]


def _token(digest: str, part: int, last: Any) -> str:
    text = json.dumps({"s": digest, "p": part, "k": last}, separators=(",", ":"))
    return base64.b64encode(text.encode()).decode()


def _resume(token: Any, digest: str, parts: int) -> tuple[int, Any]:
    """(partition index, ExclusiveStartKey) a NextToken stands for."""
    if token is None:
        return 0, None
    try:
        state = decode_json(base64.b64decode(token, validate=True))
        part, last = state["p"], state["k"]
        ok = isinstance(part, int) and 0 <= part < parts and state["s"] is not None
    except (DynamoDBError, ValueError, TypeError, KeyError, binascii.Error):
        ok = False
    if not ok:
        raise ValidationException("Invalid NextToken")
    if state["s"] != digest:
        raise ValidationException("NextToken does not match request")
    return part, last


def _write(ctx: Context, statement: Statement, on_failure: str | None) -> Result:
    if isinstance(statement, Insert):
        meta = require_table(ctx.tables, statement.table)
        request = _insert_request(meta, statement)
        if on_failure is not None:
            request["ReturnValuesOnConditionCheckFailure"] = on_failure
        try:
            items.put_item(ctx, request)
        except ConditionalCheckFailedException:
            raise DuplicateItemException(DUPLICATE) from None
        return {"Items": []}
    if isinstance(statement, Update):
        meta = require_table(ctx.tables, statement.table)
        request = _update_request(meta, statement)
        runner = items.update_item
    elif isinstance(statement, Delete):
        meta = require_table(ctx.tables, statement.table)
        request = _delete_request(meta, statement)
        runner = items.delete_item
    else:
        raise ValidationException("Unsupported operation in transaction.")
    returning = statement.returning
    if returning is not None:
        request["ReturnValues"] = returning
    if on_failure is not None:
        request["ReturnValuesOnConditionCheckFailure"] = on_failure
    answer = runner(ctx, request)
    attributes = answer.get("Attributes")
    return {"Items": [attributes] if returning and attributes else []}


def _insert_request(meta: TableMeta, statement: Insert) -> Request:
    for name in meta.key_names:
        value = statement.item.get(name)
        if value is None:
            raise ValidationException(f"Key attribute should be present in the item: Key {name}")
        if meta.key_type(name) not in value:
            raise ValidationException(
                "Key attribute's data type should match its data type in table's schema: "
                f"Key {name}"
            )
    return {
        "TableName": meta.name,
        "Item": statement.item,
        "ConditionExpression": "attribute_not_exists(#n0)",
        "ExpressionAttributeNames": {"#n0": meta.hash_key},
    }


def _update_request(meta: TableMeta, statement: Update) -> Request:
    key, rest = full_key(meta, statement.where)
    names = Placeholders()
    request: Request = {"TableName": meta.name, "Key": key}
    request["UpdateExpression"] = update_expression(statement, names)
    condition = f"attribute_exists({names.name(meta.hash_key)})"
    for term in rest:
        condition += f" AND {names.term(term)}"
    request["ConditionExpression"] = condition
    return names.into(request)


def _delete_request(meta: TableMeta, statement: Delete) -> Request:
    key, rest = full_key(meta, statement.where)
    names = Placeholders()
    request: Request = {"TableName": meta.name, "Key": key}
    if rest:
        # A missing item is deleted without complaint; an item present must pass the rest.
        others = " AND ".join(names.term(term) for term in rest)
        if len(rest) > 1:
            others = f"({others})"
        request["ConditionExpression"] = (
            f"attribute_not_exists({names.name(meta.hash_key)}) OR {others}"
        )
    return names.into(request)


def _get_request(ctx: Context, statement: Select) -> Request:
    """A single-item SELECT as a Get (batches and transactions read only whole keys)."""
    meta = require_table(ctx.tables, statement.table)
    if statement.index is not None:
        raise ValidationException("Reads on indices are not supported within transactions.")
    try:
        key, rest = full_key(meta, statement.where)
    except ValidationException:
        raise ValidationException(
            "Select statements within ExecuteTransaction must specify the primary key in the "
            "where clause."
        ) from None
    if rest:
        raise ValidationException("Unsupported operation in transaction.")
    names = Placeholders()
    request: Request = {"TableName": meta.name, "Key": key}
    if statement.projection is not None:
        request["ProjectionExpression"] = ", ".join(names.path(p) for p in statement.projection)
    return names.into(request)


# --- BatchExecuteStatement -------------------------------------------------------------------


def batch_execute_statement(ctx: Context, req: dict[str, Any]) -> Result:
    """BatchExecuteStatement: up to 25 single-item statements, each with its own outcome."""
    entries = req["Statements"]
    statements: list[Statement] = []
    for number, entry in enumerate(entries):
        try:
            statements.append(parse(entry["Statement"], entry.get("Parameters")))
        except ValidationException as error:
            # UNCONFIRMED: DynamoDB's wording names the statement this way for request-wide
            # refusals (its PartiQL message catalog); which errors it applies to is a guess.
            raise ValidationException(
                f"Validation failed in statements[{number}]: {error.message}"
            ) from None
    responses: list[dict[str, Any]] = []
    for entry, statement in zip(entries, statements, strict=True):
        table = statement.select.table if isinstance(statement, Exists) else statement.table
        try:
            with ctx.store.transaction():
                responses.append(_batch_one(ctx, statement, entry))
        except DynamoDBError as error:
            failure: dict[str, Any] = {
                "Code": _BATCH_CODES.get(error.type_name, "InternalServerError"),
                "Message": error.message,
            }
            if isinstance(error, ConditionalCheckFailedException) and error.item is not None:
                failure["Item"] = error.item
            responses.append({"Error": failure, "TableName": table})
    return {"Responses": responses}


def _batch_one(ctx: Context, statement: Statement, entry: dict[str, Any]) -> dict[str, Any]:
    if isinstance(statement, Select):
        request = _get_request(ctx, statement)
        if entry.get("ConsistentRead") is not None:
            request["ConsistentRead"] = entry["ConsistentRead"]
        found = items.get_item(ctx, request)
        answer: dict[str, Any] = {"TableName": statement.table}
        if "Item" in found:
            answer["Item"] = found["Item"]
        return answer
    if isinstance(statement, Exists):
        raise ValidationException("EXISTS can only be used in ExecuteTransaction write requests.")
    _write(ctx, statement, entry.get("ReturnValuesOnConditionCheckFailure"))
    return {"TableName": statement.table}


# --- ExecuteTransaction ----------------------------------------------------------------------


def execute_transaction(ctx: Context, req: dict[str, Any]) -> Result:
    """ExecuteTransaction: up to 100 statements, all reads or all writes, all or nothing."""
    entries = req["TransactStatements"]
    statements = [parse(e["Statement"], e.get("Parameters")) for e in entries]
    reads = [isinstance(s, Select) for s in statements]
    if all(reads):
        gets = [{"Get": _get_request(ctx, s)} for s in statements if isinstance(s, Select)]
        answer = transactions.transact_get_items(
            ctx, {"TransactItems": gets, **_passed(req, "ReturnConsumedCapacity")}
        )
        return {k: v for k, v in answer.items() if k in ("Responses", "ConsumedCapacity")}
    if any(reads):
        raise ValidationException("Unsupported operation in transaction.")
    actions = [_action(ctx, s, e) for s, e in zip(statements, entries, strict=True)]
    request = {"TransactItems": actions}
    request.update(_passed(req, "ClientRequestToken", "ReturnConsumedCapacity"))
    try:
        answer = transactions.transact_write_items(ctx, request)
    except TransactionCanceledException as error:
        reasons = [
            {"Code": "DuplicateItem", "Message": DUPLICATE}
            if isinstance(s, Insert) and r["Code"] == "ConditionalCheckFailed"
            else r
            for s, r in zip(statements, error.reasons, strict=True)
        ]
        raise TransactionCanceledException(reasons) from None
    return {k: v for k, v in answer.items() if k == "ConsumedCapacity"}


def _passed(req: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: req[name] for name in names if req.get(name) is not None}


def _action(ctx: Context, statement: Statement, entry: dict[str, Any]) -> dict[str, Any]:
    on_failure = _passed(entry, "ReturnValuesOnConditionCheckFailure")
    if isinstance(statement, Insert):
        meta = require_table(ctx.tables, statement.table)
        return {"Put": {**_insert_request(meta, statement), **on_failure}}
    if isinstance(statement, Update):
        meta = require_table(ctx.tables, statement.table)
        return {"Update": {**_update_request(meta, statement), **on_failure}}
    if isinstance(statement, Delete):
        meta = require_table(ctx.tables, statement.table)
        return {"Delete": {**_delete_request(meta, statement), **on_failure}}
    assert isinstance(statement, Exists)
    select = statement.select
    meta = require_table(ctx.tables, select.table)
    if select.index is not None:
        raise ValidationException("Operations on indices are not supported in transactions")
    refusal = ValidationException(
        "EXISTS() must contain a single item read with additional condition"
    )
    try:
        key, rest = full_key(meta, select.where)
    except ValidationException:
        raise refusal from None
    if not rest:
        raise refusal
    names = Placeholders()
    condition = " AND ".join(names.term(term) for term in rest)
    check = {"TableName": meta.name, "Key": key, "ConditionExpression": condition}
    return {"ConditionCheck": {**names.into(check), **on_failure}}
