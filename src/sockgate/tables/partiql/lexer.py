"""Tokens of DynamoDB's PartiQL statements (pure).

Identifiers are bare (``pk``) or double-quoted (``"my-table"``, case kept), strings are
single-quoted with ``''`` for a quote, numbers are decimal with an optional exponent, ``?`` is a
parameter, and ``<<`` / ``>>`` enclose a set. Keywords are identifiers the parser recognises,
case-insensitively.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sockgate.tables.errors import ValidationException

__all__ = [
    "IDENT",
    "NUMBER",
    "PARAM",
    "PUNCT",
    "QUOTED",
    "STRING",
    "Token",
    "tokenize",
    "malformed",
]

IDENT, QUOTED, STRING, NUMBER, PARAM, PUNCT, END = (
    "ident", "quoted", "string", "number", "param", "punct", "end",
)  # fmt: skip

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<quoted>"(?:[^"]|"")*")
  | (?P<string>'(?:[^']|'')*')
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<param>\?)
  | (?P<punct><<|>>|<=|>=|<>|!=|[-+*/%=<>(),.\[\]{}:;])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, its text (unquoted for strings and quoted identifiers), where."""

    kind: str
    text: str
    at: int

    def keyword(self, *words: str) -> bool:
        """Whether this is a bare identifier spelling one of the words (any case)."""
        return self.kind == IDENT and self.text.upper() in words


def malformed(detail: str) -> ValidationException:
    """DynamoDB's error for a statement it cannot parse."""
    return ValidationException(f"Statement wasn't well formed, can't be processed: {detail}")


def tokenize(statement: str) -> list[Token]:
    """The statement's tokens, ending with an END token."""
    tokens: list[Token] = []
    at = 0
    while at < len(statement):
        match = _TOKEN.match(statement, at)
        if match is None:
            raise malformed(f"Unexpected character '{statement[at]}'")
        kind = match.lastgroup or ""
        text = match.group()
        if kind == "quoted":
            tokens.append(Token(QUOTED, text[1:-1].replace('""', '"'), at))
        elif kind == "string":
            tokens.append(Token(STRING, text[1:-1].replace("''", "'"), at))
        elif kind != "space":
            tokens.append(Token(kind, text, at))
        at = match.end()
    tokens.append(Token(END, "", at))
    return tokens
