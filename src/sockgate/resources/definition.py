"""serverless.yml `resources` DynamoDB tables as CreateTable requests (pure).

CloudFormation's AWS::DynamoDB::Table properties map almost one to one onto CreateTable; the
differences handled here: StreamSpecification holds only a view type (its presence enables
the stream), TimeToLiveSpecification is a separate UpdateTimeToLive call, numbers may be
strings, and BillingMode defaults to PROVISIONED. Capacity has no effect locally but is
validated as CloudFormation would, so a template that runs here also deploys.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sockgate.errors import ConfigError
from sockgate.service.model import Service

__all__ = ["TableDefinition", "generated_table_name", "table_definitions"]

TABLE = "AWS::DynamoDB::Table"
GLOBAL_TABLE = "AWS::DynamoDB::GlobalTable"
_VIEW_TYPES = {"KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"}
_USED_PROPERTIES = (
    "TableName",
    "KeySchema",
    "AttributeDefinitions",
    "BillingMode",
    "ProvisionedThroughput",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "StreamSpecification",
    "TimeToLiveSpecification",
)

Resolve = Callable[[Any, str], Any]


@dataclass(frozen=True)
class TableDefinition:
    """One table as declared, ready to create or compare."""

    logical_id: str
    name: str
    key_schema: tuple[tuple[str, str], ...]  # ((AttributeName, KeyType), ...), HASH first
    attributes: Mapping[str, str]  # AttributeName -> S | N | B
    billing_mode: str  # PAY_PER_REQUEST | PROVISIONED
    throughput: Mapping[str, int] | None
    gsis: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # by IndexName
    lsis: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    stream_view_type: str | None = None
    ttl_attribute: str | None = None  # set when TTL is enabled

    @property
    def label(self) -> str:
        """How log lines name the table."""
        return f"table {self.name} ({self.logical_id})"

    def key_attributes(self, key_schema: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
        """AttributeDefinitions for the attributes of a key schema."""
        return [
            {"AttributeName": name, "AttributeType": self.attributes[name]}
            for name, _ in key_schema
        ]

    def create_request(self) -> dict[str, Any]:
        """The CreateTable parameters."""
        request: dict[str, Any] = {
            "TableName": self.name,
            "KeySchema": _key_schema(self.key_schema),
            "AttributeDefinitions": [
                {"AttributeName": name, "AttributeType": kind}
                for name, kind in self.attributes.items()
            ],
            "BillingMode": self.billing_mode,
        }
        if self.throughput is not None:
            request["ProvisionedThroughput"] = dict(self.throughput)
        if self.gsis:
            request["GlobalSecondaryIndexes"] = [self.gsi_request(name) for name in self.gsis]
        if self.lsis:
            request["LocalSecondaryIndexes"] = [
                {"IndexName": name, **index} for name, index in self.lsis.items()
            ]
        if self.stream_view_type:
            request["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": self.stream_view_type,
            }
        return request

    def gsi_request(self, name: str) -> dict[str, Any]:
        """One GSI as CreateTable and UpdateTable (Create) take it."""
        return {"IndexName": name, **self.gsis[name]}


def generated_table_name(service: Service, logical_id: str) -> str:
    """The local name of a table without TableName.

    CloudFormation names it `{stack}-{LogicalId}-{RANDOM}`; locally the random suffix is
    left off so the name is stable across restarts: `{service}-{stage}-{LogicalId}`.
    """
    return f"{service.stack_name}-{logical_id}"


def table_definitions(service: Service, resolve: Resolve) -> list[TableDefinition]:
    """Every DynamoDB table in `resources.Resources`, validated."""
    resources = service.resources  # resources.Resources, merged by the loader
    definitions = []
    for logical_id, resource in resources.items():
        if not isinstance(resource, Mapping):
            continue
        kind = resource.get("Type")
        if kind in (TABLE, GLOBAL_TABLE):
            definitions.append(_definition(service, logical_id, resource, resolve))
    return definitions


def _definition(
    service: Service, logical_id: str, resource: Mapping[str, Any], resolve: Resolve
) -> TableDefinition:
    base = f"resources.Resources.{logical_id}.Properties"
    raw = resource.get("Properties") or {}
    if not isinstance(raw, Mapping):
        raise ConfigError("must be an object", path=base)
    props = {key: resolve(raw[key], f"{base}.{key}") for key in _USED_PROPERTIES if key in raw}
    is_global = resource.get("Type") == GLOBAL_TABLE
    name = props.get("TableName") or generated_table_name(service, logical_id)
    key_schema = _parse_key_schema(props.get("KeySchema"), f"{base}.KeySchema")
    attributes = _parse_attributes(props.get("AttributeDefinitions"), base)
    billing = str(props.get("BillingMode") or "PROVISIONED")
    if billing not in ("PROVISIONED", "PAY_PER_REQUEST"):
        raise ConfigError(
            f"BillingMode {billing!r} is not PROVISIONED or PAY_PER_REQUEST",
            path=f"{base}.BillingMode",
        )
    if is_global:
        # GlobalTable capacity lives in replica auto-scaling settings; locally on demand.
        billing = "PAY_PER_REQUEST"
    provisioned = billing == "PROVISIONED"
    throughput = None
    if provisioned:
        throughput = _throughput(props.get("ProvisionedThroughput"), f"{base}")
    definition = TableDefinition(
        logical_id=logical_id,
        name=str(name),
        key_schema=key_schema,
        attributes=attributes,
        billing_mode=billing,
        throughput=throughput,
        gsis=_indexes(
            props.get("GlobalSecondaryIndexes"),
            f"{base}.GlobalSecondaryIndexes",
            provisioned=provisioned,
        ),  # fmt: skip
        lsis=_indexes(props.get("LocalSecondaryIndexes"), f"{base}.LocalSecondaryIndexes"),
        stream_view_type=_stream(props.get("StreamSpecification"), base),
        ttl_attribute=_ttl(props.get("TimeToLiveSpecification"), base),
    )
    _check_attributes(definition, base)
    return definition


def _parse_key_schema(value: Any, path: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(
            "must list the key attributes ([{AttributeName: id, KeyType: HASH}])", path=path
        )
    keys = []
    for i, key in enumerate(value):
        if not isinstance(key, Mapping) or "AttributeName" not in key or "KeyType" not in key:
            raise ConfigError("needs AttributeName and KeyType", path=f"{path}[{i}]")
        kind = str(key["KeyType"]).upper()
        if kind not in ("HASH", "RANGE"):
            raise ConfigError(f"KeyType {kind!r} is not HASH or RANGE", path=f"{path}[{i}]")
        keys.append((str(key["AttributeName"]), kind))
    keys.sort(key=lambda k: k[1] != "HASH")  # DynamoDB wants the HASH key first
    if [k[1] for k in keys] not in (["HASH"], ["HASH", "RANGE"]):
        raise ConfigError("must have one HASH key and at most one RANGE key", path=path)
    return tuple(keys)


def _key_schema(keys: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"AttributeName": name, "KeyType": kind} for name, kind in keys]


def _parse_attributes(value: Any, base: str) -> dict[str, str]:
    path = f"{base}.AttributeDefinitions"
    if not isinstance(value, list) or not value:
        raise ConfigError(
            "must define the key attributes ([{AttributeName: id, AttributeType: S}])", path=path
        )
    attributes = {}
    for i, item in enumerate(value):
        if not isinstance(item, Mapping) or "AttributeName" not in item:
            raise ConfigError("needs AttributeName and AttributeType", path=f"{path}[{i}]")
        kind = str(item.get("AttributeType", "")).upper()
        if kind not in ("S", "N", "B"):
            raise ConfigError(f"AttributeType {kind!r} is not S, N or B", path=f"{path}[{i}]")
        attributes[str(item["AttributeName"])] = kind
    return attributes


def _throughput(value: Any, path: str) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise ConfigError(
            "ProvisionedThroughput is required with BillingMode PROVISIONED (the default)",
            path=path,
            fix="Add ProvisionedThroughput {ReadCapacityUnits, WriteCapacityUnits} or set "
            "BillingMode: PAY_PER_REQUEST",
        )
    try:
        return {
            "ReadCapacityUnits": int(value["ReadCapacityUnits"]),
            "WriteCapacityUnits": int(value["WriteCapacityUnits"]),
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(
            "ProvisionedThroughput needs whole numbers ReadCapacityUnits and WriteCapacityUnits",
            path=f"{path}.ProvisionedThroughput",
        ) from exc


def _indexes(value: Any, path: str, *, provisioned: bool = False) -> dict[str, dict[str, Any]]:
    if value is None:
        return {}
    if not isinstance(value, list):
        raise ConfigError("must be a list of indexes", path=path)
    indexes: dict[str, dict[str, Any]] = {}
    for i, index in enumerate(value):
        where = f"{path}[{i}]"
        if not isinstance(index, Mapping) or not index.get("IndexName"):
            raise ConfigError("needs an IndexName", path=where)
        projection = index.get("Projection") or {}
        entry: dict[str, Any] = {
            "KeySchema": _key_schema(
                _parse_key_schema(index.get("KeySchema"), f"{where}.KeySchema")
            ),
            "Projection": _projection(projection, f"{where}.Projection"),
        }
        if provisioned:
            entry["ProvisionedThroughput"] = _throughput(index.get("ProvisionedThroughput"), where)
        indexes[str(index["IndexName"])] = entry
    return indexes


def _projection(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, Mapping) or "ProjectionType" not in value:
        raise ConfigError("needs a ProjectionType (ALL, KEYS_ONLY or INCLUDE)", path=path)
    projection: dict[str, Any] = {"ProjectionType": str(value["ProjectionType"])}
    if value.get("NonKeyAttributes"):
        projection["NonKeyAttributes"] = [str(a) for a in value["NonKeyAttributes"]]
    return projection


def _stream(value: Any, base: str) -> str | None:
    if value is None:
        return None
    path = f"{base}.StreamSpecification"
    view = value.get("StreamViewType") if isinstance(value, Mapping) else None
    if view not in _VIEW_TYPES:
        raise ConfigError(
            f"StreamViewType {view!r} is not one of {', '.join(sorted(_VIEW_TYPES))}", path=path
        )
    return str(view)


def _ttl(value: Any, base: str) -> str | None:
    if value is None:
        return None
    path = f"{base}.TimeToLiveSpecification"
    if not isinstance(value, Mapping):
        raise ConfigError("must be {AttributeName: ..., Enabled: true}", path=path)
    enabled = value.get("Enabled", False)
    if isinstance(enabled, str):
        enabled = enabled.strip().lower() == "true"
    if not enabled:
        return None
    if not value.get("AttributeName"):
        raise ConfigError("needs an AttributeName when Enabled is true", path=path)
    return str(value["AttributeName"])


def _check_attributes(definition: TableDefinition, base: str) -> None:
    """AttributeDefinitions must list exactly the key attributes of the table and its indexes:
    DynamoDB rejects a template with any missing or extra, so it is caught here first."""
    keys = {name for name, _ in definition.key_schema}
    for index in (*definition.gsis.values(), *definition.lsis.values()):
        keys.update(key["AttributeName"] for key in index["KeySchema"])
    missing = sorted(keys - set(definition.attributes))
    if missing:
        raise ConfigError(
            f"key attribute(s) {', '.join(missing)} have no AttributeDefinitions entry",
            path=f"{base}.AttributeDefinitions",
        )
    extra = sorted(set(definition.attributes) - keys)
    if extra:
        raise ConfigError(
            f"AttributeDefinitions lists {', '.join(extra)}, which no key or index uses; "
            "DynamoDB rejects that",
            path=f"{base}.AttributeDefinitions",
            fix="Define only key attributes; other attributes need no declaration",
        )
