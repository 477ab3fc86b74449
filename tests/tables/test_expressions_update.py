"""UpdateExpression: checks, application and the paths it reports (Alternator/AWS semantics)."""

from __future__ import annotations

import pytest

from sockgate.tables.errors import ValidationException
from sockgate.tables.expressions import UpdateResult, parse_update

PREFIX = "Invalid UpdateExpression: "
OPERAND = "Incorrect operand type for operator or function; operator or function: "
CLAUSE_OPERAND = "Incorrect operand type for operator or function; operator: "
MISUSED = "The function is not allowed to be used this way in an expression; function: "
NO_VALUE = "An expression attribute value used in expression is not defined; attribute value: "
NO_NAME = "An expression attribute name used in the document path is not defined; attribute name: "
OVERLAP = "Two document paths overlap with each other; must remove or rewrite one of these paths; "
CONFLICT = (
    "Two document paths conflict with each other; must remove or rewrite one of these paths; "
)
COUNT = "Incorrect number of operands for operator or function; operator or function: "
INVALID_PATH = "The document path provided in the update expression is invalid for update"
MISSING = "The provided expression refers to an attribute that does not exist in the item"
WRONG_TYPE = "An operand in the update expression has an incorrect data type"
VALUES = {
    ":s": {"S": "x"},
    ":t": {"S": "y"},
    ":n": {"N": "5"},
    ":one": {"N": "1"},
    ":l": {"L": [{"S": "z"}]},
    ":e": {"L": []},
    ":ss": {"SS": ["a", "b"]},
    ":sa": {"SS": ["a"]},
    ":ns": {"NS": ["1", "2"]},
    ":m": {"M": {}},
    ":b": {"BOOL": True},
}


def apply(
    text: str, item: dict, *, existed: bool = True, names: dict | None = None
) -> UpdateResult:
    return parse_update(text, names, VALUES).apply(item, existed=existed)


def problem(text: str, names: dict | None = None) -> str:
    with pytest.raises(ValidationException) as caught:
        parse_update(text, names, VALUES)
    return caught.value.message


def runtime_problem(text: str, item: dict, *, existed: bool = True) -> str:
    update = parse_update(text, None, VALUES)
    with pytest.raises(ValidationException) as caught:
        update.apply(item, existed=existed)
    return caught.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SET status = :s", "Attribute name is a reserved keyword; reserved keyword: status"),
        ("SET a = nope(:s)", "Invalid function name; function: nope"),
        ("SET a = size(b)", "Invalid function name; function: size"),
        (
            "SET a = list_append(list_append(:l, :l), :l)",
            MISUSED + "list_append",
        ),
        (
            "SET a = :s SET b = :s",
            'The "SET" section can only be used once in an update expression;',
        ),
        (
            "SET a = :s REMOVE b SET c = :s",
            'The "SET" section can only be used once in an update expression;',
        ),
        (
            "REMOVE a REMOVE b",
            'The "REMOVE" section can only be used once in an update expression;',
        ),
        (
            "SET #x = :s",
            NO_NAME + "#x",
        ),
        (
            "SET a = :nope",
            NO_VALUE + ":nope",
        ),
        (
            "SET a = :s REMOVE a",
            OVERLAP + "path one: [a], path two: [a]",
        ),
        (
            "SET a.b[1].c = :s, a.b = :t",
            OVERLAP + "path one: [a, b, [1], c], path two: [a, b]",
        ),
        (
            "SET a.b = :s, a[1] = :t",
            CONFLICT + "path one: [a, b], path two: [a, [1]]",
        ),
        (
            "ADD a :s",
            CLAUSE_OPERAND + "ADD, operand type: STRING",
        ),
        (
            "ADD a :l",
            CLAUSE_OPERAND + "ADD, operand type: LIST",
        ),
        (
            "DELETE a :n",
            CLAUSE_OPERAND + "DELETE, operand type: NUMBER",
        ),
        (
            "DELETE a :m",
            CLAUSE_OPERAND + "DELETE, operand type: MAP",
        ),
        (
            "SET a = :s + :n",
            OPERAND + "+, operand type: S",
        ),
        (
            "SET a = b - :ns",
            OPERAND + "-, operand type: NS",
        ),
        (
            "SET a = list_append(:l, :s)",
            OPERAND + "list_append, operand type: S",
        ),
        (
            "SET a = list_append(:l)",
            COUNT + "list_append, number of operands: 1",
        ),
        (
            "SET a = if_not_exists(:s, :t)",
            "Operator or function requires a document path; operator or function: if_not_exists",
        ),
    ],
)
def test_static_problems(text: str, expected: str) -> None:
    assert problem(text) == PREFIX + expected


def test_paths_are_compared_after_names_are_resolved() -> None:
    assert "overlap" in problem("SET #a1 = :s, #a2 = :t", {"#a1": "a", "#a2": "a"})


def test_set_remove_add_delete_together() -> None:
    item = {"pk": {"S": "k"}, "n": {"N": "1"}, "gone": {"S": "old"}, "tags": {"SS": ["c"]}}
    result = apply("SET a = :s, n = n + :n ADD c :n, tags :ss REMOVE gone", item)
    assert result.item == {
        "pk": {"S": "k"},
        "n": {"N": "6"},
        "tags": {"SS": ["c", "a", "b"]},
        "a": {"S": "x"},
        "c": {"N": "5"},
    }
    assert item["n"] == {"N": "1"}, "the input item is not modified"
    assert result.updated_old() == {"n": {"N": "1"}, "tags": {"SS": ["c"]}, "gone": {"S": "old"}}
    assert result.updated_new() == {
        "a": {"S": "x"},
        "n": {"N": "6"},
        "c": {"N": "5"},
        "tags": {"SS": ["c", "a", "b"]},
    }


def test_right_hand_sides_read_the_item_before_the_update() -> None:
    assert apply("REMOVE a SET b = a", {"a": {"S": "v"}}).item == {"b": {"S": "v"}}
    assert runtime_problem("SET x = :s, y = x", {"a": {"S": "v"}}) == MISSING
    assert runtime_problem("SET c = z", {}) == MISSING
    assert apply("SET a = a", {"a": {"S": "v"}}).item == {"a": {"S": "v"}}


def test_arithmetic_and_functions() -> None:
    item = {"a": {"N": "2"}, "l": {"L": [{"N": "1"}]}}
    assert apply("SET a = :n - a", item).item["a"] == {"N": "3"}
    assert apply("SET b = if_not_exists(b, :one) + :n", item).item["b"] == {"N": "6"}
    assert apply("SET a = if_not_exists(a, :n)", item).item["a"] == {"N": "2"}
    assert apply("SET l = list_append(:l, l)", item).item["l"] == {"L": [{"S": "z"}, {"N": "1"}]}
    new = apply("SET m = list_append(if_not_exists(m, :e), :l)", item).item
    assert new["m"] == {"L": [{"S": "z"}]}
    assert runtime_problem("SET x = list_append(a, :l)", item) == WRONG_TYPE
    assert runtime_problem("SET x = list_append(nope, :l)", item) == MISSING
    assert runtime_problem("SET x = l + :n", item) == WRONG_TYPE


def test_nested_paths() -> None:
    item = {
        "a": {
            "M": {
                "b": {"N": "3"},
                "c": {
                    "L": [{"S": "hi"}, {"M": {"x": {"M": {"y": {"L": [{"N": "3"}, {"N": "5"}]}}}}}]
                },
            }
        }
    }
    new = apply("SET a.c[1].#n.y[1] = :n, a.z = a.b", item, names={"#n": "x"}).item
    assert new["a"]["M"]["c"]["L"][1]["M"]["x"]["M"]["y"]["L"][1] == {"N": "5"}
    assert new["a"]["M"]["z"] == {"N": "3"}
    removed = apply("REMOVE a.c[1].x.y[0], a.b", item).item
    assert removed["a"]["M"] == {
        "c": {"L": [{"S": "hi"}, {"M": {"x": {"M": {"y": {"L": [{"N": "5"}]}}}}}]}
    }
    assert apply("REMOVE a.b", {"a": {"M": {"b": {"N": "1"}}}}).item == {"a": {"M": {}}}
    assert apply("REMOVE l[0]", {"l": {"L": [{"N": "1"}]}}).item == {"l": {"L": []}}


def test_a_name_with_a_dot_is_one_attribute() -> None:
    assert apply("SET #a = :s", {}, names={"#a": "a.b"}).item == {"a.b": {"S": "x"}}


def test_list_indexes_refer_to_original_positions() -> None:
    item = {"a": {"L": [{"N": str(n)} for n in (2, 3, 4, 5, 6, 7)]}}
    expected = [{"N": str(n)} for n in (2, 4, 17, 6, 7)]
    values = {":v": {"N": "17"}}
    for text in ("REMOVE a[1] SET a[3] = :v", "SET a[3] = :v REMOVE a[1]"):
        assert parse_update(text, None, values).apply(item).item["a"]["L"] == expected
    two = parse_update("REMOVE a[1], a[3]", None, None).apply(item).item["a"]["L"]
    assert two == [{"N": str(n)} for n in (2, 4, 6, 7)]


def test_set_past_the_end_appends_in_index_order() -> None:
    item = {"a": {"L": [{"S": "one"}, {"S": "two"}, {"S": "three"}]}}
    values = {f":v{i}": {"S": f"a{i}"} for i in range(1, 5)}
    new = parse_update(
        "SET a[84] = :v1, a[37] = :v2, a[17] = :v3, a[50] = :v4", None, values
    ).apply(item)
    assert [v["S"] for v in new.item["a"]["L"]] == ["one", "two", "three", "a3", "a2", "a4", "a1"]


def test_invalid_document_paths() -> None:
    item = {"a": {"S": "hello"}, "b": {"L": [{"S": "hi"}]}}
    for text in ("SET a.c = :s", "SET b.c = :s", "SET c.c = :s", "SET a[0] = :s", "SET c[0] = :s"):
        assert runtime_problem(text, item) == INVALID_PATH
    for text in ("REMOVE a.c", "REMOVE b.c", "REMOVE c.c", "REMOVE a[0]", "ADD c.d :n"):
        assert runtime_problem(text, item) == INVALID_PATH
    assert runtime_problem("SET c.c = :s", {}, existed=False) == INVALID_PATH


def test_removing_what_is_not_there() -> None:
    item = {"a": {"M": {"x": {"N": "3"}}}, "b": {"L": [{"S": "hi"}]}}
    assert apply("REMOVE a.y, b[7], c", item).item == item
    # A REMOVE through a missing parent is ignored when the item itself is new.
    for text in ("REMOVE x.y", "REMOVE x[0]", "DELETE x.y :ss"):
        assert apply(text, {"pk": {"S": "k"}}, existed=False).item == {"pk": {"S": "k"}}


def test_add_numbers_and_sets() -> None:
    assert apply("ADD a :n", {"a": {"N": "3"}}).item == {"a": {"N": "8"}}
    assert apply("ADD a :n", {}).item == {"a": {"N": "5"}}
    assert apply("ADD a :ss", {"a": {"SS": ["b", "c"]}}).item == {"a": {"SS": ["b", "c", "a"]}}
    assert apply("ADD a :ns", {"a": {"NS": ["1.0"]}}).item == {"a": {"NS": ["1.0", "2"]}}
    assert runtime_problem("ADD a :n", {"a": {"S": "hi"}}) == WRONG_TYPE
    assert runtime_problem("ADD a :ss", {"a": {"L": []}}) == WRONG_TYPE
    assert runtime_problem("ADD a :ss", {"a": {"NS": ["1"]}}) == WRONG_TYPE


def test_delete_from_sets() -> None:
    item = {"a": {"SS": ["dog", "cat", "mouse"]}, "b": {"S": "hi"}}
    values = {
        ":cm": {"SS": ["cat", "mouse"]},
        ":pig": {"SS": ["pig"]},
        ":all": {"SS": ["dog", "cat", "mouse"]},
    }
    assert parse_update("DELETE a :cm", None, values).apply(item).item["a"] == {"SS": ["dog"]}
    assert parse_update("DELETE a :pig", None, values).apply(item).item == item
    emptied = parse_update("DELETE a :all", None, values).apply(item)
    assert emptied.item == {"b": {"S": "hi"}}
    assert emptied.updated_new() == {}
    assert parse_update("DELETE z :pig", None, values).apply(item).item == item
    assert apply("DELETE a :ns", {"a": {"NS": ["1.00", "3"]}}).item == {"a": {"NS": ["3"]}}
    assert runtime_problem("DELETE b :ss", item) == WRONG_TYPE


def test_updated_paths_and_key_protection() -> None:
    update = parse_update("SET a.b = :s, c = :t REMOVE d[1] ADD e :n DELETE f :ss", None, VALUES)
    assert update.updated_paths == (("a", "b"), ("c",), ("d", 1), ("e",), ("f",))
    assert update.attribute_names == {"a", "c", "d", "e", "f"}
    update.forbid_key_updates(["pk", "sk"])
    with pytest.raises(ValidationException) as caught:
        parse_update("REMOVE sk", None, None).forbid_key_updates(["pk", "sk"])
    assert caught.value.message == (
        "One or more parameter values were invalid: Cannot update attribute sk. "
        "This attribute is part of the key"
    )


def test_updated_new_keeps_nested_structure() -> None:
    item = {"a": {"M": {"existing": {"S": "e"}}}}
    result = apply("SET a.b = :s, a.c = :t", item)
    assert result.item == {"a": {"M": {"existing": {"S": "e"}, "b": {"S": "x"}, "c": {"S": "y"}}}}
    assert result.updated_new() == {"a": {"M": {"b": {"S": "x"}, "c": {"S": "y"}}}}
    assert result.updated_old() == {}


def test_placeholders_used_are_recorded() -> None:
    update = parse_update("SET #a = :s REMOVE #b", {"#a": "x", "#b": "y", "#c": "z"}, VALUES)
    assert update.names_used == {"#a", "#b"}
    assert update.values_used == {":s"}


def test_arithmetic_results_must_be_storable() -> None:
    with pytest.raises(ValidationException, match="Number overflow"):
        parse_update("SET a = a + :big", None, {":big": {"N": "9E125"}}).apply(
            {"a": {"N": "9E125"}}
        )
