"""SAM templates -> plain CloudFormation, with aws-sam-translator (what SAM CLI itself runs).

Nothing of SAM is re-implemented here: the translator expands `AWS::Serverless::*` (Function,
WebSocketApi, HttpApi, Api, SimpleTable, LayerVersion, Globals, events) and sockgate reads only
the CloudFormation it returns. The one thing the translator cannot take is a local `CodeUri` /
`ContentUri` (SAM CLI builds and uploads those before the transform): each is swapped for a
placeholder S3 location first, and `local_code` maps the placeholder keys back to the folders.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sockgate.errors import ConfigError

__all__ = ["LOCAL_BUCKET", "SamResult", "is_sam", "transform"]

LOCAL_BUCKET = "sockgate-local-code"  # the placeholder bucket of local code folders
_TRANSFORM = "AWS::Serverless-2016-10-31"
_CODE_PROPERTY = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}


@dataclass
class SamResult:
    """The CloudFormation template and the local folders its placeholder S3 keys stand for."""

    template: dict[str, Any]
    local_code: dict[str, Path] = field(default_factory=dict)  # S3Key -> folder


def is_sam(template: dict[str, Any]) -> bool:
    """Whether the template asks for the SAM transform."""
    transform = template.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return _TRANSFORM in names


def transform(
    template: dict[str, Any],
    *,
    parameters: dict[str, Any],
    region: str,
    account_id: str,
    directory: Path,
    file: str,
) -> SamResult:
    """The template with SAM's transform applied; errors name the resource SAM complained of."""
    try:
        import boto3
        from samtranslator.model.exceptions import (
            ExceptionWithMessage,
            InvalidDocumentException,
        )
        from samtranslator.parser.parser import Parser
        from samtranslator.translator.translator import Translator
    except ImportError:  # pragma: no cover - a dependency of sockgate
        raise ConfigError(
            "is a SAM template, and reading it needs aws-sam-translator",
            file=file,
            fix="pip install aws-sam-translator",
        ) from None

    document = copy.deepcopy(template)
    local_code = _swap_local_code(document, directory, file)
    others = [t for t in _transforms(document) if t != _TRANSFORM]
    if others:
        raise ConfigError(
            f"uses the transform(s) {', '.join(map(str, others))}, which sockgate cannot run",
            file=file,
            path="Transform",
            fix=f"Keep only {_TRANSFORM}.",
        )
    values = {
        **parameters,
        "AWS::Region": region,
        "AWS::AccountId": account_id,
        "AWS::Partition": "aws-cn" if region.startswith("cn-") else "aws",
    }
    session = boto3.session.Session(region_name=region)
    translator = Translator({}, Parser(), boto_session=session)
    try:
        result = translator.translate(
            document, parameter_values=values, get_managed_policy_map=dict
        )
    except InvalidDocumentException as error:
        causes = "; ".join(cause.message for cause in error.causes) or error.message
        raise ConfigError(f"SAM cannot transform it: {causes}", file=file) from None
    except ExceptionWithMessage as error:
        raise ConfigError(f"SAM cannot transform it: {error.message}", file=file) from None
    finally:
        translator.metrics.publish()  # to its no-op publisher; unpublished ones warn at exit
    return SamResult(template=result, local_code=local_code)


def _transforms(document: dict[str, Any]) -> list[Any]:
    transform = document.get("Transform")
    return transform if isinstance(transform, list) else [transform]


def _swap_local_code(document: dict[str, Any], directory: Path, file: str) -> dict[str, Path]:
    """Replace local CodeUri/ContentUri values with placeholder S3 URIs; return key -> folder."""
    local: dict[str, Path] = {}

    def swap(value: Any, path: str) -> Any:
        if not isinstance(value, str) or value.startswith("s3://"):
            return value
        folder = (directory / value).resolve()
        if not folder.exists():
            raise ConfigError(
                f"the code folder {value} does not exist (looked in {directory})",
                file=file,
                path=path,
                fix="Create it, or fix the path (relative to the template).",
            )
        key = f"{len(local)}/{folder.name}"
        local[key] = folder
        return f"s3://{LOCAL_BUCKET}/{key}"

    globals_function = (document.get("Globals") or {}).get("Function") or {}
    if "CodeUri" in globals_function:
        globals_function["CodeUri"] = swap(globals_function["CodeUri"], "Globals.Function.CodeUri")
    for logical_id, resource in document.get("Resources", {}).items():
        prop = _CODE_PROPERTY.get(resource.get("Type"))
        if prop is None:
            continue
        properties = resource.setdefault("Properties", {})
        if not isinstance(properties, dict):
            continue
        path = f"Resources.{logical_id}.Properties.{prop}"
        if prop in properties:
            properties[prop] = swap(properties[prop], path)
        elif prop == "CodeUri" and not _has_other_code(properties, globals_function):
            properties[prop] = swap(".", path)  # SAM CLI's default: the template's folder
    return local


def _has_other_code(properties: dict[str, Any], globals_function: dict[str, Any]) -> bool:
    keys = ("InlineCode", "ImageUri", "CodeUri")
    return any(key in properties or key in globals_function for key in keys)
