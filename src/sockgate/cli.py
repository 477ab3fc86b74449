"""The `sockgate` command."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from sockgate import __version__, eventloop
from sockgate.errors import SockgateError
from sockgate.eventloop import Loop
from sockgate.quotas import QUOTAS

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])


class _LogFormatter(logging.Formatter):
    """Lambda lines under the function's key, sockgate's own lines plain."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info and record.levelno >= logging.ERROR:
            message += "\n" + self.formatException(record.exc_info)
        if record.name.startswith("sockgate.lambda.") and not _json_object(message):
            # Every line under the function's key: a record may carry several (START, END and
            # REPORT together; a traceback), and other functions' lines interleave with them.
            prefix = f"[{record.name.removeprefix('sockgate.lambda.')}] "
            return prefix + message.replace("\n", "\n" + prefix)
        return message


def _json_object(line: str) -> bool:
    """True for one line holding a JSON object (Powertools Logger, EMF): shown as is, so that
    it stays pure JSON for whatever reads the log."""
    if not (line.startswith("{") and line.endswith("}")) or "\n" in line:
        return False
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _configure_logging(verbose: bool) -> None:
    # A line shows its logger's name and message only: skip what each LogRecord would look up
    # (the logging HOWTO, "Optimization"); every invocation logs one (START, END, REPORT).
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LogFormatter())
    root = logging.getLogger("sockgate")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.propagate = False


def _endpoint_url(value: str | None) -> str | None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise click.BadParameter(
            f"{value!r} is not a URL; write it with its scheme, e.g. http://{value}",
            param_hint="--dynamodb-endpoint",
        )
    return value


_param_option = click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A value for ${param:NAME}, or a local one for ${ssm:/path} (--param ssm:/path=VALUE) "
    "or ${cf:stack.Output}; repeatable. sockgate.local.yml beside serverless.yml holds more.",
)


def _service_options(command: F) -> F:
    command = click.option(
        "--region", default=None, help="AWS region (default: provider.region, then us-east-1)."
    )(command)
    command = click.option(
        "--stage", default=None, help="Stage (default: provider.stage, then dev)."
    )(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sockgate")
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail.")
def cli(verbose: bool) -> None:
    """Run a WebSocket service (serverless.yml, SAM, CloudFormation, CDK) on this machine."""
    _configure_logging(verbose)


@cli.command()
@click.argument("path", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=3001, show_default=True, help="WebSocket and @connections port.")
@_service_options
@click.option("--http-port", default=3000, show_default=True, help="Port of httpApi/http routes.")
@click.option(
    "--tables-port", default=8000, show_default=True, help="Port of the embedded table service."
)
@click.option(
    "--shared-env",
    is_flag=True,
    help="Run handlers in sockgate's own Python environment instead of one built from the "
    "service's requirements.txt (for people who manage their environment themselves).",
)
@_param_option
@click.option(
    "--lambda-port",
    default=3002,
    show_default=True,
    help="Port of Lambda's Invoke API (AWS_ENDPOINT_URL_LAMBDA, sockgate invoke).",
)
@click.option(
    "--dynamodb-endpoint",
    default=None,
    metavar="URL",
    callback=lambda ctx, param, value: _endpoint_url(value),
    help="Use this DynamoDB endpoint instead of the embedded table service.",
)
@click.option(
    "--reload/--no-reload",
    default=True,
    show_default=True,
    help="Reload handlers when a Python file under PATH changes.",
)
@click.option(
    "--max-workers",
    default=8,
    show_default=True,
    help="Most worker processes per function (started as queueing makes them worth it).",
)
@click.option(
    "--account-concurrency",
    default=1000,
    show_default=True,
    help="Lambda's account concurrency: invocations beyond it are throttled (429), as on AWS.",
)
@click.option(
    "--worker-idle-timeout",
    default=300.0,
    show_default=True,
    help="Seconds before an idle worker stops (one per function stays warm).",
)
@click.option(
    "--idle-timeout",
    default=QUOTAS.idle_timeout,
    show_default=True,
    help="Idle connection timeout, seconds.",
)
@click.option(
    "--max-duration",
    default=QUOTAS.max_duration,
    show_default=True,
    help="Maximum connection duration, seconds.",
)
@click.option(
    "--max-message-size",
    default=QUOTAS.max_message_bytes,
    show_default=True,
    help="Largest message a client may send, bytes (API Gateway: 128 KB).",
)
@click.option(
    "--max-frame-size",
    default=QUOTAS.max_frame_bytes,
    show_default=True,
    help="Largest frame a client may send, bytes (API Gateway: 32 KB).",
)
@click.option(
    "--ready-file",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the URLs as JSON to this file once everything listens.",
)
@click.option(
    "--template",
    default=None,
    type=click.Path(exists=True, path_type=Path),
    help="Run this SAM/CloudFormation template (or cloud assembly) instead of PATH's file.",
)
@click.option("--stack", default=None, help="The stack to run from a CDK cloud assembly.")
@click.option(
    "--parameter-overrides",
    "parameter_overrides",
    multiple=True,
    metavar="'KEY=VALUE ...'",
    help="Template parameter values, in SAM CLI's syntax: Key=Value ... (or quoted).",
)
@click.option(
    "--inspector/--no-inspector",
    default=True,
    show_default=True,
    help="Serve the inspector page at /_sockgate/ on the WebSocket port.",
)
@click.option(
    "--inspector-history",
    default=1000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Connections, frames, invocations and stream batches the inspector keeps (each).",
)
@click.option(
    "--loop",
    type=click.Choice(["auto", "uvloop", "asyncio"]),
    default="auto",
    show_default=True,
    help="The event loop: uvloop (libuv, as Node) when installed, or asyncio's own.",
)
def dev(
    path: Path,
    host: str,
    port: int,
    stage: str | None,
    region: str | None,
    http_port: int,
    tables_port: int,
    shared_env: bool,
    params: tuple[str, ...],
    lambda_port: int,
    dynamodb_endpoint: str | None,
    reload: bool,
    max_workers: int,
    account_concurrency: int,
    worker_idle_timeout: float,
    idle_timeout: float,
    max_duration: float,
    max_message_size: int,
    max_frame_size: int,
    ready_file: Path | None,
    template: Path | None,
    stack: str | None,
    parameter_overrides: tuple[str, ...],
    inspector: bool,
    inspector_history: int,
    loop: Loop,
) -> None:
    """Serve the service in PATH (default: the current folder) on this machine.

    PATH holds a serverless.yml, a SAM or CloudFormation template (template.yaml, .yml,
    .json) or a CDK cloud assembly (cdk.out), looked for in that order.
    """
    from sockgate.runner import DevOptions, run_dev
    from sockgate.templates.overrides import parse_parameter_overrides

    options = DevOptions(
        path=path,
        host=host,
        port=port,
        http_port=http_port,
        tables_port=tables_port,
        lambda_port=lambda_port,
        shared_env=shared_env,
        params=params,
        stage=stage,
        region=region,
        dynamodb_endpoint=dynamodb_endpoint,
        hot_reload=reload,
        max_workers=max_workers,
        account_concurrency=account_concurrency,
        worker_idle_timeout=worker_idle_timeout,
        idle_timeout=idle_timeout,
        max_duration=max_duration,
        max_message_bytes=max_message_size,
        max_frame_bytes=max_frame_size,
        ready_file=ready_file,
        template=template,
        stack=stack,
        parameter_overrides=parse_parameter_overrides(parameter_overrides),
        inspector=inspector,
        inspector_history=inspector_history,
    )
    eventloop.run(run_dev(options), loop)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option(
    "--data",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the SQLite files (default: .sockgate/tables).",
)
@click.option("--in-memory", is_flag=True, help="Keep nothing on disk.")
@click.option("--region", default="us-east-1", show_default=True)
def tables(host: str, port: int, data: Path | None, in_memory: bool, region: str) -> None:
    """Run the DynamoDB-compatible table service on its own."""
    from sockgate.tables.__main__ import main as tables_main

    argv = ["--host", host, "--port", str(port), "--region", region]
    if in_memory:
        argv.append("--in-memory")
    else:
        argv += ["--data", str(data or Path(".sockgate") / "tables")]
    raise SystemExit(tables_main(argv))


@cli.command()
@click.argument("url")
@click.option(
    "-H",
    "--header",
    "headers",
    multiple=True,
    metavar="NAME:VALUE",
    help="A handshake header; repeatable.",
)
@click.option("-s", "--subprotocol", "subprotocols", multiple=True, help="Offer a subprotocol.")
@click.option(
    "-w",
    "--wait",
    default=1.0,
    show_default=True,
    help="Seconds to keep listening after the end of input.",
)
def connect(url: str, headers: tuple[str, ...], subprotocols: tuple[str, ...], wait: float) -> None:
    """Connect to a WebSocket URL: stdin lines are sent, frames received are printed."""
    from sockgate.connect import connect as run_client

    parsed = {}
    for header in headers:
        name, sep, value = header.partition(":")
        if not sep:
            raise click.BadParameter(f"{header!r} is not NAME:VALUE", param_hint="--header")
        parsed[name.strip()] = value.strip()
    raise SystemExit(
        asyncio.run(run_client(url, headers=parsed, subprotocols=subprotocols, wait=wait))
    )


@cli.command()
@click.argument("function")
@click.option(
    "-d", "--data", default=None, metavar="JSON", help="The event, as JSON (default: {})."
)
@click.option(
    "-p",
    "--path",
    "event_path",
    default=None,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file holding the event as JSON.",
)
@click.option(
    "-s",
    "--service",
    "service_dir",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The service's folder.",
)
@_service_options
@click.option(
    "--endpoint-url",
    default=None,
    metavar="URL",
    help="Invoke through this Invoke API (a running `sockgate dev`: http://127.0.0.1:3002) "
    "instead of starting the service here.",
)
@click.option(
    "--shared-env", is_flag=True, help="Run the handler in sockgate's own Python environment."
)
@_param_option
def invoke(
    function: str,
    data: str | None,
    event_path: Path | None,
    service_dir: Path,
    stage: str | None,
    region: str | None,
    endpoint_url: str | None,
    shared_env: bool,
    params: tuple[str, ...],
) -> None:
    """Invoke FUNCTION once, as `serverless invoke local` and `sam local invoke` do.

    The function's log goes to stderr, its response (or error) to stdout as JSON; the exit
    status is 1 when the function failed. FUNCTION is its key under `functions:` (or its
    deployed name).
    """
    if data is not None and event_path is not None:
        raise click.UsageError("Give the event with --data or with --path, not both.")
    text = event_path.read_text() if event_path is not None else data
    try:
        event = json.loads(text) if text and text.strip() else {}
    except ValueError as error:
        source = str(event_path) if event_path is not None else "--data"
        raise click.BadParameter(f"the event in {source} is not JSON: {error}") from None
    if endpoint_url is not None:
        failed = _invoke_remote(endpoint_url, function, event, service_dir, stage, region, params)
    else:
        failed = _invoke_here(function, event, service_dir, stage, region, shared_env, params)
    sys.exit(1 if failed else 0)


def _invoke_here(
    function: str,
    event: Any,
    service_dir: Path,
    stage: str | None,
    region: str | None,
    shared_env: bool,
    params: tuple[str, ...],
) -> bool:
    from sockgate.runner import DevOptions, invoke_once

    options = DevOptions(
        path=service_dir,
        stage=stage,
        region=region,
        hot_reload=False,
        prewarm=False,
        shared_env=shared_env,
        params=params,
    )
    result = asyncio.run(invoke_once(options, function, event))
    if result.error is not None:
        click.echo(json.dumps(result.error, indent=4))
        return True
    payload = result.payload
    click.echo(
        payload.decode("utf-8", "replace")
        if isinstance(payload, bytes)
        else json.dumps(payload, indent=4)
    )
    return False


def _invoke_remote(
    url: str,
    function: str,
    event: Any,
    service_dir: Path,
    stage: str | None,
    region: str | None,
    params: tuple[str, ...],
) -> bool:
    import base64

    import boto3

    from sockgate.service import load_service

    options = {"param": "\n".join(params)} if params else None
    service = load_service(service_dir, stage=stage, region=region, options=options)
    spec = service.functions.get(function)
    name = spec.name if spec is not None else function
    client = boto3.client(
        "lambda",
        endpoint_url=_endpoint_url(url),
        region_name=service.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    response = client.invoke(FunctionName=name, Payload=json.dumps(event), LogType="Tail")
    logs = base64.b64decode(response.get("LogResult", "")).decode("utf-8", "replace")
    click.echo(logs.rstrip("\n"), err=True)
    body = response["Payload"].read()
    try:
        click.echo(json.dumps(json.loads(body), indent=4))
    except ValueError:
        click.echo(body.decode("utf-8", "replace"))
    return "FunctionError" in response


def _load(path: Path, stage: str | None, region: str | None) -> Any:
    from sockgate.service import load_service

    return load_service(path, stage=stage, region=region)


def _session(profile: str | None, region: str) -> Any:
    import boto3

    return boto3.session.Session(profile_name=profile, region_name=region)


_path_argument = click.argument(
    "path", default=".", type=click.Path(file_okay=False, path_type=Path)
)
_profile_option = click.option("--profile", default=None, help="AWS named profile.")


@cli.command()
@_path_argument
@_service_options
@click.option(
    "-o",
    "--output",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the template and zip (default: PATH/.sockgate/package).",
)
def package(path: Path, stage: str | None, region: str | None, output: Path | None) -> None:
    """Write the CloudFormation template and the code zip for PATH's service."""
    from sockgate.cloudformation import package as package_service

    result = package_service(_load(path, stage, region), output=output)
    click.echo(f"template: {result.template_path}\ncode:     {result.zip_path}")


@cli.command()
@_path_argument
@_service_options
@_profile_option
@click.option(
    "-o",
    "--output",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the template and zip before uploading.",
)
def deploy(
    path: Path, stage: str | None, region: str | None, profile: str | None, output: Path | None
) -> None:
    """Deploy PATH's service to AWS as a CloudFormation stack (standard credential chain)."""
    from rich.console import Console

    from sockgate.cloudformation import deploy as deploy_service

    service = _load(path, stage, region)
    console = Console(stderr=True)
    with console.status(f"Deploying {service.stack_name} to {service.region}..."):
        result = deploy_service(
            service, session=_session(profile, service.region), output=output, progress=console.log
        )
    for line in result.lines():
        click.echo(line)


@cli.command()
@_path_argument
@_service_options
@_profile_option
def remove(path: Path, stage: str | None, region: str | None, profile: str | None) -> None:
    """Delete PATH's stack from AWS, emptying the deployment bucket it created."""
    from rich.console import Console

    from sockgate.cloudformation import remove as remove_service

    service = _load(path, stage, region)
    console = Console(stderr=True)
    with console.status(f"Removing {service.stack_name}..."):
        remove_service(service, session=_session(profile, service.region), progress=console.log)


@cli.command()
@_path_argument
@_service_options
@_profile_option
def info(path: Path, stage: str | None, region: str | None, profile: str | None) -> None:
    """Show the deployed stack: URLs, routes, functions and stream mappings."""
    from sockgate.cloudformation import info as stack_info

    service = _load(path, stage, region)
    for line in stack_info(service, session=_session(profile, service.region)).lines():
        click.echo(line)


def _spread_overrides(args: list[str]) -> list[str]:
    """SAM CLI's `--parameter-overrides A=1 B=2` (values after one flag) as click takes them:
    each `Key=Value` right after a value gets the flag of its own."""
    result: list[str] = []
    after_value = False  # the argument before was a --parameter-overrides value
    for arg in args:
        if after_value and "=" in arg and not arg.startswith("-"):
            result += ["--parameter-overrides", arg]
            continue
        after_value = bool(result) and result[-1] == "--parameter-overrides"
        result.append(arg)
    return result


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the console script; user errors are one line, never a traceback."""
    try:
        cli.main(
            args=_spread_overrides(list(argv) if argv is not None else sys.argv[1:]),
            prog_name="sockgate",
            standalone_mode=False,
        )
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except SockgateError as error:
        click.echo(f"sockgate: {error}", err=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:
        # AWS errors (no credentials, access denied, ...) are the user's to act on, not bugs.
        if not type(error).__module__.startswith(("botocore", "boto3")):
            raise
        click.echo(f"sockgate: AWS said: {error}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
