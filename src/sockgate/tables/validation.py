"""Request validation compiled from DynamoDB's service model, as DynamoDB's front end does it.

botocore ships the model DynamoDB publishes (``dynamodb`` and ``dynamodbstreams``,
service-2): every operation's input shape, its required members, their types, lengths,
ranges, enums and patterns. A validator per operation is compiled from it once, at import,
and runs on every request before the operation looks at a table, in two steps:

1. Deserialization. A member of the wrong JSON type is a SerializationException with the text
   DynamoDB's (Java) deserializer gives, the first one in document order, as a streaming
   parser meets it: ``NUMBER_VALUE cannot be converted to String``, ``Unexpected field
   type``, ``Start of structure or map found where not expected``, ... Members the shape does
   not have are ignored, and JSON null counts as absent, as in DynamoDB.
2. Constraints. Every violation is collected in the shape's member order and reported
   together, Coral style, up to ten: ``2 validation errors detected: Value 'x' at
   'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [...];
   Value null at 'tableName' failed to satisfy constraint: Member must not be null``. Paths
   are the members' names with a lower-case first letter, ``.N.member`` (1-based) for list
   elements and ``.KEY.member`` for map values.

The fast path checks types and constraints in one walk over what the request holds and
builds no path or message; only a request that fails is walked again, in the shape's order,
to word the report. Attribute values (``{"S": ...}``) are only checked to be objects here:
sockgate.tables.values validates their contents with DynamoDB's own messages.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from botocore.loaders import Loader

from sockgate.tables.errors import SerializationException, ValidationException

__all__ = ["MAX_REPORTED", "Validator", "validator_for"]

# DynamoDB names at most this many violations in one message (and counts only those).
MAX_REPORTED = 10
_NAMESPACE = "com.amazonaws.dynamodb.v20120810"
_CAST = (
    "class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to "
    "class java.lang.Class (sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and "
    "java.lang.Class are in module java.base of loader 'bootstrap')"
)
_START_OF_MAP = "Start of structure or map found where not expected"
_TABLE_NAME = re.compile(r"[a-zA-Z0-9_.\-]+")

# Where DynamoDB's messages list an enum's values in another order than the model does
# (observed orders, as recorded in dynalite's tests against DynamoDB).
_ENUM_ORDER = {
    "ReturnValue": ["ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"],
    "ScalarAttributeType": ["B", "N", "S"],
    "ComparisonOperator": [
        "IN", "NULL", "BETWEEN", "LT", "NOT_CONTAINS", "EQ", "GT", "NOT_NULL", "NE", "LE",
        "BEGINS_WITH", "GE", "CONTAINS",
    ],
    "ConditionalOperator": ["OR", "AND"],
    "ProjectionType": ["ALL", "INCLUDE", "KEYS_ONLY"],
    "Select": ["SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES"],
}  # fmt: skip
# Constraints DynamoDB enforces that the published model leaves out.
_EXTRA_MAX = {"KeySchema": 2}
_EXTRA_REQUIRED = {"CreateTableInput": ("AttributeDefinitions", "KeySchema")}
# Shapes whose contents sockgate.tables.values checks (with DynamoDB's messages).
_OPAQUE = {"AttributeValue"}


class _Failed(Exception):
    """A constraint failed on the fast path: the request is walked again to word it."""


class _Report:
    """Constraint failures of one request, worded (or only counted: wording=False)."""

    __slots__ = ("failed", "messages", "wording")

    def __init__(self, wording: bool) -> None:
        self.wording = wording
        self.failed = False
        self.messages: list[str] = []

    def fail(self, value: Any, path: str, constraint: str) -> None:
        self.failed = True
        if self.wording and len(self.messages) < MAX_REPORTED:
            shown = "null" if value is None else f"'{show(value)}'"
            self.messages.append(
                f"Value {shown} at '{path}' failed to satisfy constraint: Member must {constraint}"
            )


class _FastReport(_Report):
    """The fast path's report: stateless (shared by every thread), it stops at a failure."""

    __slots__ = ()

    def fail(self, value: Any, path: str, constraint: str) -> None:
        raise _Failed


_FAST = _FastReport(False)


def show(value: Any) -> str:
    """A value as DynamoDB's messages print it (Java's toString of what was deserialized)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={show(v)}" for k, v in value.items()) + "}"
    return str(value)


def _lower(name: str) -> str:
    return name[:1].lower() + name[1:]


def _scalar_token(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE_VALUE" if value else "FALSE_VALUE"
    if isinstance(value, int):
        return "NUMBER_VALUE"
    if isinstance(value, float):
        return "DECIMAL_VALUE"
    return "STRING_VALUE"


# Where a shape appears: a structure's member, a list's element, a map's value.
_MEMBER, _ELEMENT, _VALUE = "member", "element", "value"
# A compiled check: (value, path, report) -> the value as deserialized (a Boolean given as
# "true", an Integer given as 1.5 become what Java would hold). path is "" on the fast path.
Check = Callable[[Any, str, _Report], Any]


class _Compiler:
    """Builds the checks of one service model, one per shape and context."""

    def __init__(self, model: dict[str, Any]) -> None:
        self.shapes: dict[str, Any] = model["shapes"]
        self.cache: dict[tuple[str, str], Check] = {}

    def java_type(self, name: str) -> str:
        shape = self.shapes[name]
        kind = shape["type"]
        if kind == "structure":
            return f"{_NAMESPACE}.{name}"
        if kind == "list":
            return f"java.util.List<{self.java_type(shape['member']['shape'])}>"
        if kind == "map":
            return f"java.util.Map<java.lang.String, {self.java_type(shape['value']['shape'])}>"
        return _SCALAR_JAVA.get(kind, "java.lang.String")

    def check(self, name: str, context: str = _MEMBER) -> Check:
        """The check of a shape as a structure's member, a list's element or a map's value."""
        key = (name, context)
        if key not in self.cache:
            # Recursive shapes (AttributeValue's L and M) find the placeholder, then the check.
            self.cache[key] = lambda v, p, r: self.cache[key](v, p, r)
            self.cache[key] = self._build(name, context)
        return self.cache[key]

    def _build(self, name: str, context: str) -> Check:
        shape = self.shapes[name]
        kind = shape["type"]
        nested = context != _MEMBER
        if context == _VALUE and kind in ("list", "map", "string"):
            # A map value's length is worded as the map's ("Map value must satisfy ...").
            shape = {k: v for k, v in shape.items() if k not in ("min", "max")}
        if kind == "structure":
            return self._structure(name, shape, nested)
        if kind == "list":
            return self._list(name, shape, nested)
        if kind == "map":
            return self._map(name, shape, nested)
        if kind == "string":
            return self._string(name, shape, context)
        if kind in ("integer", "long", "double"):
            return _number(kind, shape)
        if kind == "boolean":
            return _boolean
        if kind == "blob":
            return _blob
        return _timestamp

    def _structure(self, name: str, shape: dict[str, Any], nested: bool) -> Check:
        scalar_error = "Unexpected value type in payload" if nested else "Unexpected field type"
        list_error = f"Unrecognized collection type class {_NAMESPACE}.{name}"
        if name in _OPAQUE:

            def opaque(value: Any, path: str, report: _Report) -> Any:
                if type(value) is not dict:
                    _type_error(value, scalar_error, list_error, _START_OF_MAP)
                return value

            return opaque
        members = shape["members"]
        required = tuple(shape.get("required", ())) + _EXTRA_REQUIRED.get(name, ())
        checks = {m: self.check(spec["shape"]) for m, spec in members.items()}
        ordered = [(m, _lower(m), checks[m], m in required) for m in members]

        def structure(value: Any, path: str, report: _Report) -> Any:
            if type(value) is not dict:
                _type_error(value, scalar_error, list_error, _START_OF_MAP)
            if report.wording:
                # The report: every member in the shape's order.
                prefix = f"{path}." if path else ""
                for member, lower, check, needed in ordered:
                    member_value = value.get(member)
                    if member_value is None:
                        if needed:
                            report.fail(None, prefix + lower, "not be null")
                    else:
                        check(member_value, prefix + lower, report)
                return value
            for member, member_value in value.items():
                known = checks.get(member)
                if known is not None and member_value is not None:
                    new = known(member_value, "", report)
                    if new is not member_value:
                        value[member] = new
            for member in required:
                if value.get(member) is None:
                    report.fail(None, "", "")
            return value

        return structure

    def _list(self, name: str, shape: dict[str, Any], nested: bool) -> Check:
        member_name = shape["member"]["shape"]
        member = self.check(member_name, _ELEMENT)
        low, high = shape.get("min"), _EXTRA_MAX.get(name, shape.get("max"))
        scalar_error = _CAST if nested else "Unexpected field type"
        opaque_members = member_name in _OPAQUE
        bounded = low is not None or high is not None

        def checked_list(value: Any, path: str, report: _Report) -> Any:
            if type(value) is not list:
                _type_error(value, scalar_error, _START_OF_MAP, _START_OF_MAP)
            if bounded:
                _length(value, low, high, path, report)
            if opaque_members and not report.wording:
                for element in value:
                    if type(element) is not dict:
                        member(element, "", report)
                return value
            for index, element in enumerate(value):
                if element is not None:
                    where = f"{path}.{index + 1}.member" if report.wording else ""
                    new = member(element, where, report)
                    if new is not element:
                        value[index] = new
            return value

        return checked_list

    def _map(self, name: str, shape: dict[str, Any], nested: bool) -> Check:
        key_shape = self.shapes[shape["key"]["shape"]]
        value_name = shape["value"]["shape"]
        value_check = self.check(value_name, _VALUE)
        value_shape = self.shapes[value_name]
        low, high = shape.get("min"), shape.get("max")
        scalar_error = _CAST if nested else "Unexpected field type"
        list_error = f"Unrecognized collection type {self.java_type(name)}"
        key_check = _map_key_check(shape["key"]["shape"], key_shape)
        value_limits = _map_value_limits(value_shape)
        opaque_values = value_name in _OPAQUE
        bounded = low is not None or high is not None
        # Attribute-value maps (items, keys) hold names of at most 65535 characters: checked
        # in C on the fast path. No other constraint applies to their keys.
        key_limit = key_shape.get("max") if opaque_values else None

        def checked_map(value: Any, path: str, report: _Report) -> Any:
            if type(value) is not dict:
                _type_error(value, scalar_error, list_error, list_error)
            if bounded:
                _length(value, low, high, path, report)
            if opaque_values and not report.wording:
                for element in value.values():
                    if type(element) is not dict:
                        value_check(element, "", report)
                if key_limit is not None and value and max(map(len, value)) > key_limit:
                    report.fail(value, path, "")  # worded on the second walk
                return value
            for key, element in value.items():
                if key_check is not None:
                    key_check(key, value, path, report)
                if value_limits is not None and element is not None:
                    value_limits(element, value, path, report)
                if element is not None:
                    where = f"{path}.{key}.member" if report.wording else ""
                    new = value_check(element, where, report)
                    if new is not element:
                        value[key] = new
            return value

        return checked_map

    def _string(self, name: str, shape: dict[str, Any], context: str) -> Check:
        if name == "TableArn" and context == _MEMBER:
            return _table_name_or_arn
        low, high = shape.get("min"), shape.get("max")
        pattern = _pattern(shape.get("pattern"))
        enum = _ENUM_ORDER.get(name, shape.get("enum"))
        allowed = frozenset(enum or ())
        enum_text = f"satisfy enum value set: [{', '.join(enum or ())}]"
        bounded = low is not None or high is not None

        def string(value: Any, path: str, report: _Report) -> Any:
            if type(value) is not str:
                _type_error(
                    value, f"{_scalar_token(value)} cannot be converted to String",
                    "Unrecognized collection type class java.lang.String", _START_OF_MAP,
                )  # fmt: skip
            if allowed and value not in allowed:
                report.fail(value, path, enum_text)
            if pattern is not None and not pattern.fullmatch(value):
                report.fail(value, path, f"satisfy regular expression pattern: {pattern.pattern}")
            if bounded:
                _length(value, low, high, path, report)
            return value

        return string


_SCALAR_JAVA = {
    "string": "java.lang.String",
    "integer": "java.lang.Integer",
    "long": "java.lang.Long",
    "double": "java.lang.Double",
    "boolean": "java.lang.Boolean",
    "blob": "java.nio.ByteBuffer",
    "timestamp": "java.util.Date",
}


def _type_error(value: Any, scalar: str, as_list: str, as_map: str) -> None:
    """Raise the deserializer's error for a value of the wrong JSON type."""
    if isinstance(value, list):
        raise SerializationException(as_list)
    if isinstance(value, dict):
        raise SerializationException(as_map)
    raise SerializationException(scalar)


def _length(value: Any, low: int | None, high: int | None, path: str, report: _Report) -> None:
    if low is not None and len(value) < low:
        report.fail(value, path, f"have length greater than or equal to {low}")
    if high is not None and len(value) > high:
        report.fail(value, path, f"have length less than or equal to {high}")


def _table_name_or_arn(value: Any, path: str, report: _Report) -> Any:
    """A TableName member: a table's name (3-255 of [a-zA-Z0-9_.-]) or its ARN."""
    if type(value) is not str:
        _type_error(
            value, f"{_scalar_token(value)} cannot be converted to String",
            "Unrecognized collection type class java.lang.String", _START_OF_MAP,
        )  # fmt: skip
    if value in _GOOD_NAMES:
        return value  # the common case, first: a name seen valid before
    if 3 <= len(value) <= 255 and _TABLE_NAME.fullmatch(value):
        if len(_GOOD_NAMES) < 4096:
            _GOOD_NAMES.add(value)
        return value
    if value.startswith("arn:"):
        if len(value) > 1024:
            report.fail(value, path, "have length less than or equal to 1024")
        return value
    if not _TABLE_NAME.fullmatch(value):
        report.fail(value, path, "satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
    _length(value, 3, 255, path, report)
    return value


# Table names found valid (a set lookup is cheaper than the pattern); bounded, never pruned.
_GOOD_NAMES: set[str] = set()


def _number(kind: str, shape: dict[str, Any]) -> Check:
    java = {"integer": "Integer", "long": "Long", "double": "Double"}[kind]
    low, high = shape.get("min"), shape.get("max")

    def number(value: Any, path: str, report: _Report) -> Any:
        if type(value) is not int:
            if type(value) is float:
                if kind != "double":
                    value = math.floor(value) if math.isfinite(value) else 0
            else:
                _type_error(
                    value, f"{_scalar_token(value)} cannot be converted to {java}",
                    f"Unrecognized collection type class java.lang.{java}", _START_OF_MAP,
                )  # fmt: skip
        if low is not None and value < low:
            report.fail(value, path, f"have value greater than or equal to {low}")
        if high is not None and value > high:
            report.fail(value, path, f"have value less than or equal to {high}")
        return value

    return number


_TRUE = {"TRUE", "1", "YES"}
_FALSE = {"FALSE", "0", "NO"}


def _boolean(value: Any, path: str, report: _Report) -> Any:
    if type(value) is bool:
        return value
    if isinstance(value, str):
        word = value.upper()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise SerializationException("Unexpected token received from parser")
    token = _scalar_token(value)
    _type_error(
        value, f"{token} cannot be converted to Boolean",
        "Unrecognized collection type class java.lang.Boolean", _START_OF_MAP,
    )  # fmt: skip
    return value


def _blob(value: Any, path: str, report: _Report) -> Any:
    if type(value) is not str:
        _type_error(
            value, "only base-64-encoded strings are convertible to bytes",
            "Unrecognized collection type class java.nio.ByteBuffer", _START_OF_MAP,
        )  # fmt: skip
    return value


def _timestamp(value: Any, path: str, report: _Report) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        _type_error(
            value, f"{_scalar_token(value)} cannot be converted to Date",
            "Unrecognized collection type class java.util.Date", _START_OF_MAP,
        )  # fmt: skip
    return value


def _pattern(text: str | None) -> re.Pattern[str] | None:
    """A model pattern (Java syntax) as a Python regex; None when Python cannot read it."""
    if not text:
        return None
    try:
        return re.compile(text)
    except re.error:
        return None


_KeyCheck = Callable[[str, Any, str, _Report], None]


def _map_key_check(name: str, shape: dict[str, Any]) -> _KeyCheck | None:
    """The check of a map's keys: one 'Map keys must satisfy constraint: [...]' per key."""
    if name == "TableArn":
        parts = [
            "Member must have length less than or equal to 255",
            "Member must have length greater than or equal to 3",
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
        ]

        def fits(key: str) -> bool:
            if key.startswith("arn:"):
                return len(key) <= 1024
            return 3 <= len(key) <= 255 and _TABLE_NAME.fullmatch(key) is not None

    else:
        low, high = shape.get("min"), shape.get("max")
        pattern = _pattern(shape.get("pattern"))
        parts = []
        if high is not None:
            parts.append(f"Member must have length less than or equal to {high}")
        if low is not None:
            parts.append(f"Member must have length greater than or equal to {low}")
        if pattern is not None:
            parts.append(f"Member must satisfy regular expression pattern: {pattern.pattern}")
        if not parts:
            return None

        def fits(key: str) -> bool:
            return (
                (low is None or len(key) >= low)
                and (high is None or len(key) <= high)
                and (pattern is None or pattern.fullmatch(key) is not None)
            )

    constraint = f"Map keys must satisfy constraint: [{', '.join(parts)}]"

    def key_check(key: str, whole: Any, path: str, report: _Report) -> None:
        if not fits(key):
            _fail_raw(report, whole, path, constraint)

    return key_check


_ValueLimits = Callable[[Any, Any, str, _Report], None]


def _map_value_limits(shape: dict[str, Any]) -> _ValueLimits | None:
    """A list or string map value's length limits: 'Map value must satisfy constraint: [...]'."""
    if shape["type"] not in ("list", "string", "map"):
        return None
    low, high = shape.get("min"), shape.get("max")
    parts = []
    if high is not None:
        parts.append(f"Member must have length less than or equal to {high}")
    if low is not None:
        parts.append(f"Member must have length greater than or equal to {low}")
    if not parts:
        return None
    constraint = f"Map value must satisfy constraint: [{', '.join(parts)}]"

    def limits(element: Any, whole: Any, path: str, report: _Report) -> None:
        if isinstance(element, list | str | dict) and not (
            (low is None or len(element) >= low) and (high is None or len(element) <= high)
        ):
            _fail_raw(report, whole, path, constraint)

    return limits


def _fail_raw(report: _Report, value: Any, path: str, constraint: str) -> None:
    """A failure whose constraint text does not start with 'Member must'."""
    if not report.wording:
        report.fail(value, path, constraint)
        return
    report.failed = True
    if len(report.messages) < MAX_REPORTED:
        report.messages.append(
            f"Value '{show(value)}' at '{path}' failed to satisfy constraint: {constraint}"
        )


class Validator:
    """The validation of one operation's requests: call it with the decoded body."""

    def __init__(self, operation: str, check: Check) -> None:
        self.operation = operation
        self._check = check

    def __call__(self, request: dict[str, Any]) -> None:
        """Raise SerializationException or ValidationException as DynamoDB would."""
        try:
            self._check(request, "", _FAST)
            return
        except _Failed:
            pass
        # A constraint failed: the whole document is first checked for wrong types (the
        # deserializer's errors come first, in document order), then walked in the shape's
        # order to word every failure.
        self._check(request, "", _Report(False))
        report = _Report(True)
        self._check(request, "", report)
        messages = report.messages
        if messages:
            count = len(messages)
            noun = "error" if count == 1 else "errors"
            raise ValidationException(f"{count} validation {noun} detected: " + "; ".join(messages))


def _compile_all() -> dict[str, Validator]:
    loader = Loader()
    validators: dict[str, Validator] = {}
    for service in ("dynamodb", "dynamodbstreams"):
        model = loader.load_service_model(service, "service-2")
        compiler = _Compiler(model)
        for name, operation in model["operations"].items():
            shape = operation.get("input", {}).get("shape")
            if shape is not None:
                validators[name] = Validator(name, compiler.check(shape))
    return validators


_VALIDATORS = _compile_all()


def validator_for(operation: str) -> Validator | None:
    """The compiled validator of an operation (by name: "PutItem"), None if not modelled."""
    return _VALIDATORS.get(operation)
