"""A template file -> its mapping (YAML with CloudFormation short tags, or JSON), checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sockgate.errors import ConfigError
from sockgate.service.yaml_loader import load_yaml

__all__ = ["read_template"]


def read_template(file: Path) -> dict[str, Any]:
    """The template as a mapping, short tags in long form; a clear error when it is not one."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot be read: {error}", file=str(file)) from None
    data = load_yaml(text, file=str(file))  # JSON is YAML, and errors keep line and column
    if not isinstance(data, dict):
        raise ConfigError(
            "is not a CloudFormation template (not a mapping)",
            file=str(file),
            fix="A template is a mapping with a Resources section.",
        )
    resources = data.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise ConfigError(
            "has no Resources" if resources is None else "must have a mapping of Resources",
            file=str(file),
            path="Resources",
            fix="Declare the WebSocket API and its functions under Resources.",
        )
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise ConfigError(
                "must be a mapping with a Type",
                file=str(file),
                path=f"Resources.{logical_id}",
                fix="Write it as {Type: AWS::..., Properties: {...}}.",
            )
    return data
