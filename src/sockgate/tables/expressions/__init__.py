"""DynamoDB's expression language: conditions, filters, updates, projections, key conditions.

Pure (no I/O). Each parse function checks what DynamoDB checks and raises
``sockgate.tables.errors.ValidationException`` with DynamoDB's message; the parsed objects
evaluate or apply against items in DynamoDB JSON. One request: call
``validate_placeholder_maps`` first, parse each expression, then ``check_placeholders`` with
all of them.

Modules: tokens (lexer) → parser (syntax tree, ``ast``) → semantics (placeholders, static
checks) → conditions/evaluate, update, projection, keys; reserved holds DynamoDB's
reserved words and placeholders the per-request bookkeeping.
"""

from sockgate.tables.expressions.conditions import Condition, ConditionKind, parse_condition
from sockgate.tables.expressions.keys import (
    KeyCondition,
    KeyRange,
    KeyTerm,
    ParsedKeyCondition,
    parse_key_condition,
    parse_key_condition_expression,
)
from sockgate.tables.expressions.placeholders import (
    UsesPlaceholders,
    check_placeholders,
    validate_placeholder_maps,
)
from sockgate.tables.expressions.projection import Projection, parse_projection, project
from sockgate.tables.expressions.update import UpdateExpression, UpdateResult, parse_update

__all__ = [
    "Condition",
    "ConditionKind",
    "KeyCondition",
    "KeyRange",
    "KeyTerm",
    "ParsedKeyCondition",
    "Projection",
    "UpdateExpression",
    "UpdateResult",
    "UsesPlaceholders",
    "check_placeholders",
    "parse_condition",
    "parse_key_condition",
    "parse_key_condition_expression",
    "parse_projection",
    "parse_update",
    "project",
    "validate_placeholder_maps",
]
