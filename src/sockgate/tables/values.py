"""DynamoDB attribute values: validation, canonical numbers, order, equality and sizes (pure).

Items are DynamoDB JSON as on the wire, ``{"name": {"S": "x"}, ...}``: an AttributeValue is a
one-key dict (S, N, B as base64 text, BOOL, NULL, M, L, SS, NS, BS). Numbers are handled as
exact ``Decimal`` values within DynamoDB's range (38 significant digits, magnitude 1E-130 to
9.99..E+125), so nothing here rounds.

Error texts follow real DynamoDB as captured by public conformance suites (dynamodb-conformance,
dynalite's tests against AWS). DynamoDB checks values in one of two layers depending on the
operation, and the wording differs; ``validate_item(..., context=operation)`` picks the right one.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from decimal import Context, Decimal
from typing import Any, TypeAlias

from sockgate.tables.errors import SerializationException, ValidationException

__all__ = [
    "MAX_ITEM_SIZE",
    "AttributeValue",
    "Item",
    "add_numbers",
    "attribute_type",
    "compare",
    "decode_binary",
    "equal",
    "item_size",
    "key_bytes",
    "nests_too_deep",
    "normalize_number",
    "parse_number",
    "validate_expression_values",
    "validate_item",
    "validate_key_attribute",
    "validate_nesting",
    "validate_value",
    "value_size",
]

AttributeValue: TypeAlias = dict[str, Any]
Item: TypeAlias = dict[str, AttributeValue]

TYPES = ("S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS")
_TYPE_SET = frozenset(TYPES)
MAX_ITEM_SIZE = 400 * 1024  # DynamoDB refuses an item when its size is > 409600 bytes
MAX_NESTING_DEPTH = 32  # the attribute itself is level 1

INVALID = "One or more parameter values were invalid: "
NOT_NUMERIC = "The parameter cannot be converted to a numeric value"
OVERFLOW = (
    "Number overflow. Attempting to store a number with magnitude larger than supported range"
)
UNDERFLOW = (
    "Number underflow. Attempting to store a number with magnitude smaller than supported range"
)
TOO_PRECISE = "Attempting to store more than 38 significant digits in a Number"
NESTING = (
    "Nesting Levels have exceeded supported limits: "
    "Attributes in the item have nested levels beyond supported limit"
)
EMPTY_VALUE = (
    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
)
MANY_TYPES = (
    "Supplied AttributeValue has more than one datatypes set, "
    "must contain exactly one of the supported datatypes"
)

# Operations whose values DynamoDB checks in its current layer inside the
# "1 validation error detected: " envelope, in the current layer bare, or in its older layer
# (captured in four regions, 2026-10; the older layer differs in the duplicate-set and
# empty-number wording, and wraps bad expression values).
_ENVELOPED = frozenset({"PutItem", "UpdateItem", "DeleteItem"})
_OLDER = frozenset({"BatchWriteItem", "TransactWriteItems", "TransactGetItems", "Scan"})

# An integer of at most 38 digits, without sign or zeros that DynamoDB would drop.
_CANONICAL_INTEGER = re.compile(r"0|-?[1-9][0-9]{0,37}")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE]([+-]?[0-9]+))?")
_EXACT = Context(prec=400)  # wide enough that sums of in-range 38-digit numbers are exact
_MAX_EXPONENT = 2**63 - 1  # DynamoDB reads the exponent as a 64-bit integer


# ---- numbers -------------------------------------------------------------------------------


def _number_problem(text: Any, *, older: bool = False) -> str | None:
    """Why ``text`` is not a storable DynamoDB number, or None when it is."""
    if not isinstance(text, str):
        return NOT_NUMERIC
    if _CANONICAL_INTEGER.fullmatch(text):
        return None  # 38 digits at most, far within range
    match = _NUMBER.fullmatch(text)
    exponent = int(match.group(1) or 0) if match else 0
    if match is None or abs(exponent) > _MAX_EXPONENT:
        return NOT_NUMERIC if older and text == "" else f"{NOT_NUMERIC}: {text}"
    # The exponent may be far past what Decimal parses, so range-check mantissa and exponent
    # apart; zero is range-checked by the exponent it is written with, as DynamoDB does.
    mantissa = Decimal(text[: match.start(1) - 1] if match.group(1) else text)
    leading = mantissa.adjusted() + exponent
    if leading > 125:
        return OVERFLOW
    if leading < -130:
        return UNDERFLOW
    if len(_significant(mantissa)[1]) > 38:
        return TOO_PRECISE
    return None


def _significant(number: Decimal) -> tuple[int, tuple[int, ...], int]:
    """(sign, digits, exponent) with leading and trailing zeros stripped; () digits for zero."""
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    trimmed = list(digits)
    while trimmed and trimmed[0] == 0:
        trimmed.pop(0)
    while trimmed and trimmed[-1] == 0:
        trimmed.pop()
        exponent += 1
    return (sign if trimmed else 0), tuple(trimmed), exponent


def parse_number(text: str) -> Decimal:
    """The exact value of a DynamoDB number; ValidationException when DynamoDB would refuse it."""
    problem = _number_problem(text)
    if problem is not None:
        raise ValidationException(problem)
    return Decimal(text)


def _canonical(number: Decimal) -> str:
    sign, digits, exponent = _significant(number)
    if not digits:
        return "0"
    return format(Decimal((sign, digits, exponent)), "f")


def normalize_number(text: str) -> str:
    """DynamoDB's stored form: no exponent or extra zeros ("1.50" → "1.5", "1E+2" → "100")."""
    if isinstance(text, str) and _CANONICAL_INTEGER.fullmatch(text):
        return text  # most numbers are small integers already in stored form
    return _canonical(parse_number(text))


def add_numbers(left: str, right: str, *, subtract: bool = False) -> str:
    """``left + right`` (or ``-``) as DynamoDB computes it for SET arithmetic and ADD."""
    a, b = parse_number(left), parse_number(right)
    result = _EXACT.subtract(a, b) if subtract else _EXACT.add(a, b)
    # UNCONFIRMED: a result past 38 digits is refused like an input, never rounded.
    return normalize_number(str(result))


# ---- binary --------------------------------------------------------------------------------


def decode_binary(text: str) -> bytes:
    """The raw bytes of a B value (base64 on the wire)."""
    return base64.b64decode(text, validate=True)


# ---- validation ----------------------------------------------------------------------------


def _serialization(value: Any, target: str) -> SerializationException:
    # UNCONFIRMED wording beyond moto's "NUMBER_VALUE cannot be converted to String".
    if isinstance(value, dict):
        return SerializationException("Start of structure or map found where not expected.")
    if isinstance(value, list):
        return SerializationException("Start of list found where not expected")
    if isinstance(value, bool):
        token = "TRUE_VALUE" if value else "FALSE_VALUE"
    else:
        token = "NUMBER_VALUE" if isinstance(value, int | float) else "VALUE_STRING"
    return SerializationException(f"{token} cannot be converted to {target}")


def _duplicates_message(kind: str, members: list[str], *, older: bool) -> str | None:
    seen: set[Any] = set()
    ordered: list[str] = []
    repeat = None
    for index, member in enumerate(members):
        key = _canonical(Decimal(member)) if kind == "NS" else member
        if key in seen:
            repeat = index
            break
        seen.add(key)
        ordered.append(member)
    if repeat is None:
        return None
    if kind == "NS":
        return (
            "Input collection contains duplicates"
            if older
            else f"{INVALID}Input collection contains duplicates."
        )
    if older:
        listed = "[" + ", ".join(members) + "]"
    else:
        # The current layer lists the members in byte order up to the first repeat, then the
        # repeat, then the rest as sent (captured 2026-10).
        order = (lambda m: decode_binary(m)) if kind == "BS" else (lambda m: m.encode())
        head = sorted(ordered, key=order) + members[repeat:]
        quoted = [f'"{m}"' for m in head]
        listed = "[" + ("," if kind == "BS" else ", ").join(quoted) + "]"
    if kind == "BS":
        return f"{INVALID}Input collection {listed}of type BS contains duplicates."
    return f"{INVALID}Input collection {listed} contains duplicates."


def _check_set(kind: str, members: Any, *, older: bool) -> None:
    if not isinstance(members, list):
        raise _serialization(members, "List")
    if not members:
        empty = {"SS": "An string set  may not be empty", "NS": "An number set  may not be empty"}
        raise ValidationException(INVALID + empty.get(kind, "Binary sets should not be empty"))
    for member in members:
        if not isinstance(member, str):
            raise _serialization(member, "String")
        if kind == "NS" and (problem := _number_problem(member, older=older)):
            raise ValidationException(problem)
        if kind == "BS":
            _check_binary(member)
    if message := _duplicates_message(kind, members, older=older):
        raise ValidationException(message)


def _check_binary(text: Any) -> None:
    if not isinstance(text, str):
        raise _serialization(text, "Blob")
    try:
        decode_binary(text)
    except (binascii.Error, ValueError):
        # UNCONFIRMED wording (dynalite's); boto3 always sends valid base64.
        raise SerializationException(f"'{text}' can not be converted to a Blob") from None


def _check(av: Any, level: int, *, older: bool) -> None:  # noqa: C901 (to split)
    if level > MAX_NESTING_DEPTH:
        raise ValidationException(NESTING)
    if not isinstance(av, dict):
        raise _serialization(av, "AttributeValue")
    if len(av) == 1 and next(iter(av)) in _TYPE_SET:  # the usual shape, checked quickly
        present = [kind for kind, value in av.items() if value is not None]
    else:
        present = [t for t in TYPES if av.get(t) is not None]  # JSON null counts as absent
    if not present:
        raise ValidationException(EMPTY_VALUE)
    if len(present) > 1:
        raise ValidationException(MANY_TYPES)
    kind = present[0]
    value = av[kind]
    if kind == "S" and not isinstance(value, str):
        raise _serialization(value, "String")
    if kind == "N":
        if not isinstance(value, str):
            raise _serialization(value, "String")
        if problem := _number_problem(value, older=older):
            raise ValidationException(problem)
    if kind == "B":
        _check_binary(value)
    if kind in ("BOOL", "NULL") and not isinstance(value, bool):
        raise _serialization(value, "Boolean")
    if kind == "NULL" and value is not True:
        raise ValidationException(
            INVALID + "Null attribute value types must have the value of true"
        )
    if kind in ("SS", "NS", "BS"):
        _check_set(kind, value, older=older)
    if kind == "L":
        if not isinstance(value, list):
            raise _serialization(value, "List")
        for child in value:
            _check(child, level + 1, older=older)
    if kind == "M":
        if not isinstance(value, dict):
            raise _serialization(value, "Map")
        for child in value.values():
            _check(child, level + 1, older=older)


def validate_value(av: Any) -> None:
    """Refuse a malformed AttributeValue the way DynamoDB does (current layer, no envelope)."""
    _check(av, 1, older=False)


def _in_context(context: str, check: Any) -> None:
    older = context in _OLDER
    try:
        check(older)
    except ValidationException as error:
        if context in _ENVELOPED:
            error.message = f"1 validation error detected: {error.message}"
            error.args = (error.message,)
        raise


def validate_item(item: Mapping[str, Any], *, context: str) -> None:
    """Validate every value of an item, key or value map sent to operation ``context``.

    ``context`` is the operation name ("PutItem", "Query", ...): it decides the wording layer
    and whether the message sits in the "1 validation error detected: " envelope.
    """

    def check(older: bool) -> None:
        for value in item.values():
            _check(value, 1, older=older)

    _in_context(context, check)


def validate_expression_values(values: Mapping[str, Any], *, context: str) -> None:
    """Validate ExpressionAttributeValues; the older layer names the bad key in a wrapper."""

    def check(older: bool) -> None:
        for key, value in values.items():
            try:
                _check(value, 1, older=older)
            except ValidationException as error:
                if older:
                    error.message = (
                        "ExpressionAttributeValues contains invalid value: "
                        f"{error.message} for key {key}"
                    )
                    error.args = (error.message,)
                raise

    _in_context(context, check)


def nests_too_deep(av: Any, level: int = 1) -> bool:
    """Whether a value placed at ``level`` (a top-level attribute is level 1) reaches past
    DynamoDB's 32 levels of nested attributes.

    Only M and L are followed, whatever else the value holds, so it serves values no other
    check has looked at; the walk stops at the limit, so its recursion is bounded too.
    """
    if level > MAX_NESTING_DEPTH:
        return True
    if not isinstance(av, dict):
        return False
    members = av.get("M")
    if isinstance(members, dict):
        return any(nests_too_deep(child, level + 1) for child in members.values())
    elements = av.get("L")
    if isinstance(elements, list):
        return any(nests_too_deep(child, level + 1) for child in elements)
    return False


def validate_nesting(values: Mapping[str, Any], *, context: str) -> None:
    """Refuse values nested past 32 levels, and check nothing else about them.

    For the legacy parameters (Expected, AttributeUpdates, QueryFilter, ScanFilter,
    KeyConditions), whose values DynamoDB refuses past the nesting limit before anything else;
    the message is in the validation envelope for PutItem, UpdateItem and DeleteItem and bare
    otherwise (captured against DynamoDB by dynoxide's conformance suite, 2026-10).
    """

    def check(older: bool) -> None:
        if any(nests_too_deep(value) for value in values.values()):
            raise ValidationException(NESTING)

    _in_context(context, check)


def validate_key_attribute(name: str, av: AttributeValue, *, index_name: str | None = None) -> None:
    """Refuse an empty S or B in a key attribute (allowed elsewhere since 2020)."""
    kind = attribute_type(av)
    if kind not in ("S", "B") or av[kind] != "":
        return
    what = "string" if kind == "S" else "binary"
    if index_name is not None:
        raise ValidationException(
            "One or more parameter values are not valid. A value specified for a secondary index "
            "key is not supported. The AttributeValue for a key attribute cannot contain an empty "
            f"{what} value. IndexName: {index_name}, IndexKey: {name}"
        )
    raise ValidationException(
        "One or more parameter values are not valid. The AttributeValue for a key attribute "
        f"cannot contain an empty {what} value. Key: {name}"
    )


# ---- order and equality --------------------------------------------------------------------


def attribute_type(av: AttributeValue) -> str:
    """The type tag of a (valid) AttributeValue: "S", "N", ..."""
    return next(iter(av))


def _comparable(av: AttributeValue) -> tuple[str, Any]:
    kind = attribute_type(av)
    value = av[kind]
    if kind == "S":
        return kind, value.encode()
    if kind == "N":
        return kind, Decimal(value)
    if kind == "B":
        return kind, decode_binary(value)
    return kind, None


def compare(a: AttributeValue, b: AttributeValue) -> int | None:
    """-1, 0 or 1 for two values of one scalar type (S by UTF-8 bytes, N numerically, B bytewise).

    None when the types differ or are not ordered (BOOL, NULL, sets, L, M).
    """
    kind_a, x = _comparable(a)
    kind_b, y = _comparable(b)
    if kind_a != kind_b or x is None:
        return None
    order: int = (x > y) - (x < y)
    return order


def equal(a: AttributeValue, b: AttributeValue) -> bool:
    """DynamoDB equality: same type; numbers numerically; sets unordered; L and M deeply."""
    kind = attribute_type(a)
    if kind != attribute_type(b):
        return False
    x, y = a[kind], b[kind]
    if kind in ("S", "N", "B"):
        return compare(a, b) == 0
    if kind in ("SS", "NS", "BS"):
        member = {"SS": "S", "NS": "N", "BS": "B"}[kind]
        return {_set_key(member, v) for v in x} == {_set_key(member, v) for v in y}
    if kind == "L":
        return len(x) == len(y) and all(equal(p, q) for p, q in zip(x, y, strict=True))
    if kind == "M":
        return x.keys() == y.keys() and all(equal(x[k], y[k]) for k in x)
    return bool(x == y)


def _set_key(member_type: str, member: str) -> Any:
    """A hashable stand-in for a set member that is equal exactly when DynamoDB's is."""
    if member_type == "N":
        return Decimal(member)
    return decode_binary(member) if member_type == "B" else member


def key_bytes(av: AttributeValue) -> bytes:
    """An order-preserving encoding of a key value: memcmp order equals DynamoDB's key order.

    S is its UTF-8 bytes and B its raw bytes. N is a sign byte (01 negative, 02 zero,
    03 positive), a 16-bit exponent of the leading digit, then the significant digits in
    base-100 pairs; for negatives the exponent and pairs are inverted and a 0xFF terminator
    makes a shorter digit string sort after its extensions.
    """
    kind = attribute_type(av)
    if kind == "S":
        return str(av["S"]).encode()
    if kind == "B":
        return decode_binary(av["B"])
    if kind != "N":
        raise ValueError(f"{kind} is not a key type")
    sign, digits, exponent = _significant(Decimal(av["N"]))
    if not digits:
        return b"\x02"
    leading = len(digits) - 1 + exponent + 32768
    padded = digits + ((0,) if len(digits) % 2 else ())
    pairs = [padded[i] * 10 + padded[i + 1] for i in range(0, len(padded), 2)]
    if sign == 0:
        return b"\x03" + leading.to_bytes(2, "big") + bytes(pairs)
    return b"\x01" + (65535 - leading).to_bytes(2, "big") + bytes(254 - p for p in pairs) + b"\xff"


# ---- sizes ---------------------------------------------------------------------------------


def _number_size(text: str) -> int:
    """Bytes DynamoDB charges for a number: 1 + its base-100 digit pairs (+1 if negative).

    Pairs are aligned on the decimal point, so 3.14159 costs 5 and 123456 costs 4 (matches
    every literal the conformance suite measured against AWS).
    """
    sign, digits, exponent = _significant(Decimal(text))
    if not digits:
        return 1
    first = len(digits) - 1 + exponent  # power of ten of the leading digit
    last = exponent  # power of ten of the final digit
    return 1 + (first // 2 - last // 2 + 1) + (1 if sign else 0)


def value_size(av: AttributeValue) -> int:
    """The bytes DynamoDB counts for one value (names of the attribute itself excluded)."""
    kind = attribute_type(av)
    value = av[kind]
    if kind == "S":
        return len(value.encode())
    if kind == "N":
        return _number_size(value)
    if kind == "B":
        return len(decode_binary(value))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in value)
    if kind == "NS":
        return sum(_number_size(n) for n in value)
    if kind == "BS":
        return sum(len(decode_binary(b)) for b in value)
    if kind == "L":
        return 3 + sum(1 + value_size(child) for child in value)
    return 3 + sum(1 + len(k.encode()) + value_size(child) for k, child in value.items())


def item_size(item: Mapping[str, AttributeValue]) -> int:
    """DynamoDB's size of an item: every attribute name's UTF-8 length plus its value's size.

    Used for the 400 KB limit (refuse when > MAX_ITEM_SIZE: "Item size has exceeded the maximum
    allowed size"), the 1 MB Query/Scan page and stream SizeBytes.
    """
    return sum(len(name.encode()) + value_size(av) for name, av in item.items())
