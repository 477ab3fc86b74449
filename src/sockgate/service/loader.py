"""serverless.yml on disk -> Service: find the file, parse it, resolve variables, validate."""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sockgate.errors import ConfigError
from sockgate.service.dotenv import load_dotenv
from sockgate.service.events import collect_events
from sockgate.service.functions import build_function, check_environment, local_layers
from sockgate.service.model import DEFAULT_ROUTE_SELECTION, Service
from sockgate.service.schema import RawProvider
from sockgate.service.validation import config_error_from, validate_model
from sockgate.service.variables import LOCAL_FILE, FileNotFound, resolve_variables
from sockgate.service.yaml_loader import load_yaml

__all__ = ["CONFIG_NAMES", "build_service", "find_config", "load_service", "read_config"]

CONFIG_NAMES = ("serverless.yml", "serverless.yaml", "serverless.json")  # the Framework's order
_SERVICE_NAME = re.compile(r"[a-zA-Z][0-9a-zA-Z-]+")  # the Framework's service pattern
_STAGE = re.compile(r"[a-zA-Z0-9-]+")


def load_service(
    path: str | Path = ".",
    *,
    stage: str | None = None,
    region: str | None = None,
    options: Mapping[str, str] | None = None,
) -> Service:
    """Read PATH/serverless.yml, resolve its variables and return the validated Service."""
    config_file = find_config(Path(path))
    file = str(config_file)
    merged: dict[str, Any] = dict(options or {})
    if stage:
        merged["stage"] = stage
    if region:
        merged["region"] = region
    raw = read_config(config_file)
    if "service" not in raw:
        raise ConfigError(
            "has no 'service' key", file=file, fix="Add 'service: <name>' at the top of the file."
        )
    directory = config_file.parent.resolve()
    environ: Mapping[str, str] = os.environ
    if raw.get("useDotenv") is True:
        environ = load_dotenv(directory, _plain_stage(raw, merged), os.environ)
    config = resolve_variables(
        raw,
        options=merged,
        env=environ,
        read_file=lambda relative: _read_variable_file(directory, relative),
        file=file,
        local=_local_values(directory),
    )
    try:
        return build_service(config, directory=directory, config_file=config_file, options=merged)
    except ValidationError as error:  # a gap in our own checks: still one clear sentence
        raise config_error_from(error, Service, file=file, path="") from None


def _plain_stage(raw: Mapping[str, Any], options: Mapping[str, Any]) -> str:
    """The stage before variables are resolved (which .env.<stage> to load), as the Framework
    finds it: --stage, else provider.stage when it is plain text, else dev."""
    provider = raw.get("provider")
    stage = provider.get("stage") if isinstance(provider, dict) else None
    if options.get("stage"):
        return str(options["stage"])
    return stage if isinstance(stage, str) and "${" not in stage else "dev"


def _local_values(directory: Path) -> dict[str, Any]:
    """sockgate.local.yml beside serverless.yml: local values of ${ssm:}, ${cf:}, ${param:}."""
    path = directory / LOCAL_FILE
    if not path.is_file():
        return {}
    data = load_yaml(path.read_text(encoding="utf-8"), file=str(path))
    if not isinstance(data, dict):
        raise ConfigError(
            "must be a mapping with ssm: and cf: sections",
            file=str(path),
            fix="Write it as 'ssm: {/my/parameter: value}' and 'cf: {stack.Output: value}'.",
        )
    return data


def find_config(path: Path) -> Path:
    """The serverless.yml (or .yaml/.json) in `path`, or `path` itself when it is a file."""
    if path.is_file():
        return path
    if not path.is_dir():
        raise ConfigError(
            f"{path} does not exist", fix="Pass the folder that holds serverless.yml."
        )
    for name in CONFIG_NAMES:
        candidate = path / name
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"no serverless.yml in {path}",
        fix="Run in the service's folder or pass its path (sockgate dev path/to/service).",
    )


def read_config(config_file: Path) -> dict[str, Any]:
    """The file parsed into a mapping (short tags in long form), variables not yet resolved."""
    file = str(config_file)
    try:
        text = config_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot be read: {error}", file=file) from None
    data = load_yaml(text, file=file)
    if data is None:
        raise ConfigError(
            "is empty", file=file, fix="Add 'service:', 'provider:' and 'functions:'."
        )
    if not isinstance(data, dict):
        raise ConfigError(
            f"must be a mapping of keys (service, provider, functions), not {type(data).__name__}",
            file=file,
            fix="Start the file with 'service: <name>'.",
        )
    return data


def build_service(
    config: dict[str, Any], *, directory: Path, config_file: Path, options: Mapping[str, Any]
) -> Service:
    """The Service of a config whose variables are resolved."""
    file = str(config_file)
    name = _service_name(config.get("service"), file)
    provider_value = config.get("provider")
    if not isinstance(provider_value, dict):
        raise ConfigError(
            "has no provider block" if provider_value is None else "must be a mapping",
            file=file,
            path="provider",
            fix="Add 'provider: {name: aws, runtime: python3.11}'.",
        )
    provider = validate_model(RawProvider, provider_value, file=file, path="provider")
    if provider.name != "aws":
        raise ConfigError(
            f"provider '{provider.name}' is not supported",
            file=file,
            path="provider.name",
            fix="sockgate runs AWS services; set name: aws.",
        )
    stage = str(options.get("stage") or provider.stage or "dev")
    if not _STAGE.fullmatch(stage):
        raise ConfigError(
            f"stage '{stage}' may only hold letters, digits and '-'",
            file=file,
            path="provider.stage",
            fix="Pick a stage such as dev or prod.",
        )
    region = str(options.get("region") or provider.region or "us-east-1")
    runtime = provider.runtime or "python3.11"
    check_environment(provider.environment or {}, file=file, path="provider.environment")
    functions_value = config.get("functions") or {}
    if not isinstance(functions_value, dict):
        raise ConfigError(
            "must be a mapping of function names to functions",
            file=file,
            path="functions",
            fix="Write it as 'functions: {hello: {handler: handler.hello}}'.",
        )
    layers = local_layers(config.get("layers"), directory, file=file)
    functions = {
        key: build_function(
            key,
            value,
            service=name,
            stage=stage,
            provider=provider,
            runtime=runtime,
            directory=directory,
            file=file,
            layers=layers,
        )
        for key, value in functions_value.items()
    }
    payload = (provider.http_api or {}).get("payload", "2.0")
    if payload not in ("1.0", "2.0"):
        raise ConfigError(
            f"must be '1.0' or '2.0', got {payload!r}", file=file, path="provider.httpApi.payload"
        )
    events = collect_events(functions, file=file, http_payload=payload)
    resources, outputs = _resources(config.get("resources"), file)
    custom = config.get("custom") or {}
    return Service(
        name=name,
        directory=directory,
        config_file=config_file.resolve(),
        stage=stage,
        region=region,
        runtime=runtime,
        route_selection_expression=provider.websockets_api_route_selection_expression
        or provider.websocket_api_route_selection_expression
        or DEFAULT_ROUTE_SELECTION,
        websocket_api_name=provider.websockets_api_name or provider.websocket_api_name,
        functions=functions,
        websocket_routes=tuple(events.websocket_routes),
        overridden_websocket_routes=tuple(events.overridden_websocket_routes),
        http_routes=tuple(events.http_routes),
        streams=tuple(events.streams),
        iam_statements=_iam_statements(provider, file),
        resources=resources,
        outputs=outputs,
        provider=provider_value,
        custom=custom if isinstance(custom, dict) else {},
        config=copy.deepcopy(config),  # independent of the parts above
    )


def _service_name(value: Any, file: str) -> str:
    if isinstance(value, dict):  # the older `service: {name: ...}` form
        value = value.get("name")
    if not isinstance(value, str) or not _SERVICE_NAME.fullmatch(value):
        raise ConfigError(
            f"{value!r} is not a valid service name",
            file=file,
            path="service",
            fix="Start with a letter and use letters, digits and '-' only (e.g. service: chat).",
        )
    return value


def _iam_statements(provider: RawProvider, file: str) -> tuple[dict[str, Any], ...]:
    """provider.iam.role.statements, then the older provider.iamRoleStatements."""
    role = (provider.iam or {}).get("role")
    statements = role.get("statements") if isinstance(role, dict) else None
    if statements is not None and (
        not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements)
    ):
        raise ConfigError(
            "must be a list of IAM statements",
            file=file,
            path="provider.iam.role.statements",
            fix="Write each as {Effect: Allow, Action: [...], Resource: ...}.",
        )
    return tuple(statements or ()) + tuple(provider.iam_role_statements or ())


def _resources(value: Any, file: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """resources.Resources and resources.Outputs; a list of blocks is merged in order."""
    blocks = value if isinstance(value, list) else [value] if value else []
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    for index, block in enumerate(blocks):
        where = f"resources[{index}]" if isinstance(value, list) else "resources"
        if not isinstance(block, dict):
            raise ConfigError(
                "must be a mapping with Resources (and Outputs)",
                file=file,
                path=where,
                fix="Write it as 'resources: {Resources: {MyTable: {Type: ...}}}'.",
            )
        for key, target in (("Resources", resources), ("Outputs", outputs)):
            section = block.get(key) or {}
            if not isinstance(section, dict):
                raise ConfigError(
                    "must be a mapping of logical ids",
                    file=file,
                    path=f"{where}.{key}",
                    fix="Write each as 'LogicalId: {Type: ..., Properties: ...}'.",
                )
            target.update(section)
    return resources, outputs


def _read_variable_file(directory: Path, relative: str) -> Any:
    """Read a `${file(...)}` target inside the service folder (the Framework's rule)."""
    target = (directory / relative).resolve()
    if not target.is_relative_to(directory):
        raise ConfigError(
            f"{relative} is outside the service folder",
            fix="Keep files read by ${file(...)} inside the folder of serverless.yml.",
        )
    if not target.is_file():
        raise FileNotFound(relative)
    if target.suffix == ".js":
        raise ConfigError(
            f"{relative} is JavaScript, which sockgate cannot run",
            fix="Put the values in a .yml or .json file instead.",
        )
    try:
        text = target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{relative} cannot be read: {error}") from None
    if target.suffix in (".yml", ".yaml"):
        return load_yaml(text, file=relative)
    if target.suffix in (".json", ".tfstate"):
        try:
            return json.loads(text)
        except ValueError as error:
            raise ConfigError(f"{relative} is not valid JSON: {error}") from None
    return text
