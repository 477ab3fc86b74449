"""The table service as a process: the command line, and durability across SIGKILL."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ClientError
from tables_support import client_for, create

LINE = re.compile(r"sockgate tables: listening on (http://127\.0\.0\.1:(\d+)) \((.*)\)\n")


def start(*args: str) -> tuple[subprocess.Popen[str], str, str]:
    """Start `python -m sockgate.tables`, wait for its one line; (process, url, where)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sockgate.tables", "--host", "127.0.0.1", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # blocks until the server has bound its port
    match = LINE.fullmatch(line)
    if match is None:
        process.kill()
        pytest.fail(f"unexpected first line {line!r}; stderr: {process.communicate()[1]}")
    assert int(match.group(2)) > 0
    return process, match.group(1), match.group(3)


def test_in_memory_server_announces_itself_and_stops_on_sigterm() -> None:
    process, url, where = start("--in-memory")
    try:
        assert where == "in memory"
        assert client_for(url).list_tables()["TableNames"] == []
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


def test_data_and_in_memory_are_exclusive_and_one_is_required() -> None:
    for args in ([], ["--in-memory", "--data", "x"]):
        done = subprocess.run(
            [sys.executable, "-m", "sockgate.tables", "--port", "0", *args],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert done.returncode == 2
        assert "--data" in done.stderr


@pytest.mark.parametrize("writers", [1, 4])
def test_acknowledged_writes_and_their_records_survive_sigkill(
    tmp_path: Path, writers: int
) -> None:
    # With several writers at once, writes share group commits: each is still acknowledged
    # only once its group is in the log.
    process, url, where = start("--data", str(tmp_path))
    assert where == f"data: {tmp_path}"
    ddb = client_for(url)
    create(ddb, "burst", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    acknowledged: list[int] = []
    enough = threading.Event()

    def writer(first: int) -> None:
        client = client_for(url)
        for i in range(first, 100_000, writers):
            try:
                client.put_item(TableName="burst", Item={"pk": {"S": f"k{i}"}, "n": {"N": str(i)}})
            except (BotoCoreError, ClientError):
                return  # the server died mid-request: this write was never acknowledged
            acknowledged.append(i)
            if len(acknowledged) >= 150:
                enough.set()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    try:
        assert enough.wait(timeout=60), "the burst did not get going"
        process.kill()  # SIGKILL while the writers are still sending
        process.wait(timeout=20)
    finally:
        for thread in threads:
            thread.join(timeout=60)
    assert len(acknowledged) >= 150

    process, url, _ = start("--data", str(tmp_path))
    try:
        ddb = client_for(url)
        stored: set[str] = set()
        kwargs: dict[str, Any] = {"TableName": "burst"}
        while True:
            page = ddb.scan(**kwargs)
            stored.update(item["pk"]["S"] for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        missing = [i for i in acknowledged if f"k{i}" not in stored]
        assert missing == []
        recorded = _stream_keys(client_for(url, "dynamodbstreams"))
        assert [i for i in acknowledged if f"k{i}" not in recorded] == []
        assert stored <= recorded  # no item without its stream record
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def _stream_keys(streams: Any) -> set[str]:
    arn = streams.list_streams(TableName="burst")["Streams"][0]["StreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    keys: set[str] = set()
    while iterator:
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        keys.update(r["dynamodb"]["Keys"]["pk"]["S"] for r in page["Records"])
        if not page["Records"]:
            break
        iterator = page.get("NextShardIterator")
    return keys


def test_unusable_data_folder_and_busy_port_are_one_sentence_errors(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    done = subprocess.run(
        [sys.executable, "-m", "sockgate.tables", "--port", "0", "--data", str(not_a_folder)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"sockgate tables: Cannot open the table data in {not_a_folder}")
    assert "Traceback" not in done.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "sockgate.tables", "--port", str(port), "--in-memory"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith(f"sockgate tables: Cannot listen on 127.0.0.1:{port}")
    assert done.stderr.rstrip().endswith("Choose another --port (0 picks a free one).")
