"""`sockgate invoke FUNCTION`: the service started here, one invocation, the result on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

SERVICE = """
service: demo
provider:
  name: aws
  runtime: python3.11
functions:
  hello:
    handler: handler.hello
  caller:
    handler: handler.caller
  off:
    handler: handler.hello
    reservedConcurrency: 0
"""

SECRET = """
  secret:
    handler: handler.secret
    environment:
      SECRET: ${ssm:/demo/secret}
"""

HANDLER = """
import json
import boto3

def hello(event, context):
    print(json.dumps({"level": "INFO", "message": "pure"}))
    return {"hello": event.get("name", "world")}

def secret(event, context):
    import os
    return os.environ["SECRET"]

def caller(event, context):
    # The other function by its deployed name, through AWS_ENDPOINT_URL_LAMBDA.
    response = boto3.client("lambda").invoke(
        FunctionName="demo-dev-hello", Payload=json.dumps({"name": "caller"})
    )
    return json.loads(response["Payload"].read())
"""


def sockgate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sockgate.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def service(tmp_path: Path) -> Path:
    (tmp_path / "serverless.yml").write_text(textwrap.dedent(SERVICE))
    (tmp_path / "handler.py").write_text(textwrap.dedent(HANDLER))
    return tmp_path


def test_invoke_prints_the_response_and_the_log(tmp_path: Path) -> None:
    folder = service(tmp_path)
    event = tmp_path / "event.json"
    event.write_text('{"name": "ada"}')
    result = sockgate("invoke", "hello", "-s", str(folder), "--path", str(event))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"hello": "ada"}
    lines = result.stderr.splitlines()
    assert '{"level": "INFO", "message": "pure"}' in lines  # JSON lines stay pure JSON
    assert any(line.startswith("[hello] REPORT RequestId: ") for line in lines)


def test_a_handler_invoking_another_function(tmp_path: Path) -> None:
    result = sockgate("invoke", "caller", "-s", str(service(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"hello": "caller"}


def test_failures_exit_1_and_bad_input_is_one_line(tmp_path: Path) -> None:
    folder = service(tmp_path)
    throttled = sockgate("invoke", "off", "-s", str(folder))
    assert throttled.returncode == 1
    assert json.loads(throttled.stdout)["errorType"] == "TooManyRequestsException"
    bad = sockgate("invoke", "hello", "-s", str(folder), "--data", "{nope")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "is not JSON" in bad.stderr
    missing = sockgate("invoke", "nope", "-s", str(folder))
    assert missing.returncode != 0 and "Traceback" not in missing.stderr
    assert "No function 'nope'" in missing.stderr


def test_ssm_values_from_param_and_the_local_file(tmp_path: Path) -> None:
    folder = service(tmp_path)
    with (folder / "serverless.yml").open("a") as config:
        config.write(SECRET)
    missing = sockgate("invoke", "hello", "-s", str(folder))
    assert missing.returncode == 2 and "--param 'ssm:/demo/secret=VALUE'" in missing.stderr
    given = sockgate("invoke", "secret", "-s", str(folder), "--param", "ssm:/demo/secret=s3cr3t")
    assert given.returncode == 0, given.stderr
    assert json.loads(given.stdout) == "s3cr3t"
    (folder / "sockgate.local.yml").write_text("ssm:\n  /demo/secret: from-file\n")
    local = sockgate("invoke", "secret", "-s", str(folder))
    assert json.loads(local.stdout) == "from-file"
