"""A recursive-descent parser for DynamoDB's expression grammar (syntax only).

Hand-written because no maintained Python library parses DynamoDB's expression language (moto
carries its own internal parser, not a reusable API; pynamodb and boto3 only *build*
expressions). The grammar is small; ordered alternatives backtrack, and a syntax error names
the furthest token any alternative reached, which is where DynamoDB's parser stops too.

Precedence in conditions is DynamoDB's: comparisons, then NOT, then AND, then OR; parentheses
override it. Placeholders stay unresolved here: ``semantics`` resolves and checks them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from typing import NoReturn, TypeVar

from sockgate.tables.errors import ValidationException
from sockgate.tables.expressions.ast import (
    AddAction,
    And,
    Arithmetic,
    Between,
    Call,
    Compare,
    ConditionNode,
    DeleteAction,
    FunctionCondition,
    In,
    Not,
    Operand,
    Or,
    Path,
    PathElement,
    RemoveAction,
    SetAction,
    SetValue,
    UpdateAction,
    Value,
)
from sockgate.tables.expressions.tokens import Token, syntax_error, tokenize

__all__ = [
    "MAX_EXPRESSION_BYTES",
    "Clause",
    "check_text",
    "parse_condition_tree",
    "parse_projection_tree",
    "parse_update_tree",
]

MAX_EXPRESSION_BYTES = 4096  # measured on the raw expression, before substitution
# Deeper nesting than this is refused as a syntax error at the offending "(" (UNCONFIRMED:
# AWS's own limit is unpublished; this keeps the recursive parser far from Python's stack limit).
MAX_NESTING = 100
COMPARATORS = frozenset({"=", "<>", "<", "<=", ">", ">="})
CONDITION_KEYWORDS = frozenset({"AND", "OR", "NOT", "BETWEEN", "IN"})
UPDATE_KEYWORDS = ("SET", "REMOVE", "ADD", "DELETE")

Clause = tuple[str, list[UpdateAction]]
_T = TypeVar("_T")


class _Fail(Exception):
    """An alternative did not match; the parser backtracks."""


def check_text(text: str, kind: str) -> None:
    """Refuse an empty or oversized expression before parsing it."""
    if not text.strip():
        raise ValidationException(f"Invalid {kind}: The expression can not be empty;")
    size = len(text.encode())
    if size > MAX_EXPRESSION_BYTES:
        raise ValidationException(
            f"Invalid {kind}: Expression size has exceeded the maximum allowed size; "
            f"expression size: {size}"
        )


class _Parser:
    def __init__(self, text: str, kind: str, keywords: frozenset[str]) -> None:
        self.text = text
        self.kind = kind
        self.keywords = keywords
        self.tokens = tokenize(text)
        self.pos = 0
        self.furthest = 0
        depth = 0
        for index, token in enumerate(self.tokens):
            depth += token.is_op("(") - token.is_op(")")
            if depth > MAX_NESTING:
                raise syntax_error(kind, text, self.tokens, index)

    # ---- machinery ----

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def fail(self) -> NoReturn:
        self.furthest = max(self.furthest, self.pos)
        raise _Fail

    def advance(self) -> Token:
        token = self.token
        self.pos += 1
        return token

    def op(self, text: str) -> Token:
        if not self.token.is_op(text):
            self.fail()
        return self.advance()

    def accept_op(self, text: str) -> bool:
        if self.token.is_op(text):
            self.pos += 1
            return True
        return False

    def accept_word(self, word: str) -> bool:
        if self.token.is_word(word):
            self.pos += 1
            return True
        return False

    def run(self, rule: Callable[[], _T]) -> _T:
        try:
            result = rule()
            if self.token.kind != "eof":
                self.fail()
            return result
        except _Fail:
            raise syntax_error(self.kind, self.text, self.tokens, self.furthest) from None

    def is_keyword(self, token: Token) -> bool:
        return token.kind == "name" and token.text.upper() in self.keywords

    # ---- paths and operands ----

    def name_part(self) -> str:
        token = self.token
        if token.kind == "name_ref" or (token.kind == "name" and not self.is_keyword(token)):
            return self.advance().text
        self.fail()

    def path(self) -> Path:
        raw: list[PathElement] = [self.name_part()]
        while True:
            if self.accept_op("."):
                raw.append(self.name_part())
            elif self.accept_op("["):
                if self.token.kind != "number":
                    self.fail()
                raw.append(int(self.advance().text))
                self.op("]")
            else:
                return Path(tuple(raw))

    def operand(self) -> Operand:
        token = self.token
        if token.is_op("("):
            self.advance()
            inner = self.operand()
            self.op(")")
            return replace(inner, parens=inner.parens + 1)
        if token.kind == "value_ref":
            return Value(self.advance().text)
        if (
            token.kind == "name"
            and not self.is_keyword(token)
            and self.tokens[self.pos + 1].is_op("(")
        ):
            return self.call()
        return self.path()

    def call(self) -> Call:
        name = self.advance().text
        self.op("(")
        args = [self.operand()]
        while self.accept_op(","):
            args.append(self.operand())
        self.op(")")
        return Call(name, tuple(args))

    def parenthesized(self, rule: Callable[[], _T], continues: Callable[[], bool]) -> _T | None:
        """``( rule )`` when it parses and what follows does not extend an operand instead."""
        save = self.pos
        try:
            self.advance()
            inner = rule()
            self.op(")")
            if not continues():
                # `rule` parses an ast node: a dataclass with `parens`, which _T cannot say.
                return replace(inner, parens=inner.parens + 1)  # type: ignore[type-var, attr-defined]
            # "(x) = :v" is an operand in parentheses: remember how far the other reading got.
            self.furthest = max(self.furthest, self.pos)
        except _Fail:
            pass
        self.pos = save
        return None

    # ---- conditions ----

    def condition(self) -> ConditionNode:
        node = self.conjunction()
        while self.accept_word("OR"):
            node = Or(node, self.conjunction())
        return node

    def conjunction(self) -> ConditionNode:
        node = self.negation()
        while self.accept_word("AND"):
            node = And(node, self.negation())
        return node

    def negation(self) -> ConditionNode:
        count = 0
        while self.accept_word("NOT"):
            count += 1
        node = self.primary()
        for _ in range(count):
            node = Not(node)
        return node

    def starts_comparison(self) -> bool:
        token = self.token
        return (
            (token.kind == "op" and token.text in COMPARATORS)
            or token.is_word("BETWEEN")
            or (token.is_word("IN"))
        )

    def primary(self) -> ConditionNode:
        if self.token.is_op("("):
            grouped = self.parenthesized(self.condition, self.starts_comparison)
            if grouped is not None:
                return grouped
        return self.comparison()

    def comparison(self) -> ConditionNode:
        left = self.operand()
        token = self.token
        if token.kind == "op" and token.text in COMPARATORS:
            self.advance()
            return Compare(token.text, left, self.operand())
        if self.accept_word("BETWEEN"):
            low = self.operand()
            if not self.accept_word("AND"):
                self.fail()
            return Between(left, low, self.operand())
        if self.accept_word("IN"):
            self.op("(")
            options = [self.operand()]
            while self.accept_op(","):
                options.append(self.operand())
            self.op(")")
            return In(left, tuple(options))
        if isinstance(left, Call) and left.parens == 0:
            return FunctionCondition(left)
        self.fail()

    # ---- update expressions ----

    def clauses(self) -> list[Clause]:
        found = [self.clause()]
        while self.token.kind != "eof":
            found.append(self.clause())
        return found

    def clause(self) -> Clause:
        word = next((w for w in UPDATE_KEYWORDS if self.token.is_word(w)), None)
        if word is None:
            self.fail()
        self.advance()
        rules: dict[str, Callable[[], UpdateAction]] = {
            "SET": self.set_action,
            "REMOVE": self.remove_action,
            "ADD": self.add_action,
            "DELETE": self.delete_action,
        }
        action = rules[word]
        actions: list[UpdateAction] = [action()]
        while self.accept_op(","):
            actions.append(action())
        return word, actions

    def set_action(self) -> SetAction:
        path = self.path()
        self.op("=")
        return SetAction(path, self.set_value())

    def set_value(self) -> SetValue:
        if self.token.is_op("("):
            grouped = self.parenthesized(
                self.arithmetic, lambda: self.token.is_op("+") or self.token.is_op("-")
            )
            if grouped is not None:
                return grouped
        return self.arithmetic()

    def arithmetic(self) -> SetValue:
        left = self.operand()
        if self.token.is_op("+") or self.token.is_op("-"):
            return Arithmetic(self.advance().text, left, self.operand())
        return left

    def remove_action(self) -> RemoveAction:
        return RemoveAction(self.path())

    def value_ref(self) -> Value:
        if self.token.kind != "value_ref":
            self.fail()
        return Value(self.advance().text)

    def add_action(self) -> AddAction:
        path = self.path()
        return AddAction(path, self.value_ref())

    def delete_action(self) -> DeleteAction:
        path = self.path()
        return DeleteAction(path, self.value_ref())

    # ---- projections ----

    def paths(self) -> list[Path]:
        found = [self.path()]
        while self.accept_op(","):
            found.append(self.path())
        return found


def parse_condition_tree(text: str, kind: str) -> ConditionNode:
    """The syntax tree of a condition-shaped expression (Condition, Filter, KeyCondition)."""
    if isinstance(text, str):
        return _remembered_condition_tree(text, kind)
    # A non-string from the request's JSON, despite the annotation: check_text refuses it.
    return _condition_tree(text, kind)  # type: ignore[unreachable]


def _condition_tree(text: str, kind: str) -> ConditionNode:
    check_text(text, kind)
    parser = _Parser(text, kind, CONDITION_KEYWORDS)
    return parser.run(parser.condition)


# Clients send the same few expression texts again and again, and a tree is immutable, so
# parsing a text once is enough (failures are not remembered: they raise every time).
_remembered_condition_tree = functools.lru_cache(maxsize=1024)(_condition_tree)


def parse_update_tree(text: str) -> list[Clause]:
    """The clauses of an UpdateExpression as written: ``[("SET", [...]), ("REMOVE", [...])]``."""
    check_text(text, "UpdateExpression")
    parser = _Parser(text, "UpdateExpression", frozenset(UPDATE_KEYWORDS))
    return parser.run(parser.clauses)


def parse_projection_tree(text: str) -> list[Path]:
    """The paths of a ProjectionExpression as written."""
    check_text(text, "ProjectionExpression")
    parser = _Parser(text, "ProjectionExpression", frozenset())
    return parser.run(parser.paths)
