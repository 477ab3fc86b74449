"""Request payloads in, response payloads out: JSON decoding with the depth guard, the checks
the service model cannot express, and response encoding, shared by the operations (pure, no I/O).

The model-driven shape checks that run first are in `validation.py`.
"""

from __future__ import annotations

import json
import math
import re
from array import array
from itertools import accumulate
from typing import Any

from sockgate.tables.errors import (
    ResourceNotFoundException,
    SerializationException,
    ValidationException,
)
from sockgate.tables.model import TableMeta
from sockgate.tables.values import normalize_number

__all__ = [
    "Constraints",
    "MAX_JSON_DEPTH",
    "RawItems",
    "RawJson",
    "consumed_capacity",
    "decode_json",
    "encode",
    "json_too_deep",
    "normalize_item",
    "parse_key",
    "require_table",
    "validate_key_values",
    "validate_put_keys",
]

Item = dict[str, Any]
_TABLE_NAME = re.compile(r"[a-zA-Z0-9_.\-]+")


class RawJson(bytes):
    """One stored item, already JSON (ASCII bytes): goes into a response as it is."""

    __slots__ = ()


class RawItems(list[bytes]):
    """A list of stored items, each already JSON: sent as a JSON array without re-encoding."""

    __slots__ = ()


# How deeply a client's JSON may nest. CPython's json decoder recurses once per level and
# raises RecursionError near 1000 levels (less the stack already in use), and the code that
# walks a request after it recurses too, so every client document is held to a fixed depth
# before it is decoded. The largest valid request nests about 70 levels (an item at
# DynamoDB's 32-level limit takes two JSON levels per level: {"M": {"name": ...}}), so 256
# leaves a document nested 100 levels to get DynamoDB's own "Nesting Levels have exceeded
# supported limits" ValidationException, and refuses one nested 10,000 levels as a body
# DynamoDB cannot deserialize (400 SerializationException). UNCONFIRMED: AWS does not
# publish its parser's limit; the message is the one Jackson's StreamReadConstraints gives.
MAX_JSON_DEPTH = 256
_NOT_SYNTAX = bytes(range(256)).translate(None, b'"[]{}')
_AS_PARENS = bytes.maketrans(b"[]{}", b"()()")
_STEPS = bytes.maketrans(b"()", b"\x01\xff")  # +1 and -1 as signed bytes
_TOO_DEEP_RUN = b"(" * (MAX_JSON_DEPTH + 1)


def json_too_deep(data: bytes) -> bool:
    """Whether a JSON text nests objects and lists deeper than MAX_JSON_DEPTH.

    Only byte operations that run in C, a fraction of what decoding costs: everything but
    quotes and brackets is dropped, and nearly every request has too few brackets left to
    nest that deep. Otherwise escapes that could hide a quote go first, then what lies inside
    strings; the brackets left nest as the document does. Innermost pairs are removed a few
    times (each pass is one level) and the rest is summed as +1/-1 steps.
    """
    if len(data) <= MAX_JSON_DEPTH:
        return False
    nesting = data.translate(_AS_PARENS, _NOT_SYNTAX)
    if nesting.count(b"(") <= MAX_JSON_DEPTH:
        return False
    if b'\\"' in data:  # an escaped quote, or an escaped backslash before a closing one
        unescaped = data.replace(b"\\\\", b"").replace(b'\\"', b"")
        nesting = unescaped.translate(_AS_PARENS, _NOT_SYNTAX)
    # Adjacent quotes hold no brackets between them, so dropping them keeps the structure.
    nesting = nesting.replace(b'""', b"")
    if b'"' in nesting:
        nesting = b"".join(nesting.split(b'"')[::2])  # outside strings: the even parts
    levels = 0
    while nesting and levels < 8:
        if _TOO_DEEP_RUN in nesting:
            return True
        nesting = nesting.replace(b"()", b"")
        levels += 1
    deepest = max(accumulate(array("b", nesting.translate(_STEPS))), default=0)
    return levels + deepest > MAX_JSON_DEPTH


def decode_json(data: bytes) -> Any:
    """A client's JSON document; SerializationException when it is not JSON or nests too deep.

    Every JSON text a client sends (a request body, a token it hands back) is decoded here,
    so no client input reaches a RecursionError.
    """
    if json_too_deep(data):
        raise _too_deep()
    try:
        return json.loads(data)
    except RecursionError:
        # Not reached once the depth is checked; kept so a deep document is never a 500.
        raise _too_deep() from None
    except (ValueError, UnicodeDecodeError):
        # DynamoDB answers a body that is not JSON with the error's type alone, no message
        # (and no parser's text reaches the client).
        raise SerializationException("") from None


def _too_deep() -> SerializationException:
    # Jackson stops at the first level past its limit and names that level.
    return SerializationException(
        f"Document nesting depth ({MAX_JSON_DEPTH + 1}) exceeds the maximum allowed "
        f"({MAX_JSON_DEPTH})"
    )


def encode(value: Any) -> bytes:
    """JSON bytes of a response that may hold RawJson / RawItems (never re-encoded)."""
    if isinstance(value, RawJson):
        return bytes(value)
    # Fragments are collected and joined once: a page of items is copied a single time.
    parts: list[bytes] = []
    _encode_into(value, parts)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _encode_into(value: Any, parts: list[bytes]) -> None:
    if isinstance(value, RawItems):
        parts.append(b"[")
        if value:
            # The items with a comma between each two, built without a Python loop.
            fragments = [b","] * (2 * len(value) - 1)
            fragments[::2] = value
            parts.extend(fragments)
        parts.append(b"]")
    elif isinstance(value, RawJson):
        parts.append(value)
    elif isinstance(value, dict):
        if not any(isinstance(v, dict | list | bytes) for v in value.values()):
            parts.append(_dumps(value))
            return
        separator = b"{"  # the dict is not empty: an empty one was dumped above
        for key, member in value.items():
            parts.append(separator + json.dumps(key).encode() + b":")
            _encode_into(member, parts)
            separator = b","
        parts.append(b"}")
    elif isinstance(value, list):
        if not value:
            parts.append(b"[]")
            return
        separator = b"["
        for member in value:
            parts.append(separator)
            _encode_into(member, parts)
            separator = b","
        parts.append(b"]")
    else:
        parts.append(_dumps(value))


def normalize_item(item: Item) -> Item:
    """The item with every number in DynamoDB's stored form ("1.50" -> "1.5"); values validated."""
    return {name: _normalize(value) for name, value in item.items()}


def _normalize(value: Item) -> Item:
    if "N" in value:
        return {"N": normalize_number(value["N"])}
    if "M" in value:
        return {"M": {k: _normalize(v) for k, v in value["M"].items()}}
    if "L" in value:
        return {"L": [_normalize(v) for v in value["L"]]}
    if "NS" in value:
        return {"NS": [normalize_number(n) for n in value["NS"]]}
    return value


class Constraints:
    """Collects model-validation failures, reported together as AWS does."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    def fail(self, value: Any, path: str, constraint: str) -> None:
        """Record that a member failed a constraint."""
        shown = "null" if value is None else f"'{_show(value)}'"
        self.failures.append(
            f"Value {shown} at '{path}' failed to satisfy constraint: Member must {constraint}"
        )

    def not_null(self, value: Any, path: str) -> None:
        """Required member."""
        if value is None:
            self.fail(None, path, "not be null")

    def table_name(self, value: Any, path: str = "tableName") -> None:
        """A table or index name: 3-255 characters of [a-zA-Z0-9_.-]."""
        if value is None:
            self.fail(None, path, "not be null")
            return
        text = str(value)
        if not _TABLE_NAME.fullmatch(text):
            self.fail(text, path, "satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
        if len(text) < 3:
            self.fail(text, path, "have length greater than or equal to 3")
        if len(text) > 255:
            self.fail(text, path, "have length less than or equal to 255")

    def enum(self, value: Any, path: str, allowed: tuple[str, ...]) -> None:
        """An optional member restricted to a set of strings."""
        if value is not None and value not in allowed:
            self.fail(value, path, f"satisfy enum value set: [{', '.join(allowed)}]")

    def int_range(self, value: Any, path: str, low: int, high: int | None = None) -> None:
        """An optional integer member within bounds."""
        if value is None:
            return
        if value < low:
            self.fail(value, path, f"have value greater than or equal to {low}")
        elif high is not None and value > high:
            self.fail(value, path, f"have value less than or equal to {high}")

    def raise_if_any(self) -> None:
        """Raise one ValidationException naming every failure."""
        if self.failures:
            count = len(self.failures)
            noun = "error" if count == 1 else "errors"
            raise ValidationException(
                f"{count} validation {noun} detected: " + "; ".join(self.failures)
            )


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def require_table(
    tables: dict[str, TableMeta], name: Any, *, verbose: bool = False, path: str = "tableName"
) -> TableMeta:
    """The table a request names (or its ARN); ResourceNotFoundException if it does not exist."""
    if isinstance(name, str) and name.startswith("arn:") and ":table/" in name:
        name = name.split(":table/", 1)[1].split("/", 1)[0]
    checks = Constraints()
    checks.table_name(name, path)
    checks.raise_if_any()
    meta = tables.get(name)
    if meta is None:
        if verbose:
            raise ResourceNotFoundException(
                f"Requested resource not found: Table: {name} not found"
            )
        raise ResourceNotFoundException("Requested resource not found")
    return meta


def validate_key_values(meta: TableMeta, key: Any, names: tuple[str, ...] | None = None) -> Item:
    """A Key parameter: exactly the key attributes, each of its declared type, not empty."""
    names = names or meta.key_names
    if not isinstance(key, dict) or len(key) != len(names):
        raise ValidationException("The provided key element does not match the schema")
    for name in names:
        value = key.get(name)
        wanted = meta.key_type(name)
        if not isinstance(value, dict) or set(value) != {wanted}:
            raise ValidationException("The provided key element does not match the schema")
        if value[wanted] == "" and wanted in ("S", "B"):
            kind = "string" if wanted == "S" else "binary"
            raise ValidationException(
                "One or more parameter values were invalid: The AttributeValue for a key "
                f"attribute cannot contain an empty {kind} value. Key: {name}"
            )
        _check_key_size(value, wanted, name == meta.hash_key)
    return key


def parse_key(meta: TableMeta, key: Any) -> Item:
    """Validate a Key parameter (alias kept short for the operations)."""
    return validate_key_values(meta, key)


def validate_put_keys(meta: TableMeta, item: Item) -> None:
    """An item written whole: key attributes present, typed, not empty; index keys typed."""
    for name in meta.key_names:
        value = item.get(name)
        wanted = meta.key_type(name)
        if value is None:
            raise ValidationException(
                f"One or more parameter values were invalid: Missing the key {name} in the item"
            )
        if wanted not in value:
            actual = next(iter(value), "")
            raise ValidationException(
                "One or more parameter values were invalid: Type mismatch for key "
                f"{name} expected: {wanted} actual: {actual}"
            )
        if value[wanted] == "" and wanted in ("S", "B"):
            kind = "string" if wanted == "S" else "binary"
            raise ValidationException(
                "One or more parameter values are not valid. The AttributeValue for a key "
                f"attribute cannot contain an empty {kind} value. Key: {name}"
            )
        _check_key_size(value, wanted, name == meta.hash_key)
    validate_index_keys(meta, item)


def validate_index_keys(meta: TableMeta, item: Item) -> None:
    """Index key attributes an item carries must have the declared type and not be empty."""
    for index in meta.indexes:
        for name in index.key_names:
            value = item.get(name)
            if value is None:
                continue
            wanted = meta.key_type(name)
            if wanted not in value:
                actual = next(iter(value), "")
                raise ValidationException(
                    "One or more parameter values were invalid: Type mismatch for Index Key "
                    f"{name} Expected: {wanted} Actual: {actual} IndexName: {index.name}"
                )
            if value[wanted] == "" and wanted in ("S", "B"):
                kind = "string" if wanted == "S" else "binary"
                raise ValidationException(
                    "One or more parameter values are not valid. A value specified for a "
                    "secondary index key is not supported. The AttributeValue for a key "
                    f"attribute cannot contain an empty {kind} value. IndexName: {index.name}, "
                    f"IndexKey: {name}"
                )


def _check_key_size(value: Item, kind: str, is_hash: bool) -> None:
    if kind == "N":
        return
    raw = value[kind]
    size = len(raw.encode()) if kind == "S" else len(raw) * 3 // 4
    if is_hash and size > 2048:
        raise ValidationException(
            "One or more parameter values were invalid: Size of hashkey has exceeded the "
            "maximum size limit of2048 bytes"
        )
    if not is_hash and size > 1024:
        raise ValidationException(
            "One or more parameter values were invalid: Aggregated size of all range keys has "
            "exceeded the size limit of 1024 bytes"
        )


def capacity_units(size: int, *, read: bool, consistent: bool = False) -> float:
    """Capacity units of one item access: 4 KB read units (half if eventual), 1 KB writes."""
    if read:
        units = max(1, math.ceil(size / 4096))
        return units if consistent else units / 2
    return max(1, math.ceil(size / 1024))


def consumed_capacity(
    req: Item, meta: TableMeta, units: float, *, read: bool, index: str | None = None,
    is_global: bool = True, index_units: float = 0.0,
) -> dict[str, Any] | None:  # fmt: skip
    """The ConsumedCapacity a request asked for with ReturnConsumedCapacity (None if not)."""
    mode = req.get("ReturnConsumedCapacity")
    if mode not in ("TOTAL", "INDEXES"):
        return None
    total = units + index_units
    out: dict[str, Any] = {"TableName": meta.name, "CapacityUnits": total}
    out["ReadCapacityUnits" if read else "WriteCapacityUnits"] = total
    if mode == "INDEXES":
        part = "ReadCapacityUnits" if read else "WriteCapacityUnits"
        out["Table"] = {"CapacityUnits": units, part: units}
        if index is not None:
            kind = "GlobalSecondaryIndexes" if is_global else "LocalSecondaryIndexes"
            out[kind] = {index: {"CapacityUnits": index_units, part: index_units}}
    return out
