"""`sockgate dev --no-inspector` and `--inspector-history` on a real process."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from sockgate.testing import DevProcess

pytestmark = pytest.mark.timeout(90)


def _base(process: DevProcess) -> str:
    assert process.urls is not None
    return process.urls.websocket_url.replace("ws://", "http://").rsplit("/", 1)[0]


def test_the_banner_names_the_inspector_and_the_history_is_kept(hello_dir: Path) -> None:
    process = DevProcess(hello_dir, "--no-reload", "--lambda-port", "0", "--inspector-history", "5")
    process.start()
    try:
        base = _base(process)
        assert f"Inspector     {base}/_sockgate/" in process.output()
        with urllib.request.urlopen(f"{base}/_sockgate/api/state", timeout=10) as reply:
            assert json.load(reply)["history"] == 5
    finally:
        process.stop()


def test_no_inspector(hello_dir: Path) -> None:
    process = DevProcess(hello_dir, "--no-reload", "--lambda-port", "0", "--no-inspector")
    process.start()
    try:
        assert "Inspector" not in process.output()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{_base(process)}/_sockgate/", timeout=10)
        assert refused.value.code == 403
    finally:
        process.stop()
