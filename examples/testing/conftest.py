"""The project's fixtures: the service under test, from sockgate's pytest plugin."""

from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.fixture
def svc(sockgate_service):
    """This service, running locally and clean for every test."""
    return sockgate_service(HERE)
