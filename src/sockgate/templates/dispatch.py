"""PATH -> Service, whatever PATH holds: a serverless.yml first, else a template."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sockgate.service import load_service
from sockgate.service.model import Service
from sockgate.templates.build import load_template
from sockgate.templates.locate import has_serverless_config

__all__ = ["load_path"]


def load_path(
    path: str | Path = ".",
    *,
    stage: str | None = None,
    region: str | None = None,
    options: Mapping[str, str] | None = None,
    template: str | Path | None = None,
    stack: str | None = None,
    parameters: Mapping[str, str] | None = None,
) -> Service:
    """The Service of PATH's serverless.yml; else of its template or CDK cloud assembly.

    `template`, `stack` or `parameters` ask for a template outright. A PATH that does not
    exist goes to the serverless.yml reader, whose error names it.
    """
    target = Path(path)
    wants_template = template is not None or stack is not None or bool(parameters)
    if not wants_template and (not target.exists() or has_serverless_config(target)):
        return load_service(target, stage=stage, region=region, options=options)
    return load_template(
        target, template=template, stack=stack, parameters=parameters, stage=stage, region=region
    )
