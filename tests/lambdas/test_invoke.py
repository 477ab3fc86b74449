"""Invocations that succeed: results, warm state, the context object and the environment."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from sockgate.testing.polling import eventually

from .conftest import MakeService

HANDLER = """
import os
from decimal import Decimal

counter = 0

def count(event, context):
    global counter
    counter += 1
    return {"counter": counter, "pid": os.getpid(), "echo": event}

def nothing(event, context):
    return None

def decimals(event, context):
    return {"price": Decimal("9.99"), "qty": Decimal("3")}

def raw(event, context):
    return b"not json"

def context_fields(event, context):
    first = context.get_remaining_time_in_millis()
    return {
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "identity": [context.identity.cognito_identity_id,
                     context.identity.cognito_identity_pool_id],
        "client_context": context.client_context,
        "tenant_id": context.tenant_id,
        "remaining": [first, context.get_remaining_time_in_millis()],
    }

def environment(event, context):
    import sys
    return {"env": dict(os.environ), "cwd": os.getcwd(), "path0": sys.path[0]}
"""


async def test_returns_the_decoded_value_and_keeps_module_state_warm(
    make_service: MakeService, runtimes
) -> None:
    runtime = runtimes(make_service({"handler.py": HANDLER}, count="handler.count"))
    first = await runtime.invoke("count", {"body": "hi"})
    second = await runtime.invoke("count", {"body": "again"})
    assert first.ok and second.ok
    assert first.payload["counter"] == 1 and second.payload["counter"] == 2
    assert first.payload["pid"] == second.payload["pid"]  # the same warm worker
    assert second.payload["echo"] == {"body": "again"}
    assert first.request_id != second.request_id
    assert first.init_duration_ms is not None and second.init_duration_ms is None
    assert runtime.worker_pids("count") == [first.payload["pid"]]


async def test_none_decimal_and_bytes_results(make_service: MakeService, runtimes) -> None:
    service = make_service(
        {"handler.py": HANDLER},
        nothing="handler.nothing",
        decimals="handler.decimals",
        raw="handler.raw",
    )
    runtime = runtimes(service)
    nothing = await runtime.invoke("nothing", {})
    assert nothing.ok and nothing.payload is None
    decimals = await runtime.invoke("decimals", {})
    assert decimals.payload == {"price": 9.99, "qty": 3}
    raw = await runtime.invoke("raw", {})
    assert raw.ok and raw.payload == b"not json"


async def test_context_object(make_service: MakeService, runtimes) -> None:
    service = make_service(
        {"handler.py": HANDLER},
        ctx=("handler.context_fields", {"timeout": 3, "memory_size": 512}),
    )
    runtime = runtimes(service)
    result = await runtime.invoke("ctx", {})
    fields = result.payload
    assert fields["aws_request_id"] == result.request_id
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", result.request_id
    )
    assert fields["function_name"] == "chat-dev-ctx"
    assert fields["function_version"] == "$LATEST"
    assert fields["invoked_function_arn"] == (
        "arn:aws:lambda:eu-west-1:000000000000:function:chat-dev-ctx"
    )
    assert fields["memory_limit_in_mb"] == "512"
    assert fields["log_group_name"] == "/aws/lambda/chat-dev-ctx"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", fields["log_stream_name"])
    assert fields["identity"] == [None, None]
    assert fields["client_context"] is None and fields["tenant_id"] is None
    first, later = fields["remaining"]
    assert 0 < later <= first <= 3000


async def test_environment_layers(make_service: MakeService, runtimes, tmp_path: Path) -> None:
    service = make_service(
        {"handler.py": HANDLER},
        env=(
            "handler.environment",
            {"environment": {"FROM_FUNCTION": "plain", "TABLE": {"Ref": "Table"}, "N": 7}},
        ),
        resolved=("handler.environment", {"environment": {"TABLE": {"Ref": "Table"}}}),
    )
    runtime = runtimes(
        service,
        environment={"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:1234", "SHARED": "extra"},
        function_environment={"resolved": {"TABLE": "chat-dev-table", "SHARED": "function"}},
    )
    plain = (await runtime.invoke("env", {})).payload
    env = plain["env"]
    assert plain["cwd"] == str(tmp_path) and plain["path0"] == str(tmp_path)
    expected = {
        "AWS_LAMBDA_FUNCTION_NAME": "chat-dev-env",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "_HANDLER": "handler.environment",
        "LAMBDA_TASK_ROOT": str(tmp_path),
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/chat-dev-env",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "IS_OFFLINE": "true",
        "TZ": "UTC",
        "LANG": "en_US.UTF-8",
        "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:1234",
        "SHARED": "extra",
        "FROM_FUNCTION": "plain",
        "N": "7",
    }
    assert {name: env.get(name) for name in expected} == expected
    assert "TABLE" not in env  # an unresolved intrinsic is not a value
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "LAMBDA_RUNTIME_DIR",
        "_X_AMZN_TRACE_ID",
        "AWS_LAMBDA_LOG_STREAM_NAME",
    ):
        assert env.get(name), name
    assert env["_X_AMZN_TRACE_ID"].startswith("Root=1-")
    # Nothing of the developer's shell leaks in beyond the minimal base.
    assert "PYTEST_CURRENT_TEST" in os.environ and "PYTEST_CURRENT_TEST" not in env
    resolved = (await runtime.invoke("resolved", {})).payload["env"]
    assert resolved["TABLE"] == "chat-dev-table"
    assert resolved["SHARED"] == "function"  # the function's environment wins over `environment`
    assert "FROM_FUNCTION" not in resolved


async def test_trace_id_changes_per_invocation(make_service: MakeService, runtimes) -> None:
    runtime = runtimes(make_service({"handler.py": HANDLER}, env="handler.environment"))
    first = (await runtime.invoke("env", {})).payload["env"]["_X_AMZN_TRACE_ID"]
    second = (await runtime.invoke("env", {})).payload["env"]["_X_AMZN_TRACE_ID"]
    assert first != second
    # X-Ray's format: Root=1-<8 hex epoch seconds>-<24 hex>;Parent=<16 hex>;Sampled=0
    for trace in (first, second):
        assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0", trace)
        assert abs(int(trace[7:15], 16) - time.time()) < 600


async def test_prewarmed_worker_serves_the_first_invocation(
    make_service: MakeService, runtimes
) -> None:
    runtime = runtimes(make_service({"handler.py": HANDLER}, count="handler.count"), prewarm=True)
    await runtime.start()
    # The prewarmed worker exists before any invocation.
    await eventually(lambda: bool(runtime.worker_pids("count")), what="a prewarmed worker")
    pid = runtime.worker_pids("count")[0]
    result = await runtime.invoke("count", {})
    assert result.payload["pid"] == pid and result.payload["counter"] == 1
