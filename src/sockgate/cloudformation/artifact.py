"""The code zip: the service's own files plus its dependencies, byte-for-byte reproducible.

Unchanged code must give the same zip (and so the same S3 key and no Lambda update):
entries are sorted, every timestamp is 1980-01-01, permissions are normalised to 644/755,
and nothing that varies between runs (__pycache__, .pyc) goes in.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from sockgate.service.model import Service

__all__ = [
    "collect_files",
    "dependency_files",
    "file_sha256",
    "glob_match",
    "package_patterns",
    "write_zip",
]

# Never shipped, at any depth: tool state, virtual environments, caches, VCS.
_EXCLUDED_DIRS = frozenset(
    {
        ".sockgate", ".serverless", ".venv", "venv", "node_modules", "__pycache__", ".git",
        ".hg", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", ".idea", ".vscode",
    }
)  # fmt: skip
# Never shipped at the top of the service: its tests.
_EXCLUDED_TOP = frozenset({"tests"})
# Compiled files embed timestamps; .env files hold local secrets (the Framework also leaves
# .env* out when it loads them).
_EXCLUDED_FILES = ("*.pyc", "*.pyo", ".DS_Store", ".env", ".env.*")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    # Hand-written because the standard library gains `**` globbing only in 3.13
    # (glob.translate, PurePath.full_match); this is the micromatch subset Serverless
    # patterns use: ** spans folders, * and ? stay within one.
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def glob_match(pattern: str, path: str) -> bool:
    """Whether a slash-separated relative path matches a Serverless `package.patterns` glob."""
    return _glob_regex(pattern.removeprefix("./")).fullmatch(path) is not None


def package_patterns(service: Service) -> list[str]:
    """`package.patterns`, with the old `package.exclude`/`include` turned into patterns."""
    package = service.config.get("package")
    package = package if isinstance(package, dict) else {}
    patterns = [f"!{p}" for p in package.get("exclude") or []]
    patterns += list(package.get("include") or [])
    patterns += list(package.get("patterns") or [])
    return [str(p) for p in patterns]


def _included(path: str, patterns: list[str]) -> bool:
    """Serverless semantics: everything is in, then each pattern in order excludes (!) or
    re-includes what it matches."""
    name = path.rsplit("/", 1)[-1]
    keep = not any(glob_match(p, name) for p in _EXCLUDED_FILES)
    for pattern in patterns:
        if pattern.startswith("!"):
            if glob_match(pattern[1:], path):
                keep = False
        elif glob_match(pattern, path):
            keep = True
    return keep


def _walk(root: Path) -> Iterator[str]:
    for folder, dirs, files in os.walk(root):
        relative = Path(folder).relative_to(root).as_posix()
        prefix = "" if relative == "." else relative + "/"
        dirs[:] = sorted(
            d for d in dirs if d not in _EXCLUDED_DIRS and not (not prefix and d in _EXCLUDED_TOP)
        )
        for name in files:
            yield prefix + name


def collect_files(service: Service, output: Path | None = None) -> dict[str, Path]:
    """The service's own files to ship, by their path in the zip."""
    root = service.directory
    patterns = package_patterns(service)
    skip = output.resolve() if output is not None else None
    files: dict[str, Path] = {}
    for relative in _walk(root):
        path = root / relative
        if skip is not None and path.resolve().is_relative_to(skip):
            continue
        if path.is_file() and _included(relative, patterns):
            files[relative] = path
    return files


def dependency_files(folder: Path) -> dict[str, Path]:
    """Every file of an installed-requirements folder, by its path in the zip."""
    files: dict[str, Path] = {}
    for relative in _walk(folder):
        if not relative.endswith((".pyc", ".pyo")):
            files[relative] = folder / relative
    return files


def write_zip(entries: Iterable[tuple[str, Path]], destination: Path) -> None:
    """A reproducible zip: sorted names, fixed times, 644/755 modes, deflated."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = destination.with_name(destination.name + ".partial")
    with zipfile.ZipFile(staging, "w") as archive:
        for name, path in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.create_system = 3  # unix, so the mode bits below are honoured
            executable = os.access(path, os.X_OK)
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=6)
    staging.replace(destination)


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
