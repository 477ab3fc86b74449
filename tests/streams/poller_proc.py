"""Runs one event source mapping in its own process, for the hard-kill test.

usage: python poller_proc.py ENDPOINT STREAM_ARN STATE_DIR OUT_FILE
Each invocation appends its records' sequence numbers (one JSON line) to OUT_FILE before it
returns, then the mapping checkpoints. Prints "ready" once the mapping reads the stream.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

from sockgate.invocation import InvocationResult
from sockgate.service.model import Function, Service, StreamEvent
from sockgate.streams import EventSourceMappings


async def main(endpoint: str, arn: str, state_dir: Path, out: Path) -> None:
    async def invoke(function: str, event: dict[str, Any]) -> InvocationResult:
        seqs = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(fd, (json.dumps(seqs) + "\n").encode())
        os.close(fd)
        await asyncio.sleep(0.05)  # a handler that takes a moment: the kill lands mid-stream
        return InvocationResult(request_id=str(uuid.uuid4()))

    event = StreamEvent(function="fan", arn=arn, batch_size=2)
    service = Service(
        name="chat",
        directory=state_dir,
        config_file=state_dir / "serverless.yml",
        stage="dev",
        region="us-east-1",
        functions={
            "fan": Function(key="fan", name="chat-dev-fan", handler="h.fan", runtime="python3.11")
        },
        streams=(event,),
    )
    mappings = EventSourceMappings(
        service,
        invoke,
        endpoint_url=endpoint,
        region="us-east-1",
        state_dir=state_dir,
        resolve_arn=lambda value, path: value,
        log=lambda line: None,
    )
    await mappings.start()
    print("ready", flush=True)
    await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    endpoint, arn, state, out = sys.argv[1:5]
    asyncio.run(main(endpoint, arn, Path(state), Path(out)))
