"""CloudFormation stack operations: change sets, deletion, and watching them finish.

Thin wrappers over boto3 calls; everything here talks to AWS and nothing decides policy.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from sockgate.cloudformation import naming
from sockgate.errors import DeployError

__all__ = [
    "CAPABILITIES",
    "EventStream",
    "Progress",
    "describe_stack",
    "owned_bucket",
    "raise_if_failed",
    "run_change_set",
    "stack_outputs",
    "watch_stack",
]

Progress = Callable[[str], None]
# The role has a fixed RoleName (named IAM), and user resources may use macros/transforms.
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
_SUCCESS = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "DELETE_COMPLETE", "IMPORT_COMPLETE"})
# What CloudFormation says when a change set (or an update) would change nothing.
_CHANGE_SET_TIMEOUT = 15 * 60  # seconds
_NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


def describe_stack(cfn: Any, stack: str) -> dict[str, Any] | None:
    """The stack by name or id, or None when it does not exist."""
    try:
        found: dict[str, Any] = cfn.describe_stacks(StackName=stack)["Stacks"][0]
        return found
    except ClientError as error:
        if "does not exist" in str(error.response.get("Error", {}).get("Message", "")):
            return None
        raise


def stack_outputs(stack: dict[str, Any]) -> dict[str, str]:
    """The stack's Outputs as {OutputKey: OutputValue}."""
    return {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs") or []}


def owned_bucket(cfn: Any, stack: dict[str, Any]) -> str | None:
    """The stack's own deployment bucket (output, else resource), or None if it has none."""
    bucket = stack_outputs(stack).get(naming.DEPLOYMENT_BUCKET_OUTPUT)
    if bucket:
        return bucket
    try:
        detail = cfn.describe_stack_resource(
            StackName=stack["StackId"], LogicalResourceId=naming.DEPLOYMENT_BUCKET
        )["StackResourceDetail"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ValidationError":
            return None
        raise
    return str(detail["PhysicalResourceId"]) or None


def _event_line(event: dict[str, Any]) -> str:
    line = (
        f"{event['ResourceStatus']:<28} {event.get('ResourceType', ''):<40} "
        f"{event.get('LogicalResourceId', '')}"
    )
    reason = event.get("ResourceStatusReason")
    if reason and event["ResourceStatus"].endswith("_FAILED"):
        line += f": {reason}"
    return line


class EventStream:
    """The stack's events, each reported once, oldest first, from the moment it starts."""

    def __init__(self, cfn: Any, stack_id: str) -> None:
        self._cfn = cfn
        self._stack_id = stack_id
        self._seen: set[str] = set()
        self.events: list[dict[str, Any]] = []  # every event since start(), oldest first

    def _newest(self) -> list[dict[str, Any]]:
        """Events newer than the last seen, newest first (stops paging at a seen one)."""
        fresh: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            kwargs = {"StackName": self._stack_id, **({"NextToken": token} if token else {})}
            page = self._cfn.describe_stack_events(**kwargs)
            for event in page.get("StackEvents", []):
                if event["EventId"] in self._seen:
                    return fresh
                fresh.append(event)
            token = page.get("NextToken")
            if not token or not self._seen:
                return fresh

    def start(self) -> None:
        """Mark every event so far as old (only the newest page is needed for that)."""
        page = self._cfn.describe_stack_events(StackName=self._stack_id)
        self._seen.update(event["EventId"] for event in page.get("StackEvents", []))

    def poll(self) -> list[dict[str, Any]]:
        """New events, oldest first."""
        fresh = list(reversed(self._newest()))
        self._seen.update(event["EventId"] for event in fresh)
        self.events.extend(fresh)
        return fresh

    def failures(self) -> list[str]:
        """ "LogicalId (Type): reason" for every resource that failed since start()."""
        return [
            f"{e.get('LogicalResourceId')} ({e.get('ResourceType')}): "
            f"{e.get('ResourceStatusReason', 'no reason given')}"
            for e in self.events
            if e["ResourceStatus"].endswith("_FAILED")
            and e.get("ResourceType") != "AWS::CloudFormation::Stack"
        ]


def watch_stack(
    cfn: Any, stack_id: str, events: EventStream, progress: Progress, poll_interval: float
) -> dict[str, Any]:
    """Report events as they happen until the stack settles; the settled stack."""
    while True:
        for event in events.poll():
            progress(_event_line(event))
        stack = describe_stack(cfn, stack_id)
        if stack is None:  # only a deleted stack looked up by name disappears
            return {"StackId": stack_id, "StackStatus": "DELETE_COMPLETE"}
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            for event in events.poll():  # the last events may land with the status
                progress(_event_line(event))
            return stack
        time.sleep(poll_interval)


def _settled_change_set(cfn: Any, change_set_id: str, poll_interval: float) -> dict[str, Any]:
    # A change set settles in seconds; the deadline only keeps a stuck one from hanging us.
    deadline = time.monotonic() + _CHANGE_SET_TIMEOUT
    while True:
        change_set: dict[str, Any] = cfn.describe_change_set(ChangeSetName=change_set_id)
        status = change_set["Status"]
        if status == "FAILED":
            return change_set
        if status == "CREATE_COMPLETE" and change_set.get("ExecutionStatus") == "AVAILABLE":
            return change_set
        if time.monotonic() > deadline:
            raise DeployError(
                f"Change set {change_set_id} is still {status} after "
                f"{_CHANGE_SET_TIMEOUT // 60} minutes; look at it in the CloudFormation console."
            )
        time.sleep(poll_interval)


def raise_if_failed(stack: dict[str, Any], events: EventStream, action: str) -> None:
    """A DeployError naming each failed resource and why, unless the stack settled well."""
    status = stack["StackStatus"]
    if status in _SUCCESS:
        return
    failures = events.failures() or [stack.get("StackStatusReason") or "no reason given"]
    raise DeployError(
        f"{action} stack {stack.get('StackName', stack['StackId'])} failed ({status}): "
        + "; ".join(failures)
    )


def run_change_set(
    cfn: Any,
    *,
    stack_name: str,
    change_set_type: str,
    template: dict[str, str],
    tags: list[dict[str, str]],
    progress: Progress,
    poll_interval: float,
) -> dict[str, Any] | None:
    """Create, execute and watch a change set; the settled stack, or None if nothing changed.

    template: {"TemplateBody": ...} or {"TemplateURL": ...}.
    """
    created = cfn.create_change_set(
        StackName=stack_name,
        ChangeSetName=f"sockgate-{time.time_ns()}",
        ChangeSetType=change_set_type,
        Capabilities=CAPABILITIES,
        Tags=tags,
        **template,
    )
    change_set_id, stack_id = created["Id"], created["StackId"]
    change_set = _settled_change_set(cfn, change_set_id, poll_interval)
    if change_set["Status"] == "FAILED":
        reason = change_set.get("StatusReason", "")
        cfn.delete_change_set(ChangeSetName=change_set_id)
        if any(text in reason for text in _NO_CHANGES):
            return None
        raise DeployError(f"CloudFormation rejected the change set for {stack_name}: {reason}")
    events = EventStream(cfn, stack_id)
    events.start()
    cfn.execute_change_set(ChangeSetName=change_set_id)
    stack = watch_stack(cfn, stack_id, events, progress, poll_interval)
    raise_if_failed(stack, events, "Creating" if change_set_type == "CREATE" else "Updating")
    return stack
