"""Helpers that write real service folders (serverless.yml and handler modules) into tmp_path."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sockgate.errors import ConfigError
from sockgate.service import Service, load_service

HANDLER = """\
def handler(event, context):
    return {"statusCode": 200}
"""


def write_service(directory: Path, config: str, *, modules: tuple[str, ...] = ("handler",)) -> Path:
    """Write `config` as serverless.yml and each module (e.g. "src/handler") as a .py file."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "serverless.yml").write_text(textwrap.dedent(config))
    for module in modules:
        target = directory / f"{module}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(HANDLER)
    return directory


@pytest.fixture
def make_service(tmp_path: Path) -> Callable[..., Path]:
    """make_service(name, config_text, modules=("handler",)) -> a service folder in tmp_path."""

    def _make(name: str, config: str, *, modules: tuple[str, ...] = ("handler",)) -> Path:
        return write_service(tmp_path / name, config, modules=modules)

    return _make


@pytest.fixture
def load(tmp_path: Path) -> Callable[..., Service]:
    """load(config_text, **load_service_kwargs) -> Service, from a fresh folder."""

    def _load(config: str, *, modules: tuple[str, ...] = ("handler",), **kwargs: Any) -> Service:
        return load_service(write_service(tmp_path / "svc", config, modules=modules), **kwargs)

    return _load


@pytest.fixture
def load_error(load: Callable[..., Service]) -> Callable[..., ConfigError]:
    """load_error(config_text, **kwargs) -> the ConfigError that loading raises."""

    def _load_error(config: str, **kwargs: Any) -> ConfigError:
        with pytest.raises(ConfigError) as caught:
            load(config, **kwargs)
        return caught.value

    return _load_error
