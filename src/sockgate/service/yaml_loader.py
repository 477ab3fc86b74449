"""YAML for serverless.yml: safe loading, CloudFormation short tags, errors with line and column.

The short tags (`!Ref X`, `!GetAtt A.B`, `!Sub ...`) load into the long form CloudFormation
itself uses (`{"Ref": "X"}`, `{"Fn::GetAtt": ["A", "B"]}`), so everything after this module
sees one spelling. Duplicate keys are an error, as they are in the Serverless Framework
(js-yaml): PyYAML would silently keep the last one and lose the first.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from sockgate.errors import ConfigError

__all__ = ["CfnSafeLoader", "load_yaml"]

# Short tag -> long-form key. `!Condition` is a plain key, the others are intrinsic functions.
SHORT_TAGS: dict[str, str] = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "And",
            "Base64",
            "Cidr",
            "Equals",
            "FindInMap",
            "GetAtt",
            "GetAZs",
            "If",
            "ImportValue",
            "Join",
            "Not",
            "Or",
            "Select",
            "Split",
            "Sub",
            "Transform",
            "Length",
            "ToJsonString",
        )
    },
}


class CfnSafeLoader(yaml.SafeLoader):
    """SafeLoader that understands CloudFormation short tags and rejects duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Build a mapping, refusing a key written twice in the same mapping."""
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *anchor` may repeat keys on purpose; explicit keys win
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # unhashable keys are reported by SafeLoader itself
                continue
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


# YAML 1.2 booleans, as the Serverless Framework's js-yaml reads them: `on`, `off`, `yes` and
# `no` stay strings (PyYAML's YAML 1.1 would turn a function named `off:` into False).
_BOOL = "tag:yaml.org,2002:bool"
CfnSafeLoader.yaml_implicit_resolvers = {
    first: [resolver for resolver in resolvers if resolver[0] != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
CfnSafeLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_short_tag(loader: CfnSafeLoader, tag_suffix: str, node: yaml.Node) -> Any:
    name = SHORT_TAGS.get(tag_suffix)
    if name is None:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"unknown tag !{tag_suffix} (CloudFormation short tags are "
            + ", ".join(f"!{tag}" for tag in sorted(SHORT_TAGS))
            + ")",
            node.start_mark,
        )
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            # "Table.StreamArn" -> ["Table", "StreamArn"]; nested attributes keep their dots
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


CfnSafeLoader.add_multi_constructor("!", _construct_short_tag)


def load_yaml(text: str, *, file: str) -> Any:
    """Parse YAML text; a syntax error becomes one ConfigError naming the line and column."""
    try:
        return yaml.load(text, Loader=CfnSafeLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(error, file) from None
    except yaml.YAMLError as error:  # unmarked errors are rare (e.g. bad encoding)
        raise ConfigError(
            f"is not valid YAML: {error}", file=file, fix="Fix the file and run again."
        ) from None


def _syntax_error(error: yaml.MarkedYAMLError, file: str) -> ConfigError:
    mark = error.problem_mark or error.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "an unknown place"
    problem = error.problem or "invalid YAML"
    context = f" ({error.context})" if error.context and error.problem else ""
    return ConfigError(
        f"invalid YAML at {where}: {problem}{context}",
        file=file,
        fix="Check the indentation, quoting and ':' after keys around that line.",
    )
