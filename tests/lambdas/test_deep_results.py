"""Results nested deeper than JSON tooling's recursion limit: an error, never a broken worker."""

from __future__ import annotations

import pytest

from .conftest import MakeService

HANDLER = """
def deep(event, context):
    value = 1
    for _ in range(event["depth"]):
        value = [value]
    return value


def ok(event, context):
    return "fine"
"""


@pytest.mark.parametrize("depth", [900, 985, 995, 1200, 5000])
async def test_deeply_nested_result_is_a_result_or_a_marshal_error(
    make_service: MakeService, runtimes, depth: int
) -> None:
    runtime = runtimes(make_service({"handler.py": HANDLER}, deep="handler.deep", ok="handler.ok"))
    result = await runtime.invoke("deep", {"depth": depth})
    if result.error is None:
        payload, seen = result.payload, 0
        while isinstance(payload, list):
            payload, seen = payload[0], seen + 1
        assert (seen, payload) == (depth, 1)
    else:
        assert result.error["errorType"] == "Runtime.MarshalError", result.error
        assert result.error["errorMessage"].startswith("Unable to marshal response: ")
    assert (await runtime.invoke("deep", {"depth": 3})).payload == [[[1]]]  # the worker lives on
