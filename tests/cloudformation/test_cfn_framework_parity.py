"""`sockgate package` against `serverless package` (Serverless Framework 3) on the same folders.

A stack the Framework deployed can be updated by sockgate only if every resource keeps its
logical id and type, so both tools package the same services here and the ids, types and
output names must be the same, but for the differences listed in DELIBERATE_DIFFERENCES.

The Framework comes from npm: `make test` installs it into tests/cloudformation/.framework
(a folder that ignores itself in git), and the fixture does the same when pytest runs alone.
Only a machine without node and npm skips these tests. `serverless package` needs no network
and no AWS account (dummy credentials; telemetry and notifications off).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sockgate.cloudformation import naming, package
from sockgate.cloudformation.versions import version_digest
from sockgate.service import Service, load_service

# A cold install of serverless@3 takes about 20 s; once installed the module takes seconds.
pytestmark = pytest.mark.timeout(300)

# Every way sockgate's template may differ from the Framework's in logical ids, resource
# types or output names: a pattern on the logical id, and why. Ids that match are compared
# with their digest left out.
DELIBERATE_DIFFERENCES: dict[str, str] = {
    r"WebsocketsDeployment(?P<digest>[0-9A-Za-z]+)": (
        "The digest covers the API's part of the template; the Framework hashes it in "
        "JavaScript's key order, sockgate with sorted keys (the first sockgate deploy of a "
        "Framework stack takes one new deployment, then the id is stable)."
    ),
    r".+LambdaVersion(?P<digest>[0-9A-Za-z]+)": (
        "Same algorithm and function properties, but the digest covers the code zip, which "
        "each tool builds its own way (sockgate: reproducible, requirements installed). "
        "test_version_ids_are_the_frameworks_digest checks the algorithm on the Framework's zip."
    ),
}

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FRAMEWORK_DIR = Path(__file__).resolve().parent / ".framework"
SERVERLESS_JS = FRAMEWORK_DIR / "node_modules" / "serverless" / "bin" / "serverless.js"
FRAMEWORK_ENV = {
    "SLS_TELEMETRY_DISABLED": "1",
    "SLS_NOTIFICATIONS_MODE": "off",
    "SLS_DEPRECATION_DISABLE": "*",
    "AWS_ACCESS_KEY_ID": "AKIASOCKGATETEST0000",
    "AWS_SECRET_ACCESS_KEY": "sockgate/test/dummy/secret/access/key000",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}
IGNORED = shutil.ignore_patterns(".sockgate", ".serverless", "__pycache__")


@dataclass(frozen=True)
class Packaged:
    service: Service
    ours: dict[str, Any]  # sockgate's template
    theirs: dict[str, Any]  # the Framework's template
    their_zip: Path


@pytest.fixture(scope="session")
def serverless_js() -> Path:
    """Serverless Framework 3's bin/serverless.js, installed with npm on first use."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed: cannot run Serverless Framework 3")
    if not SERVERLESS_JS.is_file():
        FRAMEWORK_DIR.mkdir(exist_ok=True)
        (FRAMEWORK_DIR / ".gitignore").write_text("*\n")
        command = ["npm", "install", "--prefix", str(FRAMEWORK_DIR), "--no-audit", "--no-fund",
                   "--loglevel=error", "serverless@3"]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
        if done.returncode != 0 or not SERVERLESS_JS.is_file():
            pytest.fail(
                f"`{' '.join(command)}` failed; it needs the npm registry once:\n"
                + (done.stderr or done.stdout).strip()[-1000:]
            )
    return SERVERLESS_JS


def serverless_package(serverless_js: Path, folder: Path) -> tuple[dict[str, Any], Path]:
    """`serverless package` in folder: the update-stack template and the code zip."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLS_"))}
    command = ["node", str(serverless_js), "package", "--stage", "dev", "--region", "us-east-1"]
    done = subprocess.run(
        command, cwd=folder, env={**env, **FRAMEWORK_ENV}, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    template = folder / ".serverless" / "cloudformation-template-update-stack.json"
    assert done.returncode == 0 and template.is_file(), done.stdout + done.stderr
    (zip_path,) = (folder / ".serverless").glob("*.zip")
    return json.loads(template.read_text()), zip_path


def _copy(source: Path, target: Path) -> Path:
    # Each tool writes into the service folder (.serverless, .sockgate): never the repository.
    shutil.copytree(source, target, ignore=IGNORED)
    return target


@pytest.fixture(scope="module")
def packaged(
    serverless_js: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[Path], Packaged]:
    """packaged(folder) -> both tools' packages of copies of it, made once per folder."""
    done: dict[Path, Packaged] = {}

    def run(source: Path) -> Packaged:
        if source not in done:
            tmp = tmp_path_factory.mktemp(source.name)
            service = load_service(_copy(source, tmp / "sockgate"), stage="dev")
            theirs, zip_path = serverless_package(serverless_js, _copy(source, tmp / "framework"))
            done[source] = Packaged(service, package(service).template, theirs, zip_path)
        return done[source]

    return run


def _shape(template: dict[str, Any]) -> tuple[list[tuple[str, str]], list[str]]:
    """(logical id, type) of every resource, digests of deliberate differences left out."""
    resources = []
    for logical_id, resource in template["Resources"].items():
        for pattern in DELIBERATE_DIFFERENCES:
            match = re.fullmatch(pattern, logical_id)
            if match:
                start, end = match.span("digest")
                logical_id = logical_id[:start] + "<digest>" + logical_id[end:]
                break
        resources.append((logical_id, resource["Type"]))
    return sorted(resources), sorted(template.get("Outputs", {}))


def _assert_same_shape(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    (our_resources, our_outputs), (their_resources, their_outputs) = _shape(ours), _shape(theirs)
    only_ours = Counter(our_resources) - Counter(their_resources)
    only_theirs = Counter(their_resources) - Counter(our_resources)
    assert (dict(only_ours), dict(only_theirs)) == ({}, {}), "resources differ"
    assert our_outputs == their_outputs


@pytest.mark.parametrize("example", ["chat", "hello"])
def test_examples_package_like_the_framework(
    packaged: Callable[[Path], Packaged], example: str
) -> None:
    both = packaged(EXAMPLES / example)
    _assert_same_shape(both.ours, both.theirs)
    # versionFunctions (default true): one version and one QualifiedArn output per function
    resources, outputs = both.ours["Resources"], both.ours["Outputs"]
    functions = [k for k, r in resources.items() if r["Type"] == "AWS::Lambda::Function"]
    versions = [k for k, r in resources.items() if r["Type"] == "AWS::Lambda::Version"]
    assert len(versions) == len(functions) > 0
    assert {f"{k}QualifiedArn" for k in functions} <= set(outputs)


def test_version_ids_are_the_frameworks_digest(packaged: Callable[[Path], Packaged]) -> None:
    """sockgate's digest of the Framework's zip and of sockgate's own function properties."""
    chat = packaged(EXAMPLES / "chat")
    zip_sha256 = hashlib.sha256(chat.their_zip.read_bytes()).hexdigest()
    for key in chat.service.functions:
        properties = chat.ours["Resources"][naming.lambda_function(key)]["Properties"]
        version_id = naming.lambda_version(key, version_digest(zip_sha256, properties))
        assert version_id in chat.theirs["Resources"], key
        version = chat.theirs["Resources"][version_id]["Properties"]
        assert version["CodeSha256"] == base64.b64encode(bytes.fromhex(zip_sha256)).decode()


def test_a_route_of_two_functions_packages_like_the_framework(
    packaged: Callable[[Path], Packaged], duplicate_routes: Path
) -> None:
    both = packaged(duplicate_routes)
    _assert_same_shape(both.ours, both.theirs)
    for route in ("makeMultiCallsWebsocketsRoute", "SconnectWebsocketsRoute"):
        assert both.ours["Resources"][route] == both.theirs["Resources"][route]
