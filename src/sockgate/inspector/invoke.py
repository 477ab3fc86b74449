"""The invoke port, recorded: every invocation's event, result, timings and logs."""

from __future__ import annotations

from typing import Any

from sockgate.inspector.recorder import Recorder
from sockgate.invocation import InvocationResult, Invoke

__all__ = ["recording"]


def recording(recorder: Recorder, invoke: Invoke) -> Invoke:
    """`invoke`, telling `recorder` about each invocation once it has finished."""

    async def recorded(function_key: str, event: dict[str, Any]) -> InvocationResult:
        started = int(recorder.clock() * 1000)
        try:
            result = await invoke(function_key, event)
        except Exception as exc:
            recorder.invocation(function_key, event, started=started, result=None, failure=str(exc))
            raise
        recorder.invocation(function_key, event, started=started, result=result)
        return result

    return recorded
