"""A worker process: Lambda's Python runtime for one function, one invocation at a time.

Started by the runtime as `python -m sockgate.lambdas.worker --request-fd R --response-fd W
--token T` with the function's environment, cwd = LAMBDA_TASK_ROOT. It loads the handler (init),
says hello, then answers requests until the runtime closes its pipes. Handler output goes to
stdout/stderr (one pipe, read by the runtime); log records and the end-of-invocation sentinel go
to a private duplicate of stdout, so a handler closing or replacing sys.stdout cannot lose them.
The sentinel is written only after an invocation that had output, and the response says whether
it was (`out`), so a quiet invocation costs one write and one read.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import os
import random
import resource
import sys
import termios
import time
import traceback
from collections.abc import Callable
from functools import partial
from typing import Any, TextIO

from sockgate.lambdas import pipes
from sockgate.lambdas.context import LambdaContext, function_arn
from sockgate.lambdas.loader import (
    Handler,
    error_from_exception,
    error_log_text,
    load_handler,
    marshal,
)
from sockgate.lambdas.output import begin_marker, encode_record, sentinel

_request_id: str | None = None  # read by the logging filter, as the runtime client's global


class LogSink:
    """The function log: records and sentinels, written straight to a private stdout duplicate."""

    def __init__(self, fd: int, token: str) -> None:
        self._fd = fd
        self._token = token
        self._sentinel = sentinel(token)
        self.request_id = ""  # the invocation whose output this is ("": init)
        self.wrote = False  # output through sys.stdout, sys.stderr or a record since the last end

    def writing(self) -> None:
        """Output is about to be written: the first of an invocation is preceded by its marker."""
        if not self.wrote:
            self.wrote = True
            self._write(begin_marker(self._token, self.request_id))

    def record(self, text: str) -> None:
        """One log record (a multi-line one stays one record)."""
        self.writing()
        self._write(encode_record(text))

    def end(self) -> bool:
        """Mark the end of an invocation's (or init's) output, if it had any; True if it did.

        Most invocations print nothing: they skip the sentinel, and the runtime, told so in the
        response, skips waiting for it. Output that bypassed sys.stdout (a subprocess, C code)
        and is still in the pipe counts too.
        """
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, Unbuffered):
                continue  # flushed at every write
            try:
                stream.flush()  # the handler replaced it: its buffer may hold output
            except (OSError, ValueError):  # the handler closed or broke it: nothing to flush
                pass
        if not self.wrote and not _unread_output(self._fd):
            return False
        self.writing()  # output that bypassed sys.stdout gets its marker now, before the end
        self.wrote = False
        self._write(self._sentinel)
        return True

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]


def _unread_output(fd: int) -> bool:
    """True if the stdout pipe holds bytes the runtime has not read yet (or we cannot tell)."""
    try:
        return int.from_bytes(fcntl.ioctl(fd, termios.FIONREAD, bytes(4)), sys.byteorder) > 0
    except OSError:
        return True


class Unbuffered:
    """A stream that flushes on every write, as Lambda's runtime wraps stdout and stderr."""

    def __init__(self, stream: TextIO, sink: LogSink) -> None:
        self.stream = stream
        self._sink = sink

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)

    def write(self, text: str) -> int:
        self._sink.writing()
        written = self.stream.write(text)
        self.stream.flush()
        return written

    def writelines(self, lines: Any) -> None:
        self._sink.writing()
        self.stream.writelines(lines)
        self.stream.flush()


class _SinkHandler(logging.Handler):
    """The handler Lambda's runtime puts on the root logger."""

    def __init__(self, sink: LogSink) -> None:
        super().__init__()
        self.log_sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.log_sink.record(self.format(record))
        except Exception:
            self.handleError(record)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _request_id or ""
        return True


# Lambda's application log levels, as Python's (TRACE has no Python level of its own).
_LEVELS = {
    "TRACE": logging.DEBUG,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
    "FATAL": logging.CRITICAL,
}
# LogRecord attributes that are not `extra=` fields.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "aws_request_id",
}


def _json_logs() -> bool:
    return os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"


class _JsonFormatter(logging.Formatter):
    """Lambda's JSON log format for Python (LoggingConfig LogFormat: JSON): one object a record,
    with timestamp, level, message, logger and requestId, the exception's errorType,
    errorMessage, stackTrace and location, and any `extra=` fields."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.msg if isinstance(record.msg, dict) else record.getMessage()
        result: dict[str, Any] = {
            "timestamp": _iso(record.created),
            "level": "WARN" if record.levelname == "WARNING" else record.levelname,
            "message": message,
            "logger": record.name,
            "requestId": getattr(record, "aws_request_id", None) or None,
        }
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            result["errorType"] = type(error).__name__
            result["errorMessage"] = str(error)
            result["stackTrace"] = traceback.format_tb(record.exc_info[2])
            result["location"] = f"{record.pathname}:{record.funcName}:{record.lineno}"
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and key not in result:
                result[key] = value
        return json.dumps(
            {k: v for k, v in result.items() if v is not None}, default=str, ensure_ascii=False
        )


def _iso(created: float) -> str:
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
        + f".{int(created * 1000) % 1000:03d}Z"
    )


def _error_record(error: dict[str, Any]) -> str:
    """How the runtime logs an unhandled error: `[ERROR] Type: message` and the traceback, or
    in the JSON format one object with log_level ERROR and the error's fields."""
    if not _json_logs():
        return error_log_text(error)
    return json.dumps({"timestamp": _iso(time.time()), "log_level": "ERROR", **error}, default=str)


def _setup_logging(sink: LogSink) -> None:
    """Lambda's log format on the root logger: text, or JSON when the function's LoggingConfig
    asks; the level stays WARNING unless the handler sets it or AWS_LAMBDA_LOG_LEVEL does."""
    logging.Formatter.converter = time.gmtime
    handler = _SinkHandler(sink)
    if _json_logs():
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(
                "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
                "%Y-%m-%dT%H:%M:%S",
            )
        )
    handler.addFilter(_RequestIdFilter())
    level = _LEVELS.get(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper())
    if level is not None:
        logging.getLogger().setLevel(level)
    logging.getLogger().addHandler(handler)


def _open_status() -> int | None:
    try:
        return os.open("/proc/self/status", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None


_STATUS = _open_status()  # kept open: reading it again costs a third of opening it each time


def _peak_rss_kb() -> int:
    # Linux: VmHWM is this process's own peak. ru_maxrss is not: exec keeps the peak of the
    # process it replaced (the runtime that forked it), so a fresh worker would report that.
    if _STATUS is not None:
        status = os.pread(_STATUS, 4096, 0)
        start = status.find(b"VmHWM:")
        if start >= 0:
            return int(status[start + 6 : status.index(b"kB", start)])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # macOS counts bytes, Linux KiB


# Trace ids must be unique, not secret: a PRNG seeded once, not two getrandom calls a request.
_random_bits = random.Random(os.urandom(32)).getrandbits


def _trace_id() -> str:
    root = f"1-{int(time.time()):08x}-{_random_bits(96):024x}"
    return f"Root={root};Parent={_random_bits(64):016x};Sampled=0"


def _invoke(handler: Handler, body: bytes, sink: LogSink, arn: str) -> bytes:
    """Run one request; return the response frame body."""
    global _request_id
    message = pipes.decode(body)
    request_id: str = message["id"]
    _request_id = sink.request_id = request_id
    os.environ["_X_AMZN_TRACE_ID"] = _trace_id()
    # The function's time starts now: the request may have waited in the pipe (lambdas/pool.py).
    deadline_ms = time.time_ns() // 1_000_000 + message["timeout"]
    context = LambdaContext(request_id, deadline_ms, arn, sink.record)
    started = time.perf_counter()
    respond: Callable[[float, int, bool], bytes]
    try:
        result = handler(message["event"], context)
        if isinstance(result, bytes):
            respond = partial(pipes.bytes_response, result)
        else:
            respond = partial(pipes.ok_response, marshal(result))
    except Exception as exc:
        error = error_from_exception(exc, request_id)
        sink.record(_error_record(error))
        respond = partial(pipes.error_response, error)
    duration = (time.perf_counter() - started) * 1000
    return respond(duration, _peak_rss_kb(), sink.end())


def _init(sink: LogSink) -> tuple[Handler | None, dict[str, Any] | None]:
    """Load the handler; on failure, the init error object (logged as the runtime logs it)."""
    try:
        return load_handler(os.environ["_HANDLER"]), None
    except Exception as exc:
        error = error_from_exception(exc, None)
        sink.record(_error_record(error))
        return None, error


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sockgate.lambdas.worker")
    parser.add_argument("--request-fd", type=int, required=True)
    parser.add_argument("--response-fd", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--no-bytecode", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the worker until the runtime closes its pipes."""
    args = _arguments(argv)
    for fd in (args.request_fd, args.response_fd):
        os.set_inheritable(fd, False)  # processes the handler starts must not hold the pipes
    sys.dont_write_bytecode = args.no_bytecode  # a reload must never run stale bytecode
    sink = LogSink(os.dup(1), args.token)
    for stream in (sys.stdout, sys.stderr):
        # TextIO does not declare it; at start-up both are the interpreter's TextIOWrappers.
        stream.reconfigure(encoding="utf-8", errors="backslashreplace")  # type: ignore[union-attr]
    sys.stdout = Unbuffered(sys.stdout, sink)
    sys.stderr = Unbuffered(sys.stderr, sink)
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    # The package's installed requirements come right after the task root, as in /var/task.
    package = [p for p in os.environ.pop(pipes.PACKAGE_PATH_ENV, "").split(os.pathsep) if p]
    first = [task_root, *package]
    sys.path[:] = first + [p for p in sys.path if p not in ("", *first)]
    gateway_url = os.environ.get("SOCKGATE_GATEWAY_URL")
    if gateway_url:
        from sockgate.channel.botocore_hook import install

        install(gateway_url)
    _setup_logging(sink)
    pipe = pipes.BlockingPipes(args.request_fd, args.response_fd)
    arn = function_arn(
        os.environ.get("AWS_REGION", ""), os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
    )

    handler, init_error = _init(sink)
    pipe.send(pipes.hello(_peak_rss_kb(), init_error, sink.end()))
    if handler is None:
        return 1  # as the runtime client does after reporting an init error
    while (body := pipe.receive()) is not None:
        pipe.send(_invoke(handler, body, sink, arn))
    return 0


if __name__ == "__main__":
    sys.exit(main())
