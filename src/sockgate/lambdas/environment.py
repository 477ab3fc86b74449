"""A worker's environment variables, as Lambda sets them (pure; AWS: Lambda env variables)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from sockgate.service.environment import environment_string
from sockgate.service.model import Function, Service

__all__ = [
    "base_environment",
    "function_variables",
    "lambda_variables",
    "log_stream_name",
    "log_variables",
    "task_root",
    "worker_environment",
]

RUNTIME_DIR = str(Path(__file__).resolve().parent)  # what /var/runtime is on Lambda: the runtime

# Lambda hands every function temporary credentials; these only have to look like them.
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "ASIASOCKGATELOCAL000",
    "AWS_SECRET_ACCESS_KEY": "sockgate/local/dummy/secret/access/key00",
    "AWS_SESSION_TOKEN": "sockgate-local-dummy-session-token",
}

# Variables taken from the runtime's own environment: enough for sys.executable to find its
# packages (a virtualenv, PYTHONPATH, a shared libpython) and nothing of the developer's shell.
_INHERITED = ("PATH", "HOME", "VIRTUAL_ENV", "PYTHONPATH", "LD_LIBRARY_PATH", "SYSTEMROOT")


def base_environment(parent: Mapping[str, str]) -> dict[str, str]:
    """The minimal starting point: a few inherited variables, then Lambda's locale and zone."""
    env = {name: parent[name] for name in _INHERITED if parent.get(name)}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env["LANG"] = "en_US.UTF-8"
    env["TZ"] = "UTC"
    return env


def log_stream_name(now: datetime | None = None) -> str:
    """A fresh log stream name, one per execution environment: YYYY/MM/DD/[$LATEST]<32 hex>."""
    now = now or datetime.now(UTC)
    return f"{now:%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"


def task_root(service: Service, function: Function) -> Path:
    """The folder the function's code runs from: its own code folder, else the service's."""
    return (function.code_dir or service.directory).absolute()


def lambda_variables(service: Service, function: Function, *, stream: str) -> dict[str, str]:
    """Lambda's reserved variables for one execution environment of `function`."""
    return {
        **log_variables(function),
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_REGION": service.region,
        "AWS_DEFAULT_REGION": service.region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
        "_HANDLER": function.handler,
        "LAMBDA_TASK_ROOT": str(task_root(service, function)),
        "LAMBDA_RUNTIME_DIR": RUNTIME_DIR,
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": stream,
        # UNCONFIRMED value set; a worker started on demand is "on-demand", even
        # when prewarmed, because nothing here is provisioned concurrency.
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        **DUMMY_CREDENTIALS,
        "IS_OFFLINE": "true",
    }


def log_variables(function: Function) -> dict[str, str]:
    """What Lambda sets for a JSON LoggingConfig: the runtime's log format, and the application
    log level (INFO unless set; level filtering applies to the JSON format only)."""
    if function.log_format != "JSON":
        return {}
    return {
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_LAMBDA_LOG_LEVEL": function.application_log_level or "INFO",
    }


def function_variables(function: Function, resolved: Mapping[str, str] | None) -> dict[str, str]:
    """The function's own variables: the resolved ones, else its plain scalar values."""
    if resolved is not None:
        return dict(resolved)
    variables: dict[str, str] = {}
    for name, value in function.environment.items():
        text = environment_string(value) if isinstance(value, str | int | float | bool) else None
        if text is not None:
            variables[name] = text
    return variables


def worker_environment(
    service: Service,
    function: Function,
    *,
    parent: Mapping[str, str],
    extra: Mapping[str, str] | None,
    resolved: Mapping[str, str] | None,
    stream: str,
) -> dict[str, str]:
    """Everything a worker starts with; later layers win: base, Lambda, extra, function."""
    env = base_environment(parent)
    env.update(lambda_variables(service, function, stream=stream))
    env.update(extra or {})
    env.update(function_variables(function, resolved))
    if function.layers:  # Lambda puts each layer's python/ on the path, as /opt/python
        paths = [str(layer.absolute() / "python") for layer in function.layers]
        env["PYTHONPATH"] = os.pathsep.join(paths + [p for p in [env.get("PYTHONPATH")] if p])
    return env
