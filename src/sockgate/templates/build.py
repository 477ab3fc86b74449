"""A located template -> the typed Service everything downstream runs.

    find_source -> read_template -> (SAM transform) -> settle (parameters, conditions,
    mappings) -> functions -> WebSocket API -> HTTP APIs -> stream mappings -> Service

Tables are left in `Service.resources` for `sockgate.resources` to create, exactly as
serverless.yml's `resources` are; intrinsics in environment values and stream ARNs are kept
for the run-time resolver, which sees each resource's local value through
`Service.local_resources` (functions, stages, and the rest) and the runner (tables, APIs).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from sockgate.service.model import IntrinsicContext, ResourceAttrs, Service
from sockgate.service.model import WebsocketApi as WebsocketApiModel
from sockgate.templates.context import Reader, function_arn, log, references
from sockgate.templates.document import read_template
from sockgate.templates.functions import (
    FUNCTION,
    LAYER,
    FunctionTable,
    check_names,
    function_name,
    read_functions,
)
from sockgate.templates.httpapi import REST_API, read_http_apis
from sockgate.templates.locate import Source, find_source
from sockgate.templates.prepass import parameter_values, settle
from sockgate.templates.sam import is_sam, transform
from sockgate.templates.streams import MAPPING, read_streams
from sockgate.templates.websocket import API, STAGE, WebsocketApi, read_websocket_apis

__all__ = ["load_template"]

ACCOUNT_ID = "000000000000"
_TABLES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")
# Read, or meaningless locally (permissions to invoke, deployments, CDK's own bookkeeping).
_ACCEPTED = {
    FUNCTION,
    LAYER,
    MAPPING,
    API,
    STAGE,
    REST_API,
    *_TABLES,
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::RouteResponse",
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::IntegrationResponse",
    "AWS::ApiGatewayV2::Authorizer",
    "AWS::ApiGatewayV2::Deployment",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Stage",
    "AWS::Lambda::Permission",
    "AWS::Lambda::Version",
    "AWS::Lambda::Alias",
    "AWS::Lambda::LayerVersionPermission",
    "AWS::CDK::Metadata",
}
_NAME = re.compile(r"[^A-Za-z0-9-]+")


def load_template(
    path: str | Path = ".",
    *,
    template: str | Path | None = None,
    stack: str | None = None,
    parameters: Mapping[str, str] | None = None,
    stage: str | None = None,
    region: str | None = None,
) -> Service:
    """Read the template PATH holds (or `template`) into a Service."""
    source = find_source(
        Path(path), template=Path(template) if template is not None else None, stack=stack
    )
    return build_service(source, parameters=parameters or {}, stage=stage, region=region)


def build_service(
    source: Source, *, parameters: Mapping[str, str], stage: str | None, region: str | None
) -> Service:
    """The Service of one located template."""
    file = str(source.file)
    document = read_template(source.file)
    directory = source.file.parent.resolve()  # relative code paths start here
    region = region or source.region or "us-east-1"
    stack_name = source.stack or _stack_name(directory)
    ctx = IntrinsicContext(
        region=region, account_id=ACCOUNT_ID, stack_name=stack_name, config_file=source.file
    )
    values = parameter_values(document, parameters, file=file)
    local_code: dict[str, Path] = {}
    kind = source.kind if source.kind != "template" else "CloudFormation template"
    if is_sam(document):
        scalars = {
            k: ",".join(v) if isinstance(v, list) else v
            for k, v in values.items()
            if isinstance(v, str | list)
        }
        sam = transform(
            document,
            parameters=scalars,
            region=region,
            account_id=ACCOUNT_ID,
            directory=directory,
            file=file,
        )
        document, local_code = sam.template, sam.local_code
        kind = "SAM template"
    settled = settle(document, values, ctx, file=file)
    reader = Reader(settled.resources, file, directory, ctx)
    reader.names = _load_names(reader)
    table = read_functions(reader, local_code=local_code, assembly=source.assembly)
    check_names(table, reader)

    apis = read_websocket_apis(reader, table)
    api = apis[0] if apis else None
    http_routes, http_api_ids = read_http_apis(reader, table)
    streams, other_mappings = read_streams(reader, table)
    stage_name = stage or (api.stage if api else None) or "dev"
    _report_not_run(reader, table.other, other_mappings, settled.skipped)
    return Service(
        name=stack_name,
        directory=_project(source),
        config_file=source.file.resolve(),
        stage=stage_name,
        region=region,
        runtime=next((f.runtime for f in table.functions.values()), "python3.11"),
        route_selection_expression=api.route_selection_expression
        if api
        else "$request.body.action",
        websocket_api_name=api.name if api else None,
        functions=table.functions,
        websocket_routes=tuple(api.routes) if api else (),
        http_routes=tuple(http_routes),
        streams=tuple(streams),
        resources=settled.resources,
        source=kind,
        stack=stack_name,
        websocket_api_ids=(api.logical_id,) if api else (),
        http_api_ids=tuple(http_api_ids),
        local_resources=_local_resources(reader, apis, stage),
        extra_websocket_apis=_extra_apis(apis, table, stage),
    )


def _extra_apis(
    apis: list[WebsocketApi], table: FunctionTable, stage: str | None
) -> tuple[WebsocketApiModel, ...]:
    """The template's WebSocket APIs after the first, each with the functions that manage its
    connections: those its routes invoke, and others whose environment names it."""
    extras = []
    claimed = _routed(apis[0]) if apis else set()  # the first API's stay with its gateway
    for api in apis[1:]:
        named = {
            key
            for key, function in table.functions.items()
            if api.logical_id in set(references(function.environment))
        }
        functions = sorted(_routed(api) | (named - claimed))
        claimed |= set(functions)
        extras.append(
            WebsocketApiModel(
                logical_id=api.logical_id,
                stage=stage or api.stage or "dev",
                route_selection_expression=api.route_selection_expression,
                routes=tuple(api.routes),
                functions=tuple(functions),
            )
        )
    return tuple(extras)


def _routed(api: WebsocketApi) -> set[str]:
    """The functions an API's routes and authorizers invoke."""
    found = {route.function for route in api.routes}
    for route in api.routes:
        if route.authorizer is not None and route.authorizer.function is not None:
            found.add(route.authorizer.function)
    return found


def _project(source: Source) -> Path:
    """The service's folder (state in .sockgate/, files watched for reload): the template's,
    or for a cloud assembly the CDK app's, so `cdk synth` replacing cdk.out keeps the data."""
    if source.assembly is None:
        return source.file.parent.resolve()
    top = source.assembly.resolve()
    while (top.parent / "manifest.json").is_file():  # a nested assembly (a CDK Stage)
        top = top.parent
    return top.parent


def _stack_name(directory: Path) -> str:
    """A stack name from the template's folder (CloudFormation: letters, digits, '-')."""
    name = _NAME.sub("-", directory.name).strip("-")
    return name if name and name[0].isalpha() else f"stack-{name or 'local'}"


def _load_names(reader: Reader) -> dict[str, ResourceAttrs]:
    """What each resource answers while the template is read (see context.py)."""
    ctx = reader.ctx
    names: dict[str, ResourceAttrs] = {}
    for logical_id, resource in reader.resources.items():
        kind = resource.get("Type")
        if kind == FUNCTION:
            name = function_name(reader, logical_id, resource.get("Properties") or {})
            arn = function_arn(ctx.region, ctx.account_id, name)
            names[logical_id] = ResourceAttrs(ref=name, attributes={"Arn": arn})
        else:
            names[logical_id] = ResourceAttrs(
                ref=logical_id, attributes=_generic(logical_id, logical_id)
            )
    return names


def _generic(logical_id: str, ref: str) -> dict[str, str]:
    return {"Arn": ref, "Name": ref, "Id": logical_id}


def _local_resources(
    reader: Reader, apis: list[WebsocketApi], stage: str | None
) -> dict[str, ResourceAttrs]:
    """What handlers see for each resource that is neither a table nor an API (run time);
    a stage's Ref is its name, or --stage when given."""
    ctx = reader.ctx
    stages = {api.stage_id: stage or api.stage for api in apis if api.stage_id and api.stage}
    found: dict[str, ResourceAttrs] = {}
    for logical_id, resource in reader.resources.items():
        kind = str(resource.get("Type"))
        if kind in _TABLES or kind == API:
            continue  # created by sockgate.resources, and set by the runner
        if kind == FUNCTION:
            found[logical_id] = reader.names[logical_id]
            continue
        service = kind.split("::")[1].lower() if kind.count("::") == 2 else "cloudformation"
        name = f"{ctx.stack_name}-{logical_id}"
        arn = f"arn:aws:{service}:{ctx.region}:{ctx.account_id}:{name}"
        ref = stages.get(logical_id, name)
        found[logical_id] = ResourceAttrs(ref=ref, attributes={"Arn": arn, "Name": name})
    return found


def _report_not_run(
    reader: Reader, functions: Mapping[str, str], mappings: list[str], skipped: tuple[str, ...]
) -> None:
    """One line at start: what the template declares that sockgate does not run."""
    counts = Counter(
        str(resource.get("Type"))
        for logical_id, resource in reader.resources.items()
        if resource.get("Type") not in _ACCEPTED
    )
    parts = [f"{kind} x{count}" if count > 1 else kind for kind, count in sorted(counts.items())]
    parts += [f"function {key} ({why})" for key, why in functions.items()]
    parts += [f"event source mapping {key} (not a DynamoDB stream)" for key in mappings]
    if parts:
        log.info("not run locally: %s", ", ".join(parts))
    if skipped:
        log.info("left out by their Condition: %s", ", ".join(skipped))
