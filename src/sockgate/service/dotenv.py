"""`useDotenv: true`: the .env files the Serverless Framework (v3) loads, parsed as dotenv does.

The Framework loads `.env.<stage>` beside serverless.yml when it exists, else `.env`, and adds
its variables to the environment without replacing ones already set; `${env:NAME}` then sees
them. They do not reach the functions unless `environment:` names them, as on AWS. The format
is dotenv's: `NAME=value`, an optional `export `, `#` comments, values in single quotes taken
as they are, in double quotes with \\n expanded, unquoted values trimmed and cut at ` #`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from sockgate.errors import ConfigError

__all__ = ["dotenv_file", "load_dotenv", "parse_dotenv"]

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$")


def parse_dotenv(text: str) -> dict[str, str]:
    """NAME=value lines as a mapping (pure)."""
    result: dict[str, str] = {}
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = _LINE.match(lines[index])
        index += 1
        if match is None:
            continue  # blank lines, comments, and what dotenv ignores too
        name, value = match.group(1), match.group(2).strip()
        if value[:1] in ("'", '"'):
            quote = value[0]
            body = value[1:]
            while quote not in body and index < len(lines):  # a quoted value over lines
                body += "\n" + lines[index]
                index += 1
            value = body.split(quote, 1)[0]
            if quote == '"':
                value = value.replace("\\n", "\n")
        else:
            value = value.split(" #", 1)[0].strip()
        result[name] = value
    return result


def dotenv_file(directory: Path, stage: str) -> Path | None:
    """The file the Framework loads: .env.<stage>, else .env, else none."""
    for name in (f".env.{stage}", ".env"):
        path = directory / name
        if path.is_file():
            return path
    return None


def load_dotenv(directory: Path, stage: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment `${env:...}` sees: the .env file's variables under `environ`'s."""
    path = dotenv_file(directory, stage)
    if path is None:
        return dict(environ)
    try:
        values = parse_dotenv(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot be read: {error}", file=str(path)) from None
    return {**values, **environ}
