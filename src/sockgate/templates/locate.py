"""What a PATH holds: a serverless.yml, a template, or a CDK cloud assembly (pure file reads).

The order `sockgate dev PATH` looks in, first match wins:

1. `serverless.yml` (`.yaml`, `.json`): the Serverless Framework's file;
2. `template.yaml`, `template.yml`, `template.json`: SAM's names (a SAM or plain
   CloudFormation template);
3. a CDK cloud assembly: `PATH/cdk.out/manifest.json`, or PATH itself holding `manifest.json`.

`--template FILE` names a template (or a cloud assembly's manifest.json / folder) outright;
`--stack NAME` picks one stack of an assembly holding several.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sockgate.errors import ConfigError

__all__ = ["TEMPLATE_NAMES", "Source", "find_source", "has_serverless_config"]

SERVERLESS_NAMES = ("serverless.yml", "serverless.yaml", "serverless.json")
TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json")  # SAM CLI's order
_STACK = "aws:cloudformation:stack"
_NESTED = "cdk:cloud-assembly"


@dataclass(frozen=True, slots=True)
class Source:
    """One template to read, and what it came from."""

    file: Path  # the template itself
    kind: str  # "template" or "CDK cloud assembly"
    stack: str | None = None  # the assembly's stack name (its CloudFormation stack name)
    region: str | None = None  # the assembly's environment region, when it names one
    assembly: Path | None = None  # the cloud assembly folder (asset paths are relative to it)


def has_serverless_config(path: Path) -> bool:
    """Whether PATH is, or holds, a serverless.yml (checked first, as before templates)."""
    if path.is_file():
        return path.name in SERVERLESS_NAMES or not _looks_like_template(path)
    return any((path / name).is_file() for name in SERVERLESS_NAMES)


def find_source(path: Path, *, template: Path | None = None, stack: str | None = None) -> Source:
    """The template PATH (or `template`) stands for; ConfigError naming what was looked for."""
    target = template if template is not None else path
    if template is not None and not target.exists():
        raise ConfigError(f"--template {target} does not exist", fix="Pass the template's path.")
    if target.is_file():
        if target.name == "manifest.json":
            return _from_assembly(target.parent, stack)
        return _plain(target, stack)
    if not target.is_dir():
        raise ConfigError(
            f"{target} does not exist",
            fix="Pass the folder that holds serverless.yml, template.yaml or cdk.out.",
        )
    for name in TEMPLATE_NAMES:
        if (target / name).is_file():
            return _plain(target / name, stack)
    for assembly in (target / "cdk.out", target):
        if (assembly / "manifest.json").is_file():
            return _from_assembly(assembly, stack)
    raise ConfigError(
        f"no serverless.yml, template.yaml (.yml, .json) or cdk.out/manifest.json in {target}",
        fix="Run in the service's folder, pass its path, or name the file with --template.",
    )


def _plain(file: Path, stack: str | None) -> Source:
    if stack is not None:
        raise ConfigError(
            f"--stack {stack} picks a stack of a CDK cloud assembly, but {file} is a template",
            fix="Leave --stack out, or pass the cdk.out folder.",
        )
    return Source(file=file, kind="template")


def _from_assembly(assembly: Path, wanted: str | None) -> Source:
    stacks = _stacks(assembly, prefix="")
    manifest = assembly / "manifest.json"
    if not stacks:
        raise ConfigError(
            "the cloud assembly holds no CloudFormation stack",
            file=str(manifest),
            fix="Run `cdk synth` again; the app defines no stack.",
        )
    names = ", ".join(name for name, _ in stacks)
    if wanted is None:
        if len(stacks) > 1:
            raise ConfigError(
                f"the cloud assembly holds several stacks ({names})",
                file=str(manifest),
                fix="Pick one with --stack NAME.",
            )
        return stacks[0][1]
    for name, source in stacks:
        if wanted in (name, source.stack, name.rsplit("/", 1)[-1]):
            return source
    raise ConfigError(
        f"--stack {wanted}: no such stack in the cloud assembly (it holds {names})",
        file=str(manifest),
        fix="Use one of the names listed.",
    )


def _stacks(assembly: Path, *, prefix: str) -> list[tuple[str, Source]]:
    """Every stack of an assembly and of its nested assemblies (CDK Stages), by display name."""
    manifest = assembly / "manifest.json"
    data = _read_json(manifest)
    artifacts = data.get("artifacts") if isinstance(data, dict) else None
    if not isinstance(artifacts, dict):
        raise ConfigError(
            "is not a cloud assembly manifest (no artifacts)",
            file=str(manifest),
            fix="Point at the cdk.out folder `cdk synth` wrote.",
        )
    found: list[tuple[str, Source]] = []
    for artifact_id, artifact in artifacts.items():
        if not isinstance(artifact, dict):
            continue
        properties = artifact.get("properties") or {}
        if artifact.get("type") == _STACK:
            template = assembly / str(
                properties.get("templateFile", f"{artifact_id}.template.json")
            )
            display = str(artifact.get("displayName") or prefix + artifact_id)
            source = Source(
                file=template,
                kind="CDK cloud assembly",
                stack=str(properties.get("stackName") or artifact_id),
                region=_region(artifact.get("environment")),
                assembly=assembly,
            )
            found.append((display, source))
        elif artifact.get("type") == _NESTED and properties.get("directoryName"):
            nested = assembly / str(properties["directoryName"])
            if (nested / "manifest.json").is_file():
                found.extend(_stacks(nested, prefix=f"{prefix}{artifact_id}/"))
    return found


def _region(environment: Any) -> str | None:
    """aws://ACCOUNT/REGION -> REGION, unless CDK left it unknown (environment-agnostic)."""
    if not isinstance(environment, str) or not environment.startswith("aws://"):
        return None
    region = environment.removeprefix("aws://").partition("/")[2]
    return None if not region or region.startswith("unknown-") else region


def _looks_like_template(file: Path) -> bool:
    """A file named otherwise: a template has Resources (or is a manifest), no `service:`."""
    if file.name == "manifest.json":
        return True
    from sockgate.service.yaml_loader import load_yaml

    try:
        data = load_yaml(file.read_text(encoding="utf-8"), file=str(file))
    except (OSError, UnicodeDecodeError, ConfigError):
        return False  # let the serverless.yml reader report what is wrong with it
    return isinstance(data, dict) and "service" not in data and "Resources" in data


def _read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ConfigError(f"cannot be read as JSON: {error}", file=str(file)) from None
