"""`functions:` entries -> Function, with the checks Lambda itself would make at deploy time."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sockgate.errors import ConfigError
from sockgate.service.intrinsics import is_intrinsic
from sockgate.service.model import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_SECONDS,
    Function,
    lambda_logical_id,
)
from sockgate.service.schema import RawFunction, RawProvider
from sockgate.service.validation import validate_model

__all__ = ["build_function", "check_environment", "local_layers"]

_FUNCTION_KEY = re.compile(r"[a-zA-Z0-9_-]+")  # the Framework's functions pattern
_ENV_KEY = re.compile(r"[a-zA-Z][a-zA-Z0-9_]+")  # Lambda: a letter first, at least 2 chars
_MAX_FUNCTION_NAME = 64  # Lambda's limit on FunctionName
_MAX_ENV_BYTES = 4096  # Lambda: all variables together at most 4 KB
# Lambda refuses to let a function set these (AWS: Lambda environment variables, reserved keys)
RESERVED_ENV = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)


def build_function(
    key: Any,
    value: Any,
    *,
    service: str,
    stage: str,
    provider: RawProvider,
    runtime: str,
    directory: Path,
    file: str,
    layers: Mapping[str, Path] | None = None,
) -> Function:
    """One `functions.<key>` entry as a Function; the handler's module file must exist.

    `layers`: the service's own layers (`layers:` with a path), by logical id.
    """
    path = f"functions.{key}"
    if not isinstance(key, str) or not _FUNCTION_KEY.fullmatch(key):
        raise ConfigError(
            f"'{key}' is not a valid function name",
            file=file,
            path=path,
            fix="Use letters, digits, '-' and '_' only.",
        )
    if not isinstance(value, dict):
        raise ConfigError(
            f"function '{key}' must be a mapping with a handler",
            file=file,
            path=path,
            fix=f"Write it as '{key}: {{handler: handler.{key}}}'.",
        )
    raw = validate_model(RawFunction, value, file=file, path=path)
    handler = _handler(raw.handler, key, directory, file=file, path=path)
    function_runtime = raw.runtime or runtime
    if not function_runtime.startswith("python"):
        raise ConfigError(
            f"function '{key}' uses runtime '{function_runtime}', "
            "but sockgate runs Python handlers",
            file=file,
            path=f"{path}.runtime" if raw.runtime else "provider.runtime",
            fix="Use a Python runtime such as python3.11.",
        )
    name = raw.name or f"{service}-{stage}-{key}"
    if len(name) > _MAX_FUNCTION_NAME:
        raise ConfigError(
            f"the function name '{name}' is longer than Lambda's {_MAX_FUNCTION_NAME} characters",
            file=file,
            path=f"{path}.name",
            fix="Set a shorter name: (or shorten the service or function key).",
        )
    for index, event in enumerate(raw.events or ()):
        if not isinstance(event, dict) or len(event) != 1:
            raise ConfigError(
                "each event must be a mapping with one event type",
                file=file,
                path=f"{path}.events[{index}]",
                fix="Write it as '- websocket: $connect' or '- stream: {arn: ...}'.",
            )
    environment = {**(provider.environment or {}), **(raw.environment or {})}
    check_environment(environment, file=file, path=f"{path}.environment")
    logging = _logging_config(provider, raw, file=file, path=path)
    return Function(
        key=key,
        name=name,
        handler=handler,
        runtime=function_runtime,
        timeout=raw.timeout or provider.timeout or DEFAULT_TIMEOUT_SECONDS,
        memory_size=raw.memory_size or provider.memory_size or DEFAULT_MEMORY_MB,
        environment=environment,
        reserved_concurrency=raw.reserved_concurrency,
        description=raw.description,
        version=_first_set(raw.version_function, provider.version_functions, True),
        events=tuple(raw.events or ()),
        layers=_function_layers(provider, raw, layers or {}),
        log_format=logging.get("log_format", "Text"),
        application_log_level=logging.get("application_log_level"),
        system_log_level=logging.get("system_log_level"),
    )


def local_layers(value: Any, directory: Path, *, file: str) -> dict[str, Path]:
    """The service's `layers:` that have a local `path`, by the logical id the Framework gives
    them (`common` -> CommonLambdaLayer), which functions name with `{Ref: ...}`."""
    if not isinstance(value, dict):
        return {}
    result: dict[str, Path] = {}
    for name, layer in value.items():
        path = layer.get("path") if isinstance(layer, dict) else None
        if not isinstance(path, str):
            continue
        folder = (directory / path).resolve()
        if not folder.is_dir():
            raise ConfigError(
                f"the layer '{name}' has no folder {path}",
                file=file,
                path=f"layers.{name}.path",
                fix="Point path: at the folder holding the layer's python/ folder.",
            )
        logical_id = lambda_logical_id(str(name)).removesuffix("LambdaFunction") + "LambdaLayer"
        result[logical_id] = folder
    return result


def _function_layers(
    provider: RawProvider, raw: RawFunction, layers: Mapping[str, Path]
) -> tuple[Path, ...]:
    """The local folders of the layers a function uses (its own list, else the provider's), in
    order, as Lambda extracts them into /opt. ARNs of layers in AWS have no local content."""
    entries = (raw.model_extra or {}).get("layers")
    if entries is None:
        entries = (provider.model_extra or {}).get("layers")
    folders = []
    for entry in entries if isinstance(entries, list) else []:
        ref = entry.get("Ref") if isinstance(entry, dict) else None
        if isinstance(ref, str) and ref in layers:
            folders.append(layers[ref])
    return tuple(folders)


# Lambda's LoggingConfig values (API reference, LoggingConfig).
_LOG_SETTINGS = {
    "logFormat": ("log_format", ("Text", "JSON")),
    "applicationLogLevel": (
        "application_log_level",
        ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"),
    ),
    "systemLogLevel": ("system_log_level", ("DEBUG", "INFO", "WARN")),
}


def _logging_config(
    provider: RawProvider, raw: RawFunction, *, file: str, path: str
) -> dict[str, str]:
    """The function's `logs:` over `provider.logs.lambda`, as Function fields."""
    provider_logs = (provider.model_extra or {}).get("logs") or {}
    sources = [
        (
            "provider.logs.lambda",
            provider_logs.get("lambda") if isinstance(provider_logs, dict) else None,
        ),
        (f"{path}.logs", (raw.model_extra or {}).get("logs")),
    ]
    fields: dict[str, str] = {}
    for where, settings in sources:
        if not isinstance(settings, dict):
            continue
        for name, (field, allowed) in _LOG_SETTINGS.items():
            value = settings.get(name)
            if value is None:
                continue
            if value not in allowed:
                raise ConfigError(
                    f"'{value}' is not a Lambda {name}",
                    file=file,
                    path=f"{where}.{name}",
                    fix=f"Use one of {', '.join(allowed)}.",
                )
            fields[field] = value
    return fields


def _first_set(*values: bool | None) -> bool:
    # `x or y` would skip an explicit false, which is exactly the setting being asked for.
    return next(value for value in values if value is not None)


def _handler(handler: str | None, key: str, directory: Path, *, file: str, path: str) -> str:
    """The handler string, checked: 'path/module.function' whose module file exists."""
    if not handler:
        raise ConfigError(
            f"function '{key}' has no handler",
            file=file,
            path=path,
            fix=f"Add handler: <path/module>.<function>, e.g. handler: handler.{key}.",
        )
    handler = handler.strip().removeprefix("./")
    module, _, attribute = handler.rpartition(".")
    if not module or not attribute or "/" in attribute or module.endswith("/"):
        raise ConfigError(
            f"handler '{handler}' is not 'path/module.function'",
            file=file,
            path=f"{path}.handler",
            fix=f"Write it as handler: src/handler.{attribute or key} for src/handler.py.",
        )
    parts = module.replace("/", ".").split(".")
    relative = Path(*parts)
    module_file, package = relative.with_suffix(".py"), relative / "__init__.py"
    if not (directory / module_file).is_file() and not (directory / package).is_file():
        raise ConfigError(
            f"the handler module of function '{key}' was not found: looked for "
            f"{module_file.as_posix()} and {package.as_posix()} in {directory}",
            file=file,
            path=f"{path}.handler",
            fix="Create the file, or fix the handler path (relative to serverless.yml).",
        )
    return handler


def check_environment(environment: dict[str, Any], *, file: str, path: str) -> None:
    """Lambda's rules for variable names and values; intrinsic values are kept for later."""
    size = 0
    for name, value in environment.items():
        where = f"{path}.{name}"
        if not isinstance(name, str) or not _ENV_KEY.fullmatch(name):
            raise ConfigError(
                f"'{name}' is not a valid environment variable name",
                file=file,
                path=where,
                fix="Start with a letter and use at least 2 letters, digits or '_'.",
            )
        if name in RESERVED_ENV:
            raise ConfigError(
                f"'{name}' is reserved by Lambda and cannot be set",
                file=file,
                path=where,
                fix="Choose another name; Lambda sets this variable itself.",
            )
        if value is None:
            raise ConfigError(
                "has no value",
                file=file,
                path=where,
                fix="Give it a value (use '' for empty) or remove it.",
            )
        if isinstance(value, (dict, list)) and not is_intrinsic(value):
            raise ConfigError(
                "must be text, a number, a boolean or a CloudFormation function",
                file=file,
                path=where,
                fix="Lambda variables are strings; use a JSON string for structured values.",
            )
        if not isinstance(value, (dict, list)):
            size += len(name.encode()) + len(str(value).encode())
    if size > _MAX_ENV_BYTES:
        raise ConfigError(
            f"the environment variables take {size} bytes, over Lambda's 4 KB limit",
            file=file,
            path=path,
            fix="Move large values to a file or a table.",
        )
