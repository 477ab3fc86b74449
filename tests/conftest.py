"""Shared test configuration: every test runs with real sockets and real processes."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from sockgate.testing.tables import moto_server, table_service

# Tests must never reach real AWS, whatever the developer's shell holds.
for _name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
    os.environ.pop(_name, None)
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

# Property and differential tests (hypothesis). In CI a random failure would reject a good
# submission, so CI runs the same examples every time: "ci" derives them from each test, keeps
# no database and prints the blob that replays a failure. Elsewhere "dev" searches at random
# (and remembers failures in .hypothesis/). HYPOTHESIS_PROFILE, or pytest's
# --hypothesis-profile, picks either; per-test @settings only set budgets (max_examples,
# deadline, health checks) and inherit the rest, which pytest_collection_modifyitems checks.
_defaults = settings.get_profile("default")  # not what hypothesis loaded when it saw CI
settings.register_profile(
    "ci",
    _defaults,
    max_examples=100,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", _defaults, print_blob=True)
_in_ci = os.environ.get("CI", "").lower() in ("true", "1", "yes")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _in_ci else "dev"))


# Tests by level (docs/architecture.md, "Testing by level"): folders follow the packages, and
# each test module is also a unit (a pure core: no sockets, no processes), wire (one component
# on real sockets or processes) or e2e (`sockgate dev` or the plugin end to end) test, so
# `pytest -m unit` runs the pure cores in seconds. Listed: unit modules and e2e folders; the
# rest is wire.
UNIT = frozenset(
    {
        "channel/test_channel_wire.py",
        "gateway/test_authorizers.py",
        "gateway/test_events.py",
        "gateway/test_lifecycle.py",
        "gateway/test_limits.py",
        "gateway/test_management_core.py",
        "gateway/test_paths.py",
        "gateway/test_responses.py",
        "gateway/test_routing.py",
        "inspector/test_recorder.py",
        "httpapi/test_events.py",
        "httpapi/test_responses.py",
        "httpapi/test_routing.py",
        "lambdas/test_formats.py",
        "lambdas/test_pipes_json.py",
        "lambdas/test_scaling.py",
        "service/test_environment_values.py",
        "streams/test_batching.py",
        "streams/test_filters.py",
        "tables/test_expressions_condition.py",
        "tables/test_expressions_keys.py",
        "tables/test_expressions_placeholders.py",
        "tables/test_expressions_projection.py",
        "tables/test_expressions_properties.py",
        "tables/test_expressions_syntax.py",
        "tables/test_expressions_update.py",
        "tables/test_values.py",
        "tables/test_values_properties.py",
        "templates/test_intrinsics.py",
        "templates/test_locate.py",
        "templates/test_sam.py",
        "templates/test_websocket_api.py",
    }
)
E2E = ("chat/", "dev/", "testing/", "templates/", "inspector/")
_TESTS = os.path.dirname(__file__)


def level(path: str) -> str:
    """ "unit", "wire" or "e2e" for a test module (a path under tests/)."""
    relative = os.path.relpath(path, _TESTS).replace(os.sep, "/")
    if relative in UNIT:
        return "unit"
    return "e2e" if relative.startswith(E2E) else "wire"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its level, and refuse a per-test @settings that would undo what the
    profile makes deterministic: derandomize, database, no deadline, the health checks it
    suppresses (too_slow)."""
    profile = settings.default
    assert profile is not None
    for item in items:
        item.add_marker(level(str(item.path)))
        chosen = getattr(getattr(item, "obj", None), "_hypothesis_internal_use_settings", None)
        if chosen is not None and (
            chosen.derandomize != profile.derandomize
            or (profile.database is None) != (chosen.database is None)
            or (profile.deadline is None and chosen.deadline is not None)
            or not set(profile.suppress_health_check) <= set(chosen.suppress_health_check)
        ):
            raise pytest.UsageError(
                f"{item.nodeid}: its @settings override what hypothesis profile "
                f"{settings.get_current_profile_name()!r} sets (derandomize, database, "
                "deadline=None, suppressed health checks); set budgets only, or extend "
                "settings.default.suppress_health_check"
            )


@pytest.fixture(scope="session")
def tables_endpoint() -> Iterator[str]:
    """sockgate's table service, in memory, for the session."""
    with table_service() as url:
        yield url


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's server, the oracle the table service must agree with."""
    with moto_server() as url:
        yield url


@pytest.fixture(scope="session")
def endpoint(tables_endpoint: str) -> str:
    """The DynamoDB (+ Streams) endpoint tests run against: the table service."""
    return tables_endpoint


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
_NOT_COPIED = shutil.ignore_patterns(".sockgate", "__pycache__", "*.pyc", "node_modules", ".venv")


@pytest.fixture
def example(tmp_path: Path) -> Callable[[str], Path]:
    """example(name): a private copy of examples/<name> in tmp_path, so runtime state never
    lands in the repository."""

    def copy(name: str) -> Path:
        return Path(shutil.copytree(EXAMPLES / name, tmp_path / name, ignore=_NOT_COPIED))

    return copy


@pytest.fixture
def hello_dir(example: Callable[[str], Path]) -> Path:
    """A private copy of examples/hello."""
    return example("hello")
