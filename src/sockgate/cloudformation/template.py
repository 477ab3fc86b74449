"""A Service as one CloudFormation template (pure: no I/O)."""

from __future__ import annotations

import copy
from typing import Any

from sockgate.cloudformation import naming
from sockgate.cloudformation.functions import function_resources
from sockgate.cloudformation.httpapi import http_api_outputs, http_api_resources
from sockgate.cloudformation.iam import execution_role, function_role
from sockgate.cloudformation.intrinsics import join, ref
from sockgate.cloudformation.streams import stream_resources, stream_statements
from sockgate.cloudformation.versions import version_resources
from sockgate.cloudformation.websockets import (
    manage_connections_statement,
    websocket_outputs,
    websocket_resources,
)
from sockgate.errors import DeployError
from sockgate.service.model import Service

__all__ = [
    "DESCRIPTION",
    "build_template",
    "core_template",
    "default_artifact_key",
    "deployment_bucket_name",
]

# The Framework's own description, kept so a Framework stack sees no spurious change.
DESCRIPTION = "The AWS CloudFormation template for this Serverless application"


def deployment_bucket_name(service: Service) -> str | None:
    """`provider.deploymentBucket` (a name, or `{name: ...}`), or None for a stack-owned bucket."""
    bucket = service.provider.get("deploymentBucket")
    if isinstance(bucket, dict):
        bucket = bucket.get("name")
    return str(bucket) if bucket else None


def default_artifact_key(service: Service, directory: str | None = None) -> str:
    """The zip's key in the bucket: serverless/{service}/{stage}/[{dir}/]{service}.zip."""
    prefix = f"serverless/{service.name}/{service.stage}"
    if directory:
        prefix = f"{prefix}/{directory}"
    return f"{prefix}/{service.name}.zip"


def _bucket_resources() -> dict[str, Any]:
    bucket = ref(naming.DEPLOYMENT_BUCKET)
    arn = ["arn:", ref("AWS::Partition"), ":s3:::", bucket]
    return {
        naming.DEPLOYMENT_BUCKET: {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                    ]
                }
            },
        },
        naming.DEPLOYMENT_BUCKET_POLICY: {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": bucket,
                "PolicyDocument": {
                    "Statement": [
                        {
                            "Action": "s3:*",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Resource": [join("", [*arn, "/*"]), join("", arn)],
                            "Condition": {"Bool": {"aws:SecureTransport": False}},
                        }
                    ]
                },
            },
        },
    }


def _bucket_output() -> dict[str, Any]:
    return {naming.DEPLOYMENT_BUCKET_OUTPUT: {"Value": ref(naming.DEPLOYMENT_BUCKET)}}


def core_template() -> dict[str, Any]:
    """The first template of a new stack: only the deployment bucket the code is uploaded to."""
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": DESCRIPTION,
        "Resources": _bucket_resources(),
        "Outputs": _bucket_output(),
    }


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `resources:` over generated resources, as the Framework's _.merge does.

    Dicts merge key by key (so `ConnectLambdaFunction: {Properties: {Tracing...}}` extends
    the generated function); anything else, lists included, is replaced.
    """
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _check_references(service: Service) -> None:
    websocket = (*service.overridden_websocket_routes, *service.websocket_routes)
    used: list[str | None] = [r.function for r in websocket]
    used += [r.function for r in service.http_routes] + [s.function for s in service.streams]
    used += [r.authorizer.function for r in websocket if r.authorizer]
    for key in used:
        if key is not None and key not in service.functions:
            raise DeployError(f"An event refers to function '{key}', which is not in `functions:`.")
    for fn in service.functions.values():
        if not fn.runtime.startswith("python"):
            raise DeployError(
                f"Function '{fn.key}' uses runtime {fn.runtime}; sockgate packages Python "
                "functions only."
            )


def build_template(
    service: Service,
    *,
    artifact_bucket: str | None = None,
    artifact_key: str | None = None,
    code_sha256: str | None = None,
) -> dict[str, Any]:
    """The whole stack: bucket, role, functions, APIs, stream mappings, then `resources:`.

    artifact_bucket: an existing bucket holding the code zip (no stack-owned bucket is
    declared then); by default `provider.deploymentBucket`, else `ServerlessDeploymentBucket`.
    code_sha256: the hex SHA-256 of the code zip. A function's AWS::Lambda::Version (and its
    QualifiedArn output) is named after the code it publishes, so without it there are none.
    """
    _check_references(service)
    bucket = artifact_bucket or deployment_bucket_name(service)
    resources: dict[str, Any] = {} if bucket else _bucket_resources()
    outputs: dict[str, Any] = {} if bucket else _bucket_output()

    needed = stream_statements(service)
    if service.websocket_routes:
        needed.append(manage_connections_statement())
    role = execution_role(service, needed)
    if role is not None:
        resources[naming.ROLE] = role
    _, role_deps = function_role(service)
    if role is not None:
        role_deps = [naming.ROLE]

    code = {
        "S3Bucket": bucket or ref(naming.DEPLOYMENT_BUCKET),
        "S3Key": artifact_key or default_artifact_key(service),
    }
    resources.update(function_resources(service, code))
    if code_sha256 is not None:
        versions, version_outputs = version_resources(service, resources, code_sha256)
        resources.update(versions)
        outputs.update(version_outputs)
    resources.update(websocket_resources(service))
    resources.update(http_api_resources(service))
    resources.update(stream_resources(service, role_deps))
    outputs.update(websocket_outputs(service))
    outputs.update(http_api_outputs(service))

    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": DESCRIPTION,
        "Resources": _merge(resources, service.resources),
        "Outputs": _merge(outputs, service.outputs),
    }
