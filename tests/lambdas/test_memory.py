"""memorySize enforced: a function that goes beyond it is killed with Lambda's report."""

from __future__ import annotations

import re

from .conftest import MakeService

HANDLER = """
import os

def hog(event, context):
    if event.get("fast"):
        data = b"x" * (event["mb"] << 20)  # written at once: caught by the response's peak
        return len(data)
    chunks = []
    for _ in range(event["mb"]):
        chunks.append(b"x" * (1 << 20))  # grows step by step: caught while it runs
    return len(chunks)

def small(event, context):
    return os.getpid()
"""


async def test_a_memory_hog_is_killed_with_lambdas_report(
    make_service: MakeService, runtimes
) -> None:
    service = make_service(
        {"handler.py": HANDLER},
        hog=("handler.hog", {"memory_size": 128}),
    )
    runtime = runtimes(service)
    for event in ({"mb": 400}, {"mb": 400, "fast": True}):
        result = await runtime.invoke("hog", event)
        rid = result.request_id
        assert result.error == {
            "errorType": "Runtime.OutOfMemory",
            "errorMessage": f"RequestId: {rid} Error: Runtime exited with error: signal: killed",
        }
        assert result.max_memory_used_mb == 128
        assert result.logs[-2] == f"END RequestId: {rid}"
        assert re.fullmatch(
            rf"REPORT RequestId: {rid}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms"
            r"\tMemory Size: 128 MB\tMax Memory Used: 128 MB(\tInit Duration: \S+ ms)?"
            r"\tStatus: error\tError Type: Runtime.OutOfMemory",
            result.logs[-1],
        )
    # Within its memory it runs, on a new worker (the killed one is gone).
    assert (await runtime.invoke("hog", {"mb": 10})).payload == 10


async def test_memory_within_the_size_is_reported(make_service: MakeService, runtimes) -> None:
    runtime = runtimes(make_service({"handler.py": HANDLER}, small=("handler.small", {})))
    result = await runtime.invoke("small", {})
    # The worker's own peak (VmHWM), not the runtime's that forked it.
    assert result.ok and 5 < result.max_memory_used_mb < 100
