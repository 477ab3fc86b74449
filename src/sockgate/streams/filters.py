"""Lambda event filtering: EventBridge pattern syntax matched against a stream record (pure).

A mapping has up to a handful of patterns; a record is delivered when ANY pattern matches.
Inside one pattern every listed field must match (AND); a field's list of values matches when
ANY of them matches (OR). Leaves are lists; nested objects follow the record's structure.

Operators: exact values (string, number, bool, null, ""), `prefix`, `suffix`, `anything-but`
(value, list, or {prefix|suffix|equals-ignore-case|wildcard}), `numeric` (=, <, <=, >, >=,
ranges), `exists`, `equals-ignore-case`, `wildcard`, `cidr`, and `$or` between sub-patterns.

Choices where AWS's documentation is not explicit (UNCONFIRMED):
- `numeric` also matches numeric strings, because DynamoDB carries numbers as `{"N": "42"}`
  strings and published serverless.yml examples filter them with `numeric`.
- Exact numbers compare by their JSON text, as the spec notes (300 does not match 300.0).
- A value that is an array in the record matches when any element matches; an empty array
  counts as absent.
- `anything-but` never matches an absent field (EventBridge only tests fields that exist).
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sockgate.errors import ConfigError

__all__ = ["MAX_PATTERN_DEPTH", "MAX_PATTERN_LENGTH", "RecordFilter", "compile_filters"]

_MISSING = object()
# Lambda takes each filter as a Filter.Pattern string of at most 4096 characters (Lambda API
# reference, Filter); serverless.yml patterns are sent as their compact JSON text.
MAX_PATTERN_LENGTH = 4096
# 4096 characters still nest ~800 levels, past what a recursive compiler (and CPython's
# json, which raises RecursionError near 1000) can take. A DynamoDB stream record nests
# about 70 levels at most (dynamodb.NewImage, then two JSON levels per item level, 32 item
# levels at most), so a pattern nested deeper than this can never match and is refused.
MAX_PATTERN_DEPTH = 100
_NUMBER_TEXT = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_NUMERIC_OPS = {"=", "<", "<=", ">", ">="}

# A compiled leaf matcher: (present, value) -> bool; value is one scalar (arrays are spread).
Leaf = Callable[[Any], bool]


class RecordFilter:
    """A compiled set of patterns; `matches(record)` is True when any pattern matches."""

    def __init__(self, patterns: Sequence[_Node]) -> None:
        self._patterns = tuple(patterns)

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def matches(self, record: Mapping[str, Any]) -> bool:
        """Whether the record is delivered: no patterns at all, or at least one that matches."""
        if not self._patterns:
            return True
        return any(pattern.match(record) for pattern in self._patterns)


def compile_filters(patterns: Sequence[Any], *, path: str = "filterPatterns") -> RecordFilter:
    """Validate and compile serverless.yml `filterPatterns`; a bad pattern is a ConfigError."""
    compiled: list[_Node] = []
    for index, pattern in enumerate(patterns):
        where = f"{path}[{index}]"
        if isinstance(pattern, Mapping) and set(pattern) == {"Pattern"}:
            pattern = pattern["Pattern"]  # the Lambda API form: {"Pattern": "<JSON text>"}
        if isinstance(pattern, str):
            _check_length(len(pattern), where)
            try:
                pattern = json.loads(pattern)
            except RecursionError:
                raise _too_deep(where) from None
            except ValueError as exc:
                raise _error(where, f"is not valid JSON ({exc})") from exc
            _check_depth(pattern, where)
        else:
            _check_depth(pattern, where)  # before json.dumps, which recurses too
            text = json.dumps(pattern, separators=(",", ":"), ensure_ascii=False, default=str)
            _check_length(len(text), where)
        if not isinstance(pattern, Mapping) or not pattern:
            raise _error(where, "must be a non-empty object such as {eventName: [INSERT]}")
        compiled.append(_compile_object(pattern, where))
    return RecordFilter(compiled)


def _check_depth(value: Any, where: str) -> None:
    """Refuse objects and lists nested past MAX_PATTERN_DEPTH (iterative: any depth is safe)."""
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, Mapping):
            children: Any = current.values()
        elif isinstance(current, list | tuple):
            children = current
        else:
            continue
        if depth > MAX_PATTERN_DEPTH:
            raise _too_deep(where)
        stack.extend((child, depth + 1) for child in children)


def _check_length(length: int, where: str) -> None:
    if length > MAX_PATTERN_LENGTH:
        raise _error(
            where,
            f"is {length} characters of JSON; Lambda accepts at most {MAX_PATTERN_LENGTH} "
            "per pattern, so split it into several patterns",
        )


def _too_deep(where: str) -> ConfigError:
    return _error(
        where,
        f"nests objects and lists more than {MAX_PATTERN_DEPTH} levels deep; a DynamoDB "
        "stream record is never that deep, so the pattern could not match: flatten it",
    )


class _Node:
    """An object pattern: every key must match (AND); `$or` holds alternative sub-patterns."""

    def __init__(
        self,
        fields: dict[str, _Node | _LeafList],
        alternatives: tuple[tuple[_Node, ...], ...],
    ) -> None:
        self.fields = fields
        self.alternatives = alternatives

    def match(self, value: Any) -> bool:
        """Match against a record object, or `_MISSING` when the object is absent."""
        for key, sub in self.fields.items():
            child = value.get(key, _MISSING) if isinstance(value, Mapping) else _MISSING
            if not sub.match(child):
                return False
        return all(any(alt.match(value) for alt in group) for group in self.alternatives)


class _LeafList:
    """A leaf: a list of matchers, any of which may match the field's value."""

    def __init__(self, matchers: tuple[Leaf, ...], absent_ok: bool, present_ok: bool) -> None:
        self.matchers = matchers
        self.absent_ok = absent_ok  # contains {"exists": false}
        self.present_ok = present_ok  # contains {"exists": true}

    def match(self, value: Any) -> bool:
        values = value if isinstance(value, list) else [value]
        values = [v for v in values if v is not _MISSING]
        if not values:
            return self.absent_ok
        if self.present_ok:
            return True
        return any(m(v) for v in values for m in self.matchers)


def _compile_object(pattern: Mapping[str, Any], where: str) -> _Node:
    fields: dict[str, _Node | _LeafList] = {}
    alternatives: list[tuple[_Node, ...]] = []
    for key, sub in pattern.items():
        path = f"{where}.{key}"
        if key == "$or":
            if not isinstance(sub, list) or len(sub) < 2:
                raise _error(path, "must list at least two alternative patterns")
            alts = []
            for i, alt in enumerate(sub):
                if not isinstance(alt, Mapping) or not alt:
                    raise _error(f"{path}[{i}]", "must be a non-empty object")
                alts.append(_compile_object(alt, f"{path}[{i}]"))
            alternatives.append(tuple(alts))
        elif isinstance(sub, Mapping):
            if not sub:
                raise _error(path, "must not be an empty object")
            fields[key] = _compile_object(sub, path)
        elif isinstance(sub, list):
            fields[key] = _compile_leaf(sub, path)
        else:
            raise _error(
                path, f"must be a list of values (write [{json.dumps(sub)}]), not a bare value"
            )
    return _Node(fields, tuple(alternatives))


def _compile_leaf(values: list[Any], where: str) -> _LeafList:
    if not values:
        raise _error(where, "must not be an empty list")
    matchers: list[Leaf] = []
    absent_ok = present_ok = False
    for index, value in enumerate(values):
        path = f"{where}[{index}]"
        if isinstance(value, Mapping):
            if set(value) == {"exists"}:
                if not isinstance(value["exists"], bool):
                    raise _error(path, "exists takes true or false")
                absent_ok |= not value["exists"]
                present_ok |= value["exists"]
                continue
            matchers.append(_compile_operator(value, path))
        elif isinstance(value, list):
            raise _error(path, "must be a value or an operator object, not a nested list")
        else:
            matchers.append(_exact(value))
    return _LeafList(tuple(matchers), absent_ok, present_ok)


def _compile_operator(spec: Mapping[str, Any], where: str) -> Leaf:
    if len(spec) != 1:
        raise _error(where, f"must hold exactly one operator, found {sorted(spec)}")
    ((op, arg),) = spec.items()
    if op == "prefix":
        return _string_op(arg, where, "prefix", lambda s, a: s.startswith(a))
    if op == "suffix":
        return _string_op(arg, where, "suffix", lambda s, a: s.endswith(a))
    if op == "equals-ignore-case":
        text = _require_str(arg, where, op).casefold()
        return lambda v: isinstance(v, str) and v.casefold() == text
    if op == "wildcard":
        regex = _wildcard_regex(_require_str(arg, where, op), where)
        return lambda v: isinstance(v, str) and regex.fullmatch(v) is not None
    if op == "anything-but":
        return _anything_but(arg, where)
    if op == "numeric":
        return _numeric(arg, where)
    if op == "cidr":
        try:
            network = ipaddress.ip_network(_require_str(arg, where, op), strict=False)
        except ValueError as exc:
            raise _error(where, f"cidr {arg!r} is not a network ({exc})") from exc
        return lambda v: _in_network(v, network)
    raise _error(
        where,
        f"uses unknown operator {op!r}; use prefix, suffix, anything-but, numeric, exists, "
        "equals-ignore-case, wildcard or cidr",
    )


def _exact(expected: Any) -> Leaf:
    if isinstance(expected, bool) or expected is None:
        return lambda v: v is expected
    if isinstance(expected, int | float):
        text = json.dumps(expected)
        return lambda v: (
            isinstance(v, int | float) and not isinstance(v, bool) and (json.dumps(v) == text)
        )
    if isinstance(expected, str):
        return lambda v: isinstance(v, str) and v == expected
    raise TypeError(f"unsupported pattern value {expected!r}")


def _string_op(arg: Any, where: str, op: str, test: Callable[[str, str], bool]) -> Leaf:
    if isinstance(arg, Mapping) and set(arg) == {"equals-ignore-case"}:
        text = _require_str(arg["equals-ignore-case"], where, op).casefold()
        return lambda v: isinstance(v, str) and test(v.casefold(), text)
    text = _require_str(arg, where, op)
    return lambda v: isinstance(v, str) and test(v, text)


def _anything_but(arg: Any, where: str) -> Leaf:
    if isinstance(arg, Mapping):
        if not arg or set(arg) - {"prefix", "suffix", "equals-ignore-case", "wildcard"}:
            raise _error(
                where, "anything-but takes values, prefix, suffix, equals-ignore-case or wildcard"
            )
        ((op, operand),) = arg.items()
        if isinstance(operand, list):  # {"anything-but": {"prefix": ["a", "b"]}}
            if not operand:
                raise _error(where, f"anything-but {op} must not be an empty list")
            inners = [_compile_operator({op: item}, where) for item in operand]
        else:
            inners = [_compile_operator(arg, where)]
        return lambda v: isinstance(v, str) and not any(inner(v) for inner in inners)
    values = arg if isinstance(arg, list) else [arg]
    if not values or any(isinstance(v, Mapping | list) for v in values):
        raise _error(where, "anything-but takes a value, a list of values, or one operator")
    excluded = tuple(_exact(v) for v in values)
    return lambda v: not any(m(v) for m in excluded)


def _numeric(arg: Any, where: str) -> Leaf:
    if not isinstance(arg, list) or not arg or len(arg) % 2:
        raise _error(where, 'numeric takes operator/number pairs, e.g. [">", 0, "<=", 5]')
    checks: list[tuple[str, float]] = []
    for op, bound in zip(arg[0::2], arg[1::2], strict=True):
        if op not in _NUMERIC_OPS:
            raise _error(where, f"numeric operator {op!r} is not one of =, <, <=, >, >=")
        if isinstance(bound, bool) or not isinstance(bound, int | float):
            raise _error(where, f"numeric bound {bound!r} must be a number")
        checks.append((op, float(bound)))
    if any(op == "=" for op, _ in checks) and len(checks) > 1:
        raise _error(where, 'numeric "=" cannot be combined with a range')

    def match(value: Any) -> bool:
        number = _as_number(value)
        return number is not None and all(_compare(number, op, b) for op, b in checks)

    return match


def _compare(number: float, op: str, bound: float) -> bool:
    if op == "=":
        return number == bound
    if op == "<":
        return number < bound
    if op == "<=":
        return number <= bound
    if op == ">":
        return number > bound
    return number >= bound


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and _NUMBER_TEXT.match(value.strip()):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def _wildcard_regex(text: str, where: str) -> re.Pattern[str]:
    if "**" in text:
        raise _error(where, "wildcard must not contain consecutive * characters")
    parts: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in "*\\":
            parts.append(re.escape(text[i + 1]))
            i += 2
            continue
        parts.append(".*" if char == "*" else re.escape(char))
        i += 1
    return re.compile("".join(parts), re.DOTALL)


def _in_network(value: Any, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return ipaddress.ip_address(value) in network
    except ValueError:
        return False


def _require_str(value: Any, where: str, op: str) -> str:
    if not isinstance(value, str):
        raise _error(where, f"{op} takes a string, not {json.dumps(value)}")
    return value


def _error(path: str, message: str) -> ConfigError:
    return ConfigError(f"filter pattern {message}", path=path)
