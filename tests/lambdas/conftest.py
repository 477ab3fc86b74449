"""Helpers for the runtime tests: a service of handler files written to tmp_path."""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from sockgate.lambdas import Runtime
from sockgate.service.model import Function, Service

MakeService = Callable[..., Service]


def function(key: str, handler: str, **fields: Any) -> Function:
    """A Function as the loader would build it, named service-stage-key."""
    fields.setdefault("runtime", "python3.11")
    return Function(key=key, name=f"chat-dev-{key}", handler=handler, **fields)


@pytest.fixture
def make_service(tmp_path: Path) -> MakeService:
    """Write handler files and return a Service over them.

    make_service({"handler.py": SOURCE}, hi="handler.hi", slow=("handler.slow", {"timeout": 1}))
    """

    def make(files: dict[str, str], **functions: str | tuple[str, dict[str, Any]]) -> Service:
        for name, source in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(source))
        built = {}
        for key, spec in functions.items():
            handler, fields = (spec, {}) if isinstance(spec, str) else spec
            built[key] = function(key, handler, **fields)
        return Service(
            name="chat",
            directory=tmp_path,
            config_file=tmp_path / "serverless.yml",
            stage="dev",
            region="eu-west-1",
            functions=built,
        )

    return make


@pytest.fixture
async def runtimes() -> AsyncIterator[Callable[..., Runtime]]:
    """Build runtimes (without prewarming unless asked) that are closed after the test."""
    started: list[Runtime] = []

    def build(service: Service, **options: Any) -> Runtime:
        options.setdefault("prewarm", False)
        runtime = Runtime(service, **options)
        started.append(runtime)
        return runtime

    yield build
    for runtime in started:
        await runtime.close()
