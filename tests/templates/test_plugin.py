"""The pytest plugin runs templates too: `sockgate_service(path)` on a SAM folder or a CDK app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(90)


def test_sam_chat_under_the_plugin(sockgate_service: Any, sam_chat: Path) -> None:
    svc = sockgate_service(sam_chat)
    with svc.connect() as ann, svc.connect() as bob:
        bob.send_json({"action": "sendmessage", "data": "from bob"})
        assert ann.receive() == "from bob"
        assert bob.receive() == "from bob"


def test_cdk_chat_under_the_plugin(sockgate_service: Any, cdk_chat: Path) -> None:
    svc = sockgate_service(cdk_chat)
    with svc.connect(query={"token": "letmein", "name": "ann"}) as ann:
        with svc.connect(query={"token": "letmein", "name": "bob"}):
            svc.drain()  # the stream's INSERT records, delivered: Ann hears Bob joined
            assert ann.receive_json(where=lambda m: "joined" in m) == {"joined": "bob"}
