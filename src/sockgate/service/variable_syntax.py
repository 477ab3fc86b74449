"""The Serverless Framework v3 variable syntax: `${source:address, fallback, ...}`, parsed.

Hand-written because no Python library speaks this syntax; it follows the Framework's own
parser (SLS `lib/configuration/variables/parse.js`):

- a variable starts with `${` followed by a lower-case source type and `:` or `(`
  (`${self:a.b}`, `${file(./x.yml):key}`, `${opt:}`); anything else after `${` is not a
  variable and stays as written, which is what lets CloudFormation's `${AWS::Region}`,
  `${MyTable}` and `${!Literal}` in `Fn::Sub` strings through untouched;
- fallbacks follow commas: another source (`self:provider.stage`, no `${}` needed), a quoted
  string (`'dev'`, `"dev"`), a number, `true`, `false` or `null`; as an extension the older
  nested form `${opt:stage, ${self:provider.stage}}` is read too;
- addresses and parameters may contain variables: `${file(./config.${sls:stage}.json):CREDS}`;
- a backslash keeps the next character from starting a variable (`\\${opt:x}` stays as is).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Union

__all__ = [
    "Literal",
    "Source",
    "Template",
    "Variable",
    "VariableSyntaxError",
    "has_variables",
    "parse",
]

_TYPE = re.compile(r"[a-z][a-zA-Z0-9]*")
_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_WORD_END = set(":(,} ")


class VariableSyntaxError(ValueError):
    """A malformed `${...}`; the message says what is wrong in one sentence."""


@dataclass(frozen=True)
class Literal:
    """A fixed value: a quoted string, a number, true, false or null."""

    value: Any


@dataclass(frozen=True)
class Template:
    """Text with variables in it (an address or a parameter); parts are str or Variable."""

    parts: tuple[str | Variable, ...]


@dataclass(frozen=True)
class Source:
    """One source of a variable: `type(params):address`."""

    type: str
    address: Template | Literal | None
    params: tuple[Template | Literal, ...] | None  # None: written without parentheses


Fallback = Union[Source, Literal, "Variable"]


@dataclass(frozen=True)
class Variable:
    """`${first, fallback, ...}` as written (`text`) and its sources in order."""

    text: str
    sources: tuple[Fallback, ...]


@lru_cache(maxsize=4096)
def parse(text: str) -> tuple[str | Variable, ...]:
    """Split a string into literal text and variables, in order."""
    parts, end = _Parser(text).template(0, stop="")
    assert end == len(text)
    return parts


def has_variables(text: str) -> bool:
    """Whether a string holds at least one variable."""
    return "${" in text and any(isinstance(part, Variable) for part in parse(text))


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text

    def template(self, index: int, *, stop: str) -> tuple[tuple[str | Variable, ...], int]:
        """Parse text and variables until a character of `stop` (outside any variable)."""
        text = self.text
        parts: list[str | Variable] = []
        literal: list[str] = []
        while index < len(text):
            char = text[index]
            if char in stop:
                break
            if char == "\\" and index + 1 < len(text):
                literal.append(text[index : index + 2])
                index += 2
                continue
            if text.startswith("${", index) and self._starts_variable(index + 2):
                if literal:
                    parts.append("".join(literal))
                    literal = []
                variable, index = self.variable(index)
                parts.append(variable)
                continue
            literal.append(char)
            index += 1
        if literal:
            parts.append("".join(literal))
        return tuple(parts), index

    def _starts_variable(self, index: int) -> bool:
        match = _TYPE.match(self.text, index)
        if not match:
            return False
        after = self.text[match.end() : match.end() + 2]
        # `${aws::x}` is not a variable (the Framework treats it as foreign text)
        return after[:1] == "(" or (after[:1] == ":" and after != "::")

    def variable(self, start: int) -> tuple[Variable, int]:
        """Parse `${...}` starting at `start`; returns the variable and the index after `}`."""
        index = start + 2
        sources: list[Fallback] = []
        while True:
            index = self._skip_spaces(index)
            source, index = self.source(index)
            sources.append(source)
            index = self._skip_spaces(index)
            if index >= len(self.text):
                raise VariableSyntaxError(
                    f"the variable starting {self.text[start : start + 30]!r} has no closing '}}'"
                )
            if self.text[index] == "}":
                return Variable(self.text[start : index + 1], tuple(sources)), index + 1
            if self.text[index] != ",":
                raise VariableSyntaxError(
                    f"unexpected {self.text[index]!r} at position {index} in {self.text!r}"
                )
            index += 1

    def source(self, index: int) -> tuple[Fallback, int]:
        text = self.text
        if index >= len(text):
            raise VariableSyntaxError(f"a variable in {text!r} has no closing '}}'")
        if text[index] in "'\"":
            return self.quoted(index)
        if text.startswith("${", index):
            return self.variable(index)
        end = index
        while end < len(text) and text[end] not in _WORD_END:
            end += 1
        word = text[index:end]
        if end < len(text) and text[end] in ":(":
            if not _TYPE.fullmatch(word):
                raise VariableSyntaxError(f"{word!r} is not a variable source in {text!r}")
            return self._typed_source(word, end)
        if not word:
            raise VariableSyntaxError(f"a variable in {text!r} has an empty source")
        return Literal(_literal(word, text)), end

    def _typed_source(self, kind: str, index: int) -> tuple[Source, int]:
        params: tuple[Template | Literal, ...] | None = None
        if self.text[index] == "(":
            params, index = self.params(index + 1)
        address: Template | Literal | None = None
        if index < len(self.text) and self.text[index] == ":":
            address, index = self.address(index + 1)
        return Source(kind, address, params), index

    def params(self, index: int) -> tuple[tuple[Template | Literal, ...], int]:
        """Parse `a, 'b', ${c}` up to and including `)`."""
        params: list[Template | Literal] = []
        while True:
            index = self._skip_spaces(index)
            if index >= len(self.text):
                raise VariableSyntaxError(f"a '(' in {self.text!r} has no closing ')'")
            if self.text[index] == ")" and not params:
                return (), index + 1
            if self.text[index] in "'\"":
                param, index = self.quoted(index)
                params.append(param)
            else:
                parts, index = self.template(index, stop=",)}")
                params.append(_template_or_literal(parts, self.text))
            index = self._skip_spaces(index)
            if index < len(self.text) and self.text[index] == ")":
                return tuple(params), index + 1
            if index >= len(self.text) or self.text[index] != ",":
                raise VariableSyntaxError(f"a '(' in {self.text!r} has no closing ')'")
            index += 1

    def address(self, index: int) -> tuple[Template | Literal | None, int]:
        index = self._skip_spaces(index)
        if index < len(self.text) and self.text[index] in "'\"":
            return self.quoted(index)
        parts, index = self.template(index, stop=",}")
        parts = _strip(parts)
        return (Template(parts) if parts else None), index

    def quoted(self, index: int) -> tuple[Literal, int]:
        quote = self.text[index]
        end = index + 1
        while end < len(self.text) and self.text[end] != quote:
            end += 2 if quote == '"' and self.text[end] == "\\" else 1
        if end >= len(self.text):
            raise VariableSyntaxError(f"a quoted string in {self.text!r} is not closed")
        raw = self.text[index : end + 1]
        if quote == "'":
            return Literal(raw[1:-1]), end + 1
        try:
            return Literal(json.loads(raw)), end + 1
        except ValueError as error:
            raise VariableSyntaxError(f"invalid string {raw} in {self.text!r}: {error}") from None

    def _skip_spaces(self, index: int) -> int:
        while index < len(self.text) and self.text[index] == " ":
            index += 1
        return index


def _literal(word: str, text: str) -> Any:
    if word in ("true", "false"):
        return word == "true"
    if word == "null":
        return None
    if not _NUMBER.fullmatch(word):
        raise VariableSyntaxError(
            f"the fallback {word!r} in {text!r} is not a source, a number, true, false or "
            f"null; quote it if it is text: '{word}'"
        )
    number = float(word)
    return int(number) if number.is_integer() and "." not in word else number


def _template_or_literal(parts: tuple[str | Variable, ...], text: str) -> Template | Literal:
    parts = _strip(parts)
    if any(isinstance(part, Variable) for part in parts):
        return Template(parts)
    raw = "".join(parts)  # type: ignore[arg-type]
    # an unquoted parameter is a number/true/false/null when it reads as one, else text
    try:
        return Literal(_literal(raw, text))
    except VariableSyntaxError:
        return Literal(raw)


def _strip(parts: tuple[str | Variable, ...]) -> tuple[str | Variable, ...]:
    items = list(parts)
    if items and isinstance(items[0], str):
        items[0] = items[0].lstrip()
    if items and isinstance(items[-1], str):
        items[-1] = items[-1].rstrip()
    return tuple(item for item in items if item != "")
