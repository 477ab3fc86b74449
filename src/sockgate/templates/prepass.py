"""What CloudFormation settles before it creates anything: parameters, conditions, mappings.

`settle(template, ...)` returns the Resources with

- `Ref` to a parameter replaced by its value (an override, else `Default`; list types as
  lists), and `${Param}` inside `Fn::Sub` passed as a variable of the Sub;
- `Conditions` evaluated (`Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not`, `Condition`), resources
  whose `Condition` is false removed, `Fn::If` replaced by its chosen branch;
- `Fn::FindInMap` looked up in `Mappings`;
- `{"Ref": "AWS::NoValue"}` removed from its mapping or list;
- `Fn::ImportValue` refused: it reads another stack's export, which no local run has.

Everything else (`Ref`/`Fn::GetAtt` to resources, `Fn::Sub`, `Fn::Join`, `Fn::Select`,
`Fn::Split`, pseudo parameters) is left as written for `sockgate.service.intrinsics`, the one
resolver, which also evaluates the pseudo parameters inside conditions and map keys here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sockgate.errors import ConfigError
from sockgate.service.intrinsics import is_intrinsic, resolve_intrinsics
from sockgate.service.model import IntrinsicContext

__all__ = ["Settled", "parameter_values", "settle"]

_NO_VALUE = {"Ref": "AWS::NoValue"}
_SUB_NAME = re.compile(r"\$\{([^}!][^}]*)\}")
_LIST_TYPES = ("CommaDelimitedList", "List<")


class _Unavailable:
    """A parameter whose value only AWS has (an SSM parameter type without an override)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


@dataclass(frozen=True)
class Settled:
    """The template's resources after parameters, conditions and mappings."""

    resources: dict[str, Any]
    parameters: dict[str, Any]  # by name; lists for list types
    skipped: tuple[str, ...]  # logical ids whose Condition is false


def parameter_values(
    template: Mapping[str, Any], overrides: Mapping[str, str], *, file: str
) -> dict[str, Any]:
    """Each parameter's value: the override, else its Default, checked as CloudFormation does."""
    declared = template.get("Parameters") or {}
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        names = ", ".join(declared) or "none"
        raise ConfigError(
            f"--parameter-overrides names {', '.join(unknown)}, which the template does not "
            f"declare (it declares: {names})",
            file=file,
            path="Parameters",
        )
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        spec = spec if isinstance(spec, dict) else {}
        kind = str(spec.get("Type", "String"))
        path = f"Parameters.{name}"
        if name in overrides:
            raw: Any = overrides[name]
        elif "Default" in spec:
            raw = spec["Default"]
        elif kind.startswith("AWS::SSM::Parameter::Value"):
            values[name] = _Unavailable(f"parameter {name} is read from SSM ({kind})")
            continue
        else:
            raise ConfigError(
                f"parameter {name} has no Default and no value",
                file=file,
                path=path,
                fix=f"Pass it: --parameter-overrides {name}=<value>.",
            )
        if kind.startswith("AWS::SSM::Parameter::Value") and name not in overrides:
            values[name] = _Unavailable(f"parameter {name} is read from SSM ({kind})")
            continue
        text = ",".join(map(str, raw)) if isinstance(raw, list) else _text(raw)
        _check_parameter(name, text, spec, file=file, path=path)
        if kind.startswith(_LIST_TYPES):
            values[name] = [item.strip() for item in text.split(",")] if text else []
        else:
            values[name] = text
    return values


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check_parameter(
    name: str, text: str, spec: Mapping[str, Any], *, file: str, path: str
) -> None:
    allowed = spec.get("AllowedValues")
    if isinstance(allowed, list) and text not in [_text(v) for v in allowed]:
        raise ConfigError(
            f"parameter {name} is {text!r}, not one of its AllowedValues "
            f"({', '.join(map(_text, allowed))})",
            file=file,
            path=path,
        )
    pattern = spec.get("AllowedPattern")
    if isinstance(pattern, str) and re.fullmatch(pattern, text) is None:
        raise ConfigError(
            f"parameter {name} is {text!r}, which does not match its AllowedPattern {pattern}",
            file=file,
            path=path,
            fix=str(spec.get("ConstraintDescription") or "Pass a value that matches."),
        )
    for key, check in (("MinLength", len(text).__ge__), ("MaxLength", len(text).__le__)):
        if key in spec and not check(int(spec[key])):
            raise ConfigError(
                f"parameter {name} is {len(text)} characters long; its {key} is {spec[key]}",
                file=file,
                path=path,
            )
    if str(spec.get("Type")) == "Number":
        try:
            float(text)
        except ValueError:
            raise ConfigError(
                f"parameter {name} is of Type Number, not {text!r}", file=file, path=path
            ) from None


def settle(
    template: Mapping[str, Any], parameters: Mapping[str, Any], ctx: IntrinsicContext, *, file: str
) -> Settled:
    """The resources with parameters, conditions, mappings and AWS::NoValue settled."""
    walker = _Walker(template, parameters, ctx, file)
    resources: dict[str, Any] = {}
    skipped: list[str] = []
    for logical_id, resource in template["Resources"].items():
        condition = resource.get("Condition")
        if condition is not None and not walker.condition(
            condition, f"Resources.{logical_id}.Condition"
        ):
            skipped.append(logical_id)
            continue
        resources[logical_id] = walker.walk(resource, f"Resources.{logical_id}")
    return Settled(resources=resources, parameters=dict(parameters), skipped=tuple(skipped))


class _Walker:
    def __init__(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, Any],
        ctx: IntrinsicContext,
        file: str,
    ) -> None:
        self.conditions = template.get("Conditions") or {}
        self.mappings = template.get("Mappings") or {}
        self.parameters = parameters
        self.ctx = ctx
        self.file = file
        self.evaluated: dict[str, bool] = {}
        self.evaluating: set[str] = set()

    def error(self, message: str, path: str, fix: str | None = None) -> ConfigError:
        return ConfigError(message, file=self.file, path=path, fix=fix)

    # -- the walk -------------------------------------------------------------------------

    def walk(self, value: Any, path: str) -> Any:
        if is_intrinsic(value):
            ((name, argument),) = value.items()
            return self.call(name, argument, path)
        if isinstance(value, dict):
            walked = {key: self.walk(item, f"{path}.{key}") for key, item in value.items()}
            return {key: item for key, item in walked.items() if item != _NO_VALUE}
        if isinstance(value, list):
            items = [self.walk(item, f"{path}[{i}]") for i, item in enumerate(value)]
            return [item for item in items if item != _NO_VALUE]
        return value

    def call(self, name: str, argument: Any, path: str) -> Any:
        where = f"{path}.{name}"
        if name == "Ref" and isinstance(argument, str) and argument in self.parameters:
            return self.parameter(argument, where)
        if name == "Fn::If":
            if not isinstance(argument, list) or len(argument) != 3:
                raise self.error("Fn::If takes [condition, value if true, value if false]", where)
            chosen = argument[1] if self.condition(argument[0], f"{where}[0]") else argument[2]
            return self.walk(chosen, where)
        if name == "Fn::FindInMap":
            return self.find_in_map(argument, where)
        if name == "Fn::Sub":
            return {"Fn::Sub": self.sub(argument, where)}
        if name == "Fn::ImportValue":
            raise self.error(
                "Fn::ImportValue reads another stack's export, which does not exist locally",
                where,
                "Pass the value as a template parameter instead (--parameter-overrides).",
            )
        return {name: self.walk(argument, where)}

    def parameter(self, name: str, path: str) -> Any:
        value = self.parameters[name]
        if isinstance(value, _Unavailable):
            raise self.error(
                f"{value.reason}, which needs AWS",
                path,
                f"Pass its value: --parameter-overrides {name}=<value>.",
            )
        return value

    def sub(self, argument: Any, path: str) -> Any:
        """Fn::Sub with template parameters passed as its variables."""
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            text, variables = argument[0], dict(self.walk(argument[1], path))
        else:
            text, variables = argument, {}
        if not isinstance(text, str):
            return self.walk(argument, path)
        for match in _SUB_NAME.finditer(text):
            name = match.group(1).strip()
            if name in self.parameters and name not in variables:
                value = self.parameter(name, path)
                variables[name] = ",".join(value) if isinstance(value, list) else value
        return [text, variables] if variables else text

    def find_in_map(self, argument: Any, path: str) -> Any:
        argument = self.resolved(argument, path)
        if not isinstance(argument, list) or len(argument) not in (3, 4):
            raise self.error("Fn::FindInMap takes [MapName, TopLevelKey, SecondLevelKey]", path)
        map_name, top, second = (str(part) for part in argument[:3])
        found = self.mappings.get(map_name, {}).get(top, {})
        if not isinstance(found, dict) or second not in found:
            if len(argument) == 4 and isinstance(argument[3], dict):  # DefaultValue
                return argument[3].get("DefaultValue")
            raise self.error(
                f"Fn::FindInMap: Mappings has no {map_name}.{top}.{second}",
                path,
                "Add the entry to Mappings, or pass a parameter that selects an existing one.",
            )
        return self.walk(found[second], path)

    def resolved(self, value: Any, path: str) -> Any:
        """A value with parameters settled and pseudo parameters (and Sub/Join...) resolved."""
        return resolve_intrinsics(self.walk(value, path), self.ctx, path=path)

    # -- conditions -----------------------------------------------------------------------

    def condition(self, value: Any, path: str) -> bool:
        if isinstance(value, str):
            return self.named_condition(value, path)
        if isinstance(value, dict) and set(value) == {"Condition"}:
            return self.named_condition(str(value["Condition"]), path)
        if not is_intrinsic(value):
            raise self.error("a condition must name a Condition or be Fn::Equals/And/Or/Not", path)
        ((name, argument),) = value.items()
        where = f"{path}.{name}"
        if name == "Fn::Equals":
            if not isinstance(argument, list) or len(argument) != 2:
                raise self.error("Fn::Equals takes [value, value]", where)
            left, right = (self.resolved(item, where) for item in argument)
            return _text(left) == _text(right) if not isinstance(left, list) else left == right
        if name in ("Fn::And", "Fn::Or", "Fn::Not"):
            if not isinstance(argument, list) or not argument:
                raise self.error(f"{name} takes a list of conditions", where)
            results = [self.condition(item, f"{where}[{i}]") for i, item in enumerate(argument)]
            if name == "Fn::Not":
                return not results[0]
            return all(results) if name == "Fn::And" else any(results)
        raise self.error(f"{name} is not a condition function", where)

    def named_condition(self, name: str, path: str) -> bool:
        if name in self.evaluated:
            return self.evaluated[name]
        if name not in self.conditions:
            known = ", ".join(self.conditions) or "none"
            raise self.error(f"no condition named {name} (Conditions: {known})", path)
        if name in self.evaluating:
            raise self.error(f"condition {name} refers to itself", f"Conditions.{name}")
        self.evaluating.add(name)
        result = self.condition(self.conditions[name], f"Conditions.{name}")
        self.evaluating.discard(name)
        self.evaluated[name] = result
        return result
