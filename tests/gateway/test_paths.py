"""Which resource a raw request path names, without sockets."""

from __future__ import annotations

import pytest

from sockgate.gateway.management import Target, classify_path


@pytest.mark.parametrize("path", ["/", "/dev", "/dev/", "/%64ev"])
def test_websocket_endpoint(path: str) -> None:
    assert classify_path(path, "dev") == Target("websocket")


@pytest.mark.parametrize(
    "path",
    [
        "/dev/@connections/abc%3D",
        "/@connections/abc%3D",
        "/dev/%40connections/abc%3D",
        "/%40connections/abc%3D",
        "/dev/@connections/abc=",
        "/dev/@connections/abc%3D/",
    ],
)
def test_connection_paths(path: str) -> None:
    assert classify_path(path, "dev") == Target("connection", "abc=")


def test_encoded_slash_stays_in_the_id() -> None:
    assert classify_path("/dev/@connections/a%2Fb%20c", "dev") == Target("connection", "a/b c")


@pytest.mark.parametrize(
    "path",
    [
        "/prod",
        "/prod/@connections/abc",
        "/dev/@connections",
        "/dev/@connections/",
        "/dev/@connections/a/b",
        "/other/x",
    ],
)
def test_unknown_paths(path: str) -> None:
    assert classify_path(path, "dev") == Target("unknown")


@pytest.mark.parametrize("path", ["/dev/1764926400", "/dev/a/b", "/dev/other/x", "/%64ev/x/"])
def test_other_paths_below_the_stage(path: str) -> None:
    assert classify_path(path, "dev") == Target("under_stage")
