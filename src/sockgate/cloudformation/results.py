"""What package, deploy and info hand back: plain, typed values the CLI prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DeployResult",
    "FunctionInfo",
    "PackageResult",
    "RouteInfo",
    "StackInfo",
    "StreamMappingInfo",
]


@dataclass(frozen=True)
class PackageResult:
    """The written template and code zip."""

    template_path: Path
    zip_path: Path
    template: dict[str, Any]
    artifact_key: str  # the S3 key the template's functions load their code from
    code_sha256: str  # hex SHA-256 of the zip; part of artifact_key


@dataclass(frozen=True)
class DeployResult:
    """The stack after a deploy; `changed` is False when there was nothing to deploy."""

    stack_name: str
    stack_id: str
    status: str
    changed: bool
    outputs: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The outputs, one `Key: value` line each, for a terminal."""
        return [f"{key}: {value}" for key, value in sorted(self.outputs.items())]


@dataclass(frozen=True)
class RouteInfo:
    route_key: str
    function: str  # the deployed function name
    logical_id: str


@dataclass(frozen=True)
class FunctionInfo:
    key: str  # the key under `functions:`
    name: str  # the deployed (physical) name
    logical_id: str


@dataclass(frozen=True)
class StreamMappingInfo:
    function: str  # the deployed function name
    logical_id: str
    uuid: str  # the mapping's id (its physical id)
    source: str  # the stream ARN as written (intrinsics shown as JSON)


@dataclass(frozen=True)
class StackInfo:
    """A deployed stack as `sockgate info` shows it."""

    stack_name: str
    status: str
    region: str
    websocket_url: str | None
    connections_url: str | None
    http_url: str | None
    routes: tuple[RouteInfo, ...] = ()
    functions: tuple[FunctionInfo, ...] = ()
    stream_mappings: tuple[StreamMappingInfo, ...] = ()
    outputs: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """A human-readable summary, one line each."""
        out = [f"stack: {self.stack_name} ({self.status}, {self.region})"]
        if self.websocket_url:
            out.append(f"websocket: {self.websocket_url}")
        if self.connections_url:
            out.append(f"@connections: {self.connections_url}")
        if self.http_url:
            out.append(f"http: {self.http_url}")
        if self.routes:
            out.append("routes:")
            out += [f"  {r.route_key} -> {r.function}" for r in self.routes]
        if self.functions:
            out.append("functions:")
            out += [f"  {f.key}: {f.name}" for f in self.functions]
        if self.stream_mappings:
            out.append("stream mappings:")
            out += [f"  {m.source} -> {m.function} ({m.uuid})" for m in self.stream_mappings]
        return out
