"""`sockgate info`: what is deployed, read back from the stack."""

from __future__ import annotations

import json
from typing import Any

import boto3

from sockgate.cloudformation import naming
from sockgate.cloudformation.results import FunctionInfo, RouteInfo, StackInfo, StreamMappingInfo
from sockgate.cloudformation.stack import describe_stack, stack_outputs
from sockgate.cloudformation.streams import mapping_logical_id
from sockgate.errors import DeployError
from sockgate.service.model import Service

__all__ = ["connections_url", "info"]


def connections_url(websocket_url: str) -> str:
    """wss://{api}.execute-api.{region}.amazonaws.com/{stage} -> https://.../{stage}/@connections."""
    return "https://" + websocket_url.removeprefix("wss://").rstrip("/") + "/@connections"


def _physical_ids(cfn: Any, stack_id: str) -> dict[str, str]:
    # ListStackResources pages through any number of resources; DescribeStackResources
    # stops at 100, which a service with many functions and routes passes.
    ids: dict[str, str] = {}
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_id):
        for summary in page.get("StackResourceSummaries", []):
            ids[summary["LogicalResourceId"]] = summary.get("PhysicalResourceId", "")
    return ids


def info(service: Service, *, session: boto3.session.Session) -> StackInfo:
    """The wss:// and @connections URLs, routes, functions and stream mappings as deployed."""
    cfn = session.client("cloudformation", region_name=service.region)
    stack = describe_stack(cfn, service.stack_name)
    if stack is None:
        raise DeployError(
            f"Stack {service.stack_name} does not exist in {service.region}; "
            "run `sockgate deploy` first."
        )
    outputs = stack_outputs(stack)
    ids = _physical_ids(cfn, stack["StackId"])

    def deployed_name(function_key: str) -> str:
        fn = service.functions.get(function_key)
        return ids.get(naming.lambda_function(function_key)) or (fn.name if fn else function_key)

    functions = tuple(
        FunctionInfo(key=fn.key, name=ids[naming.lambda_function(fn.key)],
                     logical_id=naming.lambda_function(fn.key))
        for fn in service.functions.values()
        if naming.lambda_function(fn.key) in ids
    )  # fmt: skip
    routes = tuple(
        RouteInfo(
            route.route_key, deployed_name(route.function), naming.websockets_route(route.route_key)
        )
        for route in service.websocket_routes
        if naming.websockets_route(route.route_key) in ids
    )
    mappings = []
    for event in service.streams:
        logical_id = mapping_logical_id(event)
        if logical_id in ids:
            source = event.arn if isinstance(event.arn, str) else json.dumps(event.arn)
            mappings.append(
                StreamMappingInfo(
                    deployed_name(event.function), logical_id, ids[logical_id], source
                )
            )
    websocket_url = outputs.get("ServiceEndpointWebsocket")
    return StackInfo(
        stack_name=stack["StackName"],
        status=stack["StackStatus"],
        region=service.region,
        websocket_url=websocket_url,
        connections_url=connections_url(websocket_url) if websocket_url else None,
        http_url=outputs.get("HttpApiUrl"),
        routes=routes,
        functions=functions,
        stream_mappings=tuple(mappings),
        outputs=outputs,
    )
