"""Copies of the template examples (the `example` fixture of tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

Example = Callable[[str], Path]


@pytest.fixture
def sam_chat(example: Example) -> Path:
    """examples/sam-chat: aws-samples/simple-websockets-chat-app's template, Python handlers."""
    return example("sam-chat")


@pytest.fixture
def chat(example: Example) -> Path:
    """examples/chat (serverless.yml)."""
    return example("chat")


@pytest.fixture
def cdk_chat(example: Example) -> Path:
    """examples/cdk-chat: a CDK (Python) app with its synthesised cdk.out."""
    return example("cdk-chat")
