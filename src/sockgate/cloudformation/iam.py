"""The Lambda execution role (`IamRoleLambdaExecution`), built the way the Framework builds it."""

from __future__ import annotations

from typing import Any

from sockgate.cloudformation import naming
from sockgate.cloudformation.intrinsics import get_att, ref, sub
from sockgate.service.model import Service

__all__ = ["custom_role", "execution_role", "function_role"]

_LOGS_ARN = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"


def _role_config(service: Service) -> Any:
    iam = service.provider.get("iam")
    if isinstance(iam, dict) and "role" in iam:
        return iam["role"]
    return service.provider.get("role")


def custom_role(service: Service) -> Any | None:
    """The existing role the provider names (`iam.role: <arn or logical id>` / `role:`), or None."""
    role = _role_config(service)
    if isinstance(role, str) or (isinstance(role, dict) and not _is_role_settings(role)):
        return role
    return None


def _is_role_settings(role: dict[str, Any]) -> bool:
    # `iam.role` is either settings for the generated role or an intrinsic naming another.
    return not any(key.startswith("Fn::") or key == "Ref" for key in role)


def function_role(service: Service) -> tuple[Any, list[str]]:
    """The Role property of every function and the logical ids it must depend on."""
    role = custom_role(service)
    if role is None:
        return get_att(naming.ROLE, "Arn"), []
    if isinstance(role, str):
        if role.startswith("arn:"):
            return role, []
        return get_att(role, "Arn"), [role]
    if "Fn::GetAtt" in role:
        return role, [role["Fn::GetAtt"][0]]
    return role, []


def _log_statements(service: Service) -> list[dict[str, Any]]:
    prefix = f"/aws/lambda/{service.name}-{service.stage}"
    create: list[Any] = []
    put: list[Any] = []
    if any(
        fn.name.startswith(f"{service.name}-{service.stage}") for fn in service.functions.values()
    ):
        create.append(sub(f"{_LOGS_ARN}{prefix}*:*"))
        put.append(sub(f"{_LOGS_ARN}{prefix}*:*:*"))
    for fn in service.functions.values():
        if not fn.name.startswith(f"{service.name}-{service.stage}"):
            create.append(sub(f"{_LOGS_ARN}/aws/lambda/{fn.name}:*"))
            put.append(sub(f"{_LOGS_ARN}/aws/lambda/{fn.name}:*:*"))
    return [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:CreateLogGroup", "logs:TagResource"],
            "Resource": create,
        },
        {"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": put},
    ]


def execution_role(service: Service, needed: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The generated role: logs, user statements, then what events need; None if custom."""
    if custom_role(service) is not None or not service.functions:
        return None
    settings = _role_config(service)
    settings = settings if isinstance(settings, dict) else {}
    statements = [*_log_statements(service), *service.iam_statements, *needed]
    properties: dict[str, Any] = {
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": ["lambda.amazonaws.com"]},
                    "Action": ["sts:AssumeRole"],
                }
            ],
        },
        "Policies": [
            {
                "PolicyName": {"Fn::Join": ["-", [service.name, service.stage, "lambda"]]},
                "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
            }
        ],
        "Path": settings.get("path", "/"),
        "RoleName": settings.get("name")
        or {"Fn::Join": ["-", [service.name, service.stage, ref("AWS::Region"), "lambdaRole"]]},
    }
    managed = settings.get("managedPolicies") or service.provider.get("iamManagedPolicies")
    if managed:
        properties["ManagedPolicyArns"] = list(managed)
    boundary = (
        settings.get("permissionsBoundary")
        or settings.get("permissionBoundary")
        or service.provider.get("rolePermissionsBoundary")
    )
    if boundary:
        properties["PermissionsBoundary"] = boundary
    if isinstance(settings.get("tags"), dict):
        properties["Tags"] = [{"Key": k, "Value": v} for k, v in settings["tags"].items()]
    return {"Type": "AWS::IAM::Role", "Properties": properties}
