"""`sockgate package`: write cloudformation-template.json and the code zip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sockgate.cloudformation.artifact import collect_files, dependency_files, file_sha256, write_zip
from sockgate.cloudformation.requirements import install_requirements
from sockgate.cloudformation.results import PackageResult
from sockgate.cloudformation.template import build_template, default_artifact_key
from sockgate.service.model import Service

__all__ = ["TEMPLATE_FILE", "default_output", "package", "write_template"]

TEMPLATE_FILE = "cloudformation-template.json"


def default_output(service: Service) -> Path:
    """Where `package` writes by default: <service>/.sockgate/package."""
    return service.directory / ".sockgate" / "package"


def write_template(template: dict[str, Any], path: Path) -> None:
    """The template as indented JSON (what `aws cloudformation deploy` reads)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(template, indent=2) + "\n")


def _build_zip(service: Service, output: Path) -> Path:
    cache = service.directory / ".sockgate" / "cache" / "requirements"
    entries = {}
    installed = install_requirements(service, cache)
    if installed is not None:
        entries.update(dependency_files(installed))
    # The service's own files win over a dependency of the same path: they are what the
    # handlers were written against.
    entries.update(collect_files(service, output=output))
    zip_path = output / f"{service.name}.zip"
    write_zip(entries.items(), zip_path)
    return zip_path


def package(service: Service, *, output: Path | None = None) -> PackageResult:
    """Build the code zip, then the template that loads it from its content-addressed key."""
    build_template(service)  # a bad service fails here, before the slow part (pip)
    output = output if output is not None else default_output(service)
    output.mkdir(parents=True, exist_ok=True)
    zip_path = _build_zip(service, output)
    digest = file_sha256(zip_path)
    # The key carries the content hash: unchanged code, unchanged key, no Lambda update.
    artifact_key = default_artifact_key(service, digest[:32])
    template = build_template(service, artifact_key=artifact_key, code_sha256=digest)
    template_path = output / TEMPLATE_FILE
    write_template(template, template_path)
    return PackageResult(
        template_path=template_path,
        zip_path=zip_path,
        template=template,
        artifact_key=artifact_key,
        code_sha256=digest,
    )
