"""DynamoDB's PartiQL subset, parsed into statements (pure).

    SELECT * | path, ... FROM "table"[."index"] [WHERE condition]
    INSERT INTO "table" VALUE {'name': value, ...}
    UPDATE "table" SET path = operand, ... | REMOVE path, ... [WHERE condition]
        [RETURNING ALL|MODIFIED NEW|OLD *]
    DELETE FROM "table" WHERE condition [RETURNING ALL OLD *]
    EXISTS(SELECT * FROM "table" WHERE condition)      (ExecuteTransaction only)

Values are literals ('text', 12.5, TRUE, NULL, [list], {'map': ...}, <<set>>) or ``?``
parameters, replaced here by the request's Parameters in order. Conditions are comparisons,
BETWEEN, IN, IS [NOT] MISSING/NULL, begins_with/contains/attribute_type, AND, OR, NOT.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sockgate.tables.errors import ValidationException
from sockgate.tables.partiql.lexer import (
    END,
    IDENT,
    NUMBER,
    PARAM,
    PUNCT,
    QUOTED,
    STRING,
    Token,
    malformed,
    tokenize,
)

__all__ = [
    "And", "Arith", "Between", "Call", "Compare", "Delete", "Exists", "In", "Insert", "Is", "Not",
    "Or", "Path", "Select", "Statement", "Update", "Value", "parse",
]  # fmt: skip

AttributeValue = dict[str, Any]
PARAMETER_COUNT = "Number of parameters in request and statement don't match."


@dataclass(frozen=True)
class Path:
    """An attribute path: names and list indexes."""

    parts: tuple[str | int, ...]


@dataclass(frozen=True)
class Value:
    """A literal or a parameter, as an AttributeValue."""

    value: AttributeValue


@dataclass(frozen=True)
class Call:
    """A function applied to operands (size, list_append, set_add, begins_with, ...)."""

    name: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Arith:
    """operand + operand, operand - operand (in SET)."""

    op: str
    left: Any
    right: Any


@dataclass(frozen=True)
class Compare:
    op: str
    left: Any
    right: Any


@dataclass(frozen=True)
class Between:
    operand: Any
    low: Any
    high: Any


@dataclass(frozen=True)
class In:
    operand: Any
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Is:
    """operand IS [NOT] MISSING | NULL."""

    operand: Any
    what: str
    negated: bool


@dataclass(frozen=True)
class And:
    items: tuple[Any, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Any, ...]


@dataclass(frozen=True)
class Not:
    item: Any


@dataclass
class Select:
    table: str
    index: str | None
    projection: list[Path] | None  # None: *
    where: Any = None


@dataclass
class Insert:
    table: str
    item: dict[str, AttributeValue]


@dataclass
class Update:
    table: str
    sets: list[tuple[Path, Any]] = field(default_factory=list)
    removes: list[Path] = field(default_factory=list)
    where: Any = None
    returning: str | None = None  # ALL_NEW, ALL_OLD, UPDATED_NEW, UPDATED_OLD


@dataclass
class Delete:
    table: str
    where: Any = None
    returning: str | None = None


@dataclass
class Exists:
    select: Select


Statement = Select | Insert | Update | Delete | Exists
_COMPARISONS = ("=", "<>", "!=", "<", "<=", ">", ">=")


def parse(statement: str, parameters: list[AttributeValue] | None) -> Statement:
    """The statement, its ``?`` replaced by parameters; ValidationException if malformed."""
    tokens = tokenize(statement)
    given = parameters or []
    if sum(1 for t in tokens if t.kind == PARAM) != len(given):
        raise ValidationException(PARAMETER_COUNT)
    return _Parser(tokens, given).statement()


class _Parser:
    def __init__(self, tokens: list[Token], parameters: list[AttributeValue]) -> None:
        self.tokens = tokens
        self.at = 0
        self.parameters = iter(parameters)

    # --- tokens ----------------------------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def take(self) -> Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def punct(self, text: str) -> bool:
        if self.token.kind == PUNCT and self.token.text == text:
            self.at += 1
            return True
        return False

    def keyword(self, *words: str) -> str | None:
        if self.token.keyword(*words):
            return self.take().text.upper()
        return None

    def expect_punct(self, text: str) -> None:
        if not self.punct(text):
            raise self.unexpected(f"'{text}'")

    def expect_keyword(self, word: str) -> None:
        if not self.keyword(word):
            raise self.unexpected(word)

    def unexpected(self, wanted: str) -> ValidationException:
        token = self.token
        if token.kind == END:
            return malformed(f"Expected {wanted} at end of statement")
        return malformed(f"Expected {wanted} at position {token.at + 1}, found '{token.text}'")

    def name(self) -> str:
        token = self.token
        if token.kind in (IDENT, QUOTED):
            self.at += 1
            return token.text
        raise self.unexpected("identifier")

    # --- statements ------------------------------------------------------------------------

    def statement(self) -> Statement:
        word = self.keyword("SELECT", "INSERT", "UPDATE", "DELETE", "EXISTS")
        parsed: Statement
        if word == "SELECT":
            parsed = self.select()
        elif word == "INSERT":
            parsed = self.insert()
        elif word == "UPDATE":
            parsed = self.update()
        elif word == "DELETE":
            parsed = self.delete()
        elif word == "EXISTS":
            self.expect_punct("(")
            self.expect_keyword("SELECT")
            parsed = Exists(self.select())
            self.expect_punct(")")
        else:
            raise malformed("Expected data manipulation")
        self.punct(";")
        if self.token.kind != END:
            raise ValidationException("Only one operation is allowed in a statement.")
        return parsed

    def select(self) -> Select:
        projection: list[Path] | None = []
        if self.punct("*"):
            projection = None
        else:
            assert projection is not None
            projection.append(self.path())
            while self.punct(","):
                projection.append(self.path())
        if projection is None and self.token.kind == PUNCT and self.token.text == ",":
            raise ValidationException(
                "Other attributes should not be present in the projection when '*' is used."
            )
        self.expect_keyword("FROM")
        table = self.name()
        index = None
        if self.punct("."):
            index = self.name()
            if self.token.kind == PUNCT and self.token.text == ".":
                raise ValidationException(
                    "A path may contain at most 2 components in the FROM clause"
                )
        where = self.condition() if self.keyword("WHERE") else None
        return Select(table, index, projection, where)

    def insert(self) -> Insert:
        self.expect_keyword("INTO")
        table = self.name()
        if self.keyword("VALUES"):
            raise ValidationException(
                "Unsupported operation: Inserting multiple items in a single statement is not "
                'supported, use "INSERT INTO tableName VALUE item" instead'
            )
        self.expect_keyword("VALUE")
        if not (self.token.kind == PUNCT and self.token.text == "{"):
            raise ValidationException(
                "Unsupported format in item expression. Please use struct format {...} to "
                "express item values for insert statement."
            )
        item = self.value()["M"]
        if self.keyword("RETURNING"):
            raise ValidationException("RETURNING is not supported in INSERT")
        return Insert(table, item)

    def update(self) -> Update:
        parsed = Update(self.name())
        while True:
            if self.keyword("SET"):
                parsed.sets.append(self.assignment())
                while self.punct(","):
                    parsed.sets.append(self.assignment())
            elif self.keyword("REMOVE"):
                parsed.removes.append(self.path())
                while self.punct(","):
                    parsed.removes.append(self.path())
            else:
                break
        if not parsed.sets and not parsed.removes:
            raise self.unexpected("SET or REMOVE")
        if self.keyword("WHERE"):
            parsed.where = self.condition()
        parsed.returning = self.returning()
        return parsed

    def delete(self) -> Delete:
        self.expect_keyword("FROM")
        parsed = Delete(self.name())
        if self.keyword("WHERE"):
            parsed.where = self.condition()
        parsed.returning = self.returning()
        if parsed.returning not in (None, "ALL_OLD"):
            shown = parsed.returning.replace("UPDATED", "MODIFIED").replace("_", " ")
            raise ValidationException(
                f"Invalid returning clause: RETURNING {shown} *. Only RETURNING ALL OLD * is "
                "allowed in DELETE statements."
            )
        return parsed

    def returning(self) -> str | None:
        if not self.keyword("RETURNING"):
            return None
        scope = self.keyword("ALL", "MODIFIED")
        age = self.keyword("NEW", "OLD")
        if scope is None or age is None or not self.punct("*"):
            raise ValidationException(
                "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause"
            )
        return f"{'ALL' if scope == 'ALL' else 'UPDATED'}_{age}"

    def assignment(self) -> tuple[Path, Any]:
        target = self.path()
        self.expect_punct("=")
        return target, self.operand()

    # --- paths, operands, values -----------------------------------------------------------

    def path(self) -> Path:
        parts: list[str | int] = [self.name()]
        while True:
            if self.punct("."):
                parts.append(self.name())
            elif self.punct("["):
                token = self.take()
                if token.kind != NUMBER or not token.text.isdigit():
                    raise malformed("Expected a list index")
                parts.append(int(token.text))
                self.expect_punct("]")
            else:
                return Path(tuple(parts))

    def operand(self) -> Any:
        left = self.term()
        while self.token.kind == PUNCT and self.token.text in ("+", "-"):
            op = self.take().text
            left = Arith(op, left, self.term())
        return left

    def term(self) -> Any:
        token = self.token
        if token.kind in (IDENT, QUOTED):
            if token.kind == IDENT and self.tokens[self.at + 1].text == "(":
                name = self.take().text.lower()
                self.expect_punct("(")
                args = [self.operand()]
                while self.punct(","):
                    args.append(self.operand())
                self.expect_punct(")")
                return Call(name, tuple(args))
            if token.keyword("TRUE", "FALSE", "NULL", "MISSING"):
                return Value(self.value())
            return self.path()
        if self.punct("("):
            inner = self.operand()
            self.expect_punct(")")
            return inner
        return Value(self.value())

    def value(self) -> AttributeValue:
        token = self.take()
        if token.kind == STRING:
            return {"S": token.text}
        if token.kind == NUMBER:
            return {"N": token.text}
        if token.kind == PARAM:
            return next(self.parameters)
        if token.kind == PUNCT and token.text == "-" and self.token.kind == NUMBER:
            return {"N": "-" + self.take().text}
        if token.keyword("TRUE", "FALSE"):
            return {"BOOL": token.text.upper() == "TRUE"}
        if token.keyword("NULL"):
            return {"NULL": True}
        if token.keyword("MISSING"):
            raise ValidationException("MISSING must be compared using IS operator")
        if token.kind == PUNCT and token.text == "[":
            return {"L": self.values("]")}
        if token.kind == PUNCT and token.text == "<<":
            return _set(self.values(">>"))
        if token.kind == PUNCT and token.text == "{":
            return {"M": self.struct()}
        self.at -= 1
        raise self.unexpected("a value")

    def values(self, close: str) -> list[AttributeValue]:
        found: list[AttributeValue] = []
        if self.punct(close):
            return found
        found.append(self.value())
        while self.punct(","):
            found.append(self.value())
        self.expect_punct(close)
        return found

    def struct(self) -> dict[str, AttributeValue]:
        found: dict[str, AttributeValue] = {}
        if self.punct("}"):
            return found
        while True:
            key = self.take()
            if key.kind not in (STRING, QUOTED):
                self.at -= 1
                raise self.unexpected("a string key")
            self.expect_punct(":")
            if key.text in found:
                raise ValidationException(f"Duplicate keys in tuple. Key: {key.text} under item")
            found[key.text] = self.value()
            if self.punct("}"):
                return found
            self.expect_punct(",")

    # --- conditions ------------------------------------------------------------------------

    def condition(self) -> Any:
        items = [self.conjunction()]
        while self.keyword("OR"):
            items.append(self.conjunction())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def conjunction(self) -> Any:
        items = [self.negation()]
        while self.keyword("AND"):
            items.append(self.negation())
        return items[0] if len(items) == 1 else And(tuple(items))

    def negation(self) -> Any:
        if self.keyword("NOT"):
            return Not(self.negation())
        return self.predicate()

    def predicate(self) -> Any:
        if self.token.kind == PUNCT and self.token.text == "(":
            self.at += 1
            inner = self.condition()
            self.expect_punct(")")
            return inner
        left = self.operand()
        token = self.token
        if token.kind == PUNCT and token.text in _COMPARISONS:
            op = self.take().text
            return Compare("<>" if op == "!=" else op, left, self.operand())
        if self.keyword("BETWEEN"):
            low = self.operand()
            self.expect_keyword("AND")
            return Between(left, low, self.operand())
        if self.keyword("IN"):
            if self.punct("["):
                values = self.values("]")
            else:
                self.expect_punct("(")
                values = self.values(")")
            if not values:
                raise ValidationException(
                    "IN operator must have a left hand argument of type Variable Reference and "
                    "right hand argument of type Seq with at least one member"
                )
            return In(left, tuple(Value(v) for v in values))
        if self.keyword("IS"):
            negated = self.keyword("NOT") is not None
            what = self.keyword("MISSING", "NULL")
            if what is None:
                raise self.unexpected("MISSING or NULL")
            return Is(left, what, negated)
        if isinstance(left, Call):
            return left
        raise ValidationException(
            "WHERE clause must contain an expression that resolves to a boolean"
        )


def _set(members: list[AttributeValue]) -> AttributeValue:
    if not members:
        raise ValidationException("Empty bags are not supported")
    kinds = {next(iter(m)) for m in members}
    if kinds == {"S"}:
        return {"SS": [m["S"] for m in members]}
    if kinds == {"N"}:
        return {"NS": [m["N"] for m in members]}
    if kinds == {"B"}:
        return {"BS": [m["B"] for m in members]}
    raise ValidationException(
        "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags"
    )
