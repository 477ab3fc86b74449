"""ProjectionExpression, and projecting an item onto document paths.

Nested paths keep their structure, as DynamoDB returns them: ``a.b`` gives
``{"a": {"M": {"b": ...}}}`` and ``l[1], l[3]`` gives ``{"l": {"L": [l1, l3]}}`` (list
elements keep their order and close up). Paths that resolve to nothing are left out.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sockgate.tables.errors import ValidationException
from sockgate.tables.expressions.ast import PathElement
from sockgate.tables.expressions.evaluate import get_path
from sockgate.tables.expressions.parser import parse_projection_tree
from sockgate.tables.expressions.semantics import Resolver, path_clash, reserved_word
from sockgate.tables.values import AttributeValue, Item

__all__ = ["Projection", "parse_projection", "project"]

KIND = "ProjectionExpression"


@dataclass
class _Branch:
    """A map or list under construction: only the projected children, by name or index."""

    is_list: bool
    children: dict[Any, Any] = field(default_factory=dict)

    def close(self) -> AttributeValue:
        if self.is_list:
            return {"L": [_close(self.children[i]) for i in sorted(self.children)]}
        return {"M": {name: _close(child) for name, child in self.children.items()}}


def _close(node: Any) -> AttributeValue:
    return node.close() if isinstance(node, _Branch) else node


def project(item: Mapping[str, AttributeValue], paths: Iterable[tuple[PathElement, ...]]) -> Item:
    """The parts of ``item`` at ``paths`` (resolved element tuples), structure kept."""
    root = _Branch(is_list=False)
    for elements in paths:
        value = get_path(item, elements)
        if value is None:
            continue
        node = root
        for element, following in zip(elements, elements[1:], strict=False):
            node = node.children.setdefault(element, _Branch(is_list=isinstance(following, int)))
        node.children[elements[-1]] = copy.deepcopy(value)
    return {str(name): _close(child) for name, child in root.children.items()}


@dataclass(frozen=True)
class Projection:
    """A parsed ProjectionExpression: the resolved paths, in the order written."""

    paths: tuple[tuple[PathElement, ...], ...]
    names_used: frozenset[str] = field(default_factory=frozenset)
    values_used: frozenset[str] = field(default_factory=frozenset)

    def apply(self, item: Mapping[str, AttributeValue]) -> Item:
        """The projected item (an empty dict when no path resolves)."""
        return project(item, self.paths)

    @property
    def attribute_names(self) -> frozenset[str]:
        """The top-level attributes the projection reads."""
        return frozenset(str(elements[0]) for elements in self.paths)


def parse_projection(text: str, names: Mapping[str, str] | None) -> Projection:
    """Parse a ProjectionExpression ("Invalid ProjectionExpression: ..." on any problem)."""
    raw = parse_projection_tree(text)
    if problem := reserved_word(list(raw)):
        raise ValidationException(f"Invalid {KIND}: {problem}")
    resolver = Resolver(dict(names or {}), None)
    paths = [resolver.resolve(path) for path in raw]
    if resolver.undefined_name:
        raise ValidationException(f"Invalid {KIND}: {resolver.undefined_name}")
    path_clash(paths, KIND)
    return Projection(tuple(p.elements for p in paths), frozenset(resolver.names_used))
