"""Workers import what the service's package holds, on the Python its runtime names."""

from __future__ import annotations

import base64
import hashlib
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sockgate.lambdas.packages import WorkerPython, declared_version, find_interpreter, prepare

from .conftest import MakeService

HANDLER = """
import sys

def uses_yaml(event, context):
    import yaml  # sockgate's own dependency: not in the package
    return yaml.safe_dump(event)

def uses_tiny(event, context):
    import tiny
    return tiny.VALUE

def uses_boto3(event, context):
    import boto3, botocore  # the Lambda runtime ships them
    return [boto3.__name__, botocore.__name__, sys.version_info[:2] == (3, 11)]
"""


def _wheel(folder: Path) -> Path:
    """A minimal wheel of a module 'tiny', built by hand (no index, no build backend)."""
    path = folder / "tiny-1.0-py3-none-any.whl"
    files = {
        "tiny/__init__.py": b"VALUE = 'from the package'\n",
        "tiny-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: tiny\nVersion: 1.0\n",
        "tiny-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append("tiny-1.0.dist-info/RECORD,,")
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr("tiny-1.0.dist-info/RECORD", "\n".join(record) + "\n")
    return path


async def test_an_unlisted_import_fails_as_on_lambda(
    make_service: MakeService, runtimes: Callable[..., Any], tmp_path: Path
) -> None:
    service = make_service({"handler.py": HANDLER}, fn="handler.uses_yaml", ok="handler.uses_boto3")
    pythons = prepare(service, tmp_path / ".state", log=lambda line: None)
    runtime = runtimes(service, pythons=pythons)
    result = await runtime.invoke("fn", {"a": 1})
    assert result.error is not None and result.error["errorType"] == "ModuleNotFoundError"
    assert result.error["errorMessage"] == "No module named 'yaml'"
    ok = await runtime.invoke("ok", {})
    assert ok.payload == ["boto3", "botocore", True]
    # --shared-env: sockgate's own environment, as before.
    shared = runtimes(service, pythons=prepare(service, tmp_path / ".s2", shared=True))
    assert (await shared.invoke("fn", {"a": 1})).payload == "a: 1\n"


async def test_requirements_are_installed_once_and_reused(
    make_service: MakeService, runtimes: Callable[..., Any], tmp_path: Path
) -> None:
    service = make_service({"handler.py": HANDLER}, fn="handler.uses_tiny")
    wheel = _wheel(tmp_path)
    (tmp_path / "requirements.txt").write_text(f"{wheel}\n")
    lines: list[str] = []
    pythons = prepare(service, tmp_path / ".state", log=lines.append)
    assert any(
        line.startswith("sockgate: installing requirements.txt for Python") for line in lines
    )
    (target,) = pythons["fn"].package_paths
    assert Path(target, "tiny", "__init__.py").is_file()
    assert Path(target).parent == tmp_path / ".sockgate" / "requirements"
    result = await runtimes(service, pythons=pythons).invoke("fn", {})
    assert result.payload == "from the package"
    again: list[str] = []
    assert prepare(service, tmp_path / ".state", log=again.append)["fn"].package_paths == (target,)
    assert again == []  # nothing changed: no install, no network
    (tmp_path / "requirements.txt").write_text(f"{wheel}\n# changed\n")
    changed = prepare(service, tmp_path / ".state", log=lambda line: None)
    assert changed["fn"].package_paths != (target,)


def test_the_declared_runtime_picks_the_interpreter(
    make_service: MakeService, tmp_path: Path
) -> None:
    current = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert declared_version("python3.12") == "3.12" and declared_version("nodejs20.x") is None
    assert find_interpreter(current) == sys.executable
    assert find_interpreter("3.99") is None
    service = make_service(
        {"handler.py": HANDLER}, fn=("handler.uses_boto3", {"runtime": "python3.99"})
    )
    lines: list[str] = []
    pythons = prepare(service, tmp_path / ".state", log=lines.append)
    assert pythons["fn"].executable == sys.executable and pythons["fn"].isolated
    assert lines == [
        "sockgate: the service declares python3.99 (fn), which is not installed here: its "
        f"workers run Python {current}. Install python3.99 (pyenv install 3.99, uv python "
        "install 3.99) to run it as Lambda does."
    ]
    assert prepare(service, tmp_path / ".s2", shared=True, log=lambda line: None) == {
        "fn": WorkerPython()
    }


LAYERED = """
service: layered
provider:
  name: aws
  runtime: python3.11
layers:
  common:
    path: layers/common
functions:
  fn:
    handler: handler.fn
    layers:
      - Ref: CommonLambdaLayer
"""


async def test_a_local_layer_is_on_the_path_as_opt_python(
    runtimes: Callable[..., Any], tmp_path: Path
) -> None:
    from sockgate.service import load_service

    folder = tmp_path / "layered"
    (folder / "layers" / "common" / "python").mkdir(parents=True)
    (folder / "layers" / "common" / "python" / "shared.py").write_text("VALUE = 'layer'\n")
    (folder / "serverless.yml").write_text(LAYERED)
    (folder / "handler.py").write_text("import shared\ndef fn(e, c):\n    return shared.VALUE\n")
    service = load_service(folder)
    assert service.functions["fn"].layers == ((folder / "layers" / "common").resolve(),)
    pythons = prepare(service, folder / ".sockgate", log=lambda line: None)
    assert (await runtimes(service, pythons=pythons).invoke("fn", {})).payload == "layer"
