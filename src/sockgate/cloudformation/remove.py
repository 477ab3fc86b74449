"""`sockgate remove`: empty the stack's deployment bucket, then delete the stack."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import ClientError

from sockgate.cloudformation.stack import (
    EventStream,
    Progress,
    describe_stack,
    owned_bucket,
    raise_if_failed,
    watch_stack,
)
from sockgate.errors import DeployError
from sockgate.service.model import Service

__all__ = ["empty_bucket", "remove"]


def empty_bucket(s3: Any, bucket: str, progress: Progress) -> None:
    """Delete every object (and every version, if versioned): CloudFormation cannot delete a
    bucket that still holds anything."""
    count = 0
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            doomed = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            ]
            for start in range(0, len(doomed), 1000):  # DeleteObjects takes 1000 at most
                batch = doomed[start : start + 1000]
                s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
                count += len(batch)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchBucket":
            return
        raise
    progress(f"Emptied s3://{bucket} ({count} objects)")


def remove(
    service: Service,
    *,
    session: boto3.session.Session,
    progress: Progress = print,
    poll_interval: float = 5.0,
) -> None:
    """Delete the service's stack and wait until it is gone; DeployError if it cannot be."""
    cfn = session.client("cloudformation", region_name=service.region)
    s3 = session.client("s3", region_name=service.region)
    stack = describe_stack(cfn, service.stack_name)
    if stack is None:
        raise DeployError(
            f"Stack {service.stack_name} does not exist in {service.region}; nothing to remove."
        )
    # Only the stack's own bucket is emptied; a provider.deploymentBucket is not ours.
    bucket = owned_bucket(cfn, stack)
    if bucket:
        empty_bucket(s3, bucket, progress)
    events = EventStream(cfn, stack["StackId"])
    events.start()
    progress(f"Deleting stack {service.stack_name}")
    cfn.delete_stack(StackName=stack["StackId"])
    final = watch_stack(cfn, stack["StackId"], events, progress, poll_interval)
    raise_if_failed(final, events, "Removing")
    progress(f"Stack {service.stack_name} removed")
