"""The chat's admin CLI. It works only through the table, like any bot or back-office system:
the stream handler turns its writes into events for the connected clients.

    python -m chat.admin post --channel General --as bot "text"
    python -m chat.admin kick [--channel C] -- CONNECTION_ID  (every channel when omitted)
    python -m chat.admin channels
    python -m chat.admin who --channel C

Connection ids may begin with "-", so give one after `--`. Run it from examples/chat. The table
is --table or TABLE_NAME; the endpoint is --endpoint-url or AWS_ENDPOINT_URL_DYNAMODB (e.g. the
`tables_url` sockgate dev prints), else AWS itself.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from chat import protocol, store


class AdminError(Exception):
    """A problem worth one line on stderr."""


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--table", default=argparse.SUPPRESS, help="table name (or TABLE_NAME)")
    common.add_argument(
        "--endpoint-url",
        default=argparse.SUPPRESS,
        help="DynamoDB endpoint (or AWS_ENDPOINT_URL_DYNAMODB)",
    )
    common.add_argument("--region", default=argparse.SUPPRESS, help="AWS region")
    parser = argparse.ArgumentParser(
        prog="python -m chat.admin", description=__doc__.split("\n\n")[0], parents=[common]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    post = commands.add_parser("post", parents=[common], help="post a message to a channel")
    post.add_argument("--channel", default=protocol.GENERAL)
    post.add_argument("--as", dest="name", default="admin", help="display name")
    post.add_argument("text", help="message content (the allowed tags are kept)")
    kick = commands.add_parser("kick", parents=[common], help="remove a connection")
    kick.add_argument("connection_id")
    kick.add_argument("--channel", default=None, help="only this channel")
    commands.add_parser("channels", parents=[common], help="list channels and counts")
    who = commands.add_parser("who", parents=[common], help="list a channel's subscribers")
    who.add_argument("--channel", default=protocol.GENERAL)
    return parser


def open_store(args: argparse.Namespace) -> store.Store:
    """The Store of the table the arguments (or environment) name."""
    table = getattr(args, "table", None) or os.environ.get("TABLE_NAME")
    if not table:
        raise AdminError("no table given: pass --table NAME or set TABLE_NAME")
    endpoint = getattr(args, "endpoint_url", None)
    local = endpoint or os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    region = (
        getattr(args, "region", None)
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or "us-east-1"
    )
    session = boto3.Session(region_name=region)
    options: dict[str, Any] = {"endpoint_url": endpoint} if endpoint else {}
    if local and session.get_credentials() is None:
        # A local table service takes any credentials; don't make people invent some.
        options.update(aws_access_key_id="local", aws_secret_access_key="local")
    return store.Store(session.resource("dynamodb", **options).Table(table))


def _channel(value: str) -> str:
    try:
        return protocol.channel_id(value)
    except protocol.ProtocolError as error:
        raise AdminError(str(error)) from None


def run(args: argparse.Namespace, out: Any) -> None:
    """Carry out one parsed command, printing to `out`."""
    chat = open_store(args)
    if args.command == "post":
        channel = _channel(args.channel)
        content = protocol.sanitise(args.text).strip()
        if not content:
            raise AdminError("the message is empty once sanitised")
        name = protocol.display_name(args.name)
        item = chat.add_message(channel, name, content, source="admin", now=store.now())
        print(f"posted {item['id']} to {channel} as {name}", file=out)
    elif args.command == "kick":
        channels = [_channel(args.channel)] if args.channel else None
        removed = [
            channel
            for channel in channels or chat.connection_channels(args.connection_id)
            if chat.unsubscribe(channel, args.connection_id)
        ]
        if not removed:
            raise AdminError(f"{args.connection_id} is not subscribed to any such channel")
        print(f"removed {args.connection_id} from {', '.join(sorted(removed))}", file=out)
    elif args.command == "channels":
        for channel in sorted(chat.channels(), key=str.lower):
            print(f"{channel}\t{chat.count_subscribers(channel)}", file=out)
    elif args.command == "who":
        for subscriber in chat.subscribers(_channel(args.channel)):
            print(f"{subscriber.connection_id}\t{subscriber.name}", file=out)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        run(args, sys.stdout)
    except AdminError as error:
        print(f"chat.admin: {error}", file=sys.stderr)
        return 2
    except (ClientError, BotoCoreError) as error:
        print(f"chat.admin: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
