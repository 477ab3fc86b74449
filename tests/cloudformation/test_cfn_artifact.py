"""The code zip: what the handlers import goes in, what Lambda provides stays out."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from sockgate.cloudformation import package
from sockgate.cloudformation.artifact import glob_match
from sockgate.cloudformation.requirements import _filtered, _prune
from sockgate.errors import DeployError
from sockgate.service.model import Service


def _names(zip_path: Path) -> set[str]:
    with zipfile.ZipFile(zip_path) as archive:
        return set(archive.namelist())


def _clutter(root: Path) -> None:
    for relative in [
        ".venv/lib/python3.11/site-packages/boto3/__init__.py",
        "node_modules/x/index.js",
        "src/__pycache__/handler.cpython-311.pyc",
        "tests/test_handler.py",
        ".git/HEAD",
        ".env",
        ".serverless/old.zip",
        "docs/notes.md",
        "docs/keep.md",
        "src/lib/util.py",
        "web/index.html",
    ]:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(relative)


def test_the_zip_holds_the_service_files_and_no_tool_state(chat_service: Service) -> None:
    _clutter(chat_service.directory)
    result = package(chat_service)
    assert result.zip_path == chat_service.directory / ".sockgate" / "package" / "chat.zip"
    assert result.template_path.name == "cloudformation-template.json"
    assert json.loads(result.template_path.read_text()) == result.template
    assert _names(result.zip_path) == {
        "serverless.yml",
        "src/handler.py",
        "src/lib/util.py",
        "docs/notes.md",
        "docs/keep.md",
        "web/index.html",
    }


def test_package_patterns_exclude_and_re_include(chat_service: Service) -> None:
    _clutter(chat_service.directory)
    config = {"package": {"patterns": ["!docs/**", "docs/keep.md", "!web/*.html"]}}
    service = chat_service.model_copy(update={"config": config})
    names = _names(package(service).zip_path)
    assert "docs/keep.md" in names
    assert not {"docs/notes.md", "web/index.html"} & names
    assert "src/handler.py" in names


def test_the_zip_is_reproducible_and_its_key_follows_the_content(chat_service: Service) -> None:
    first = package(chat_service)
    first_bytes = first.zip_path.read_bytes()
    handler = chat_service.directory / "src" / "handler.py"
    os.utime(handler, (1_000_000_000, 1_000_000_000))  # a new mtime alone changes nothing
    second = package(chat_service)
    assert second.zip_path.read_bytes() == first_bytes
    assert second.artifact_key == first.artifact_key
    assert first.artifact_key == f"serverless/chat/dev/{first.code_sha256[:32]}/chat.zip"
    code = first.template["Resources"]["DefaultHandlerLambdaFunction"]["Properties"]["Code"]
    assert code == {"S3Bucket": {"Ref": "ServerlessDeploymentBucket"}, "S3Key": first.artifact_key}

    handler.write_text("def handler(event, context):\n    return 1\n")
    third = package(chat_service)
    assert third.artifact_key != first.artifact_key
    with zipfile.ZipFile(third.zip_path) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_requirements_are_installed_for_lambda_without_the_sdk(chat_service: Service) -> None:
    # nh3 ships compiled manylinux wheels: proof that the Lambda platform's wheel is fetched.
    (chat_service.directory / "requirements.txt").write_text(
        "# what the handlers import\nnh3>=0.2\nboto3==1.34.0  # provided by the runtime\nbotocore\n"
    )
    result = package(chat_service)
    names = _names(result.zip_path)
    assert "src/handler.py" in names
    assert "nh3/__init__.py" in names
    assert any(n.startswith("nh3/") and n.endswith(".so") for n in names)
    assert any(n.startswith("nh3-") and n.endswith(".dist-info/METADATA") for n in names)
    assert not [n for n in names if n.split("/")[0].startswith(("boto3", "botocore", "s3transfer"))]
    assert not [n for n in names if n.endswith(".pyc")]
    # The install is cached: a second package reuses it and gives the same zip.
    assert package(chat_service).code_sha256 == result.code_sha256


def test_a_requirement_pip_cannot_satisfy_is_a_deploy_error(chat_service: Service) -> None:
    (chat_service.directory / "requirements.txt").write_text("nh3==0.0.0.1\n")
    with pytest.raises(DeployError) as raised:
        package(chat_service)
    assert str(raised.value).startswith(
        f"pip could not install {chat_service.directory / 'requirements.txt'} for "
        "manylinux2014_x86_64 / Python 3.11: ERROR: "
    )
    assert "nh3==0.0.0.1" in str(raised.value)
    assert not list((chat_service.directory / ".sockgate" / "cache" / "requirements").iterdir())


def test_sdk_packages_pulled_in_by_others_are_pruned(tmp_path: Path) -> None:
    def dist(name: str, version: str, files: list[str]) -> None:
        info = f"{name}-{version}.dist-info"
        for file in files:
            (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / file).write_text("x")
        (tmp_path / info).mkdir()
        (tmp_path / info / "METADATA").write_text(f"Name: {name}\nVersion: {version}\n")
        record = [*files, f"{info}/METADATA,,", f"{info}/RECORD,,"]
        (tmp_path / info / "RECORD").write_text("\n".join(record) + "\n")

    dist("botocore", "1.0", ["botocore/__init__.py", "botocore/data/s3.json"])
    dist("s3transfer", "1.0", ["s3transfer/__init__.py"])
    dist("jmespath", "1.0", ["jmespath/__init__.py"])
    _prune(tmp_path, keep={"s3transfer"})
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "jmespath",
        "jmespath-1.0.dist-info",
        "s3transfer",
        "s3transfer-1.0.dist-info",
    ]


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("docs/**", "docs/a/b.md", True),
        ("docs/**", "src/docs/a.md", False),
        ("**/*.md", "README.md", True),
        ("**/*.md", "a/b/c.md", True),
        ("*.md", "a/b.md", False),
        ("./src/*.py", "src/handler.py", True),
        ("src/?.py", "src/ab.py", False),
        ("web/*.html", "web/index.html", True),
    ],
)
def test_glob_patterns(pattern: str, path: str, matches: bool) -> None:
    assert glob_match(pattern, path) is matches


def test_requirements_lose_the_sdk_and_keep_nested_files(tmp_path: Path) -> None:
    (tmp_path / "base.txt").write_text("nh3\n")
    (tmp_path / "requirements.txt").write_text(
        "-r base.txt\nBoto3>=1.30  # from the runtime\nbotocore\nrequests[socks]==2.32\n"
        "--index-url https://example.invalid/simple\n"
    )
    text, wanted, fingerprint = _filtered(tmp_path / "requirements.txt")
    assert text.splitlines() == [
        f"-r {tmp_path / 'base.txt'}",
        "requests[socks]==2.32",
        "--index-url https://example.invalid/simple",
    ]
    assert wanted == {f"<{tmp_path / 'base.txt'}>", "requests"}
    assert fingerprint.endswith("nh3\n")  # a change to base.txt means a new install

    (tmp_path / "requirements.txt").write_text("boto3\n# nothing else\n")
    assert _filtered(tmp_path / "requirements.txt")[1] == set()
