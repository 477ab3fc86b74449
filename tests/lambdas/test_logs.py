"""Logs as Lambda writes them: START, output prefixed with the request id, END, REPORT."""

from __future__ import annotations

import logging
import re

import pytest

from .conftest import MakeService

HANDLER = """
import logging, sys

print("loading the module")
logger = logging.getLogger()
logger.setLevel(logging.INFO)

def talk(event, context):
    print("hello from print")
    print("to stderr", file=sys.stderr)
    logger.info("structured %s", "info")
    logging.getLogger("app.child").warning("two\\nlines")
    context.log("via context.log")
    return "done"

def boom(event, context):
    print("about to fail")
    raise ValueError("boom")
"""


async def test_invocation_log_lines(
    make_service: MakeService, runtimes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sockgate.lambda")
    runtime = runtimes(make_service({"handler.py": HANDLER}, talk="handler.talk"))
    result = await runtime.invoke("talk", {})
    rid = result.request_id
    records = [r for r in caplog.records if r.name == "sockgate.lambda.talk"]
    messages = [r.getMessage() for r in records]
    assert all(r.levelno == logging.INFO for r in records)
    assert messages[0] == "loading the module"  # init output, before START
    assert messages[1] == f"START RequestId: {rid} Version: $LATEST"
    assert messages[2] == f"{rid}\thello from print"
    assert messages[3] == f"{rid}\tto stderr"
    assert re.fullmatch(
        rf"\[INFO\]\t\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t{rid}\tstructured info",
        messages[4],
    )
    assert re.fullmatch(rf"\[WARNING\]\t\S+Z\t{rid}\ttwo\nlines", messages[5])
    assert messages[6] == "via context.log"
    assert messages[7] == f"END RequestId: {rid}"
    assert re.fullmatch(
        rf"REPORT RequestId: {rid}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms"
        r"\tMemory Size: 1024 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms",
        messages[8],
    )
    assert len(messages) == 9
    assert result.logs == messages[1:]  # the invocation's own lines, START to REPORT
    warm = await runtime.invoke("talk", {})
    assert "Init Duration" not in warm.logs[-1]
    assert int(re.search(r"Max Memory Used: (\d+) MB", warm.logs[-1]).group(1)) > 5


async def test_error_is_logged_like_lambda(
    make_service: MakeService, runtimes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sockgate.lambda")
    runtime = runtimes(make_service({"handler.py": HANDLER}, boom="handler.boom"))
    result = await runtime.invoke("boom", {})
    rid = result.request_id
    assert result.logs[1] == f"{rid}\tabout to fail"
    report = result.logs[2]
    assert report.startswith("[ERROR] ValueError: boom\nTraceback (most recent call last):\n")
    assert report.endswith('raise ValueError("boom")')
    assert result.logs[3] == f"END RequestId: {rid}"


async def test_root_logger_stays_at_warning_unless_configured(
    make_service: MakeService, runtimes
) -> None:
    source = """
import logging
def fn(event, context):
    logging.getLogger().info("hidden, as on Lambda")
    logging.getLogger().warning("shown")
    return None
"""
    runtime = runtimes(make_service({"handler.py": source}, fn="handler.fn"))
    lines = (await runtime.invoke("fn", {})).logs
    assert not any("hidden" in line for line in lines)
    assert any(line.startswith("[WARNING]\t") and line.endswith("\tshown") for line in lines)
