"""`AWS::Lambda::Function` and `AWS::Logs::LogGroup` per function."""

from __future__ import annotations

import math
import re
from typing import Any

from sockgate.cloudformation import naming
from sockgate.cloudformation.iam import function_role
from sockgate.errors import DeployError
from sockgate.service.environment import environment_string
from sockgate.service.model import Function, Service

__all__ = ["function_resources"]

# Lambda's CreateFunction constraint on environment variable names.
_ENV_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_]+")


def _env_variables(environment: dict[str, Any]) -> dict[str, Any]:
    # Intrinsics stay intrinsics for CloudFormation to resolve at deploy time (a table name
    # from {"Ref": ...}); scalars become the strings Lambda holds, and null no variable.
    variables: dict[str, Any] = {}
    for name, value in environment.items():
        text = value if isinstance(value, dict | list) else environment_string(value)
        if text is not None:
            variables[name] = text
    return variables


def _architectures(service: Service) -> list[str] | None:
    architecture = service.provider.get("architecture")
    return [architecture] if architecture in ("x86_64", "arm64") else None


def _function(
    service: Service, fn: Function, code: dict[str, Any], role: Any, role_deps: list[str]
) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "Code": code,
        "Handler": fn.handler,
        "Runtime": fn.runtime,
        "FunctionName": fn.name,
        "MemorySize": fn.memory_size,
        # Lambda takes whole seconds; round a fractional timeout up, never down.
        "Timeout": math.ceil(fn.timeout),
    }
    if fn.description:
        properties["Description"] = fn.description
    for name in fn.environment:
        if not _ENV_NAME.fullmatch(name):
            raise DeployError(
                f"Function '{fn.key}' has environment variable '{name}', which Lambda rejects: "
                "names are a letter then at least one letter, digit or underscore."
            )
    if fn.environment:
        properties["Environment"] = {"Variables": _env_variables(fn.environment)}
    properties["Role"] = role
    if fn.reserved_concurrency is not None:
        properties["ReservedConcurrentExecutions"] = fn.reserved_concurrency
    architectures = _architectures(service)
    if architectures:
        properties["Architectures"] = architectures
    tags = service.provider.get("tags")
    if isinstance(tags, dict) and tags:
        properties["Tags"] = [{"Key": k, "Value": str(v)} for k, v in tags.items()]
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": properties,
        "DependsOn": [naming.log_group(fn.key), *role_deps],
    }


def _log_group(service: Service, fn: Function) -> dict[str, Any]:
    properties: dict[str, Any] = {"LogGroupName": f"/aws/lambda/{fn.name}"}
    retention = service.provider.get("logRetentionInDays")
    if retention:
        properties["RetentionInDays"] = int(retention)
    return {"Type": "AWS::Logs::LogGroup", "Properties": properties}


def function_resources(service: Service, code: dict[str, Any]) -> dict[str, Any]:
    """Log group and function for every function; `code` is the shared Code property."""
    role, role_deps = function_role(service)
    resources: dict[str, Any] = {}
    for fn in service.functions.values():
        resources[naming.log_group(fn.key)] = _log_group(service, fn)
        resources[naming.lambda_function(fn.key)] = _function(service, fn, code, role, role_deps)
    return resources
