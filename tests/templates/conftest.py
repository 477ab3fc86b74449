"""Copies of the template examples, so runtime state never lands in the repository."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def copy_example(name: str, target: Path) -> Path:
    """A private copy of examples/<name>."""
    destination = target / name
    shutil.copytree(
        EXAMPLES / name,
        destination,
        ignore=shutil.ignore_patterns(".sockgate", "__pycache__", "node_modules", ".venv"),
    )
    return destination


@pytest.fixture
def sam_chat(tmp_path: Path) -> Path:
    """examples/sam-chat: aws-samples/simple-websockets-chat-app's template, Python handlers."""
    return copy_example("sam-chat", tmp_path)


@pytest.fixture
def chat(tmp_path: Path) -> Path:
    """examples/chat (serverless.yml)."""
    return copy_example("chat", tmp_path)


@pytest.fixture
def cdk_chat(tmp_path: Path) -> Path:
    """examples/cdk-chat: a CDK (Python) app with its synthesised cdk.out."""
    return copy_example("cdk-chat", tmp_path)
