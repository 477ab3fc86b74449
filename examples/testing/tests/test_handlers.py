"""Handler unit tests: the events AWS would send, without a gateway."""

import importlib

import pytest

from sockgate import events


@pytest.fixture
def connections(monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "shout-dev")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return importlib.import_module("shout.connections")


def test_connect_without_a_name_is_refused(connections):
    answer = connections.handler(events.connect(), events.lambda_context("connections"))
    assert answer["statusCode"] == 401
