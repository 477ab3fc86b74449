"""Shared validation helpers: key paths, pydantic errors as ConfigErrors, range validators.

The raw shapes of serverless.yml sections are pydantic models (see `schema.py`); this module
turns a pydantic `ValidationError` into one ConfigError that names the key path in the
file's own spelling (`functions.hello.events[0].stream.batchSize`) and says how to fix it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import AfterValidator, BaseModel, ValidationError

from sockgate.errors import ConfigError

__all__ = ["between", "join_path", "validate_model"]

M = TypeVar("M", bound=BaseModel)


def join_path(base: str, *keys: str | int) -> str:
    """`join_path("functions.a", "events", 0)` -> `functions.a.events[0]`."""
    text = base
    for key in keys:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            text = f"{text}.{key}" if text else str(key)
    return text


def between(low: int, high: int, *, also: int | None = None) -> AfterValidator:
    """A validator for whole numbers in [low, high] (and optionally the single value `also`)."""

    def check(value: int) -> int:
        if value == also or low <= value <= high:
            return value
        allowed = f"{also} or " if also is not None else ""
        raise ValueError(f"must be {allowed}between {low} and {high}, got {value}")

    return AfterValidator(check)


def validate_model(model: type[M], data: Any, *, file: str, path: str) -> M:
    """Validate `data` as `model`, raising a ConfigError for the first problem found."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise config_error_from(error, model, file=file, path=path) from None


def config_error_from(
    error: ValidationError, model: type[BaseModel], *, file: str, path: str
) -> ConfigError:
    """One ConfigError for the first pydantic error, in the file's key spelling."""
    detail = error.errors(include_url=False)[0]
    loc = list(detail["loc"])  # the raw models avoid unions, so loc is a plain key path
    kind = detail["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        where = join_path(path, *loc[:-1])
        allowed = ", ".join(sorted(_aliases(model, loc[:-1])))
        return ConfigError(
            f"unknown key '{key}'",
            file=file,
            path=where,
            fix=f"Remove it or use one of: {allowed}." if allowed else "Remove it.",
        )
    where = join_path(path, *loc)
    if kind == "missing":
        return ConfigError("is required but missing", file=file, path=where, fix="Add it.")
    message, fix = _describe(kind, detail)
    return ConfigError(message, file=file, path=where, fix=fix)


def _describe(kind: str, detail: Any) -> tuple[str, str | None]:
    """(message, fix) for one pydantic error, in plain words."""
    got = _show(detail.get("input"))
    ctx = detail.get("ctx") or {}
    expected = {
        "int": "a whole number",
        "float": "a number",
        "bool": "true or false",
        "string": "a string",
        "dict": "a mapping (key: value)",
        "model": "a mapping (key: value)",
        "list": "a list",
        "tuple": "a list",
    }
    base = kind.split("_")[0]
    if base in expected and kind.endswith(("_type", "_parsing", "_from_float")):
        return f"must be {expected[base]}, got {got}", f"Write {expected[base]} here."
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '?')}, got {got}", "Use one of those values."
    if kind == "value_error":  # our own validators (ranges) raise ValueError with a sentence
        return str(ctx.get("error", detail["msg"])), "Use a value in that range."
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} item(s)", "Add an item or remove it."
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} item(s)", "Remove some items."
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters long", "Shorten it."
    message = detail["msg"]
    return f"{message[:1].lower()}{message[1:]}, got {got}", None


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _aliases(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """The keys a model (or the nested model at `loc`) accepts, as spelled in the file."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = _field(current, str(part))
        annotation = getattr(field, "annotation", None) if field else None
        current = _model_in(annotation)
        if current is None:
            return []
    return [field.alias or name for name, field in current.model_fields.items()]


def _field(model: type[BaseModel], key: str) -> Any:
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field
    return None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None
