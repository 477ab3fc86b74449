"""Serverless Framework v3 variables, resolved locally: a pure function of config and inputs.

`resolve_variables(config, ...)` returns the config with every `${...}` replaced. Sources:

    ${self:path.to.key}   another part of the file (its own variables resolved first); ${self:}
    ${opt:name}           a CLI option (`options`); ${opt:} is all of them
    ${sls:stage}          opt stage, then provider.stage, then "dev";  ${sls:instanceId}
    ${env:NAME}           the environment (`env`); an empty value counts as missing
    ${file(./x.yml):a.b}  a .yml/.yaml/.json file (other files: their text), via `read_file`
    ${aws:region}         opt region, then provider.region, then "us-east-1"
    ${aws:accountId}      `account_id` (000000000000 locally);  ${aws:partition}  "aws"
    ${strToBool(value)}   "true"/"1" -> true, "false"/"0" -> false
    ${param:name}         --param name=value, then `params.<stage>.name`, then `params.default`
    ${ssm:/a/b}           values that live in AWS, for local runs: --param ssm:/a/b=value, then
    ${cf:stack.Output}    the `ssm:` / `cf:` mappings of the local file (`local`, read by the
                          loader from sockgate.local.yml)

Semantics follow the Framework (SLS `lib/configuration/variables/resolve.js`): a source with
no value falls through to the next one after the comma, and the last one missing is an error;
a variable that is the whole value keeps the referenced type (a mapping, a number), one inside
a string is interpolated (text, numbers and booleans only); a whole-value result that itself
holds variables is resolved again; references that go round in a circle are an error.
Other sources that live in AWS (`s3`, `secretsmanager`, ...), and `ssm`/`cf` addresses without
a local value, are errors that say where to give one. Nothing here touches the disk or
`os.environ`: files come through `read_file`, the environment through `env`.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sockgate.errors import ConfigError
from sockgate.service.validation import join_path
from sockgate.service.variable_syntax import (
    Literal,
    Source,
    Template,
    Variable,
    VariableSyntaxError,
    has_variables,
    parse,
)

__all__ = ["FileNotFound", "ReadFile", "resolve_variables"]

Path = tuple[str | int, ...]
ReadFile = Callable[[str], Any]  # "./x.yml" -> parsed content; raises FileNotFound


class FileNotFound(LookupError):
    """Raised by a `ReadFile` when the file does not exist (the variable may fall back)."""


_REMOTE_SOURCES = {"ssm", "cf", "s3", "param", "secretsmanager", "sls-param", "terraform"}
LOCAL_FILE = "sockgate.local.yml"  # local values of ${ssm:...}, ${cf:...} and ${param:...}
_MISSING: Any = object()
_MAX_REPARSE = 10


def resolve_variables(
    config: Mapping[str, Any],
    *,
    options: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    read_file: ReadFile | None = None,
    file: str | None = None,
    account_id: str = "000000000000",
    instance_id: str | None = None,
    local: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The config with every variable resolved; raises ConfigError naming the key path.

    `options["param"]` holds the --param values ("name=value", a list or one per line), as the
    Framework's CLI parses them; `local` the contents of sockgate.local.yml.
    """
    resolver = _Resolver(
        config,
        options=dict(options or {}),
        local=local or {},
        env=env or {},
        read_file=read_file,
        file=file,
        account_id=account_id,
        instance_id=instance_id or uuid.uuid4().hex[:12],
    )
    resolved: dict[str, Any] = resolver.value(())
    return resolved


class _Resolver:
    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        options: dict[str, Any],
        local: Mapping[str, Any],
        env: Mapping[str, str],
        read_file: ReadFile | None,
        file: str | None,
        account_id: str,
        instance_id: str,
    ) -> None:
        self.root = config
        self.options = options
        self.params = _cli_params(options.get("param"))
        self.local = local
        self.env = env
        self.read_file = read_file
        self.file = file
        self.account_id = account_id
        self.instance_id = instance_id
        self._shallow: dict[Path, Any] = {}  # top level resolved, children still raw
        self._full: dict[Path, Any] = {}  # fully resolved
        self._active: list[Path] = []  # properties being resolved, for cycle reports

    # -- walking the config -------------------------------------------------------------

    def value(self, path: Path) -> Any:
        """The fully resolved value at `path` (which must exist)."""
        if path in self._full:
            return self._full[path]
        node = self.shallow(path)
        if isinstance(node, dict):
            result: Any = {key: self.value((*path, key)) for key in node}
        elif isinstance(node, list):
            result = [self.value((*path, index)) for index in range(len(node))]
        else:
            result = node
        self._full[path] = result
        return result

    def shallow(self, path: Path) -> Any:
        """The value at `path` with its own variables resolved (children may be raw)."""
        if path in self._shallow:
            return self._shallow[path]
        if path in self._active:
            cycle = self._active[self._active.index(path) :] + [path]
            raise self.error(
                "circular variable reference: " + " -> ".join(self._show(p) for p in cycle),
                path,
                "Break the circle: one of these values must not depend on the others.",
            )
        raw = self.root if not path else _child(self.shallow(path[:-1]), path[-1])
        self._active.append(path)
        try:
            node = self.resolve_string(raw, path) if isinstance(raw, str) else raw
        finally:
            self._active.pop()
        self._shallow[path] = node
        return node

    def lookup(self, keys: list[str]) -> Any:
        """`${self:a.b.0}`: the resolved value at that address, or _MISSING."""
        path: Path = ()
        node = self.shallow(path)
        for key in keys:
            step = _step(node, key)
            if step is _MISSING:
                return _MISSING
            path = (*path, step)
            node = self.shallow(path)
        return self.value(path)

    def _lookup_or(self, keys: list[str], default: Any) -> Any:
        value = self.lookup(keys)
        return default if value is _MISSING or not value else value

    # -- strings ------------------------------------------------------------------------

    def resolve_string(self, text: str, path: Path) -> Any:
        """Resolve the variables of one string value found at `path`."""
        value: Any = text
        for _ in range(_MAX_REPARSE):
            if not isinstance(value, str) or not self._has_variables(value, path):
                return value
            parts = parse(value)
            if len(parts) == 1:
                # a whole-value variable keeps its type; a string result is parsed again
                value = copy.deepcopy(self.variable(parts[0], path))  # type: ignore[arg-type]
                continue
            return self.interpolate(parts, path)
        raise self.error(
            f"variables in {text!r} keep resolving to more variables",
            path,
            "Break the circle: a value must not resolve back to itself.",
        )

    def _has_variables(self, text: str, path: Path) -> bool:
        try:
            return has_variables(text)
        except VariableSyntaxError as error:
            raise self.error(
                f"invalid variable syntax: {error}", path, "Write variables as ${source:address}."
            ) from None

    def interpolate(self, parts: tuple[str | Variable, ...], path: Path) -> str:
        out: list[str] = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = self.variable(part, path)
            text = _as_text(value)
            if text is None:
                raise self.error(
                    f"{part.text} is used inside a string but resolves to {_kind(value)}",
                    path,
                    "Only text, numbers and booleans can be put inside a string; "
                    "make the variable the whole value instead.",
                )
            out.append(text)
        return "".join(out)

    def template(self, template: Template | Literal | None, path: Path) -> Any:
        if template is None:
            return None
        if isinstance(template, Literal):
            return template.value
        return self.interpolate(template.parts, path)

    # -- variables and sources ----------------------------------------------------------

    def variable(self, variable: Variable, path: Path) -> Any:
        """The value of the first source that has one; the last one missing is an error."""
        for source in variable.sources:
            if isinstance(source, Literal):
                return source.value  # a literal ends the chain, even null
            if isinstance(source, Variable):
                value = self.variable(source, path)
            else:
                value = self.source(source, variable, path)
            if value is not None and value is not _MISSING:
                return value
        raise self.missing(variable, path)

    def source(self, source: Source, variable: Variable, path: Path) -> Any:
        resolvers: dict[str, Callable[[Source, Variable, Path], Any]] = {
            "self": self._self,
            "opt": self._opt,
            "sls": self._sls,
            "env": self._env,
            "file": self._file,
            "aws": self._aws,
            "strToBool": self._str_to_bool,
            "param": self._param,
            "ssm": self._aws_value,
            "cf": self._aws_value,
        }
        resolver = resolvers.get(source.type)
        if resolver is not None:
            return resolver(source, variable, path)
        if source.type in _REMOTE_SOURCES:
            raise self.error(
                f"{variable.text} reads from '{source.type}', which lives in AWS and cannot "
                "be resolved on this machine",
                path,
                f"For local runs put an environment variable first, e.g. "
                f"${{env:NAME, {_source_text(source)}}}, or use ${{env:NAME, 'default'}}.",
            )
        raise self.error(
            f"{variable.text} uses the unknown variable source '{source.type}'",
            path,
            "Use one of self, opt, sls, env, file, aws, strToBool; for values from "
            "elsewhere use ${env:NAME, 'default'}.",
        )

    def _address(self, source: Source, path: Path) -> str | None:
        address = self.template(source.address, path)
        return None if address is None else str(address)

    def _self(self, source: Source, variable: Variable, path: Path) -> Any:
        address = self._address(source, path)
        return self.lookup(address.split(".") if address else [])

    def _opt(self, source: Source, variable: Variable, path: Path) -> Any:
        address = self._address(source, path)
        if address is None:
            return dict(self.options)
        return self.options.get(address)

    def _env(self, source: Source, variable: Variable, path: Path) -> Any:
        address = self._needs_address(source, variable, path, "${env:NAME}")
        return self.env.get(address) or None  # the Framework treats "" as unset

    def _sls(self, source: Source, variable: Variable, path: Path) -> Any:
        address = self._needs_address(source, variable, path, "${sls:stage}")
        if address == "instanceId":
            return self.instance_id
        if address == "stage":
            return self.options.get("stage") or self._lookup_or(["provider", "stage"], "dev")
        raise self.error(
            f"{variable.text}: the sls source has no '{address}'",
            path,
            "Use ${sls:stage} or ${sls:instanceId}.",
        )

    def _aws(self, source: Source, variable: Variable, path: Path) -> Any:
        address = self._needs_address(source, variable, path, "${aws:region}")
        if address == "region":
            region = self.options.get("region")
            return region or self._lookup_or(["provider", "region"], "us-east-1")
        if address == "accountId":
            return self.account_id
        if address == "partition":
            return "aws"
        raise self.error(
            f"{variable.text}: the aws source has no '{address}'",
            path,
            "Use ${aws:region}, ${aws:accountId} or ${aws:partition}.",
        )

    def _param(self, source: Source, variable: Variable, path: Path) -> Any:
        """--param name=value, then params.<stage>.name, then params.default.name."""
        name = self._needs_address(source, variable, path, "${param:name}")
        if name in self.params:
            return self.params[name]
        stage = self.options.get("stage") or self._lookup_or(["provider", "stage"], "dev")
        for section in (str(stage), "default"):
            value = self._lookup_or(["params", section, name], None)
            if value is not None:
                return value
        return _MISSING

    def _aws_value(self, source: Source, variable: Variable, path: Path) -> Any:
        """A local value for an ${ssm:...} or ${cf:...} address (--param, sockgate.local.yml)."""
        address = self._needs_address(source, variable, path, f"${{{source.type}:name}}")
        key = f"{source.type}:{address}"
        if key in self.params:
            return self.params[key]
        section = self.local.get(source.type)
        if isinstance(section, Mapping) and section.get(address) is not None:
            return section[address]
        return _MISSING  # the next source, or the error of missing()

    def _file(self, source: Source, variable: Variable, path: Path) -> Any:
        params = [self.template(param, path) for param in source.params or ()]
        if not params or not isinstance(params[0], str) or not params[0]:
            raise self.error(
                f"{variable.text} has no file path",
                path,
                "Write it as ${file(./other.yml):key}.",
            )
        if self.read_file is None:
            raise self.error(f"{variable.text} cannot read files here", path, None)
        try:
            content = self.read_file(params[0])
        except FileNotFound:
            return _MISSING
        except ConfigError as error:  # e.g. the file is outside the service or not YAML
            detail = f"{error.file}: {error.message}" if error.file else error.message
            raise self.error(f"{variable.text} cannot be read: {detail}", path, error.fix) from None
        address = self._address(source, path)
        if not address:
            return content
        node = content
        for key in address.split("."):
            node = _step_value(node, key)
            if node is _MISSING or node is None:
                return _MISSING
        return node

    def _str_to_bool(self, source: Source, variable: Variable, path: Path) -> Any:
        params = [self.template(param, path) for param in source.params or ()]
        value = params[0] if params else None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower() if isinstance(value, (str, int)) else None
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise self.error(
            f"{variable.text}: strToBool expects true, false, 1 or 0, got {value!r}",
            path,
            None,
        )

    def _needs_address(self, source: Source, variable: Variable, path: Path, example: str) -> str:
        address = self._address(source, path)
        if not address:
            raise self.error(f"{variable.text} has no address", path, f"Write it as {example}.")
        return address

    # -- errors -------------------------------------------------------------------------

    def missing(self, variable: Variable, path: Path) -> ConfigError:
        """The error for a variable none of whose sources has a value."""
        fallback = f"add a fallback: {variable.text[:-1]}, 'default'}}"
        last = variable.sources[-1]
        name = _source_text(last).partition(":")[2] if isinstance(last, Source) else ""
        kind = last.type if isinstance(last, Source) else ""
        fixes = {
            "env": f"Set {name} in the environment or {fallback}.",
            "opt": f"Pass --{name} on the command line or {fallback}.",
            "self": f"Add '{name}' to the file or {fallback}.",
            "file": f"Check that the file exists and has that key, or {fallback}.",
            "param": f"Pass --param {name}=VALUE, add it under params: of the file, or {fallback}.",
        }
        if kind in ("ssm", "cf") and isinstance(last, Source):
            address = name
            return self.error(
                f"{variable.text} reads from '{kind}', which lives in AWS; sockgate has no "
                "local value for it",
                path,
                f"Give one with --param '{kind}:{address}=VALUE', or under '{kind}:' in "
                f"{LOCAL_FILE} beside serverless.yml ('{kind}: {{\"{address}\": VALUE}}'), "
                f"or put ${{env:NAME}} first: ${{env:NAME, {_source_text(last)}}}.",
            )
        fix = fixes.get(kind, f"{fallback[:1].upper()}{fallback[1:]}.")
        return self.error(f"{variable.text} has no value", path, fix)

    def error(self, message: str, path: Path, fix: str | None) -> ConfigError:
        return ConfigError(message, file=self.file, path=self._show(path) or None, fix=fix)

    @staticmethod
    def _show(path: Path) -> str:
        return join_path("", *path)


def _cli_params(value: Any) -> dict[str, str]:
    """--param values ("name=value") as a mapping; one string may hold several, one a line."""
    items = value if isinstance(value, (list, tuple)) else str(value or "").splitlines()
    result: dict[str, str] = {}
    for item in items:
        name, sep, text = str(item).partition("=")
        if sep and name.strip():
            result[name.strip()] = text
    return result


def _child(node: Any, key: str | int) -> Any:
    if isinstance(node, dict):
        return node[key]
    return node[int(key)]


def _step(node: Any, key: str) -> str | int | Any:
    """The key to step into `node` for the address part `key`, or _MISSING."""
    if isinstance(node, dict):
        if key in node:
            return key
        for existing in node:  # YAML may have read `200:` as an int key
            if str(existing) == key:
                return existing
        return _MISSING
    if isinstance(node, list) and key.isdigit() and int(key) < len(node):
        return int(key)
    return _MISSING


def _step_value(node: Any, key: str) -> Any:
    step = _step(node, key)
    return _MISSING if step is _MISSING else node[step]


def _as_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else type(value).__name__


def _source_text(source: Source) -> str:
    address = source.address
    if isinstance(address, Template):
        text = "".join(p if isinstance(p, str) else p.text for p in address.parts)
    elif isinstance(address, Literal):
        text = repr(address.value)
    else:
        text = ""
    return f"{source.type}:{text}"
