"""The typed shape of a service, as read from serverless.yml with variables resolved.

Values that may hold CloudFormation intrinsics (environment values, stream ARNs, resources)
are kept as written (`Intrinsic`-bearing JSON): packaging copies them into the template as
they are, and a local run resolves them with `sockgate.service.intrinsics` once the tables
exist. Everything else is plain, validated data.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Authorizer",
    "IntrinsicContext",
    "ResourceAttrs",
    "Function",
    "HttpRoute",
    "Service",
    "StreamEvent",
    "WebsocketApi",
    "WebsocketRoute",
    "lambda_logical_id",
]

# A JSON value that may contain CloudFormation intrinsics ({"Ref": ...}, {"Fn::GetAtt": ...}).
CfnValue = Any

DEFAULT_ROUTE_SELECTION = "$request.body.action"
DEFAULT_TIMEOUT_SECONDS = 6.0  # Serverless Framework's default; Lambda's own is 3 s
DEFAULT_MEMORY_MB = 1024  # Serverless Framework's default; Lambda's own is 128 MB


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class Authorizer(_Model):
    """A $connect REQUEST authorizer."""

    name: str  # function key in this service, or the last segment of `arn`
    function: str | None  # function key when the authorizer is in this service
    arn: CfnValue | None = None  # external function ARN (string or intrinsic)
    identity_source: tuple[str, ...] = ("route.request.header.Auth",)


class WebsocketRoute(_Model):
    """One route key of the WebSocket API and the function behind it."""

    route_key: str
    function: str  # key in Service.functions
    two_way: bool = False  # routeResponseSelectionExpression: $default
    authorizer: Authorizer | None = None


class WebsocketApi(_Model):
    """A further WebSocket API of a template that declares several: its own gateway."""

    logical_id: str
    stage: str
    route_selection_expression: str = DEFAULT_ROUTE_SELECTION
    routes: tuple[WebsocketRoute, ...] = ()
    # Functions whose @connections calls go to this API's gateway: those its routes invoke,
    # and others whose environment names this API (the rest reach the first API's gateway).
    functions: tuple[str, ...] = ()


class HttpRoute(_Model):
    """An `httpApi` (payload 2.0) or `http` (REST, payload 1.0) route."""

    kind: Literal["httpApi", "http"]
    method: str  # upper case, or "*" for any
    path: str  # "/", "/pages/{id}", "/{proxy+}", or "*" (catch-all)
    function: str
    payload_version: Literal["1.0", "2.0"]


class StreamEvent(_Model):
    """A `stream` event: a DynamoDB Streams event source mapping."""

    function: str
    arn: CfnValue  # string or intrinsic, e.g. {"Fn::GetAtt": ["Table", "StreamArn"]}
    type: Literal["dynamodb", "kinesis"] = "dynamodb"
    batch_size: int = 10  # Serverless default (the Lambda API's is 100)
    batch_window: int = 0
    starting_position: Literal["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"] = "TRIM_HORIZON"
    starting_position_timestamp: float | None = None  # AT_TIMESTAMP (Kinesis), epoch seconds
    enabled: bool = True
    maximum_retry_attempts: int = -1
    maximum_record_age_in_seconds: int = -1
    bisect_batch_on_function_error: bool = False
    report_batch_item_failures: bool = False
    parallelization_factor: int = 1
    tumbling_window_in_seconds: int | None = None
    filter_patterns: tuple[dict[str, Any], ...] = ()
    on_failure: CfnValue | None = None  # destination ARN (string or intrinsic)


class Function(_Model):
    """One entry of `functions:`."""

    key: str  # the key under `functions:`
    name: str  # deployed name: `name:` or service-stage-key
    handler: str  # "path/to/module.function"
    runtime: str  # e.g. "python3.11"
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    memory_size: int = DEFAULT_MEMORY_MB
    # provider.environment merged under the function's own environment; values may be intrinsics
    environment: dict[str, CfnValue] = Field(default_factory=dict)
    reserved_concurrency: int | None = None
    # Lambda's LoggingConfig (`logs:` of the function, `provider.logs.lambda`): Text or JSON,
    # and the levels Lambda filters application and system (platform) logs at.
    log_format: str = "Text"
    application_log_level: str | None = None
    system_log_level: str | None = None
    description: str | None = None
    # Publish an AWS::Lambda::Version per deployed change: the function's versionFunction,
    # else provider.versionFunctions, else true (the Framework's default). Packaging only.
    version: bool = True
    events: tuple[dict[str, Any], ...] = ()  # the raw events, for packaging
    # The function's own code folder (LAMBDA_TASK_ROOT) when it is not the service's folder,
    # as a template's CodeUri or cloud assembly asset gives it; handler paths are relative to it.
    code_dir: Path | None = None
    # Layer folders (their python/ goes on sys.path, as /opt/python does on Lambda).
    layers: tuple[Path, ...] = ()

    @property
    def logical_id(self) -> str:
        """The logical id Serverless gives the function ("my-fn" -> "MyDashfnLambdaFunction")."""
        return lambda_logical_id(self.key)

    @property
    def module(self) -> str:
        """The dotted module path of the handler ("src/handler.connect" -> "src.handler")."""
        return self.handler.rsplit(".", 1)[0].replace("/", ".")

    @property
    def attribute(self) -> str:
        """The handler function's name inside its module."""
        return self.handler.rsplit(".", 1)[1]


class Service(_Model):
    """A whole service: what `sockgate dev` runs and `sockgate package` deploys."""

    name: str
    directory: Path  # the folder holding serverless.yml; handler paths are relative to it
    config_file: Path
    stage: str
    region: str
    runtime: str = "python3.11"
    route_selection_expression: str = DEFAULT_ROUTE_SELECTION
    websocket_api_name: str | None = None  # None: Serverless default "{stage}-{service}-websockets"
    functions: dict[str, Function] = Field(default_factory=dict)
    websocket_routes: tuple[WebsocketRoute, ...] = ()  # one per route key: what is served
    # Earlier declarations of a route that a later function declared again and took over.
    # Never served; packaging still compiles them, because the Framework keeps their
    # integration, permission (and authorizer) in the template.
    overridden_websocket_routes: tuple[WebsocketRoute, ...] = ()
    http_routes: tuple[HttpRoute, ...] = ()
    streams: tuple[StreamEvent, ...] = ()
    iam_statements: tuple[dict[str, Any], ...] = ()
    resources: dict[str, Any] = Field(default_factory=dict)  # resources.Resources, as written
    outputs: dict[str, Any] = Field(default_factory=dict)  # resources.Outputs, as written
    provider: dict[str, Any] = Field(default_factory=dict)  # the resolved provider block
    custom: dict[str, Any] = Field(default_factory=dict)
    # the whole file with variables resolved (plugins, package, resources.Conditions, ...)
    config: dict[str, Any] = Field(default_factory=dict)
    # What the service was read from, for the banner: "serverless.yml", "SAM template", ...
    source: str = "serverless.yml"
    stack: str | None = None  # a template's stack name; None: Serverless's service-stage
    # Logical ids that answer Ref/Fn::GetAtt as the running WebSocket API and HTTP API do.
    websocket_api_ids: tuple[str, ...] = ("WebsocketsApi",)
    http_api_ids: tuple[str, ...] = ("HttpApi",)
    # What other resources answer to Ref/Fn::GetAtt locally (a template's functions, stages).
    local_resources: dict[str, ResourceAttrs] = Field(default_factory=dict)
    # A template's WebSocket APIs after the first (served by the fields above).
    extra_websocket_apis: tuple[WebsocketApi, ...] = ()

    @property
    def stack_name(self) -> str:
        """The CloudFormation stack name: a template's, else Serverless's service-stage."""
        return self.stack or f"{self.name}-{self.stage}"

    def route(self, route_key: str) -> WebsocketRoute | None:
        """The route with this key, or None."""
        for route in self.websocket_routes:
            if route.route_key == route_key:
                return route
        return None

    def intrinsic_context(
        self,
        resources: Mapping[str, ResourceAttrs] | None = None,
        *,
        account_id: str = "000000000000",
    ) -> IntrinsicContext:
        """What `resolve_intrinsics` needs for this service, given the resources that exist."""
        return IntrinsicContext(
            region=self.region,
            account_id=account_id,
            stack_name=self.stack_name,
            resources=dict(resources or {}),
            config_file=self.config_file,
        )


def lambda_logical_id(function_key: str) -> str:
    """Serverless's logical id for a function (SLS `lib/plugins/aws/lib/naming.js`)."""
    normalized = function_key.replace("-", "Dash").replace("_", "Underscore")
    return normalized[:1].upper() + normalized[1:] + "LambdaFunction"


class ResourceAttrs(_Model):
    """What a resource answers to `Ref` and `Fn::GetAtt` (a table: name; Arn, StreamArn)."""

    ref: str
    attributes: dict[str, str] = Field(default_factory=dict)


class IntrinsicContext(_Model):
    """Everything needed to resolve CloudFormation intrinsics locally."""

    region: str
    account_id: str = "000000000000"
    stack_name: str
    partition: str = "aws"
    resources: dict[str, ResourceAttrs] = Field(default_factory=dict)  # by logical id
    config_file: Path | None = None  # named in error messages
