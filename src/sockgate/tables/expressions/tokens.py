"""The lexer of DynamoDB's expression language, and its syntax-error message.

Lexical rules as DynamoDB applies them (Alternator's tests against AWS document them): a bare
name starts with an ASCII letter and continues with letters, digits and ``_``; ``#name`` and
``:value`` placeholders continue with letters, digits and ``_``; any other character is a
token of its own, which the parser then refuses ("token: "_", near: "SET _123"").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sockgate.tables.errors import ValidationException

__all__ = ["Token", "TokenKind", "syntax_error", "tokenize"]

TokenKind = Literal["name", "name_ref", "value_ref", "number", "op", "unknown", "eof"]

_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = frozenset("0123456789")
_WORD = _LETTERS | _DIGITS | {"_"}
_TWO_CHAR_OPS = ("<>", "<=", ">=")
_ONE_CHAR_OPS = frozenset("()[],.=<>+-")
_SPACE = frozenset(" \t\r\n")


@dataclass(frozen=True, slots=True)
class Token:
    """One lexeme: its kind, its text and where it sits in the expression."""

    kind: TokenKind
    text: str
    start: int
    end: int

    def is_op(self, text: str) -> bool:
        """Whether this is the punctuation/operator ``text``."""
        return self.kind == "op" and self.text == text

    def is_word(self, word: str) -> bool:
        """Whether this is the bare keyword ``word`` (keywords are case-insensitive)."""
        return self.kind == "name" and self.text.upper() == word


def _run(text: str, start: int, allowed: frozenset[str]) -> int:
    end = start
    while end < len(text) and text[end] in allowed:
        end += 1
    return end


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``eof`` token."""
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in _SPACE:
            i += 1
            continue
        kind: TokenKind
        if char in _LETTERS:
            kind, end = "name", _run(text, i + 1, _WORD)
        elif char in "#:" and i + 1 < len(text) and text[i + 1] in _WORD:
            kind, end = ("name_ref" if char == "#" else "value_ref"), _run(text, i + 1, _WORD)
        elif char in _DIGITS:
            kind, end = "number", _run(text, i + 1, _DIGITS)
        elif text.startswith(_TWO_CHAR_OPS, i):
            kind, end = "op", i + 2
        elif char in _ONE_CHAR_OPS:
            kind, end = "op", i + 1
        else:
            kind, end = "unknown", i + 1
        tokens.append(Token(kind, text[i:end], i, end))
        i = end
    tokens.append(Token("eof", "<EOF>", len(text), len(text)))
    return tokens


def syntax_error(kind: str, text: str, tokens: list[Token], index: int) -> ValidationException:
    """DynamoDB's syntax error at ``tokens[index]``.

    "near" is the source from the previous token through the next one, as written (AWS:
    ``a-b`` → token "-", near "a-b"; ``INVALID SYNTAX HERE`` → near "INVALID SYNTAX"). At the
    end of input it is the previous token and whatever follows it.
    """
    token = tokens[index]
    start = tokens[index - 1].start if index > 0 else token.start
    if token.kind == "eof":
        near = text[start:]
    else:
        following = tokens[index + 1]
        near = text[start : token.end if following.kind == "eof" else following.end]
    return ValidationException(
        f'Invalid {kind}: Syntax error; token: "{token.text}", near: "{near}"'
    )
