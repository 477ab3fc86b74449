"""Lambda's LoggingConfig from serverless.yml: provider.logs.lambda, under a function's logs."""

from __future__ import annotations

from collections.abc import Callable

from sockgate.errors import ConfigError
from sockgate.service import Service

CONFIG = """
service: svc
provider:
  name: aws
  runtime: python3.11
  logs:
    websocket: true  # the Framework's other logs settings are left alone
    lambda:
      logFormat: JSON
      systemLogLevel: WARN
functions:
  plain:
    handler: handler.handler
  debug:
    handler: handler.handler
    logs:
      applicationLogLevel: DEBUG
"""


def test_function_logs_over_the_providers(load: Callable[..., Service]) -> None:
    service = load(CONFIG)
    plain, debug = service.functions["plain"], service.functions["debug"]
    assert (plain.log_format, plain.application_log_level, plain.system_log_level) == (
        "JSON",
        None,
        "WARN",
    )
    assert (debug.log_format, debug.application_log_level) == ("JSON", "DEBUG")


def test_text_by_default(load: Callable[..., Service]) -> None:
    service = load(
        CONFIG.replace("    lambda:\n      logFormat: JSON\n      systemLogLevel: WARN\n", "")
    )
    assert service.functions["plain"].log_format == "Text"


def test_a_value_lambda_does_not_know_names_the_key(
    load_error: Callable[..., ConfigError],
) -> None:
    error = load_error(CONFIG.replace("applicationLogLevel: DEBUG", "applicationLogLevel: LOUD"))
    assert "functions.debug.logs.applicationLogLevel" in str(error)
    assert "TRACE, DEBUG, INFO, WARN, ERROR, FATAL" in str(error)
