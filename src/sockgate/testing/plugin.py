"""The pytest plugin `pip install sockgate` registers (entry point pytest11 `sockgate`).

It does nothing until a test asks for `sockgate_service`:

    def test_bob_reaches_ann(sockgate_service):
        svc = sockgate_service("examples/chat")
        with svc.connect(query={"name": "ann"}) as ann, svc.connect(query={"name": "bob"}) as bob:
            bob.send_json({"action": "sendMessage", "channelId": "General", "content": "hi"})
            assert ann.receive_json(timeout=2)["content"] == "hi"

A service is started once per session (or per module: `sockgate_scope = module` in the pytest
ini options) for each distinct path and options, and reset after every test that used it. When
a test fails, the Lambda log lines of that test are added to its report.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from sockgate.testing.service import ServiceUnderTest

__all__ = ["ServicePool"]

_USED = pytest.StashKey[list["ServiceUnderTest"]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "sockgate_scope",
        "How long a service started by sockgate_service lives: session (default) or module; "
        "it is reset between tests either way.",
        default="session",
    )


def pytest_configure(config: pytest.Config) -> None:
    scope = config.getini("sockgate_scope")
    if scope not in ("session", "module"):
        raise pytest.UsageError(f"sockgate_scope is {scope!r}; use session or module.")


class ServicePool:
    """Started services by (path, options), kept for the session or the module."""

    def __init__(self, scope: str, rootpath: Path) -> None:
        self.scope = scope
        self.rootpath = rootpath
        self._services: dict[tuple[Any, ...], tuple[ServiceUnderTest, str]] = {}

    def get(self, path: str | Path, module: str, **options: Any) -> ServiceUnderTest:
        """The service for `path` and `options`, started if it is not running yet."""
        from sockgate.testing.service import ServiceUnderTest

        directory = self._resolve(Path(path))
        key = (str(directory), _frozen(options))
        found = self._services.get(key)
        if found is not None and self.scope == "module" and found[1] != module:
            self.discard(found[0])
            found = None
        if found is None:
            service = ServiceUnderTest(directory, **options).start()
            self._services[key] = (service, module)
            return service
        return found[0]

    def discard(self, service: ServiceUnderTest) -> None:
        """Stop a service and forget it (the next test starts a fresh one)."""
        for key, (known, _) in list(self._services.items()):
            if known is service:
                del self._services[key]
        service.close()

    def close(self) -> None:
        """Stop every service."""
        for service, _ in list(self._services.values()):
            service.close()
        self._services.clear()

    def _resolve(self, path: Path) -> Path:
        """A relative path is taken from the rootdir (where pytest.ini/pyproject.toml is), or
        else from the current directory."""
        if path.is_absolute():
            return path
        under_root = self.rootpath / path
        return under_root if under_root.exists() else Path.cwd() / path


def _frozen(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value


@pytest.fixture(scope="session")
def sockgate_services(pytestconfig: pytest.Config) -> Iterator[ServicePool]:
    """Every service the session started; stopped at its end."""
    pool = ServicePool(pytestconfig.getini("sockgate_scope"), pytestconfig.rootpath)
    yield pool
    pool.close()


@pytest.fixture
def sockgate_service(
    sockgate_services: ServicePool, request: pytest.FixtureRequest
) -> Iterator[Callable[..., ServiceUnderTest]]:
    """`sockgate_service(path, stage=, region=, environment=, functions=)`: the running
    service, clean; it is reset after the test."""
    used: list[ServiceUnderTest] = []
    request.node.stash[_USED] = used
    module = getattr(getattr(request, "module", None), "__name__", "")

    def service(path: str | Path, **options: Any) -> ServiceUnderTest:
        svc = sockgate_services.get(path, module, **options)
        if svc not in used:
            used.append(svc)
        return svc

    yield service
    for svc in used:
        try:
            svc.reset()
        except BaseException:
            sockgate_services.discard(svc)  # the next test gets a fresh one
            raise


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and report.when == "call":
        for svc in item.stash.get(_USED, []):
            try:
                lines = svc.logs()
            except Exception:  # the service died with the test; nothing more to show
                continue
            if lines:
                report.sections.append((f"sockgate logs: {svc.path.name}", "\n".join(lines)))
    return report
