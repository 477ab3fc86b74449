"""In a worker: load the handler, marshal its result and describe its errors as Lambda does.

Messages, error types and stack traces follow Lambda's Python runtime interface client
(`awslambdaric/bootstrap.py`, `lambda_runtime_marshaller.py`).
"""

from __future__ import annotations

import importlib
import json
import math
import sys
import traceback
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = [
    "Fault",
    "error_from_exception",
    "error_log_text",
    "load_handler",
    "make_error",
    "marshal",
]

Handler = Callable[[Any, Any], Any]

_RUNTIME_DIR = str(Path(__file__).resolve().parent)


class Fault(Exception):
    """A runtime fault: Lambda reports these with a `Runtime.*` error type."""

    IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
    BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
    HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
    MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
    USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
    MARSHAL_ERROR = "Runtime.MarshalError"

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


def make_error(
    message: str | None, error_type: str | None, stack: list[str] | None, request_id: str | None
) -> dict[str, Any]:
    """Lambda's error object; `requestId` is "" for init errors, as the runtime client sends."""
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": stack or [],
    }


def load_handler(handler: str) -> Handler:
    """Import the handler's module and return the function; raises Fault on the known faults."""
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as exc:
        raise Fault(Fault.MALFORMED_HANDLER_NAME, f"Bad handler '{handler}': {exc}") from None
    try:
        if module_name.split(".")[0] in sys.builtin_module_names:
            raise Fault(
                Fault.BUILT_IN_MODULE_CONFLICT,
                f"Cannot use built-in module {module_name} as a handler module",
            )
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        message = f"Unable to import module '{module_name}': {exc}"
        raise Fault(Fault.IMPORT_MODULE_ERROR, message) from None
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        message = f"Syntax error in module '{module_name}': {exc}"
        raise Fault(Fault.USER_CODE_SYNTAX_ERROR, message, trace) from None
    try:
        function: Handler = getattr(module, function_name)
    except AttributeError:
        message = f"Handler '{function_name}' missing on module '{module_name}'"
        raise Fault(Fault.HANDLER_NOT_FOUND, message) from None
    return function


def _decimal_default(value: object) -> Any:
    # The runtime writes a Decimal as its own digits (simplejson RawJSON); decoding those digits
    # gives exactly these numbers, so the result decodes the same.
    if isinstance(value, Decimal):
        if value.is_nan():
            return math.nan
        text = str(value)
        return int(text) if text.lstrip("-").isdigit() else float(text)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_ENCODER = json.JSONEncoder(default=_decimal_default)


def marshal(value: Any) -> bytes:
    """The handler's return value as JSON; raises Fault (Runtime.MarshalError) when it is not."""
    try:
        return _ENCODER.encode(value).encode("ascii")
    except Exception as exc:
        raise Fault(Fault.MARSHAL_ERROR, f"Unable to marshal response: {exc}") from None


def _user_frames(tb: TracebackType | None) -> list[str]:
    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    # Drop the runtime's own leading frames, as the runtime client drops bootstrap.py's.
    for index, frame in enumerate(frames):
        if not frame[0].startswith(_RUNTIME_DIR):
            frames = frames[index:]
            break
    else:
        frames = []
    # 4-tuples, as the runtime client passes them: no column carets in the formatted lines.
    return traceback.format_list(frames)  # type: ignore[arg-type]


def error_from_exception(exc: BaseException, request_id: str | None) -> dict[str, Any]:
    """The error object for an exception raised by user code (or a Fault)."""
    if isinstance(exc, Fault):
        return make_error(exc.message, exc.error_type, exc.trace, request_id)
    return make_error(str(exc), type(exc).__name__, _user_frames(exc.__traceback__), request_id)


def error_log_text(error: dict[str, Any]) -> str:
    """What the runtime logs for an error: `[ERROR] Type: message`, then the traceback."""
    description = "[ERROR]"
    if error.get("errorType"):
        description += " " + error["errorType"]
    if error.get("errorMessage"):
        description += (":" if error.get("errorType") else "") + " " + error["errorMessage"]
    lines = [description]
    stack = error.get("stackTrace")
    if stack is not None:
        lines.append("Traceback (most recent call last):")
        for element in stack:
            lines.extend(element.splitlines() if element else [""])
    return "\n".join(lines)
