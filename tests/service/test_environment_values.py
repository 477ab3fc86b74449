"""One rule for environment values, wherever a variable is made: dev, the worker, package."""

from __future__ import annotations

from pathlib import Path

import pytest

from sockgate.cloudformation.functions import function_resources
from sockgate.lambdas.environment import function_variables
from sockgate.service.environment import environment_string
from sockgate.service.model import Function, Service


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain", "plain"),
        ("", ""),
        (True, "true"),
        (False, "false"),
        (5, "5"),
        (1.5, "1.5"),
        ({"a": [1, True]}, '{"a": [1, true]}'),
        ([1, "x"], '[1, "x"]'),
        (None, None),
    ],
)
def test_environment_string(value: object, text: str | None) -> None:
    assert environment_string(value) == text


ENVIRONMENT = {"FLAG": True, "COUNT": 5, "NAME": "chat", "UNSET": None}


def test_the_worker_and_the_template_agree() -> None:
    function = Function(
        key="fn", name="svc-dev-fn", handler="h.fn", runtime="python3.11", environment=ENVIRONMENT
    )
    expected = {"FLAG": "true", "COUNT": "5", "NAME": "chat"}  # null sets no variable
    assert function_variables(function, None) == expected
    service = Service(
        name="svc",
        directory=Path("."),
        config_file=Path("serverless.yml"),
        stage="dev",
        region="us-east-1",
        functions={"fn": function},
    )
    resources = function_resources(service, {"fn": {"S3Bucket": "b", "S3Key": "k"}})
    variables = next(
        r["Properties"]["Environment"]["Variables"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Function"
    )
    assert variables == expected
