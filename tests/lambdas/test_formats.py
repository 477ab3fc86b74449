"""Lambda's platform lines and errors, the protocol frames and the environment (no processes)."""

from __future__ import annotations

import json
import re
import signal
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from sockgate.channel.botocore_hook import redirect_url
from sockgate.lambdas import pipes
from sockgate.lambdas.environment import (
    base_environment,
    function_variables,
    log_stream_name,
    worker_environment,
)
from sockgate.lambdas.loader import Fault, error_log_text, marshal
from sockgate.lambdas.logs import (
    end_line,
    exit_error,
    report_line,
    start_line,
    timeout_error,
    timeout_line,
)
from sockgate.service.model import Service

from .conftest import function

RID = "3c1e7e2a-0a3f-4b5e-9b1e-1f2d3c4b5a69"


def test_start_end_report_lines() -> None:
    assert start_line(RID) == f"START RequestId: {RID} Version: $LATEST"
    assert end_line(RID) == f"END RequestId: {RID}"
    assert report_line(RID, duration_ms=12.344, memory_size_mb=1024, max_memory_used_mb=51) == (
        f"REPORT RequestId: {RID}\tDuration: 12.34 ms\tBilled Duration: 13 ms"
        "\tMemory Size: 1024 MB\tMax Memory Used: 51 MB"
    )
    cold = report_line(
        RID, duration_ms=1.5, memory_size_mb=128, max_memory_used_mb=40, init_duration_ms=123.456
    )
    assert cold.endswith(
        "\tBilled Duration: 125 ms\tMemory Size: 128 MB"
        "\tMax Memory Used: 40 MB\tInit Duration: 123.46 ms"
    )
    timed_out = report_line(
        RID, duration_ms=6000, memory_size_mb=128, max_memory_used_mb=40, status="timeout"
    )
    assert timed_out.endswith("\tStatus: timeout")


def test_timeout_error_and_log_line() -> None:
    assert timeout_error(RID, 6) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {RID} Error: Task timed out after 6.00 seconds",
    }
    when = datetime(2024, 1, 20, 11, 54, 57, 419_000, tzinfo=UTC)
    assert timeout_line(RID, 3, when) == (
        f"2024-01-20T11:54:57.419Z {RID} Task timed out after 3.00 seconds"
    )


@pytest.mark.parametrize(
    ("returncode", "reason"),
    [
        (3, "Runtime exited with error: exit status 3"),
        (-signal.SIGKILL, "Runtime exited with error: signal: killed"),
        (-signal.SIGSEGV, "Runtime exited with error: signal: segmentation fault"),
        (0, "Runtime exited without providing a reason"),
    ],
)
def test_exit_errors(returncode: int, reason: str) -> None:
    assert exit_error(RID, returncode) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {RID} Error: {reason}",
    }


def test_marshal_like_the_runtime_client() -> None:
    value = {"n": Decimal("5"), "f": Decimal("1.10"), "big": Decimal("12345678901234567890")}
    assert json.loads(marshal(value)) == {"n": 5, "f": 1.1, "big": 12345678901234567890}
    assert marshal(None) == b"null"
    with pytest.raises(Fault) as caught:
        marshal({"s": {1, 2}})
    assert caught.value.error_type == "Runtime.MarshalError"
    assert caught.value.message == (
        "Unable to marshal response: Object of type set is not JSON serializable"
    )


def test_error_log_text() -> None:
    error = {
        "errorMessage": "boom",
        "errorType": "ValueError",
        "stackTrace": ['  File "/var/task/h.py", line 5, in f\n    raise ValueError("boom")\n'],
    }
    assert error_log_text(error) == (
        "[ERROR] ValueError: boom\nTraceback (most recent call last):\n"
        '  File "/var/task/h.py", line 5, in f\n    raise ValueError("boom")'
    )


def test_frames_encode_once_and_decode() -> None:
    body = pipes.request(RID, 6000, b'{"a":[1,2]}')
    assert json.loads(body) == {"id": RID, "timeout": 6000, "event": {"a": [1, 2]}}
    ok = pipes.ok_response(b'{"statusCode":200}', 1.25, 51200, False)
    assert json.loads(ok) == {
        "status": "ok",
        "duration": 1.25,
        "rss": 51200,
        "out": False,
        "payload": {"statusCode": 200},
    }
    failed = pipes.error_response({"errorMessage": "x"}, 2.0, 1, True)
    assert json.loads(failed) == {
        "status": "error",
        "duration": 2.0,
        "rss": 1,
        "out": True,
        "error": {"errorMessage": "x"},
    }
    returned = json.loads(pipes.bytes_response(b"\x00\xff", 0.5, 2, False))
    assert returned["status"] == "bytes" and returned["payload"] == "AP8="
    assert json.loads(pipes.hello(7, None, True)) == {"type": "ready", "rss": 7, "out": True}
    framed = pipes.frame(b"xyz")
    assert pipes.HEADER.unpack(framed[:4]) == (3,) and framed[4:] == b"xyz"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://abc123.execute-api.eu-west-1.amazonaws.com/dev/@connections/abc%3D",
            "http://127.0.0.1:3001/dev/@connections/abc%3D",
        ),
        ("https://localhost:3001/dev/@connections/x", "http://127.0.0.1:3001/dev/@connections/x"),
        (
            "https://execute-api.eu-west-1.amazonaws.com/@connections/x?a=1",
            "http://127.0.0.1:3001/@connections/x?a=1",
        ),
    ],
)
def test_redirect_keeps_path_and_query(url: str, expected: str) -> None:
    assert redirect_url(url, "http://127.0.0.1:3001") == expected
    assert redirect_url(url, "http://127.0.0.1:3001/") == expected


def test_base_environment_is_minimal() -> None:
    parent = {"PATH": "/bin", "HOME": "/home/me", "AWS_PROFILE": "prod", "SECRET": "x"}
    assert base_environment(parent) == {
        "PATH": "/bin",
        "HOME": "/home/me",
        "LANG": "en_US.UTF-8",
        "TZ": "UTC",
    }


def test_log_stream_name_shape() -> None:
    name = log_stream_name(datetime(2024, 3, 9, tzinfo=UTC))
    assert re.fullmatch(r"2024/03/09/\[\$LATEST\][0-9a-f]{32}", name)


def test_function_variables_plain_scalars_unless_resolved() -> None:
    fn = function(
        "f", "h.f", environment={"TABLE": {"Ref": "Table"}, "N": 3, "FLAG": True, "S": "x"}
    )
    assert function_variables(fn, None) == {"N": "3", "FLAG": "true", "S": "x"}
    assert function_variables(fn, {"TABLE": "chat-dev-table"}) == {"TABLE": "chat-dev-table"}


def test_worker_environment_layers(tmp_path: Path) -> None:
    fn = function("send", "handler.send", memory_size=256, environment={"A": "fn"})
    service = Service(
        name="chat",
        directory=tmp_path,
        config_file=tmp_path / "serverless.yml",
        stage="dev",
        region="eu-west-1",
        functions={"send": fn},
    )
    env = worker_environment(
        service,
        fn,
        parent={"PATH": "/bin"},
        extra={"A": "extra", "B": "extra", "AWS_REGION": "ignored-later?"},
        resolved=None,
        stream="s",
    )
    assert env["A"] == "fn"  # the function's own environment wins
    assert env["B"] == "extra"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["_HANDLER"] == "handler.send"
    assert env["LAMBDA_TASK_ROOT"] == str(tmp_path)
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"] == "s"
