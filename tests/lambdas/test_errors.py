"""Handler errors and runtime faults, with Lambda's exact errorType and errorMessage."""

from __future__ import annotations

import pytest

from sockgate.errors import HandlerError

from .conftest import MakeService

HANDLER = """
def boom(event, context):
    helper()

def helper():
    raise ValueError("boom")

class CustomError(Exception):
    pass

def custom(event, context):
    raise CustomError()

def unserialisable(event, context):
    return {"when": {1, 2}}

def ok(event, context):
    return "fine"
"""


async def test_unhandled_exception(make_service: MakeService, runtimes, tmp_path) -> None:
    runtime = runtimes(make_service({"handler.py": HANDLER}, boom="handler.boom"))
    result = await runtime.invoke("boom", {})
    assert not result.ok and result.payload is None
    path = tmp_path / "handler.py"
    assert result.error == {
        "errorMessage": "boom",
        "errorType": "ValueError",
        "requestId": result.request_id,
        "stackTrace": [
            f'  File "{path}", line 3, in boom\n    helper()\n',
            f'  File "{path}", line 6, in helper\n    raise ValueError("boom")\n',
        ],
    }
    assert "[ERROR] ValueError: boom\nTraceback (most recent call last):" in "\n".join(result.logs)
    again = await runtime.invoke("boom", {})  # the worker survives a handler exception
    assert again.error is not None and again.error["requestId"] == again.request_id


async def test_exception_with_empty_message_and_module_class(
    make_service: MakeService, runtimes
) -> None:
    runtime = runtimes(make_service({"handler.py": HANDLER}, custom="handler.custom"))
    error = (await runtime.invoke("custom", {})).error
    assert error is not None
    assert error["errorType"] == "CustomError"  # the bare class name, no module
    assert error["errorMessage"] == ""


async def test_marshal_error(make_service: MakeService, runtimes) -> None:
    runtime = runtimes(make_service({"handler.py": HANDLER}, bad="handler.unserialisable"))
    result = await runtime.invoke("bad", {})
    assert result.error == {
        "errorMessage": "Unable to marshal response: Object of type set is not JSON serializable",
        "errorType": "Runtime.MarshalError",
        "requestId": result.request_id,
        "stackTrace": [],
    }


@pytest.mark.parametrize(
    ("files", "handler", "error_type", "message"),
    [
        (
            {"handler.py": "import not_installed_anywhere\n"},
            "handler.ok",
            "Runtime.ImportModuleError",
            "Unable to import module 'handler': No module named 'not_installed_anywhere'",
        ),
        (
            {},
            "missing.ok",
            "Runtime.ImportModuleError",
            "Unable to import module 'missing': No module named 'missing'",
        ),
        (
            {"handler.py": HANDLER},
            "handler.absent",
            "Runtime.HandlerNotFound",
            "Handler 'absent' missing on module 'handler'",
        ),
        (
            {"handler.py": HANDLER},
            "handler",
            "Runtime.MalformedHandlerName",
            "Bad handler 'handler': not enough values to unpack (expected 2, got 1)",
        ),
        (
            {"handler.py": "def ok(event, context):\n    return (\n"},
            "handler.ok",
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module 'handler': '(' was never closed (handler.py, line 2)",
        ),
        (
            {"handler.py": HANDLER},
            "sys.ok",
            "Runtime.BuiltInModuleConflict",
            "Cannot use built-in module sys as a handler module",
        ),
    ],
)
async def test_init_faults(
    make_service: MakeService,
    runtimes,
    files: dict[str, str],
    handler: str,
    error_type: str,
    message: str,
) -> None:
    runtime = runtimes(make_service(files, fn=handler))
    result = await runtime.invoke("fn", {})
    assert result.error is not None
    assert result.error["errorType"] == error_type
    assert result.error["errorMessage"] == message
    # The runtime client reports init errors without a request id.
    assert result.error["requestId"] == ""
    assert f"Status: error\tError Type: {error_type}" in result.logs[-1]
    # Every invocation retries the init, as Lambda does; none hangs.
    again = await runtime.invoke("fn", {})
    assert again.error is not None and again.error["errorType"] == error_type


async def test_syntax_error_trace(make_service: MakeService, runtimes, tmp_path) -> None:
    source = {"handler.py": "def ok(event, context):\n    return (\n"}
    runtime = runtimes(make_service(source, fn="handler.ok"))
    error = (await runtime.invoke("fn", {})).error
    assert error is not None
    # As the runtime client formats it: four spaces, then the line as written (indent included).
    path = tmp_path / "handler.py"
    assert error["stackTrace"] == [f'  File "{path}" Line 2\n        return (\n']


async def test_exception_at_import_keeps_its_type(make_service: MakeService, runtimes) -> None:
    files = {"handler.py": "raise KeyError('TABLE_NAME')\ndef ok(e, c):\n    return 1\n"}
    runtime = runtimes(make_service(files, fn="handler.ok"))
    error = (await runtime.invoke("fn", {})).error
    assert error is not None
    assert error["errorType"] == "KeyError"
    assert error["errorMessage"] == "'TABLE_NAME'"
    assert any("handler.py" in frame for frame in error["stackTrace"])


async def test_fixed_handler_after_init_error(
    make_service: MakeService, runtimes, tmp_path
) -> None:
    runtime = runtimes(make_service({"handler.py": "import nope\n"}, fn="handler.ok"))
    assert (await runtime.invoke("fn", {})).error is not None
    (tmp_path / "handler.py").write_text("def ok(event, context):\n    return 'fixed'\n")
    # The failed worker was not kept: the next invocation imports the module again.
    assert (await runtime.invoke("fn", {})).payload == "fixed"


async def test_unknown_function_and_bad_event(make_service: MakeService, runtimes) -> None:
    runtime = runtimes(make_service({"handler.py": HANDLER}, ok="handler.ok"))
    with pytest.raises(HandlerError, match="No function 'nope' in service 'chat'"):
        await runtime.invoke("nope", {})
    with pytest.raises(HandlerError, match="not JSON"):
        await runtime.invoke("ok", {"x": object()})
    assert (await runtime.invoke("ok", {})).payload == "fine"


async def test_reserved_concurrency_zero_throttles(make_service: MakeService, runtimes) -> None:
    service = make_service({"handler.py": HANDLER}, ok=("handler.ok", {"reserved_concurrency": 0}))
    result = await runtimes(service).invoke("ok", {})
    assert result.error == {
        "errorType": "TooManyRequestsException",
        "errorMessage": "Rate Exceeded.",
        "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
        "Type": "User",
    }
