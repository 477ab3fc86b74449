"""`AWS::Lambda::Function` (and what SAM and the CDK make of theirs) -> Function.

Where the code is, in the order looked at:

- CDK: the `aws:asset:path` metadata (a folder, or a .zip, inside the cloud assembly);
- SAM: a local `CodeUri` (swapped for a placeholder S3 location during the transform);
- `Code: ./folder` as a string (the input form of `aws cloudformation package`);
- `Code: {S3Key: .../name.zip}` whose file sits beside the template (`sockgate package`'s
  output, and `sam package`'s when the zip is kept): unzipped under `.sockgate/code/`;
- `Code: {ZipFile: ...}` inline code: written as `index.py`, as Lambda does.

Lambda's own defaults apply where the template is silent: 3 s and 128 MB.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sockgate.service.functions import check_environment
from sockgate.service.model import Function
from sockgate.templates.context import Reader, log
from sockgate.templates.sam import LOCAL_BUCKET

__all__ = ["LAMBDA_DEFAULT_MEMORY_MB", "LAMBDA_DEFAULT_TIMEOUT", "FunctionTable", "read_functions"]

LAMBDA_DEFAULT_TIMEOUT = 3.0  # Lambda's own default (the Framework's 6 s is serverless.yml's)
LAMBDA_DEFAULT_MEMORY_MB = 128
FUNCTION = "AWS::Lambda::Function"
LAYER = "AWS::Lambda::LayerVersion"
_MAX_NAME = 64


@dataclass
class FunctionTable:
    """The template's functions: those sockgate runs, and the others (by logical id)."""

    functions: dict[str, Function]  # Python functions with local code, by logical id
    other: dict[str, str]  # logical id -> why it is not run (runtime, code in S3, image)
    by_name: dict[str, str]  # function name -> logical id, for ARNs

    def require(self, key: str, reader: Reader, where: str, prop: str) -> str:
        """`key`, when sockgate runs it; else the error saying why a route cannot use it."""
        if key in self.functions:
            return key
        raise reader.error(
            f"integrates function {key}, which cannot run locally: {self.other.get(key, '?')}",
            where,
            prop,
        )


def function_name(reader: Reader, logical_id: str, properties: dict[str, Any]) -> str:
    """FunctionName, else CloudFormation's `{stack}-{LogicalId}` without its random suffix."""
    name = reader.text(properties.get("FunctionName"), logical_id, "FunctionName")
    return name or f"{reader.ctx.stack_name}-{logical_id}"[:_MAX_NAME]


def read_functions(
    reader: Reader, *, local_code: dict[str, Path], assembly: Path | None
) -> FunctionTable:
    """Every AWS::Lambda::Function of the template."""
    functions: dict[str, Function] = {}
    other: dict[str, str] = {}
    by_name: dict[str, str] = {}
    layers = _layers(reader, local_code, assembly)
    for logical_id, properties in reader.of_type(FUNCTION):
        name = function_name(reader, logical_id, properties)
        by_name[name] = logical_id
        if properties.get("PackageType") == "Image":
            other[logical_id] = "a container image (PackageType: Image)"
            continue
        runtime = reader.text(properties.get("Runtime"), logical_id, "Runtime") or ""
        if not runtime.startswith("python"):
            other[logical_id] = f"runtime {runtime or 'none'} (sockgate runs Python handlers)"
            continue
        code_dir = _code_dir(reader, logical_id, properties, local_code, assembly)
        if code_dir is None:
            other[logical_id] = "its code is in S3, not in a local folder"
            continue
        functions[logical_id] = _function(
            reader, logical_id, properties, name, runtime, code_dir, layers
        )
    return FunctionTable(functions=functions, other=other, by_name=by_name)


def _function(
    reader: Reader,
    logical_id: str,
    properties: dict[str, Any],
    name: str,
    runtime: str,
    code_dir: Path,
    layers: dict[str, Path],
) -> Function:
    handler = reader.text(properties.get("Handler"), logical_id, "Handler")
    if not handler or "." not in handler:
        raise reader.error(
            f"{handler!r} is not 'module.function'" if handler else "is missing",
            logical_id,
            "Handler",
            "Write it as Handler: app.handler for app.py's handler function.",
        )
    _check_handler_file(reader, logical_id, handler, code_dir)
    variables = (properties.get("Environment") or {}).get("Variables") or {}
    where = f"Resources.{logical_id}.Properties.Environment.Variables"
    check_environment(variables, file=reader.file, path=where)
    timeout = reader.resolve(
        properties.get("Timeout", LAMBDA_DEFAULT_TIMEOUT), logical_id, "Timeout"
    )
    memory = reader.resolve(
        properties.get("MemorySize", LAMBDA_DEFAULT_MEMORY_MB), logical_id, "MemorySize"
    )
    reserved = properties.get("ReservedConcurrentExecutions")
    logging = _logging(reader, logical_id, properties)
    return Function(
        key=logical_id,
        name=name,
        handler=handler,
        runtime=runtime,
        timeout=float(timeout),
        memory_size=int(memory),
        environment=dict(variables),
        reserved_concurrency=None
        if reserved is None
        else int(reader.resolve(reserved, logical_id, "ReservedConcurrentExecutions")),
        description=reader.text(properties.get("Description"), logical_id, "Description"),
        code_dir=code_dir,
        layers=_function_layers(reader, logical_id, properties, layers),
        log_format=logging.get("log_format", "Text"),
        application_log_level=logging.get("application_log_level"),
        system_log_level=logging.get("system_log_level"),
    )


# LoggingConfig property -> (Function field, the values Lambda accepts)
_LOGGING = {
    "LogFormat": ("log_format", ("Text", "JSON")),
    "ApplicationLogLevel": (
        "application_log_level",
        ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"),
    ),
    "SystemLogLevel": ("system_log_level", ("DEBUG", "INFO", "WARN")),
}


def _logging(reader: Reader, logical_id: str, properties: dict[str, Any]) -> dict[str, str]:
    """LoggingConfig (LogFormat, ApplicationLogLevel, SystemLogLevel) as Function fields."""
    config = reader.resolve(properties.get("LoggingConfig") or {}, logical_id, "LoggingConfig")
    fields: dict[str, str] = {}
    for name, (field, allowed) in _LOGGING.items():
        value = config.get(name) if isinstance(config, dict) else None
        if value is None:
            continue
        if value not in allowed:
            raise reader.error(
                f"{value!r} is not one of {', '.join(allowed)}",
                logical_id,
                f"LoggingConfig.{name}",
            )
        fields[field] = str(value)
    return fields


def _check_handler_file(reader: Reader, logical_id: str, handler: str, code_dir: Path) -> None:
    """The module file, found as Lambda's Python runtime imports it (any file name works)."""
    module = handler.rsplit(".", 1)[0].replace("/", ".")
    relative = Path(*module.split("."))
    candidates = [relative.with_name(relative.name + ".py"), relative / "__init__.py"]
    if any((code_dir / candidate).is_file() for candidate in candidates):
        return
    looked = " and ".join(c.as_posix() for c in candidates)
    raise reader.error(
        f"the handler file of {handler} does not exist: looked for {looked} in {code_dir}",
        logical_id,
        "Handler",
        "Create the file, or fix Handler (module path relative to the code folder).",
    )


def _code_dir(
    reader: Reader,
    logical_id: str,
    properties: dict[str, Any],
    local_code: dict[str, Path],
    assembly: Path | None,
) -> Path | None:
    metadata = reader.resources[logical_id].get("Metadata") or {}
    asset = metadata.get("aws:asset:path") if isinstance(metadata, dict) else None
    if isinstance(asset, str) and metadata.get("aws:asset:property", "Code") == "Code":
        base = assembly or reader.directory
        return _existing(reader, logical_id, "Code", (base / asset).resolve(), "aws:asset:path")
    code = properties.get("Code")
    if isinstance(code, str):
        return _existing(reader, logical_id, "Code", (reader.directory / code).resolve(), "Code")
    if not isinstance(code, dict):
        raise reader.error("is missing", logical_id, "Code", "Point Code at the function's code.")
    if "ZipFile" in code:
        return _inline(reader, logical_id, code["ZipFile"])
    bucket = (
        reader.text(code.get("S3Bucket"), logical_id, "Code.S3Bucket")
        if "S3Bucket" in code
        else None
    )
    key = reader.text(code.get("S3Key"), logical_id, "Code.S3Key") if "S3Key" in code else None
    if bucket == LOCAL_BUCKET and key in local_code:
        local = local_code[key]
        return _unzipped(reader, local) if local.is_file() else local
    if key:
        beside = reader.directory / key.rsplit("/", 1)[-1]
        if beside.is_file() and beside.suffix == ".zip":
            return _unzipped(reader, beside)
    return None


def _existing(reader: Reader, logical_id: str, prop: str, path: Path, label: str) -> Path:
    if path.is_dir():
        return path
    if path.is_file() and path.suffix == ".zip":
        return _unzipped(reader, path)
    raise reader.error(
        f"the code at {path} ({label}) does not exist",
        logical_id,
        prop,
        "Build it first (cdk synth, or fix the path relative to the template).",
    )


def _unzipped(reader: Reader, archive: Path) -> Path:
    """A code zip, extracted once per content under <template folder>/.sockgate/code/."""
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()[:16]
    target = reader.directory / ".sockgate" / "code" / f"{archive.stem}-{digest}"
    if not target.is_dir():
        partial = target.with_name(target.name + ".partial")
        with zipfile.ZipFile(archive) as bundle:
            bundle.extractall(partial)
        partial.rename(target)
    return target


def _inline(reader: Reader, logical_id: str, source: Any) -> Path:
    text = reader.text(source, logical_id, "Code.ZipFile") or ""
    target = reader.directory / ".sockgate" / "code" / f"{logical_id}-inline"
    target.mkdir(parents=True, exist_ok=True)
    index = target / "index.py"  # what Lambda names inline Python code
    if not index.is_file() or index.read_text() != text:
        index.write_text(text)
    return target


def _layers(reader: Reader, local_code: dict[str, Path], assembly: Path | None) -> dict[str, Path]:
    """Local layer folders by logical id (SAM ContentUri, CDK asset, or a string Content)."""
    found: dict[str, Path] = {}
    for logical_id, properties in reader.of_type(LAYER):
        metadata = reader.resources[logical_id].get("Metadata") or {}
        asset = metadata.get("aws:asset:path") if isinstance(metadata, dict) else None
        content = properties.get("Content")
        if isinstance(asset, str):
            found[logical_id] = _existing(
                reader,
                logical_id,
                "Content",
                ((assembly or reader.directory) / asset).resolve(),
                "aws:asset:path",
            )
        elif isinstance(content, str):
            found[logical_id] = _existing(
                reader, logical_id, "Content", (reader.directory / content).resolve(), "Content"
            )
        elif isinstance(content, dict):
            key = reader.text(content.get("S3Key"), logical_id, "Content.S3Key")
            if key in local_code:
                found[logical_id] = local_code[key]
    return found


def _function_layers(
    reader: Reader, logical_id: str, properties: dict[str, Any], layers: dict[str, Path]
) -> tuple[Path, ...]:
    result = []
    for index, value in enumerate(properties.get("Layers") or ()):
        target = reader.logical_id_of(value, logical_id, f"Layers[{index}]")
        if target in layers:
            result.append(layers[target])
        else:
            shown = target or reader.text(value, logical_id, f"Layers[{index}]")
            log.warning(
                "%s: function %s uses layer %s, which has no local folder; install what it "
                "provides in the environment sockgate runs in",
                reader.file, logical_id, shown,
            )  # fmt: skip
    return tuple(result)


def check_names(table: FunctionTable, reader: Reader) -> None:
    """Two functions with one FunctionName cannot both exist (CloudFormation refuses it)."""
    seen: dict[str, str] = {}
    for key, function in table.functions.items():
        if function.name in seen:
            raise reader.error(
                f"FunctionName {function.name} is also {seen[function.name]}'s",
                key,
                "FunctionName",
            )
        seen[function.name] = key
