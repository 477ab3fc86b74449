"""CloudFormation intrinsic functions as the JSON they are written in a template."""

from __future__ import annotations

from typing import Any

__all__ = ["get_att", "join", "lambda_invocation_uri", "ref", "resource_type_of", "sub"]


def ref(logical_id: str) -> dict[str, Any]:
    return {"Ref": logical_id}


def get_att(logical_id: str, attribute: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def join(delimiter: str, parts: list[Any]) -> dict[str, Any]:
    return {"Fn::Join": [delimiter, parts]}


def sub(text: str) -> dict[str, Any]:
    return {"Fn::Sub": text}


def lambda_invocation_uri(function_arn: Any) -> dict[str, Any]:
    """The apigateway:lambda URI through which API Gateway invokes a function."""
    return join(
        "",
        [
            "arn:",
            ref("AWS::Partition"),
            ":apigateway:",
            ref("AWS::Region"),
            ":lambda:path/2015-03-31/functions/",
            function_arn,
            "/invocations",
        ],
    )


def resource_type_of(value: Any, resources: dict[str, Any]) -> str | None:
    """The Type of the template resource a Ref/GetAtt points at, or None."""
    if not isinstance(value, dict) or len(value) != 1:
        return None
    ((name, argument),) = value.items()
    if name == "Ref" and isinstance(argument, str):
        logical_id = argument
    elif name == "Fn::GetAtt":
        target = argument[0] if isinstance(argument, list) else str(argument).split(".")[0]
        logical_id = str(target)
    else:
        return None
    resource = resources.get(logical_id)
    return resource.get("Type") if isinstance(resource, dict) else None
