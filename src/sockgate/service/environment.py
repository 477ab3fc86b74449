"""How an environment value from a service definition becomes a Lambda environment variable."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["environment_string"]


def environment_string(value: Any) -> str | None:
    """A resolved environment value as Lambda holds it, or None when it sets no variable.

    Lambda's variables are strings: CloudFormation writes a scalar as its JSON text (true ->
    "true", 5 -> "5"), a list or map as JSON. A YAML null has no string form, so the variable is
    left out (`sockgate dev`, the worker and `sockgate package` alike).
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | dict | list):
        return json.dumps(value)
    return str(value)
