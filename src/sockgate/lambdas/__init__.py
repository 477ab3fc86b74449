"""Lambda-like execution: each function's handlers run in worker processes, as on AWS Lambda.

    Runtime(service, ...)        one worker pool per function, hot reload    (runtime.py)
    WorkerPool                   warm workers, concurrency cap, queue       (pool.py)
    WorkerProcess                one child process and its two pipes        (process.py)
    worker                       the child's main: Lambda's Python runtime  (worker.py)

`Runtime` is imported lazily, so that a worker process, which imports this package, does not pay
for the runtime's own imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sockgate.lambdas.pool import RuntimeClosedError
    from sockgate.lambdas.runtime import Runtime

__all__ = ["Runtime", "RuntimeClosedError"]


def __getattr__(name: str) -> Any:
    if name == "Runtime":
        from sockgate.lambdas.runtime import Runtime

        return Runtime
    if name == "RuntimeClosedError":
        from sockgate.lambdas.pool import RuntimeClosedError

        return RuntimeClosedError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
