"""What a worker imports: the service's package, built as Lambda builds it, and the runtime's boto3.

On Lambda a function imports from its package (/var/task: the code and what requirements.txt
installed into it), its layers (/opt/python) and the runtime (/var/runtime: boto3, botocore and
their dependencies), on the Python its `runtime:` names, and nothing else. Workers get the same:

- the interpreter of the declared runtime (`python3.12`) when one is installed (sockgate's own
  when the versions match, else `python3.12` on PATH or under pyenv or uv), else sockgate's,
  said once at start;
- the service's `requirements.txt`, and a function's own beside its code (the Framework's
  python-requirements convention for functions packaged individually), installed with
  `pip install --target` (uv when it is installed) into `.sockgate/requirements/<hash>`,
  keyed by the files' contents and the Python version, and reused without the network
  while nothing changed;
- a runtime folder of links to boto3, botocore, s3transfer, jmespath, dateutil, six and urllib3
  (what the Lambda Python runtime ships), and to sockgate's worker;
- the interpreter started with -S: no site-packages, so nothing of sockgate's own dependencies
  (pydantic, PyYAML, aiohttp, click, rich, ...) can be imported by accident.

`sockgate dev --shared-env` keeps the old way: sockgate's interpreter and environment.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sockgate.errors import HandlerError
from sockgate.service.model import Function, Service

__all__ = [
    "RUNTIME_MODULES",
    "WorkerPython",
    "declared_version",
    "find_interpreter",
    "prepare",
    "requirements_files",
]

# What the Lambda Python runtime ships besides the standard library (boto3 and its dependencies).
RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")
_INSTALL_TIMEOUT_S = 900.0

Log = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class WorkerPython:
    """How a function's workers start: which Python, and what they may import."""

    executable: str = sys.executable
    isolated: bool = False  # -S, with the import path below; False: sockgate's environment
    package_paths: tuple[str, ...] = ()  # after the task root: installed requirements
    runtime_dir: str | None = None  # boto3 & co. and sockgate's worker


def declared_version(runtime: str) -> str | None:
    """'python3.12' -> '3.12'."""
    version = runtime.removeprefix("python")
    parts = version.split(".")
    if len(parts) == 2 and all(part.isdigit() for part in parts):
        return version
    return None


def _current() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def find_interpreter(version: str) -> str | None:
    """An installed Python `version` ('3.12'): sockgate's own if it is that version, else one
    on PATH, under pyenv or uv; None when there is none."""
    if version == _current():
        return sys.executable
    name = f"python{version}"
    home = Path.home()
    candidates = [shutil.which(name), f"/usr/bin/{name}", f"/usr/local/bin/{name}"]
    for pattern, root in (
        (f"{version}*/bin/{name}", home / ".pyenv" / "versions"),
        (f"cpython-{version}*/bin/{name}", home / ".local" / "share" / "uv" / "python"),
    ):
        if root.is_dir():
            candidates.extend(str(path) for path in sorted(root.glob(pattern), reverse=True))
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK) and _reports(candidate, version):
            return candidate
    return None


def _reports(executable: str, version: str) -> bool:
    """True if `executable` runs and is Python `version` (a pyenv shim may be neither)."""
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    try:
        done = subprocess.run(
            [executable, "-S", "-c", probe], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and done.stdout.strip() == version


def requirements_files(service: Service, function: Function) -> list[Path]:
    """The requirements.txt files a function's package is built from: the service's, and one
    in the function's own code folder (its handler's module folder, or a template's CodeUri)."""
    files = []
    root = service.directory.absolute()
    for folder in (root, _code_folder(service, function)):
        path = folder / "requirements.txt"
        if path.is_file() and path not in files:
            files.append(path)
    return files


def _code_folder(service: Service, function: Function) -> Path:
    if function.code_dir is not None:
        return function.code_dir.absolute()
    module = function.handler.rsplit(".", 1)[0]
    return (service.directory.absolute() / module).parent


def prepare(
    service: Service,
    state_dir: Path,
    *,
    shared: bool = False,
    log: Log = print,
) -> dict[str, WorkerPython]:
    """Each function's WorkerPython, building what is missing (blocking: run it in a thread).

    Raises HandlerError, naming the requirement file and the fix, when an install fails.
    """
    pythons: dict[str, str] = {}
    missing: dict[str, list[str]] = {}
    for key, function in service.functions.items():
        version = declared_version(function.runtime)
        if version is None or version in pythons:
            continue
        found = find_interpreter(version)
        pythons[version] = found or sys.executable
        if found is None:
            missing.setdefault(version, []).append(key)
    for version, keys in missing.items():
        log(
            f"sockgate: the service declares python{version} ({', '.join(sorted(keys))}), "
            f"which is not installed here: its workers run Python {_current()}. "
            f"Install python{version} (pyenv install {version}, uv python install {version}) "
            "to run it as Lambda does."
        )
    if shared:
        return {key: WorkerPython() for key in service.functions}
    runtime_dir = _runtime_dir(state_dir / "runtime")
    built: dict[tuple[str, tuple[Path, ...]], str | None] = {}
    result: dict[str, WorkerPython] = {}
    for key, function in service.functions.items():
        version = declared_version(function.runtime) or _current()
        executable = pythons.get(version, sys.executable)
        files = tuple(requirements_files(service, function))
        if (executable, files) not in built:
            built[(executable, files)] = _requirements(files, executable, service.directory, log)
        target = built[(executable, files)]
        result[key] = WorkerPython(
            executable=executable,
            isolated=True,
            package_paths=(target,) if target else (),
            runtime_dir=str(runtime_dir),
        )
    return result


def _runtime_dir(folder: Path) -> Path:
    """Links to the runtime's modules (from sockgate's own environment) and sockgate's worker."""
    modules = {name: _module_path(name) for name in RUNTIME_MODULES}
    modules["sockgate"] = Path(__file__).resolve().parents[1]
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in modules.items():
        link = folder / source.name if source.suffix == ".py" else folder / name
        if link.is_symlink() and link.resolve() == source.resolve():
            continue
        temporary = folder / f".{link.name}.{os.getpid()}"
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(source)
        os.replace(temporary, link)  # atomic: another sockgate may be linking the same folder
    return folder


def _module_path(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise HandlerError(
            f"sockgate's environment lacks {name}, which the Lambda Python runtime ships; "
            "reinstall sockgate (pip install sockgate) or run with --shared-env."
        )
    origin = Path(spec.origin)
    return origin.parent if origin.name == "__init__.py" else origin


def _requirements(files: Iterable[Path], executable: str, root: Path, log: Log) -> str | None:
    """The folder the requirement files are installed in (built now if missing), or None."""
    files = list(files)
    if not files:
        return None
    version = _version_of(executable)
    digest = hashlib.sha256(f"{version}\n{sys.platform}\n".encode())
    for path in files:
        digest.update(path.read_bytes())
    key = digest.hexdigest()[:16]
    target = root.absolute() / ".sockgate" / "requirements" / f"py{version}-{key}"
    if (target / ".complete").is_file():
        return str(target)  # nothing changed: no network, no install
    names = ", ".join(str(path.relative_to(root.absolute())) for path in files)
    log(f"sockgate: installing {names} for Python {version} into {target} ...")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for path in files:
            _install(path, staging, executable, version, log)
        (staging / ".complete").write_text("\n".join(str(path) for path in files) + "\n")
        try:
            os.rename(staging, target)
        except OSError:  # built meanwhile by another sockgate: keep theirs
            if not (target / ".complete").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log(f"sockgate: {names} installed")
    return str(target)


def _version_of(executable: str) -> str:
    if executable == sys.executable:
        return _current()
    done = subprocess.run(
        [executable, "-S", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    return done.stdout.strip() or _current()


def _install(path: Path, target: Path, executable: str, version: str, log: Log) -> None:
    """Install one requirements file into `target`, showing the installer's progress."""
    uv = shutil.which("uv")
    if uv is not None:
        command = [uv, "pip", "install", "--python", executable, "--target", str(target)]
    elif _has_pip(executable):
        command = [executable, "-m", "pip", "install", "--target", str(target)]
        command += ["--disable-pip-version-check", "--no-input", "--progress-bar", "off"]
    else:  # that Python has no pip: sockgate's pip, asking for wheels of that version
        command = [sys.executable, "-m", "pip", "install", "--target", str(target)]
        command += ["--python-version", version, "--only-binary=:all:"]
        command += ["--disable-pip-version-check", "--no-input", "--progress-bar", "off"]
    command += ["-r", str(path)]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=path.parent,
    )
    assert process.stdout is not None
    tail: list[str] = []
    for line in process.stdout:
        line = line.rstrip()
        if line:
            tail = [*tail[-19:], line]
            log(f"  {line}")
    if process.wait(timeout=_INSTALL_TIMEOUT_S) != 0:
        last = tail[-1] if tail else "no output"
        raise HandlerError(
            f"installing {path} failed ({last}). Fix the requirement it names, check the "
            "network (or a pip index in pip.conf), or run with --shared-env to use your own "
            "environment."
        )


def _has_pip(executable: str) -> bool:
    if executable == sys.executable:
        return importlib.util.find_spec("pip") is not None
    done = subprocess.run(
        [executable, "-m", "pip", "--version"], capture_output=True, timeout=30, check=False
    )
    return done.returncode == 0
