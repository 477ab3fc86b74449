"""Reading one settled template: its resources, where errors point, and load-time `Ref`s.

A `Reader` resolves properties while the template is read, with the one resolver
(`sockgate.service.intrinsics`) and a context where each resource answers `Ref` with what a
reader needs to match it: functions their name and ARN, tables their name, everything else its
own logical id (so `integrations/${Ref Integ}` names the integration resource). What handlers
see at run time is built separately (`local_resources` in `build.py`), from real values.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sockgate.errors import ConfigError
from sockgate.service.intrinsics import is_intrinsic, resolve_intrinsics
from sockgate.service.model import IntrinsicContext, ResourceAttrs

__all__ = ["Reader", "function_arn", "log", "references"]

log = logging.getLogger("sockgate.templates")

_SUB_NAME = re.compile(r"\$\{([^}!][^}]*)\}")
_FUNCTION_IN_ARN = re.compile(r"(?:^|:)function:([A-Za-z0-9_-]+)")


def function_arn(region: str, account_id: str, name: str) -> str:
    """A Lambda function's ARN."""
    return f"arn:aws:lambda:{region}:{account_id}:function:{name}"


@dataclass
class Reader:
    """A settled template's resources, the file errors name, and load-time resolution."""

    resources: dict[str, Any]
    file: str
    directory: Path  # the template's folder: relative code paths start here
    ctx: IntrinsicContext  # region, account, stack name (pseudo parameters)
    names: dict[str, ResourceAttrs] = field(default_factory=dict)  # load-time Ref/GetAtt

    def of_type(self, *types: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(logical id, Properties) of every resource of these types, in template order."""
        for logical_id, resource in self.resources.items():
            if resource.get("Type") in types:
                properties = resource.get("Properties") or {}
                if not isinstance(properties, dict):
                    raise self.error("must be a mapping", logical_id, "Properties")
                yield logical_id, properties

    def type_of(self, logical_id: str) -> str | None:
        """The Type of a resource, or None when there is no such resource."""
        resource = self.resources.get(logical_id)
        return resource.get("Type") if resource else None

    def error(
        self, message: str, logical_id: str, prop: str | None = None, fix: str | None = None
    ) -> ConfigError:
        """A ConfigError at Resources.<logical id>[.Properties.<prop>]."""
        path = f"Resources.{logical_id}" + (f".Properties.{prop}" if prop else "")
        return ConfigError(message, file=self.file, path=path, fix=fix)

    def resolve(self, value: Any, logical_id: str, prop: str) -> Any:
        """A property's value now, references to unknown resources named as such."""
        path = f"Resources.{logical_id}.Properties.{prop}"
        for name in references(value):
            if name not in self.names and not name.startswith("AWS::"):
                raise ConfigError(
                    f"refers to '{name}', which is not a resource of the template",
                    file=self.file,
                    path=path,
                    fix="Fix the logical id, or declare the resource.",
                )
        ctx = self.ctx.model_copy(update={"resources": self.names})
        return resolve_intrinsics(value, ctx, path=path)

    def text(self, value: Any, logical_id: str, prop: str) -> str | None:
        """A property resolved to text (None when absent)."""
        if value is None:
            return None
        resolved = self.resolve(value, logical_id, prop)
        return None if resolved is None else str(resolved)

    def logical_id_of(self, value: Any, logical_id: str, prop: str) -> str | None:
        """The logical id a `Ref` (or `Fn::GetAtt`) names, or the id a string equals."""
        target = self.text(value, logical_id, prop)
        return target if target in self.resources else None

    def function_of(self, value: Any, logical_id: str, prop: str, functions: dict[str, str]) -> str:
        """The function (logical id) an ARN, invocation URI, name or Ref points at.

        `functions` maps function names to logical ids. Accepts the function's name, its ARN
        (with or without a qualifier), and API Gateway's invocation URI around the ARN, however
        written (`Fn::Sub` with `${Fn.Arn}`, `Fn::Join`, `Fn::GetAtt`).
        """
        text = self.text(value, logical_id, prop)
        if text is None:
            raise self.error("is missing", logical_id, prop, "Point it at a Lambda function.")
        match = _FUNCTION_IN_ARN.search(text)
        name = match.group(1) if match else text
        if name in functions:
            return functions[name]
        raise self.error(
            f"points at {text!r}, which is not a Lambda function of the template",
            logical_id,
            prop,
            "Integrate a function the template declares (e.g. ${MyFunction.Arn}).",
        )


def references(value: Any) -> Iterator[str]:
    """The logical ids a value refers to through Ref, Fn::GetAtt and Fn::Sub."""
    if is_intrinsic(value):
        ((name, argument),) = value.items()
        if name == "Ref" and isinstance(argument, str):
            yield argument
        elif name == "Fn::GetAtt":
            yield from _get_att_reference(argument)
        elif name == "Fn::Sub":
            yield from _sub_references(argument)
        else:
            yield from references(argument)
    elif isinstance(value, dict):
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def _get_att_reference(argument: Any) -> Iterator[str]:
    if isinstance(argument, str):
        yield argument.split(".", 1)[0]
    elif isinstance(argument, list) and argument and isinstance(argument[0], str):
        yield argument[0]


def _sub_references(argument: Any) -> Iterator[str]:
    if isinstance(argument, list) and len(argument) == 2:
        text, variables = argument
    else:
        text, variables = argument, {}
    variables = variables if isinstance(variables, dict) else {}
    if isinstance(text, str):
        for match in _SUB_NAME.finditer(text):
            ref = match.group(1).strip().split(".", 1)[0]
            if ref not in variables:
                yield ref
    for item in variables.values():
        yield from references(item)
