"""useDotenv: .env.<stage>, else .env, under the environment; and sockgate.local.yml."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sockgate.errors import ConfigError
from sockgate.service import load_service
from sockgate.service.dotenv import parse_dotenv

CONFIG = """
service: svc
useDotenv: true
provider:
  name: aws
  runtime: python3.11
  environment:
    TABLE: ${env:TABLE}
    TOKEN: ${env:TOKEN, 'none'}
    PARAMETER: ${ssm:/svc/parameter, 'no-ssm'}
functions:
  f:
    handler: handler.handler
"""


def test_parse_dotenv() -> None:
    text = (
        "# comment\n"
        "export A=1\n"
        "B = two words  # trailing comment\n"
        "C='single # kept'\n"
        'D="line\\nbreak"\n'
        'E="over\nlines"\n'
        "not a line\n"
        "F=\n"
    )
    assert parse_dotenv(text) == {
        "A": "1",
        "B": "two words",
        "C": "single # kept",
        "D": "line\nbreak",
        "E": "over\nlines",
        "F": "",
    }


def test_stage_file_first_and_the_environment_wins(
    make_service: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TABLE", raising=False)
    monkeypatch.setenv("TOKEN", "from-environment")
    folder = make_service("svc", CONFIG)
    (folder / ".env").write_text("TABLE=from-dotenv\nTOKEN=from-dotenv\n")
    (folder / ".env.prod").write_text("TABLE=from-prod\n")
    env = load_service(folder).functions["f"].environment
    assert env["TABLE"] == "from-dotenv" and env["TOKEN"] == "from-environment"
    assert load_service(folder, stage="prod").functions["f"].environment["TABLE"] == "from-prod"


def test_without_use_dotenv_nothing_is_loaded(
    make_service: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TABLE", raising=False)
    folder = make_service("svc", CONFIG.replace("useDotenv: true\n", ""))
    (folder / ".env").write_text("TABLE=from-dotenv\n")
    with pytest.raises(ConfigError, match="TABLE"):
        load_service(folder)


def test_local_file_gives_ssm_values(
    make_service: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TABLE", "t")
    folder = make_service("svc", CONFIG)
    (folder / "sockgate.local.yml").write_text("ssm:\n  /svc/parameter: local-value\n")
    assert load_service(folder).functions["f"].environment["PARAMETER"] == "local-value"
    options = {"param": "ssm:/svc/parameter=from-cli"}
    assert (
        load_service(folder, options=options).functions["f"].environment["PARAMETER"] == "from-cli"
    )
