"""Differential tests: random items, conditions, updates and queries against moto's server.

moto is only an oracle here; where it is wrong about DynamoDB, the difference is listed below
and the generators stay clear of it:

- Numbers: DynamoDB stores numbers canonically ("1.50" reads back as "1.5"); moto keeps the
  text it was sent. Items are compared with DynamoDB equality (values.equal), not as text.
- Messages: only error types are compared; moto's validation texts differ from AWS's in many
  places, and ours follow AWS (see test_items / test_query_scan for the texts).
- Sets: DynamoDB returns set members in no particular order; compared as sets.
- NULL: moto treats a missing attribute as equal to {"NULL": true} (`m = :null` holds for an
  item without m); in DynamoDB a missing attribute equals nothing. Comparison operands are
  drawn without NULL.
- Static operand types: DynamoDB refuses `a < :v` when :v is a BOOL, NULL, set, L or M
  ("Incorrect operand type for operator or function") before reading the item; moto just
  evaluates. Ordering comparisons are drawn with S and N operands.
- Atomicity: when one action of an UpdateExpression fails, moto keeps the actions before it;
  DynamoDB applies none. After a refused update only our item is checked (unchanged).
- Limit: when a Query stops at Limit on the partition's last item, DynamoDB still returns
  LastEvaluatedKey (the next page is empty), as dynalite, checked against AWS, does; moto
  omits it.
- Crashes: moto answers HTTP 500 to some valid requests (e.g. BETWEEN on a list attribute,
  which DynamoDB evaluates as false). Such examples only check that we answer them sanely.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tables_support import client_for, create

from sockgate.tables.values import equal

pytestmark = pytest.mark.slow

TABLE = "differential"
_ids = itertools.count()


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
# Operands of comparisons, IN and contains(): no NULL (see the module docstring).
operands = st.one_of(
    texts.map(lambda s: {"S": s}),
    numbers.map(lambda n: {"N": n}),
    st.booleans().map(lambda b: {"BOOL": b}),
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
ATTRIBUTES = ["a", "b", "c", "m"]
attributes = st.dictionaries(st.sampled_from(ATTRIBUTES), values, max_size=4)
paths = st.sampled_from(["a", "b", "c", "m", "m.x", "m.y", "c[0]", "c[1]"])


@st.composite
def conditions(draw: st.DrawFn, depth: int = 0) -> tuple[str, dict[str, Any]]:
    """(ConditionExpression text, the values it uses)."""
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
        kind_name = draw(st.sampled_from(["S", "N", "BOOL", "NULL", "L", "M", "SS", "NS"]))
        return f"attribute_type({path}, {ref})", {ref: {"S": kind_name}}
    if kind == "begins":
        return f"begins_with({path}, {ref})", {ref: {"S": draw(texts)}}
    if kind == "contains":
        return f"contains({path}, {ref})", {ref: draw(operands)}
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
        options = draw(st.lists(operands, min_size=1, max_size=3))
        refs = {f"{ref}i{i}": value for i, value in enumerate(options)}
        return f"{path} IN ({', '.join(refs)})", refs
    op = draw(st.sampled_from(["=", "<>", "<", "<=", ">", ">="]))
    ordered = texts.map(lambda s: {"S": s}) | numbers.map(lambda n: {"N": n})
    return f"{path} {op} {ref}", {ref: draw(operands if op in ("=", "<>") else ordered)}


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
        return True
    return False


def same_item(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return equal({"M": a}, {"M": b})


def both(pair: tuple[Any, Any], method: str, **kwargs: Any) -> tuple[Any, Any]:
    return tuple(outcome(getattr(client, method), **kwargs) for client in pair)  # type: ignore[return-value]


def stored(pair: tuple[Any, Any], key: dict[str, Any]) -> tuple[Any, Any]:
    return tuple(c.get_item(TableName=TABLE, Key=key).get("Item") for c in pair)  # type: ignore[return-value]


SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(item=attributes, condition=conditions())
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
    if moto_crashed(ours, theirs):
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
    else:
        assert same_item(ours[1]["Attributes"], theirs[1]["Attributes"]), (text, used, item)
        assert same_item(mine, moto), (text, used, item)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
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
    if condition is not None:
        kwargs["FilterExpression"], used = condition
        values.update(used)
    kwargs["ExpressionAttributeValues"] = values
    ours, theirs = both(pair, "query", **kwargs)
    if moto_crashed(ours, theirs):
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
