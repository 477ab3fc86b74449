"""CloudFormation intrinsic functions, resolved locally against the resources a run created.

    Ref                 a logical id -> ResourceAttrs.ref; pseudo parameters AWS::Region,
                        AWS::AccountId, AWS::StackName, AWS::StackId, AWS::Partition,
                        AWS::URLSuffix, AWS::NotificationARNs, AWS::NoValue (removes the key)
    Fn::GetAtt          [LogicalId, Attr] or "LogicalId.Attr" -> ResourceAttrs.attributes
    Fn::Join            [delimiter, [values]]
    Fn::Sub             "text ${Name}" or ["text ${Name}", {Name: value}]; ${AWS::Region},
                        ${LogicalId}, ${LogicalId.Attr}, and ${!Literal} for a literal "${Literal}"
    Fn::Select          [index, [values]]
    Fn::Split           [delimiter, text]
    Fn::Base64          text -> base64 text

Anything else that needs a deployed stack (Fn::ImportValue, conditions, mappings) is a
ConfigError that names the key path and how to give the value locally.
"""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

from sockgate.errors import ConfigError
from sockgate.service.model import IntrinsicContext

__all__ = ["is_intrinsic", "resolve_intrinsics"]

_NO_VALUE: Any = object()  # AWS::NoValue: the key or item disappears
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_LOCAL_FIX = "for local runs set the value with ${env:NAME, 'default'} or ${opt:name}"


def is_intrinsic(value: Any) -> bool:
    """Whether `value` is one intrinsic function call: {"Ref": ...} or {"Fn::...": ...}."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = next(iter(value))
    return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::"))


def resolve_intrinsics(value: Any, ctx: IntrinsicContext, *, path: str) -> Any:
    """`value` with every intrinsic function replaced by its local value, recursively."""
    result = _Resolver(ctx).resolve(value, path)
    return None if result is _NO_VALUE else result


class _Resolver:
    def __init__(self, ctx: IntrinsicContext) -> None:
        self.ctx = ctx

    def resolve(self, value: Any, path: str) -> Any:
        if is_intrinsic(value):
            ((name, argument),) = value.items()
            return self.call(name, argument, path)
        if isinstance(value, dict):
            resolved = {key: self.resolve(item, f"{path}.{key}") for key, item in value.items()}
            return {key: item for key, item in resolved.items() if item is not _NO_VALUE}
        if isinstance(value, list):
            items = [self.resolve(item, f"{path}[{index}]") for index, item in enumerate(value)]
            return [item for item in items if item is not _NO_VALUE]
        return value

    def call(self, name: str, argument: Any, path: str) -> Any:
        functions = {
            "Ref": self.ref,
            "Fn::GetAtt": self.get_att,
            "Fn::Join": self.join,
            "Fn::Sub": self.sub,
            "Fn::Select": self.select,
            "Fn::Split": self.split,
            "Fn::Base64": self.base64,
        }
        function = functions.get(name)
        if function is not None:
            return function(argument, path)
        if name == "Fn::ImportValue":
            raise self.error(
                "Fn::ImportValue cannot be resolved locally (it reads another stack's export)",
                path,
                _LOCAL_FIX[0].upper() + _LOCAL_FIX[1:] + ".",
            )
        raise self.error(
            f"{name} cannot be resolved locally",
            path,
            "sockgate resolves Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split and "
            f"Fn::Base64; {_LOCAL_FIX}.",
        )

    # -- functions ----------------------------------------------------------------------

    def ref(self, argument: Any, path: str) -> Any:
        name = self.resolve(argument, path)
        if not isinstance(name, str):
            raise self.error("Ref takes a logical id (a string)", path, None)
        pseudo = self.pseudo(name, path)
        if pseudo is not None:
            return pseudo
        return self.resource(name, path, "Ref").ref

    def get_att(self, argument: Any, path: str) -> Any:
        argument = self.resolve(argument, path)
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if (
            not isinstance(argument, list)
            or len(argument) != 2
            or not all(isinstance(part, str) for part in argument)
        ):
            raise self.error(
                "Fn::GetAtt takes [LogicalId, Attribute] or 'LogicalId.Attribute'",
                path,
                "Write it as Fn::GetAtt: [MyTable, Arn] or !GetAtt MyTable.Arn.",
            )
        logical_id, attribute = argument
        attrs = self.resource(logical_id, path, "Fn::GetAtt")
        if attribute not in attrs.attributes:
            known = ", ".join(sorted(attrs.attributes)) or "none"
            raise self.error(
                f"Fn::GetAtt: resource '{logical_id}' has no attribute '{attribute}' locally",
                path,
                f"Use one of: {known}; {_LOCAL_FIX}.",
            )
        return attrs.attributes[attribute]

    def join(self, argument: Any, path: str) -> str:
        argument = self.resolve(argument, path)
        if (
            not isinstance(argument, list)
            or len(argument) != 2
            or not isinstance(argument[0], str)
            or not isinstance(argument[1], list)
        ):
            raise self.error(
                "Fn::Join takes [delimiter, [values]]", path, "Write it as Fn::Join: ['', [a, b]]."
            )
        delimiter: str
        items: list[Any]
        delimiter, items = argument
        return delimiter.join(self.text(item, path) for item in items)

    def sub(self, argument: Any, path: str) -> str:
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            template, variables = argument[0], self.resolve(argument[1], path)
        else:
            template, variables = argument, {}
        if not isinstance(template, str):
            raise self.error(
                "Fn::Sub takes a string or [string, {Name: value}]",
                path,
                "Write it as Fn::Sub: 'arn:${AWS::Partition}:...'.",
            )

        def replace(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name.startswith("!"):
                return "${" + name[1:] + "}"  # ${!Literal} is the literal text ${Literal}
            if name in variables:
                return self.text(variables[name], path)
            return self.text(self.sub_name(name, path), path)

        return _SUB_VARIABLE.sub(replace, template)

    def sub_name(self, name: str, path: str) -> Any:
        pseudo = self.pseudo(name, path)
        if pseudo is not None:
            return pseudo
        if "." in name:
            return self.get_att(name.split(".", 1), path)
        if name in self.ctx.resources:
            return self.ctx.resources[name].ref
        raise self.error(
            f"Fn::Sub: '${{{name}}}' is neither a variable of the Fn::Sub, a pseudo parameter, "
            "nor a resource",
            path,
            f"Define '{name}' under resources.Resources, pass it in the Fn::Sub variables, or "
            "write ${!" + name + "} for the literal text.",
        )

    def select(self, argument: Any, path: str) -> Any:
        argument = self.resolve(argument, path)
        if not isinstance(argument, list) or len(argument) != 2:
            raise self.error("Fn::Select takes [index, [values]]", path, None)
        index, items = argument
        try:
            position = int(index)
        except (TypeError, ValueError):
            raise self.error(f"Fn::Select index {index!r} is not a number", path, None) from None
        if not isinstance(items, list) or not 0 <= position < len(items):
            size = len(items) if isinstance(items, list) else 0
            raise self.error(
                f"Fn::Select index {position} is out of range for {size} value(s)", path, None
            )
        return items[position]

    def split(self, argument: Any, path: str) -> list[str]:
        argument = self.resolve(argument, path)
        if (
            not isinstance(argument, list)
            or len(argument) != 2
            or not all(isinstance(part, str) for part in argument)
        ):
            raise self.error("Fn::Split takes [delimiter, text]", path, None)
        delimiter: str
        text: str
        delimiter, text = argument
        if not delimiter:
            raise self.error("Fn::Split needs a non-empty delimiter", path, None)
        return text.split(delimiter)

    def base64(self, argument: Any, path: str) -> str:
        text = self.text(self.resolve(argument, path), path)
        return base64.b64encode(text.encode()).decode()

    # -- helpers ------------------------------------------------------------------------

    def pseudo(self, name: str, path: str) -> Any:
        """The value of a pseudo parameter, or None when `name` is not one."""
        ctx = self.ctx
        stack_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"sockgate:{ctx.stack_name}")
        suffix = "amazonaws.com.cn" if ctx.partition == "aws-cn" else "amazonaws.com"
        values: dict[str, Any] = {
            "AWS::Region": ctx.region,
            "AWS::AccountId": ctx.account_id,
            "AWS::StackName": ctx.stack_name,
            "AWS::StackId": f"arn:{ctx.partition}:cloudformation:{ctx.region}:"
            f"{ctx.account_id}:stack/{ctx.stack_name}/{stack_uuid}",
            "AWS::Partition": ctx.partition,
            "AWS::URLSuffix": suffix,
            "AWS::NotificationARNs": [],
            "AWS::NoValue": _NO_VALUE,
        }
        if name in values:
            return values[name]
        if name.startswith("AWS::"):
            raise self.error(
                f"'{name}' is not a CloudFormation pseudo parameter",
                path,
                "Use one of: " + ", ".join(values) + ".",
            )
        return None

    def resource(self, logical_id: str, path: str, function: str) -> Any:
        attrs = self.ctx.resources.get(logical_id)
        if attrs is None:
            known = ", ".join(sorted(self.ctx.resources)) or "none"
            raise self.error(
                f"{function}: no resource with logical id '{logical_id}' exists locally "
                f"(known: {known})",
                path,
                f"Define it under resources.Resources, or {_LOCAL_FIX}.",
            )
        return attrs

    def text(self, value: Any, path: str) -> str:
        value = self.resolve(value, path)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (str, int, float)):
            return str(value)
        raise self.error(f"expected text here, got {type(value).__name__}", path, None)

    def error(self, message: str, path: str, fix: str | None) -> ConfigError:
        file = str(self.ctx.config_file) if self.ctx.config_file else None
        return ConfigError(message, file=file, path=path, fix=fix)
