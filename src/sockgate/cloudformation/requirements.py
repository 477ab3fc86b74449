"""Dependencies from requirements.txt, installed for Lambda's platform with pip (no Docker).

pip can resolve and unpack wheels for another platform (`--platform manylinux2014_x86_64
--implementation cp --python-version 3.11 --only-binary=:all:`), which is exactly what a
Lambda x86_64 / arm64 Python runtime loads. A requirement that only exists as an sdist
cannot be built that way and fails with pip's own message.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from sockgate.errors import DeployError
from sockgate.service.model import Service

__all__ = ["PROVIDED_BY_RUNTIME", "install_requirements", "lambda_platform", "python_version"]

# The Lambda Python runtimes ship the AWS SDK (boto3, botocore and s3transfer, which boto3
# needs) on their own sys.path. Shipping them again adds ~25 MB towards the 250 MB unzipped
# limit and slows every cold start, so they are dropped from requirements.txt and pruned
# when another requirement pulls them in. (Pinning an SDK version is a job for a layer.)
PROVIDED_BY_RUNTIME = frozenset({"boto3", "botocore", "s3transfer"})
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_FILE_OPTION = re.compile(r"^\s*(-r|--requirement|-c|--constraint)(\s+|=)(\S+)\s*$")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def python_version(service: Service) -> str:
    """ "3.11" from python3.11; every function must share it, as they share one zip."""
    versions = {fn.runtime.removeprefix("python") for fn in service.functions.values()}
    versions = versions or {service.runtime.removeprefix("python")}
    if len(versions) > 1:
        raise DeployError(
            f"Functions use different Python runtimes ({', '.join(sorted(versions))}) but "
            "share one requirements.txt; give them the same `runtime`."
        )
    return versions.pop()


def lambda_platform(service: Service) -> str:
    """The manylinux platform tag of the functions' architecture."""
    if service.provider.get("architecture") == "arm64":
        return "manylinux2014_aarch64"
    return "manylinux2014_x86_64"


def _filtered(requirements: Path) -> tuple[str, set[str], str]:
    """The file's lines minus the runtime's SDK, nested -r/-c paths made absolute; the names
    it asks for; and a fingerprint of everything pip will read (nested files included)."""
    lines: list[str] = []
    wanted: set[str] = set()
    nested_texts: list[str] = []
    for line in requirements.read_text().splitlines():
        option = _FILE_OPTION.match(line)
        if option:
            nested = (requirements.parent / option.group(3)).resolve()
            lines.append(f"{option.group(1)} {nested}")
            nested_texts.append(nested.read_text() if nested.is_file() else "")
            wanted.add(f"<{nested}>")  # something to install, whatever the names inside
            continue
        match = _NAME.match(line)
        if match and not line.lstrip().startswith("-"):
            name = _canonical(match.group(1))
            if name in {"boto3", "botocore"}:
                continue
            wanted.add(name)
        lines.append(line)
    text = "\n".join(lines) + "\n"
    return text, wanted, text + "\n".join(nested_texts)


def _prune(target: Path, keep: set[str]) -> None:
    for dist in importlib.metadata.distributions(path=[str(target)]):
        name = _canonical(dist.metadata["Name"] or "")
        if name not in PROVIDED_BY_RUNTIME or name in keep:
            continue
        for file in dist.files or ():  # RECORD lists the .dist-info files too
            path = target / file
            if path.is_file():
                path.unlink()
    for folder in sorted(target.rglob("*"), reverse=True):  # folders emptied by the prune
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _pip(requirements: Path, target: Path, version: str, platform: str, shown: Path) -> None:
    command = [
        sys.executable, "-m", "pip", "install",
        "--target", str(target),
        "--platform", platform,
        "--implementation", "cp",
        "--python-version", version,
        "--only-binary=:all:",
        "--no-compile",  # .pyc files embed timestamps; Lambda compiles on import anyway
        "--disable-pip-version-check",
        "--quiet",
        "--requirement", str(requirements),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        errors = [line for line in lines if line.startswith("ERROR:")] or lines[-3:]
        raise DeployError(
            f"pip could not install {shown} for {platform} / Python {version}: " + " ".join(errors)
        )


def install_requirements(service: Service, cache: Path) -> Path | None:
    """A folder holding the installed dependencies, or None without a requirements.txt.

    Installs are cached under `cache` by the hash of the filtered requirements and the
    target platform, so an unchanged requirements.txt costs nothing on the next package.
    """
    requirements = service.directory / "requirements.txt"
    if not requirements.is_file():
        return None
    text, wanted, fingerprint = _filtered(requirements)
    if not wanted:  # nothing but the SDK (or comments): nothing to install
        return None
    version, platform = python_version(service), lambda_platform(service)
    key = hashlib.sha256(f"{platform}\n{version}\n{fingerprint}".encode()).hexdigest()[:24]
    target = cache / key
    if target.is_dir():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    staging = cache / f"{key}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    filtered = cache / f"{key}.requirements.txt"
    filtered.write_text(text)
    try:
        _pip(filtered, staging, version, platform, shown=requirements)
        _prune(staging, wanted)
        staging.rename(target)  # atomic: a half-done install is never taken for a cached one
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        filtered.unlink(missing_ok=True)
    return target
