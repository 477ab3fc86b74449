"""Property tests: key_bytes order is DynamoDB's order, numbers round-trip exactly."""

from __future__ import annotations

import base64
from decimal import Context, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from sockgate.tables.errors import ValidationException
from sockgate.tables.values import add_numbers, compare, key_bytes, normalize_number, value_size

EXACT = Context(prec=200)


# Numbers DynamoDB accepts: up to 38 significant digits, leading digit at 10^-130 .. 10^125.
@st.composite
def numbers(draw: st.DrawFn) -> str:
    # Short mantissas make shared digit prefixes (-1.2 vs -1.23) common.
    mantissa = draw(st.one_of(st.integers(-2000, 2000), st.integers(-(10**38) + 1, 10**38 - 1)))
    if mantissa == 0:
        return draw(st.sampled_from(["0", "-0", "0.000", "0E+5"]))
    width = len(str(abs(mantissa))) - 1
    # Small exponents make equal magnitudes and shared digit prefixes common.
    exponent = draw(
        st.one_of(st.integers(-3, 3), st.integers(-130 - width, 125 - width)).filter(
            lambda e: -130 <= width + e <= 125
        )
    )
    text = str(Decimal(f"{mantissa}E{exponent}"))
    return text if draw(st.booleans()) else normalize_number(text)


@st.composite
def close_number_pairs(draw: st.DrawFn) -> tuple[str, str]:
    """Two numbers, often sharing sign, magnitude and a long digit prefix."""
    x = draw(numbers())
    if Decimal(x) == 0 or draw(st.booleans()):
        return x, draw(numbers())
    nudge = Decimal(draw(st.integers(-99, 99))).scaleb(
        Decimal(x).adjusted() - draw(st.integers(1, 40)), context=EXACT
    )
    y = EXACT.add(Decimal(x), nudge)
    try:
        return x, normalize_number(str(y))
    except ValidationException:  # past 38 digits or out of range: fall back to x itself
        return x, x


scalars = {
    "S": st.builds(lambda s: {"S": s}, st.text(max_size=8)),
    "B": st.builds(lambda b: {"B": base64.b64encode(b).decode()}, st.binary(max_size=8)),
    "N": st.builds(lambda n: {"N": n}, numbers()),
}
same_type_pairs = st.sampled_from("SBN").flatmap(lambda k: st.tuples(scalars[k], scalars[k]))


def sign(x: int) -> int:
    return (x > 0) - (x < 0)


def test_number_key_bytes_order_prefixes_and_signs() -> None:
    ordered = [
        "-100",
        "-1.23",
        "-1.2",
        "-1.1999",
        "-0.001",
        "0",
        "0.001",
        "1.1999",
        "1.2",
        "1.23",
        "100",
    ]
    encoded = [key_bytes({"N": n}) for n in ordered]
    assert encoded == sorted(encoded)
    assert len(set(encoded)) == len(encoded)


@settings(max_examples=300)
@given(same_type_pairs)
def test_key_bytes_order_equals_compare(pair: tuple[dict, dict]) -> None:
    first, second = pair
    a, b = key_bytes(first), key_bytes(second)
    assert sign((a > b) - (a < b)) == compare(first, second)


@settings(max_examples=300)
@given(close_number_pairs())
def test_number_key_bytes_order_equals_decimal_order(pair: tuple[str, str]) -> None:
    x, y = pair
    a, b = key_bytes({"N": x}), key_bytes({"N": y})
    expected = sign((Decimal(x) > Decimal(y)) - (Decimal(x) < Decimal(y)))
    assert sign((a > b) - (a < b)) == expected


@given(numbers())
def test_normalize_number_is_idempotent_and_exact(text: str) -> None:
    once = normalize_number(text)
    assert normalize_number(once) == once
    assert Decimal(once) == Decimal(text)
    assert "E" not in once and "e" not in once
    assert value_size({"N": text}) == value_size({"N": once})


@given(st.integers(-(10**30), 10**30), st.integers(-(10**30), 10**30))
def test_add_numbers_matches_integer_arithmetic(x: int, y: int) -> None:
    assert add_numbers(str(x), str(y)) == str(x + y)
    assert add_numbers(str(x), str(y), subtract=True) == str(x - y)
