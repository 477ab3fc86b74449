"""The worker frames' JSON: events written by orjson where it can, read back exactly."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sockgate.lambdas import pipes

# What an event or a handler's result can hold once JSON-decoded (NaN compares unequal: apart).
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too: orjson refuses them, json takes over
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_an_event_decodes_to_itself(value: Any) -> None:
    encoded = pipes.encode_event(value)
    assert json.loads(encoded) == value
    assert pipes.decode(encoded) == value


@given(json_values)
def test_decode_agrees_with_json_on_what_the_worker_writes(value: Any) -> None:
    # The worker marshals results with the stdlib (Lambda's own marshaller): ASCII escapes.
    written = json.dumps(value).encode()
    assert pipes.decode(written) == json.loads(written)


@pytest.mark.parametrize(
    "value",
    [
        {"big": 123456789012345678901234567890},  # beyond 64 bits: orjson refuses, json writes
        {"small": -(2**63), "max": 2**64 - 1},
        {"x": "\ud800"},  # a lone surrogate
        {"deep": [[[[[[[[[[["x"]]]]]]]]]]]},
    ],
)
def test_what_orjson_refuses_or_might_misread_stays_exact(value: Any) -> None:
    encoded = pipes.encode_event(value)
    assert pipes.decode(encoded) == value
    assert type(pipes.decode(encoded)[next(iter(value))]) is type(next(iter(value.values())))


def test_an_event_json_cannot_write_is_refused_the_same() -> None:
    with pytest.raises(TypeError):
        pipes.encode_event({"x": object()})
    with pytest.raises(TypeError):
        pipes.encode_event({1j: 1})
