"""The pytest plugin's own tests run on the probe service (tests/testing/probe)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sockgate.testing.service import ServiceUnderTest

PROBE = Path(__file__).parent / "probe"

pytest_plugins = ["pytester"]


@pytest.fixture
def probe(sockgate_service: Callable[..., ServiceUnderTest]) -> ServiceUnderTest:
    """The probe service, clean (started once for the session by the plugin)."""
    return sockgate_service(PROBE)
