"""`--parameter-overrides` in SAM CLI's syntax -> {parameter name: value} (pure).

Both of SAM CLI's spellings, space-separated, values quoted when they hold spaces:

    Env=prod TableName=chat
    ParameterKey=Env,ParameterValue=prod ParameterKey=TableName,ParameterValue="my chat"
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable

from sockgate.errors import ConfigError

__all__ = ["parse_parameter_overrides"]

_LONG = re.compile(r"ParameterKey=([^,]+),ParameterValue=(.*)", re.DOTALL)
_SHORT = re.compile(r"([A-Za-z0-9]+)=(.*)", re.DOTALL)


def parse_parameter_overrides(values: Iterable[str]) -> dict[str, str]:
    """Each `--parameter-overrides` value split into parameters; later ones win."""
    result: dict[str, str] = {}
    for value in values:
        try:
            tokens = shlex.split(value)
        except ValueError as error:
            raise ConfigError(f"--parameter-overrides {value!r}: {error}") from None
        for token in tokens:
            match = _LONG.fullmatch(token) or _SHORT.fullmatch(token)
            if match is None:
                raise ConfigError(
                    f"--parameter-overrides: {token!r} is not Key=Value",
                    fix="Write Key=Value or ParameterKey=Key,ParameterValue=Value, "
                    "space-separated and quoted as one argument.",
                )
            result[match.group(1)] = match.group(2)
    return result
