"""`sockgate deploy`: package, upload, and create or update the stack through change sets.

The deployment bucket belongs to the stack (`ServerlessDeploymentBucket`), as with the
Serverless Framework: a new stack is first created holding only that bucket, the code and
template are uploaded to it, then the stack is updated to the full template. One stack owns
everything, `remove` leaves nothing behind, and a stack the Framework deployed (which has
that very bucket) is updated in place. `provider.deploymentBucket` names an existing bucket
instead; the stack is then created from the full template in one step.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from sockgate.cloudformation import naming
from sockgate.cloudformation.package import package
from sockgate.cloudformation.results import DeployResult, PackageResult
from sockgate.cloudformation.stack import (
    Progress,
    describe_stack,
    owned_bucket,
    run_change_set,
    stack_outputs,
)
from sockgate.cloudformation.template import core_template, deployment_bucket_name
from sockgate.errors import DeployError
from sockgate.service.model import Service

__all__ = ["deploy", "template_url"]

_TEMPLATE_NAME = "compiled-cloudformation-template.json"


def template_url(region: str, bucket: str, key: str) -> str:
    """The path-style S3 URL CloudFormation reads a TemplateURL from."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://s3.{region}.{suffix}/{bucket}/{key}"


def _check_usable(stack: dict[str, Any] | None) -> None:
    if stack is None:
        return
    name, status = stack["StackName"], stack["StackStatus"]
    if status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED"):
        raise DeployError(
            f"Stack {name} is {status} and cannot be updated; run `sockgate remove`, "
            "then deploy again."
        )
    if status.endswith("ROLLBACK_FAILED"):
        raise DeployError(
            f"Stack {name} is {status}; continue the rollback in the CloudFormation console "
            "(Continue update rollback), then deploy again."
        )
    if status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        raise DeployError(f"Stack {name} is busy ({status}); deploy again once it has finished.")


def _stack_tags(service: Service) -> list[dict[str, str]]:
    # The Framework's stack tags, so a Framework stack sees no tag change on every resource.
    tags: dict[str, Any] = {"STAGE": service.stage}
    for key in ("tags", "stackTags"):
        if isinstance(service.provider.get(key), dict):
            tags.update(service.provider[key])
    return [{"Key": str(k), "Value": str(v)} for k, v in tags.items()]


def _own_bucket(cfn: Any, stack: dict[str, Any]) -> str:
    bucket = owned_bucket(cfn, stack)
    if bucket is None:
        raise DeployError(
            f"Stack {stack['StackName']} has no {naming.DEPLOYMENT_BUCKET}; set "
            "provider.deploymentBucket to an existing bucket to deploy it."
        )
    return bucket


def _upload(s3: Any, bucket: str, packaged: PackageResult, progress: Progress) -> str:
    """Upload the zip (unless that content is already there) and the template; its key."""
    try:
        s3.head_object(Bucket=bucket, Key=packaged.artifact_key)
        progress(f"Code unchanged: s3://{bucket}/{packaged.artifact_key}")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise
        progress(f"Uploading s3://{bucket}/{packaged.artifact_key}")
        with packaged.zip_path.open("rb") as body:
            s3.put_object(Bucket=bucket, Key=packaged.artifact_key, Body=body)
    key = packaged.artifact_key.rsplit("/", 1)[0] + "/" + _TEMPLATE_NAME
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(packaged.template).encode(),
        ContentType="application/json",
    )
    return key


def deploy(
    service: Service,
    *,
    session: boto3.session.Session,
    output: Path | None = None,
    progress: Progress = print,
    poll_interval: float = 5.0,
) -> DeployResult:
    """Package the service and bring its stack to the new template; prints the outputs.

    Raises DeployError, after reporting each failed resource and its reason, when the
    stack cannot be created or updated. Nothing to change is reported, not raised.
    """
    packaged = package(service, output=output)
    progress(f"Packaged {packaged.zip_path} ({packaged.zip_path.stat().st_size} bytes)")
    cfn = session.client("cloudformation", region_name=service.region)
    s3 = session.client("s3", region_name=service.region)
    name, tags = service.stack_name, _stack_tags(service)
    stack = describe_stack(cfn, name)
    _check_usable(stack)
    fresh = stack is None or stack["StackStatus"] == "REVIEW_IN_PROGRESS"

    bucket = deployment_bucket_name(service)
    if bucket is None:
        if fresh:
            progress(f"Creating stack {name} with its deployment bucket")
            stack = run_change_set(
                cfn,
                stack_name=name,
                change_set_type="CREATE",
                template={"TemplateBody": json.dumps(core_template())},
                tags=tags,
                progress=progress,
                poll_interval=poll_interval,
            )
            fresh = False
        if stack is None:  # CloudFormation never calls a CREATE change set empty
            raise DeployError(f"CloudFormation did not create stack {name}.")
        bucket = _own_bucket(cfn, stack)

    key = _upload(s3, bucket, packaged, progress)
    progress(f"{'Creating' if fresh else 'Updating'} stack {name}")
    settled = run_change_set(
        cfn,
        stack_name=name,
        change_set_type="CREATE" if fresh else "UPDATE",
        template={"TemplateURL": template_url(service.region, bucket, key)},
        tags=tags,
        progress=progress,
        poll_interval=poll_interval,
    )
    if settled is None:
        progress("No changes to deploy")
    final = settled or stack
    if final is None:  # as above: only an UPDATE can be empty, and it has a stack
        raise DeployError(f"CloudFormation did not create stack {name}.")
    result = DeployResult(
        stack_name=name,
        stack_id=final["StackId"],
        status=final["StackStatus"],
        changed=settled is not None,
        outputs=stack_outputs(final),
    )
    for line in result.lines():
        progress(line)
    return result
