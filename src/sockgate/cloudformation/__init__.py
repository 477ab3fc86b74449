"""sockgate.cloudformation: a Service as a CloudFormation stack on AWS, deployed with boto3.

    build_template(service)            the template (pure)
    package(service)                   template + code zip on disk
    deploy / remove / info(service, session=...)   the stack on AWS

Logical ids follow the Serverless Framework's naming so a Framework-deployed stack can be
updated in place; see `naming`.
"""

from __future__ import annotations

from sockgate.cloudformation.deploy import deploy
from sockgate.cloudformation.info import info
from sockgate.cloudformation.package import package
from sockgate.cloudformation.remove import remove
from sockgate.cloudformation.results import (
    DeployResult,
    FunctionInfo,
    PackageResult,
    RouteInfo,
    StackInfo,
    StreamMappingInfo,
)
from sockgate.cloudformation.template import build_template

__all__ = [
    "DeployResult",
    "FunctionInfo",
    "PackageResult",
    "RouteInfo",
    "StackInfo",
    "StreamMappingInfo",
    "build_template",
    "deploy",
    "info",
    "package",
    "remove",
]
