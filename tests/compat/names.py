"""The check every tests/compat module makes of its _compat module's PRIVATE_NAMES."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def missing_names(private: Mapping[str, tuple[str, ...]], owners: Mapping[str, Any]) -> list[str]:
    """`owner.name` for each private name its owner (an instance, class or module) lacks."""
    assert set(owners) == set(private), "a new owner in PRIVATE_NAMES needs an entry here"
    return [
        f"{owner}.{name}"
        for owner, names in private.items()
        for name in names
        if not hasattr(owners[owner], name)
    ]
