"""Differential tests: random items, conditions, updates and queries against moto's server.

moto is only an oracle here. Every place where it is known to answer differently from DynamoDB
is listed once, in DIVERGENCES below: what moto does, what DynamoDB does (and so sockgate), the
AWS documentation that says so, and how these tests handle it. An example that reaches a listed
divergence checks of sockgate's answer what DynamoDB's documentation fixes (a ValidationException,
an unchanged item, no internal error), skips the comparison with moto and records the
divergence's name as a hypothesis event (see `pytest --hypothesis-show-statistics`). Any other
disagreement fails, until it is understood: fixed in sockgate, or listed here.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from tables_support import client_for, create

from sockgate.tables.values import equal

pytestmark = pytest.mark.slow

TABLE = "differential"
_ids = itertools.count()

GUIDE = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/"
API = "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/"


@dataclass(frozen=True)
class Divergence:
    """One known difference between moto and DynamoDB. DynamoDB is right in every case."""

    moto: str  # what moto answers
    dynamodb: str  # what DynamoDB answers, and so sockgate
    reference: str  # where AWS documents DynamoDB's answer
    handling: str  # what these tests do about it


DIVERGENCES = {
    "number text": Divergence(
        moto="keeps the text a number was sent as (1.50 reads back as 1.50)",
        dynamodb="stores numbers canonically, without leading or trailing zeroes (1.5)",
        reference=f"{GUIDE}HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number",
        handling="items are compared with DynamoDB equality (values.equal), not as text",
    ),
    "messages": Divergence(
        moto="words many validation messages its own way",
        dynamodb="has its own texts, which sockgate follows (pinned in test_items, "
        "test_query_scan, test_expressions_*)",
        reference=f"{GUIDE}Programming.Errors.html",
        handling="only error types (codes) are compared",
    ),
    "set order": Divergence(
        moto="returns set members in the order it was sent them",
        dynamodb="does not preserve the order of the members of a set",
        reference=f"{GUIDE}HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.SetTypes",
        handling="sets are compared as sets (values.equal)",
    ),
    "missing equals NULL": Divergence(
        moto="treats a missing attribute as equal to a NULL value: without m, `m = :null` and "
        "`m IN (:null)` hold and `m <> :null` does not",
        dynamodb="a missing attribute is not an attribute of type NULL and equals nothing: "
        "`m = :null` is false and `m <> :null` true",
        reference=f"{API}API_Condition.html (NULL / NOT_NULL: 'This operator tests for the "
        "existence of an attribute, not its data type. If the data type of attribute a is "
        "null, and you evaluate it using NULL, the result is a Boolean false'), "
        f"{GUIDE}HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Null",
        handling="operands of =, <>, IN and contains() may be NULL; moto_misreads() finds a "
        "NULL operand of =, <> or IN whose path the item lacks; then only sockgate's answer "
        "is checked: no error",
    ),
    "operand type": Divergence(
        moto="evaluates begins_with, <, <=, >, >=, BETWEEN and attribute_type whatever the "
        "types of their value operands (so answers ConditionalCheckFailedException, or a "
        "match), and accepts any string as attribute_type's type name",
        dynamodb="refuses the expression before reading any item (ValidationException: "
        "'Incorrect operand type for operator or function', 'Invalid attribute type name "
        "found'): begins_with takes a String or Binary; <, <=, >, >= and BETWEEN take a "
        "String, Number or Binary (no set, list, map, BOOL or NULL), BETWEEN's bounds have "
        "one type and low <= high; attribute_type takes a String naming one of S, SS, N, NS, "
        "B, BS, BOOL, NULL, L, M",
        reference=f"{API}API_Condition.html (BEGINS_WITH: 'String or Binary (not a Number or "
        "a set type)'; LT/LE/GT/GE/BETWEEN: 'String, Number, or Binary (not a set type)'), "
        f"{GUIDE}Expressions.OperatorsAndFunctions.html (begins_with(path, substr); "
        "attribute_type(path, type) with its list of type names)",
        handling="the generators draw such operands (directly, and through one placeholder "
        "shared by two conditions); static_refusal() says when DynamoDB refuses, and then "
        "sockgate must answer ValidationException (and leave the item as it was); moto's "
        "answer is not compared",
    ),
    "BOOL is not a number": Divergence(
        moto="compares a BOOL with a Number as Python does, true as 1 and false as 0: "
        "true = 1, true IN (1), true < 5, false BETWEEN 0 AND 0 and contains([true], 1) hold",
        dynamodb="values of different types are never equal, and < <= > >= BETWEEN hold only "
        "between two Strings, two Numbers or two Binaries: all of these are false",
        reference=f"{API}API_Condition.html ('If an item contains an AttributeValue element "
        "of a different type than the one provided in the request, the value does not "
        "match', with the example of a String 6 and a Number 6)",
        handling="moto_misreads() finds a comparison, IN, BETWEEN or contains() that sets "
        "a BOOL of the item against a Number operand (or the reverse) where Python's answer "
        "differs from DynamoDB's; then only sockgate's answer is checked: no error",
    ),
    "update atomicity": Divergence(
        moto="when one action of an UpdateExpression fails, keeps the actions before it",
        dynamodb="applies all the actions of an UpdateItem or none (a refused request "
        "changes nothing)",
        reference=f"{API}API_UpdateItem.html, {GUIDE}WorkingWithItems.html",
        handling="after a refused update only sockgate's item is checked: unchanged",
    ),
    "last page key": Divergence(
        moto="omits LastEvaluatedKey when a Query stops at Limit on the partition's last item",
        dynamodb="answers LastEvaluatedKey whenever it stopped at Limit, even if the next page "
        "is empty (dynalite, checked against AWS, does the same)",
        reference=f"{GUIDE}Query.Pagination.html ('If LastEvaluatedKey is not empty, it does "
        "not necessarily mean that there is more data in the result set')",
        handling="a LastEvaluatedKey only sockgate gives must come with ScannedCount == Limit",
    ),
    "moto crash": Divergence(
        moto="answers HTTP 500 to some valid requests (e.g. BETWEEN on a list attribute)",
        dynamodb="evaluates them (a BETWEEN on a list is false)",
        reference=f"{GUIDE}Expressions.OperatorsAndFunctions.html",
        handling="only sockgate's answer is checked: no internal error",
    ),
}


def diverges(name: str) -> None:
    """Note that an example reached a listed divergence (shown in hypothesis' statistics)."""
    assert name in DIVERGENCES, name
    event(f"moto diverges: {name}")


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """moto's server in its own process on a free port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-p", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    url = None
    for line in process.stdout:
        match = re.search(r"Running on (http://127\.0\.0\.1:\d+)", line)
        if match:
            url = match.group(1)
            break
    if url is None:
        process.kill()
        pytest.skip("moto's server did not start")
    # moto logs every request: keep reading, or a full pipe would stall it.
    threading.Thread(target=process.stdout.read, daemon=True).start()
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def pair(moto_url: str, server: Any) -> tuple[Any, Any]:
    """(our client, moto client), each with the differential table created."""
    ours, theirs = client_for(server.url), client_for(moto_url)
    for client in (ours, theirs):
        if TABLE not in client.list_tables()["TableNames"]:
            create(client, TABLE, "S", "N")
    return ours, theirs


# --- generators ---------------------------------------------------------------------------

numbers = st.integers(-1000, 1000).map(str) | st.sampled_from(["0.5", "-2.25", "1e3", "100.0"])
texts = st.text(alphabet="abcxyz", min_size=0, max_size=4)
scalars = st.one_of(
    texts.map(lambda s: {"S": s}),
    numbers.map(lambda n: {"N": n}),
    st.booleans().map(lambda b: {"BOOL": b}),
    st.just({"NULL": True}),
)
values = st.recursive(
    scalars
    | st.sets(texts.filter(bool), min_size=1, max_size=3).map(lambda s: {"SS": sorted(s)})
    | st.sets(st.integers(-9, 9), min_size=1, max_size=3).map(
        lambda s: {"NS": [str(n) for n in sorted(s)]}
    ),
    lambda inner: (
        st.lists(inner, max_size=3).map(lambda items: {"L": items})
        | st.dictionaries(st.sampled_from(["x", "y"]), inner, max_size=2).map(lambda m: {"M": m})
    ),
    max_leaves=4,
)
ordered = texts.map(lambda s: {"S": s}) | numbers.map(lambda n: {"N": n})
# attribute_type's operand: DynamoDB's type names, and one it refuses ("operand type").
type_names = st.sampled_from(["S", "N", "BOOL", "NULL", "L", "M", "SS", "NS", "B", "BS", "string"])
ATTRIBUTES = ["a", "b", "c", "m"]
attributes = st.dictionaries(st.sampled_from(ATTRIBUTES), values, max_size=4)
paths = st.sampled_from(["a", "b", "c", "m", "m.x", "m.y", "c[0]", "c[1]"])


@st.composite
def conditions(draw: st.DrawFn, depth: int = 0) -> tuple[str, dict[str, Any]]:
    """(ConditionExpression text, the values it uses).

    Two conditions may name the same placeholder (the values of AND/OR are merged, the right
    one wins), as a request may; so may begins_with and < be given operands DynamoDB refuses.
    static_refusal() tells those apart.
    """
    ref = f":v{draw(st.integers(0, 10**6))}"
    kind = draw(st.sampled_from(
        ["cmp", "exists", "not_exists", "begins", "contains", "size", "between", "in", "type"]
        + (["and", "or", "not"] if depth < 2 else [])
    ))  # fmt: skip
    path = draw(paths)
    if kind in ("and", "or"):
        left, lv = draw(conditions(depth + 1))
        right, rv = draw(conditions(depth + 1))
        return f"({left}) {kind.upper()} ({right})", lv | rv
    if kind == "not":
        inner, iv = draw(conditions(depth + 1))
        return f"NOT ({inner})", iv
    if kind == "exists":
        return f"attribute_exists({path})", {}
    if kind == "not_exists":
        return f"attribute_not_exists({path})", {}
    if kind == "type":
        return f"attribute_type({path}, {ref})", {ref: {"S": draw(type_names)}}
    if kind == "begins":
        return f"begins_with({path}, {ref})", {ref: draw(texts.map(lambda s: {"S": s}) | values)}
    if kind == "contains":
        return f"contains({path}, {ref})", {ref: draw(scalars)}
    if kind == "size":
        op = draw(st.sampled_from(["=", "<", ">=", "<>"]))
        return f"size({path}) {op} {ref}", {ref: {"N": str(draw(st.integers(0, 4)))}}
    if kind == "between":
        low, high = sorted(draw(st.lists(st.integers(-50, 50), min_size=2, max_size=2)))
        return f"{path} BETWEEN {ref}a AND {ref}b", {
            f"{ref}a": {"N": str(low)},
            f"{ref}b": {"N": str(high)},
        }
    if kind == "in":
        options = draw(st.lists(scalars, min_size=1, max_size=3))
        refs = {f"{ref}i{i}": value for i, value in enumerate(options)}
        return f"{path} IN ({', '.join(refs)})", refs
    op = draw(st.sampled_from(["=", "<>", "<", "<=", ">", ">="]))
    return f"{path} {op} {ref}", {ref: draw(scalars if op in ("=", "<>") else ordered | values)}


# The shapes conditions() writes, to find the operands DynamoDB checks before reading an item
# (static_refusal) and the comparisons moto gets wrong (moto_misreads).
_PATH = r"[\w.\[\]]+"
_BEGINS = re.compile(rf"begins_with\({_PATH}, (:\w+)\)")
_TYPE = re.compile(rf"attribute_type\({_PATH}, (:\w+)\)")
_ORDERING = re.compile(r"(?:<=|>=|<(?!>)|(?<!<)>) (:\w+)")  # < <= > >=, not <>
_BETWEEN = re.compile(r"BETWEEN (:\w+) AND (:\w+)")
_COMPARED = re.compile(rf"({_PATH}) (=|<>|<=|>=|<|>) (:\w+)")
_BETWEEN_PATH = re.compile(rf"({_PATH}) BETWEEN (:\w+) AND (:\w+)")
_IN = re.compile(rf"({_PATH}) IN \(([^)]*)\)")
_CONTAINS = re.compile(rf"contains\(({_PATH}), (:\w+)\)")
TYPE_NAMES = {"S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"}
SCALAR_TYPES = {"S", "N", "B"}


def _type(value: dict[str, Any]) -> str:
    return next(iter(value))


def attribute_at(item: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The value at one of the paths conditions() writes (a, m.x, c[0]), or None."""
    match = re.fullmatch(r"(\w+)(?:\.(\w+)|\[(\d+)\])?", path)
    assert match is not None, path
    name, key, index = match.groups()
    value = item.get(name)
    if value is None or (key is None and index is None):
        return value
    if key is not None:
        return value.get("M", {}).get(key)  # type: ignore[no-any-return]
    elements = value.get("L", [])
    return elements[int(index)] if int(index) < len(elements) else None


def moto_misreads(text: str, used: dict[str, Any], items: list[dict[str, Any]]) -> str | None:
    """The listed divergence a condition conditions() wrote runs into on one of the items, if
    any: "missing equals NULL" or "BOOL is not a number" (where Python's answer differs)."""
    checks: list[tuple[str, list[str], bool, bool]] = []  # path, refs, ordering, members
    for path, op, ref in _COMPARED.findall(text):
        checks.append((path, [ref], op not in ("=", "<>"), False))
    for path, low, high in _BETWEEN_PATH.findall(text):
        checks.append((path, [low, high], True, False))
    for path, refs in _IN.findall(text):
        checks.append((path, refs.split(", "), False, False))
    for path, ref in _CONTAINS.findall(text):
        checks.append((path, [ref], False, True))
    for item in items:
        for path, refs, ordering, members in checks:
            value = attribute_at(item, path)
            if value is None:
                if not (ordering or members) and any("NULL" in used[ref] for ref in refs):
                    return "missing equals NULL"
                continue
            sides = [value]
            if members:
                sides += value.get("L", []) + [{"N": n} for n in value.get("NS", [])]
            for mine in sides:
                for ref in refs:
                    kinds = {_type(mine), _type(used[ref])}
                    if kinds != {"BOOL", "N"}:
                        continue
                    number = mine if "N" in mine else used[ref]
                    # Python: True == 1 and False == 0; ordering holds for every number.
                    if ordering or Decimal(number["N"]) in (0, 1):
                        return "BOOL is not a number"
    return None


def static_refusal(text: str, used: dict[str, Any]) -> str | None:
    """Why DynamoDB refuses a condition conditions() wrote before reading any item, or None.

    DynamoDB's documented rules ("operand type" in DIVERGENCES), applied to the final values
    (a placeholder shared by two conditions is checked for both).
    """
    for ref in _BEGINS.findall(text):
        if _type(used[ref]) not in ("S", "B"):
            return f"begins_with operand {ref} is {_type(used[ref])}"
    for ref in _ORDERING.findall(text):
        if _type(used[ref]) not in SCALAR_TYPES:
            return f"ordering operand {ref} is {_type(used[ref])}"
    for low_ref, high_ref in _BETWEEN.findall(text):
        low, high = used[low_ref], used[high_ref]
        if _type(low) not in SCALAR_TYPES or _type(high) != _type(low):
            return f"BETWEEN bounds are {_type(low)} and {_type(high)}"
        kind = _type(low)
        order = Decimal if kind == "N" else str  # B: not drawn
        if kind != "B" and order(low[kind]) > order(high[kind]):
            return "BETWEEN bounds are reversed"
    for ref in _TYPE.findall(text):
        if _type(used[ref]) != "S" or used[ref]["S"] not in TYPE_NAMES:
            return f"attribute_type operand {ref} is {used[ref]}"
    return None


@st.composite
def updates(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """(UpdateExpression text, the values it uses): one action per clause, distinct paths."""
    chosen = draw(st.lists(st.sampled_from(ATTRIBUTES + ["n", "s"]), min_size=1, max_size=3,
                           unique=True))  # fmt: skip
    sets, removes, adds, deletes, used = [], [], [], [], {}
    for i, name in enumerate(chosen):
        ref = f":u{i}"
        action = draw(st.sampled_from(["set", "set_plus", "append", "if_not_exists", "remove",
                                       "add_number", "add_set", "delete_set"]))  # fmt: skip
        if action == "set":
            sets.append(f"{name} = {ref}")
            used[ref] = draw(values)
        elif action == "set_plus":
            sets.append(f"{name} = {name} + {ref}")
            used[ref] = {"N": draw(numbers)}
        elif action == "append":
            sets.append(f"{name} = list_append({name}, {ref})")
            used[ref] = {"L": draw(st.lists(scalars, max_size=2))}
        elif action == "if_not_exists":
            sets.append(f"{name} = if_not_exists({name}, {ref})")
            used[ref] = draw(scalars)
        elif action == "remove":
            removes.append(name)
        elif action == "add_number":
            adds.append(f"{name} {ref}")
            used[ref] = {"N": draw(numbers)}
        else:
            members = draw(st.sets(texts.filter(bool), min_size=1, max_size=2))
            (adds if action == "add_set" else deletes).append(f"{name} {ref}")
            used[ref] = {"SS": sorted(members)}
    clauses = [
        f"{word} {', '.join(parts)}"
        for word, parts in (("SET", sets), ("REMOVE", removes), ("ADD", adds), ("DELETE", deletes))
        if parts
    ]
    return " ".join(clauses), used  # fmt: skip


# --- comparison ---------------------------------------------------------------------------


def outcome(call: Any, **kwargs: Any) -> tuple[str, Any]:
    """("ok", response) or ("error", error code)."""
    try:
        return "ok", call(**kwargs)
    except ClientError as error:
        return "error", error.response["Error"]["Code"]


def moto_crashed(ours: tuple[str, Any], theirs: tuple[str, Any]) -> bool:
    """Whether moto failed internally (then only our side is checked: no crash)."""
    if theirs[0] == "error" and theirs[1] in ("500", "InternalError", "InternalFailure"):
        assert ours[0] == "ok" or ours[1] not in ("500", "InternalServerError"), ours
        diverges("moto crash")
        return True
    return False


def misread_by_moto(text: str, used: dict[str, Any], items: list[Any], ours: Any) -> bool:
    """Whether moto misreads the condition on these items (moto_misreads); then only our
    side is checked: no error."""
    divergence = moto_misreads(text, used, items)
    if divergence is None:
        return False
    assert ours[0] == "ok" or ours[1] == "ConditionalCheckFailedException", ours
    diverges(divergence)
    return True


def refused_as_dynamodb_does(
    refusal: str | None, ours: tuple[str, Any], theirs: tuple[str, Any]
) -> bool:
    """Whether DynamoDB refuses the request's condition statically ("operand type"); then
    sockgate must answer ValidationException, and moto's answer is not compared."""
    if refusal is None:
        return False
    assert ours == ("error", "ValidationException"), (refusal, ours)
    if theirs != ours:
        diverges("operand type")
    return True


def same_item(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return equal({"M": a}, {"M": b})


def both(pair: tuple[Any, Any], method: str, **kwargs: Any) -> tuple[Any, Any]:
    return tuple(outcome(getattr(client, method), **kwargs) for client in pair)  # type: ignore[return-value]


def stored(pair: tuple[Any, Any], key: dict[str, Any]) -> tuple[Any, Any]:
    return tuple(c.get_item(TableName=TABLE, Key=key).get("Item") for c in pair)  # type: ignore[return-value]


# Budgets only: the rest comes from the profile (tests/conftest.py), whose suppressed health
# checks (too_slow, which depends on the machine's load, in CI) are kept.
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        *settings.default.suppress_health_check,  # type: ignore[union-attr]
        HealthCheck.function_scoped_fixture,
    ],
)


@SETTINGS
@given(item=attributes, condition=conditions())
# Issue #11: begins_with given a Number, here through a placeholder two conditions share.
@example(item={"a": {"S": "x"}}, condition=("begins_with(a, :v0)", {":v0": {"N": "0"}}))
@example(
    item={"a": {"S": "x"}},
    condition=("(begins_with(a, :v0)) AND (a < :v0)", {":v0": {"N": "0"}}),
)
@example(item={"a": {"N": "1"}}, condition=("a >= :v0", {":v0": {"BOOL": True}}))
@example(item={"a": {"S": "x"}}, condition=("attribute_type(a, :v0)", {":v0": {"S": "string"}}))
# Found with --hypothesis-seed=19: moto holds false BETWEEN 0 AND 0.
@example(
    item={"c": {"L": [{"BOOL": False}]}},
    condition=("c[0] BETWEEN :v0a AND :v0b", {":v0a": {"N": "0"}, ":v0b": {"N": "0"}}),
)
@example(item={"a": {"BOOL": True}}, condition=("a IN (:v0i0)", {":v0i0": {"N": "1"}}))
@example(item={}, condition=("m <> :v0", {":v0": {"NULL": True}}))
@example(item={"m": {"NULL": True}}, condition=("m = :v0", {":v0": {"NULL": True}}))
def test_conditional_puts_agree(
    pair: tuple[Any, Any], item: dict[str, Any], condition: Any
) -> None:
    key = {"pk": {"S": f"c{next(_ids)}"}, "sk": {"N": "1"}}
    for client in pair:
        client.put_item(TableName=TABLE, Item={**key, **item})
    text, used = condition
    kwargs: dict[str, Any] = {"TableName": TABLE, "Item": {**key, "done": {"BOOL": True}},
                              "ConditionExpression": text}  # fmt: skip
    if used:
        kwargs["ExpressionAttributeValues"] = used
    ours, theirs = both(pair, "put_item", **kwargs)
    if refused_as_dynamodb_does(static_refusal(text, used), ours, theirs):
        mine, _ = stored(pair, key)
        assert same_item(mine, {**key, **item})  # a refused put changes nothing
        return
    if moto_crashed(ours, theirs) or misread_by_moto(text, used, [item], ours):
        return
    assert (ours[0], ours[1] if ours[0] == "error" else None) == (
        theirs[0],
        theirs[1] if theirs[0] == "error" else None,
    ), (text, used, item)
    mine, moto = stored(pair, key)
    assert same_item(mine, moto)


@SETTINGS
@given(item=attributes, update=updates())
def test_updates_agree(pair: tuple[Any, Any], item: dict[str, Any], update: Any) -> None:
    key = {"pk": {"S": f"u{next(_ids)}"}, "sk": {"N": "1"}}
    for client in pair:
        client.put_item(TableName=TABLE, Item={**key, **item})
    text, used = update
    ours, theirs = both(
        pair, "update_item", TableName=TABLE, Key=key, UpdateExpression=text,
        ExpressionAttributeValues=used, ReturnValues="ALL_NEW",
    )  # fmt: skip
    if moto_crashed(ours, theirs):
        return
    assert ours[0] == theirs[0], (text, used, item, ours, theirs)
    mine, moto = stored(pair, key)
    if ours[0] == "error":
        assert ours[1] == theirs[1], (text, used, item)
        assert same_item(mine, {**key, **item})  # a refused update changes nothing
        if not same_item(moto, {**key, **item}):
            diverges("update atomicity")
    else:
        assert same_item(ours[1]["Attributes"], theirs[1]["Attributes"]), (text, used, item)
        assert same_item(mine, moto), (text, used, item)


@settings(SETTINGS, max_examples=30)
@given(
    sort_keys=st.sets(st.integers(-20, 20), min_size=1, max_size=8),
    op=st.sampled_from(["=", "<", "<=", ">", ">=", "BETWEEN"]),
    bounds=st.lists(st.integers(-25, 25), min_size=2, max_size=2).map(sorted),
    forward=st.booleans(),
    limit=st.none() | st.integers(1, 4),
    condition=st.none() | conditions(),
)
def test_queries_agree(
    pair: tuple[Any, Any], sort_keys: set[int], op: str, bounds: list[int], forward: bool,
    limit: int | None, condition: Any,
) -> None:  # fmt: skip
    pk = {"S": f"q{next(_ids)}"}
    for client in pair:
        for i, sk in enumerate(sorted(sort_keys)):
            client.put_item(
                TableName=TABLE, Item={"pk": pk, "sk": {"N": str(sk)}, "a": {"N": str(i)}}
            )
    values: dict[str, Any] = {":p": pk, ":lo": {"N": str(bounds[0])}}
    if op == "BETWEEN":
        key_text = "pk = :p AND sk BETWEEN :lo AND :hi"
        values[":hi"] = {"N": str(bounds[1])}
    else:
        key_text = f"pk = :p AND sk {op} :lo"
    kwargs: dict[str, Any] = {"TableName": TABLE, "KeyConditionExpression": key_text,
                              "ScanIndexForward": forward}  # fmt: skip
    if limit is not None:
        kwargs["Limit"] = limit
    refusal = None
    if condition is not None:
        kwargs["FilterExpression"], used = condition
        values.update(used)
        refusal = static_refusal(kwargs["FilterExpression"], used)
    kwargs["ExpressionAttributeValues"] = values
    ours, theirs = both(pair, "query", **kwargs)
    if refused_as_dynamodb_does(refusal, ours, theirs):
        return
    if moto_crashed(ours, theirs):
        return
    if condition is not None:
        items = [{"a": {"N": str(i)}} for i in range(len(sort_keys))]
        if misread_by_moto(kwargs["FilterExpression"], used, items, ours):
            return
    assert ours[0] == theirs[0], (kwargs, ours, theirs)
    if ours[0] == "ok":
        mine, moto = ours[1], theirs[1]
        assert [i["sk"]["N"] for i in mine["Items"]] == [i["sk"]["N"] for i in moto["Items"]], (
            kwargs
        )
        assert (mine["Count"], mine["ScannedCount"]) == (moto["Count"], moto["ScannedCount"])
        if ("LastEvaluatedKey" in mine) != ("LastEvaluatedKey" in moto):
            # Limit reached on the last item: DynamoDB still answers LastEvaluatedKey.
            assert "LastEvaluatedKey" in mine and mine["ScannedCount"] == limit, kwargs
            diverges("last page key")
