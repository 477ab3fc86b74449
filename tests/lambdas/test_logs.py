"""Logs as Lambda writes them: START, printed output as is, log records, END, REPORT."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re

import pytest

from sockgate.testing.polling import eventually

from .conftest import MakeService

HANDLER = """
import logging, sys

print("loading the module")
logger = logging.getLogger()
logger.setLevel(logging.INFO)

def talk(event, context):
    if event.get("quiet"):
        return "shh"
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
    assert re.fullmatch(
        r"INIT_START Runtime Version: python:3\.11\.\w+\t"
        r"Runtime Version ARN: arn:aws:lambda:eu-west-1::runtime:[0-9a-f]{64}",
        messages.pop(0),
    )
    assert messages[0] == "loading the module"  # init output, before START
    assert messages[1] == f"START RequestId: {rid} Version: $LATEST"
    assert messages[2] == "hello from print"  # bare, as Lambda's Python runtime writes it
    assert messages[3] == "to stderr"
    assert re.fullmatch(
        rf"\[INFO\]\t\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t{rid}\tstructured info",
        messages[4],
    )
    assert re.fullmatch(rf"\[WARNING\]\t\S+Z\t{rid}\ttwo\nlines", messages[5])
    assert messages[6] == "via context.log"
    end, report = messages[7].split("\n")  # the last two lines are one record
    assert end == f"END RequestId: {rid}"
    assert re.fullmatch(
        rf"REPORT RequestId: {rid}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms"
        r"\tMemory Size: 1024 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms",
        report,
    )
    assert len(messages) == 8
    assert result.logs == [*messages[1:7], end, report]  # its own lines, START to REPORT
    warm = await runtime.invoke("talk", {})
    assert "Init Duration" not in warm.logs[-1]
    assert int(re.search(r"Max Memory Used: (\d+) MB", warm.logs[-1]).group(1)) > 5
    # An invocation that printed nothing is one record: START, END and REPORT.
    caplog.clear()
    quiet = await runtime.invoke("talk", {"quiet": True})
    records = [r.getMessage() for r in caplog.records if r.name == "sockgate.lambda.talk"]
    assert records == ["\n".join(quiet.logs)] and len(quiet.logs) == 3


async def test_error_is_logged_like_lambda(
    make_service: MakeService, runtimes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sockgate.lambda")
    runtime = runtimes(make_service({"handler.py": HANDLER}, boom="handler.boom"))
    result = await runtime.invoke("boom", {})
    rid = result.request_id
    assert result.logs[1] == "about to fail"
    report = result.logs[2]
    assert report.startswith("[ERROR] ValueError: boom\nTraceback (most recent call last):\n")
    assert report.endswith('raise ValueError("boom")')
    assert result.logs[3] == f"END RequestId: {rid}"


async def test_root_logger_stays_at_warning_unless_configured(
    make_service: MakeService, runtimes
) -> None:
    source = """
import json
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


async def test_output_that_bypasses_sys_stdout_still_belongs_to_its_invocation(
    make_service: MakeService, runtimes
) -> None:
    # Neither print nor logging: a subprocess and a raw write to fd 1, its last line unfinished.
    # The worker sees bytes in the pipe and ends the invocation's output with the sentinel all
    # the same (without it, the unfinished line would wait for a later invocation's output).
    source = """
import os, subprocess
def fn(event, context):
    subprocess.run(["echo", "from a subprocess"], check=True)
    os.write(1, b"raw to fd 1, no newline")
    return "done"

def quiet(event, context):
    return "shh"
"""
    runtime = runtimes(make_service({"handler.py": source}, fn="handler.fn", quiet="handler.quiet"))
    for _ in range(3):
        result = await runtime.invoke("fn", {})
        rid = result.request_id
        assert result.logs[1:3] == ["from a subprocess", "raw to fd 1, no newline"]
        assert result.logs[3] == f"END RequestId: {rid}"
        quiet = await runtime.invoke("quiet", {})
        assert [line.split()[0] for line in quiet.logs] == ["START", "END", "REPORT"]


async def test_printed_json_stays_pure_json(make_service: MakeService, runtimes) -> None:
    # Powertools Logger and Metrics (EMF) print one JSON object per line; CloudWatch parses
    # them only if nothing is added to the line.
    source = """
import json
def fn(event, context):
    print(json.dumps({"level": "INFO", "message": "hi", "xray_trace_id": None}))
    print(json.dumps({"_aws": {"Timestamp": 0, "CloudWatchMetrics": []}, "Count": 1}))
    return None
"""
    runtime = runtimes(make_service({"handler.py": source}, fn="handler.fn"))
    result = await runtime.invoke("fn", {})
    printed = [json.loads(line) for line in result.logs[1:3]]
    assert printed[0]["message"] == "hi" and printed[1]["Count"] == 1


async def test_a_failed_init_is_reported_with_init_report(
    make_service: MakeService, runtimes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sockgate.lambda")
    source = "import not_a_module_anywhere\ndef fn(event, context):\n    return 1\n"
    runtime = runtimes(make_service({"handler.py": source}, fn="handler.fn"))
    result = await runtime.invoke("fn", {})
    assert result.error["errorType"] == "Runtime.ImportModuleError"
    messages = [r.getMessage() for r in caplog.records if r.name == "sockgate.lambda.fn"]
    assert messages[0].startswith("INIT_START Runtime Version: python:3.11")
    assert messages[1].startswith("[ERROR] Runtime.ImportModuleError: Unable to import module")
    assert re.fullmatch(
        r"INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: error"
        r"\tError Type: Runtime.ImportModuleError",
        messages[2],
    )


JSON_HANDLER = """
import logging
logger = logging.getLogger()

def fn(event, context):
    print("printed as is")
    logger.debug("hidden at INFO")
    logger.info("structured", extra={"orderId": 7})
    if event.get("fail"):
        raise KeyError("missing")
    return None
"""


async def test_json_log_format(make_service: MakeService, runtimes) -> None:
    # LoggingConfig LogFormat JSON: records as JSON objects at the application level (INFO
    # unless set), printed lines as they are, the platform lines as platform.* events.
    service = make_service({"handler.py": JSON_HANDLER}, fn=("handler.fn", {"log_format": "JSON"}))
    runtime = runtimes(service)
    result = await runtime.invoke("fn", {})
    rid = result.request_id
    start, printed, record, done, report = result.logs
    assert json.loads(start)["type"] == "platform.start"
    assert json.loads(start)["record"] == {"requestId": rid, "version": "$LATEST"}
    assert printed == "printed as is"
    record = json.loads(record)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record.pop("timestamp"))
    assert record == {
        "level": "INFO",
        "message": "structured",
        "logger": "root",
        "requestId": rid,
        "orderId": 7,
    }
    assert json.loads(done)["type"] == "platform.runtimeDone"
    report = json.loads(report)
    assert report["type"] == "platform.report" and report["record"]["status"] == "success"
    assert set(report["record"]["metrics"]) >= {"durationMs", "billedDurationMs", "memorySizeMB"}
    failed = await runtime.invoke("fn", {"fail": True})
    error = json.loads(failed.logs[3])
    assert error["log_level"] == "ERROR" and error["errorType"] == "KeyError"
    assert json.loads(failed.logs[-1])["record"]["status"] == "error"


async def test_system_log_level_warn_hides_the_platform_lines(
    make_service: MakeService, runtimes
) -> None:
    fields = {"log_format": "JSON", "system_log_level": "WARN", "application_log_level": "DEBUG"}
    service = make_service({"handler.py": JSON_HANDLER}, fn=("handler.fn", fields))
    result = await runtimes(service).invoke("fn", {})
    messages = [json.loads(line)["message"] for line in result.logs[1:]]
    assert result.logs[0] == "printed as is"
    assert messages == ["hidden at INFO", "structured"]


SLOW_INIT = """
import os, time
open(os.environ["STARTED"], "w").close()
while not os.path.exists(os.environ["STARTED"] + ".never"):
    time.sleep(0.01)  # an init that only a kill ends

def fn(event, context):
    return None
"""


async def test_a_worker_stopped_by_shutdown_is_no_failed_init(
    make_service: MakeService, runtimes, caplog: pytest.LogCaptureFixture, tmp_path
) -> None:
    """Stopping `sockgate dev` kills workers still in their init: that is not Lambda's
    INIT_REPORT of a failed init, so nothing but INIT_START is logged for them."""
    caplog.set_level(logging.INFO, logger="sockgate.lambda")
    started = tmp_path / "started"
    service = make_service(
        {"handler.py": SLOW_INIT}, fn=("handler.fn", {"environment": {"STARTED": str(started)}})
    )
    runtime = runtimes(service)
    invocation = asyncio.ensure_future(runtime.invoke("fn", {}))
    await eventually(started.exists, what="the init to start")
    await runtime.close()
    with contextlib.suppress(Exception):
        await invocation
    messages = [r.getMessage() for r in caplog.records if r.name == "sockgate.lambda.fn"]
    assert messages and messages[0].startswith("INIT_START")
    assert not [m for m in messages if m.startswith("INIT_REPORT")], messages
