"""The raw shapes of serverless.yml sections, spelled as in the file (camelCase aliases).

These models only check types, ranges and unknown keys; turning them into the typed
`Service` (defaults, cross-references, inference) is done by `loader`, `functions` and
`events`. Ranges and allowed values follow the Serverless Framework's schema
(SLS `compile/events/stream.js`, `lib/config-schema.js`) and the Lambda API limits.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sockgate.service.validation import between

__all__ = [
    "RawAuthorizer",
    "RawFunction",
    "RawHttpEvent",
    "RawOnFailure",
    "RawProvider",
    "RawStream",
    "RawWebsocket",
]

Timeout = Annotated[int, between(1, 900)]  # Lambda: 1 s to 15 min
MemorySize = Annotated[int, between(128, 10240)]  # Lambda: 128 MB to 10,240 MB


class _Strict(BaseModel):
    """Unknown keys are errors (the Framework's schema says additionalProperties: false)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False)


class _Open(BaseModel):
    """Unknown keys are kept: sockgate does not run them, packaging may still need them."""

    model_config = ConfigDict(extra="allow", populate_by_name=False)


class RawProvider(_Open):
    name: str = "aws"
    runtime: str | None = None
    stage: str | None = None
    region: str | None = None
    environment: dict[str, Any] | None = None
    timeout: Timeout | None = None
    memory_size: MemorySize | None = Field(None, alias="memorySize")
    websockets_api_route_selection_expression: str | None = Field(
        None, alias="websocketsApiRouteSelectionExpression"
    )
    websockets_api_name: str | None = Field(None, alias="websocketsApiName")
    # the serverless-websockets-plugin spellings of the seed article
    websocket_api_route_selection_expression: str | None = Field(
        None, alias="websocketApiRouteSelectionExpression"
    )
    websocket_api_name: str | None = Field(None, alias="websocketApiName")
    iam: dict[str, Any] | None = None
    iam_role_statements: list[dict[str, Any]] | None = Field(None, alias="iamRoleStatements")
    http_api: dict[str, Any] | None = Field(None, alias="httpApi")
    version_functions: bool | None = Field(None, alias="versionFunctions")


class RawFunction(_Open):
    handler: str | None = None
    name: str | None = None
    runtime: str | None = None
    environment: dict[str, Any] | None = None
    timeout: Timeout | None = None
    memory_size: MemorySize | None = Field(None, alias="memorySize")
    reserved_concurrency: Annotated[int, between(0, 1000000)] | None = Field(
        None, alias="reservedConcurrency"
    )
    description: Annotated[str, Field(max_length=256)] | None = None
    version_function: bool | None = Field(None, alias="versionFunction")
    events: list[Any] | None = None


class RawAuthorizer(_Strict):
    name: str | None = None
    arn: Any = None  # an ARN string or a CloudFormation function
    identity_source: Any = Field(None, alias="identitySource")  # a string or a list of them


class RawWebsocket(_Strict):
    route: str | None = None
    route_key: str | None = Field(None, alias="routeKey")  # serverless-websockets-plugin
    route_response_selection_expression: Literal["$default"] | None = Field(
        None, alias="routeResponseSelectionExpression"
    )
    authorizer: Any = None  # a function key, an ARN, or a RawAuthorizer mapping


class RawHttpEvent(_Open):
    method: str | None = None
    path: str | None = None
    payload: Literal["1.0", "2.0"] | None = None  # httpApi only


class RawOnFailure(_Strict):
    arn: Any = None
    type: Literal["sns", "sqs"] | None = None


class RawDestinations(_Strict):
    on_failure: Any = Field(alias="onFailure")  # an ARN string or a RawOnFailure mapping


class RawStream(_Strict):
    arn: Any = None
    type: Literal["dynamodb", "kinesis"] | None = None
    batch_size: Annotated[int, between(1, 10000)] = Field(10, alias="batchSize")
    batch_window: Annotated[int, between(0, 300)] = Field(0, alias="batchWindow")
    starting_position: Literal["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"] = Field(
        "TRIM_HORIZON", alias="startingPosition"
    )
    starting_position_timestamp: float | None = Field(None, alias="startingPositionTimestamp")
    enabled: bool = True
    consumer: Any = None  # Kinesis enhanced fan-out; accepted, not run locally
    maximum_retry_attempts: Annotated[int, between(-1, 10000)] = Field(
        -1, alias="maximumRetryAttempts"
    )
    maximum_record_age_in_seconds: Annotated[int, between(60, 604800, also=-1)] = Field(
        -1, alias="maximumRecordAgeInSeconds"
    )
    bisect_batch_on_function_error: bool = Field(False, alias="bisectBatchOnFunctionError")
    function_response_type: Literal["ReportBatchItemFailures"] | None = Field(
        None, alias="functionResponseType"
    )
    parallelization_factor: Annotated[int, between(1, 10)] = Field(1, alias="parallelizationFactor")
    tumbling_window_in_seconds: Annotated[int, between(0, 900)] | None = Field(
        None, alias="tumblingWindowInSeconds"
    )
    filter_patterns: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=10)] | None = (
        Field(None, alias="filterPatterns")
    )
    destinations: RawDestinations | None = None
