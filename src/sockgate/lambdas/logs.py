"""Lambda's platform log lines and platform errors: START, END, REPORT, timeouts, exits (pure)."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import signal
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "InvocationLog",
    "PlatformLog",
    "end_line",
    "init_report_line",
    "init_start_line",
    "exit_error",
    "exit_reason",
    "iso_now",
    "out_of_memory_error",
    "report_line",
    "start_line",
    "timeout_error",
    "timeout_line",
]

# How Go (Lambda's platform) prints a process killed by a signal: `signal: <name>`.
_SIGNAL_NAMES = {
    signal.SIGHUP: "hangup",
    signal.SIGINT: "interrupt",
    signal.SIGQUIT: "quit",
    signal.SIGILL: "illegal instruction",
    signal.SIGTRAP: "trace/breakpoint trap",
    signal.SIGABRT: "aborted",
    signal.SIGBUS: "bus error",
    signal.SIGFPE: "floating point exception",
    signal.SIGKILL: "killed",
    signal.SIGUSR1: "user defined signal 1",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGUSR2: "user defined signal 2",
    signal.SIGPIPE: "broken pipe",
    signal.SIGALRM: "alarm clock",
    signal.SIGTERM: "terminated",
}


def iso_now(now: datetime | None = None) -> str:
    """A UTC timestamp the way Lambda's log lines print it: 2024-01-20T11:54:57.419Z."""
    now = now or datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def init_start_line(runtime: str, region: str) -> str:
    """The INIT_START line a new execution environment logs before its init phase.

    On Lambda: `INIT_START Runtime Version: python:3.12.v50\tRuntime Version ARN: arn:...`; the
    version suffix and the ARN's hash are Lambda's own, so locally they name sockgate's.
    """
    name = runtime.removeprefix("python")
    digest = hashlib.sha256(f"sockgate:{runtime}".encode()).hexdigest()
    return (
        f"INIT_START Runtime Version: python:{name}.sockgate\t"
        f"Runtime Version ARN: arn:aws:lambda:{region}::runtime:{digest}"
    )


def init_report_line(duration_ms: float, *, status: str, error_type: str | None = None) -> str:
    """The INIT_REPORT line Lambda logs when an init phase fails or times out."""
    parts = [f"INIT_REPORT Init Duration: {duration_ms:.2f} ms", "Phase: init", f"Status: {status}"]
    if error_type:
        parts.append(f"Error Type: {error_type}")
    return "\t".join(parts)


def start_line(request_id: str) -> str:
    """The START line."""
    return f"START RequestId: {request_id} Version: $LATEST"


def end_line(request_id: str) -> str:
    """The END line."""
    return f"END RequestId: {request_id}"


def report_line(
    request_id: str,
    *,
    duration_ms: float,
    memory_size_mb: int,
    max_memory_used_mb: int,
    init_duration_ms: float | None = None,
    status: str | None = None,
    error_type: str | None = None,
) -> str:
    """The REPORT line; Init Duration on a cold start, Status on a timeout or a crash."""
    # Lambda bills in 1 ms steps, rounded up, and since August 2025 bills the INIT phase too.
    billed = math.ceil(duration_ms + (init_duration_ms or 0.0))
    parts = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {billed} ms",
        f"Memory Size: {memory_size_mb} MB",
        f"Max Memory Used: {max_memory_used_mb} MB",
    ]
    if init_duration_ms is not None:
        parts.append(f"Init Duration: {init_duration_ms:.2f} ms")
    if status:
        parts.append(f"Status: {status}")
    if error_type:
        parts.append(f"Error Type: {error_type}")
    return "\t".join(parts)


def timeout_error(request_id: str, timeout_s: float) -> dict[str, Any]:
    """The error object Invoke returns when a function times out."""
    message = f"RequestId: {request_id} Error: Task timed out after {timeout_s:.2f} seconds"
    return {"errorType": "Sandbox.Timedout", "errorMessage": message}


def timeout_line(request_id: str, timeout_s: float, now: datetime | None = None) -> str:
    """The function log line of a timeout (its exact current wording is UNCONFIRMED)."""
    return f"{iso_now(now)} {request_id} Task timed out after {timeout_s:.2f} seconds"


def exit_reason(returncode: int) -> str:
    """Why the runtime exited, in the platform's words."""
    if returncode == 0:
        return "Runtime exited without providing a reason"
    if returncode < 0:
        try:
            number = signal.Signals(-returncode)
        except ValueError:
            name = f"signal {-returncode}"
        else:
            name = _SIGNAL_NAMES.get(number, number.name)
        return f"Runtime exited with error: signal: {name}"
    return f"Runtime exited with error: exit status {returncode}"


def exit_error(request_id: str, returncode: int) -> dict[str, Any]:
    """The error object Invoke returns when the worker died during an invocation."""
    return {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {request_id} Error: {exit_reason(returncode)}",
    }


def out_of_memory_error(request_id: str) -> dict[str, Any]:
    """The error object Invoke returns when the function went beyond its memory size: Lambda
    kills the runtime (SIGKILL) and reports Runtime.OutOfMemory."""
    return {
        "errorType": "Runtime.OutOfMemory",
        "errorMessage": f"RequestId: {request_id} Error: {exit_reason(-9)}",
    }


class InvocationLog:
    """The log lines of one invocation, written to the function's logger as they come.

    START is held back until the first line after it, so that an invocation that printed
    nothing is logged as one record (START, END, REPORT): one write instead of three, on the
    path of every message.
    """

    __slots__ = ("_held", "_logger", "lines", "request_id")

    def __init__(self, request_id: str, logger: logging.Logger) -> None:
        self.request_id = request_id
        self.lines: list[str] = []
        self._logger = logger
        self._held: list[str] = []

    def start(self, line: str | None) -> None:
        """The START line, logged with the next line (None: not shown at this log level)."""
        if line is not None:
            self.lines.append(line)
            self._held.append(line)

    def write(self, line: str) -> None:
        """A platform line or a log record, as is."""
        self.lines.append(line)
        if self._held:
            _info(self._logger, "\n".join(self._held))
            self._held.clear()
        _info(self._logger, line)

    def output(self, line: str) -> None:
        """A line the handler printed, as is: Lambda's Python runtime adds nothing to `print`
        output, so a JSON line (Powertools Logger, EMF metrics) stays pure JSON."""
        self.write(line)

    def finish(self, *lines: str | None) -> None:
        """The last lines (END and REPORT), logged as one record with a START held back."""
        shown = [line for line in lines if line is not None]
        self.lines.extend(shown)
        if self._held or shown:
            _info(self._logger, "\n".join([*self._held, *shown]))
        self._held.clear()


def _info(logger: logging.Logger, text: str) -> None:
    """logger.info(text), without looking up the caller's file and line (no one shows them):
    one record per invocation goes through here."""
    if logger.isEnabledFor(logging.INFO):
        logger.handle(logger.makeRecord(logger.name, logging.INFO, "", 0, text, (), None))


class PlatformLog:
    """Lambda's platform lines in the function's system log format.

    Text (the default): START, END, REPORT, INIT_START, INIT_REPORT. JSON (LoggingConfig
    LogFormat: JSON): the Telemetry API's platform events as one JSON object a line
    (platform.initStart, platform.start, platform.runtimeDone, platform.report), shown at the
    system log level INFO or DEBUG, and left out at WARN.
    """

    __slots__ = ("json", "shown")

    def __init__(self, log_format: str = "Text", system_level: str | None = None) -> None:
        self.json = log_format == "JSON"
        self.shown = not self.json or (system_level or "INFO") in ("DEBUG", "INFO")

    def init_start(self, runtime: str, region: str) -> str | None:
        """INIT_START, or platform.initStart."""
        if not self.json:
            return init_start_line(runtime, region)
        version = init_start_line(runtime, region).split("\t")
        record = {
            "initializationType": "on-demand",
            "phase": "init",
            "runtimeVersion": version[0].removeprefix("INIT_START Runtime Version: "),
            "runtimeVersionArn": version[1].removeprefix("Runtime Version ARN: "),
        }
        return self._event("platform.initStart", record)

    def start(self, request_id: str) -> str | None:
        """START, or platform.start."""
        if not self.json:
            return start_line(request_id)
        return self._event("platform.start", {"requestId": request_id, "version": "$LATEST"})

    def end(self, request_id: str, *, status: str, duration_ms: float) -> str | None:
        """END, or platform.runtimeDone."""
        if not self.json:
            return end_line(request_id)
        record = {
            "requestId": request_id,
            "status": status,
            "metrics": {"durationMs": round(duration_ms, 3), "producedBytes": 0},
        }
        return self._event("platform.runtimeDone", record)

    def report(
        self,
        request_id: str,
        *,
        duration_ms: float,
        memory_size_mb: int,
        max_memory_used_mb: int,
        init_duration_ms: float | None = None,
        status: str | None = None,
        error_type: str | None = None,
        function_error: str | None = None,
    ) -> str | None:
        """REPORT, or platform.report (`function_error`: the errorType of a handler's error,
        which only the JSON event reports)."""
        if not self.json:
            return report_line(
                request_id,
                duration_ms=duration_ms,
                memory_size_mb=memory_size_mb,
                max_memory_used_mb=max_memory_used_mb,
                init_duration_ms=init_duration_ms,
                status=status,
                error_type=error_type,
            )
        metrics: dict[str, Any] = {
            "durationMs": round(duration_ms, 3),
            "billedDurationMs": math.ceil(duration_ms + (init_duration_ms or 0.0)),
            "memorySizeMB": memory_size_mb,
            "maxMemoryUsedMB": max_memory_used_mb,
        }
        if init_duration_ms is not None:
            metrics["initDurationMs"] = round(init_duration_ms, 3)
        error_type = error_type or function_error
        record: dict[str, Any] = {
            "requestId": request_id,
            "metrics": metrics,
            "status": status or ("error" if error_type else "success"),
        }
        if error_type:
            record["errorType"] = error_type
        return self._event("platform.report", record)

    def _event(self, kind: str, record: dict[str, Any]) -> str | None:
        if not self.shown:
            return None
        return json.dumps({"time": iso_now(), "type": kind, "record": record})
