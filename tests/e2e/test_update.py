"""UpdateItem through boto3 (issue 3): SET/REMOVE/ADD/DELETE, nested paths, creation
of absent items, the key-attribute rule, ReturnValues, item size after the update,
exact decimal arithmetic, and the errors the service gives for bad updates. Every
failed request is followed by a check that the item was left as it was."""
import pytest

from conftest import create_table, normalize, raises_ddb

INVALID = "One or more parameter values were invalid: "


@pytest.fixture(scope="module")
def tbl(ddb):
    return create_table(ddb)


@pytest.fixture(scope="module")
def hr(ddb):
    """A hash+range table."""
    return create_table(ddb, hash_key=("h", "S"), range_key=("r", "N"))


def key(pk):
    return {"pk": {"S": pk}}


def get(ddb, table, pk):
    return ddb.get_item(TableName=table, Key=key(pk), ConsistentRead=True).get("Item")


def put(ddb, table, pk, **attrs):
    item = dict(key(pk), **attrs)
    ddb.put_item(TableName=table, Item=item)
    return item


def update(ddb, table, pk, expr, values=None, names=None, **kw):
    args = dict(TableName=table, Key=key(pk), UpdateExpression=expr, **kw)
    if values is not None:
        args["ExpressionAttributeValues"] = values
    if names is not None:
        args["ExpressionAttributeNames"] = names
    return ddb.update_item(**args)


# --- the four clauses -----------------------------------------------------------------

def test_set_creates_an_absent_item_with_its_key(ddb, tbl):
    resp = update(ddb, tbl, "new", "SET a = :a, b = :b", {":a": {"S": "x"}, ":b": {"N": "1"}},
                  ReturnValues="ALL_NEW")
    want = {"pk": {"S": "new"}, "a": {"S": "x"}, "b": {"N": "1"}}
    assert resp["Attributes"] == want
    assert get(ddb, tbl, "new") == want


def test_set_replaces_and_adds(ddb, tbl):
    put(ddb, tbl, "s1", a={"S": "old"}, keep={"BOOL": True})
    update(ddb, tbl, "s1", "SET a = :a, c = :c", {":a": {"S": "new"}, ":c": {"L": [{"N": "1"}]}})
    assert get(ddb, tbl, "s1") == {"pk": {"S": "s1"}, "a": {"S": "new"}, "keep": {"BOOL": True},
                                   "c": {"L": [{"N": "1"}]}}


def test_set_arithmetic_is_exact_decimal(ddb, tbl):
    put(ddb, tbl, "n1", n={"N": "0.1"}, big={"N": "99999999999999999999999999999999999998"})
    update(ddb, tbl, "n1", "SET n = n + :v, big = big + :one, d = n - :v",
           {":v": {"N": "0.2"}, ":one": {"N": "1"}})
    item = get(ddb, tbl, "n1")
    assert item["n"] == {"N": "0.3"}
    assert item["big"] == {"N": "99999999999999999999999999999999999999"}
    assert item["d"] == {"N": "-0.1"}
    update(ddb, tbl, "n1", "SET n = :a - n", {":a": {"N": "1.30"}})
    assert get(ddb, tbl, "n1")["n"] == {"N": "1"}


def test_set_if_not_exists_and_list_append(ddb, tbl):
    put(ddb, tbl, "f1", l={"L": [{"S": "a"}]}, present={"N": "5"})
    update(ddb, tbl, "f1",
           "SET l = list_append(l, :more), l2 = list_append(:more, if_not_exists(l2, :empty)), "
           "present = if_not_exists(present, :zero), fresh = if_not_exists(fresh, :zero)",
           {":more": {"L": [{"S": "b"}]}, ":empty": {"L": []}, ":zero": {"N": "0"}})
    item = get(ddb, tbl, "f1")
    assert item["l"] == {"L": [{"S": "a"}, {"S": "b"}]}
    assert item["l2"] == {"L": [{"S": "b"}]}
    assert item["present"] == {"N": "5"}
    assert item["fresh"] == {"N": "0"}


def test_remove_attributes_and_list_elements(ddb, tbl):
    put(ddb, tbl, "r1", a={"S": "x"}, b={"S": "y"},
        l={"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}, {"N": "3"}]})
    update(ddb, tbl, "r1", "REMOVE a, l[1], l[3], nothing_here")
    assert get(ddb, tbl, "r1") == {"pk": {"S": "r1"}, "b": {"S": "y"}, "l": {"L": [{"N": "0"}, {"N": "2"}]}}


def test_add_numbers_and_sets(ddb, tbl):
    put(ddb, tbl, "a1", n={"N": "10"}, ss={"SS": ["a"]}, ns={"NS": ["1"]})
    update(ddb, tbl, "a1", "ADD n :d, ss :ss, ns :ns, tally :d, newset :ss",
           {":d": {"N": "-2.5"}, ":ss": {"SS": ["a", "b"]}, ":ns": {"NS": ["1.0", "2"]}})
    item = normalize(get(ddb, tbl, "a1"))
    assert item["n"] == {"N": "7.5"}
    assert item["tally"] == {"N": "-2.5"}              # absent counts as 0
    assert item["ss"] == {"SS": ["a", "b"]}
    assert item["ns"] == {"NS": ["1", "2"]}              # 1.0 == 1: deduplicated numerically
    assert item["newset"] == {"SS": ["a", "b"]}


def test_delete_from_sets(ddb, tbl):
    put(ddb, tbl, "d1", ss={"SS": ["a", "b", "c"]}, ns={"NS": ["1", "2"]})
    update(ddb, tbl, "d1", "DELETE ss :ss, ns :ns, absent :ss",
           {":ss": {"SS": ["a", "z"]}, ":ns": {"NS": ["1", "2.0"]}})
    item = normalize(get(ddb, tbl, "d1"))
    assert item["ss"] == {"SS": ["b", "c"]}
    assert "ns" not in item                                # emptied sets disappear
    assert "absent" not in item


def test_all_clauses_and_nested_paths(ddb, tbl):
    put(ddb, tbl, "m1", m={"M": {"deep": {"M": {"l": {"L": [{"M": {"c": {"N": "1"}}}, {"S": "keep"}]}}},
                                 "gone": {"S": "x"}}},
        ss={"SS": ["x", "y"]}, cnt={"N": "1"})
    update(ddb, tbl, "m1", "SET m.deep.l[0].c = :v, m.#n = :s REMOVE m.gone ADD cnt :one DELETE ss :x",
           {":v": {"N": "42"}, ":s": {"S": "named"}, ":one": {"N": "1"}, ":x": {"SS": ["x"]}},
           {"#n": "name"})
    item = get(ddb, tbl, "m1")
    assert item["m"] == {"M": {"deep": {"M": {"l": {"L": [{"M": {"c": {"N": "42"}}}, {"S": "keep"}]}}},
                               "name": {"S": "named"}}}
    assert item["cnt"] == {"N": "2"}
    assert item["ss"] == {"SS": ["y"]}


def test_no_update_expression_creates_the_bare_item(ddb, tbl):
    resp = ddb.update_item(TableName=tbl, Key=key("bare"), ReturnValues="ALL_NEW")
    assert resp["Attributes"] == key("bare")
    assert get(ddb, tbl, "bare") == key("bare")
    # On an existing item it changes nothing.
    put(ddb, tbl, "bare2", a={"S": "x"})
    ddb.update_item(TableName=tbl, Key=key("bare2"))
    assert get(ddb, tbl, "bare2") == {"pk": {"S": "bare2"}, "a": {"S": "x"}}


def test_update_on_hash_range_table(ddb, hr):
    k = {"h": {"S": "a"}, "r": {"N": "1.50"}}
    resp = ddb.update_item(TableName=hr, Key=k, UpdateExpression="SET v = :v",
                           ExpressionAttributeValues={":v": {"S": "x"}}, ReturnValues="ALL_NEW")
    assert resp["Attributes"] == {"h": {"S": "a"}, "r": {"N": "1.5"}, "v": {"S": "x"}}
    with raises_ddb("ValidationException", message="The provided key element does not match the schema"):
        ddb.update_item(TableName=hr, Key={"h": {"S": "a"}}, UpdateExpression="SET v = :v",
                        ExpressionAttributeValues={":v": {"S": "y"}})
    with raises_ddb("ValidationException", message=INVALID + "Cannot update attribute r. This attribute is part of the key"):
        ddb.update_item(TableName=hr, Key=k, UpdateExpression="SET r = :v",
                        ExpressionAttributeValues={":v": {"N": "2"}})
    assert ddb.get_item(TableName=hr, Key=k)["Item"]["v"] == {"S": "x"}


def test_item_count_follows_inserts(ddb):
    name = create_table(ddb)
    update(ddb, name, "c1", "SET a = :a", {":a": {"S": "x"}})
    update(ddb, name, "c1", "SET a = :a", {":a": {"S": "y"}})
    ddb.update_item(TableName=name, Key=key("c2"))
    assert ddb.describe_table(TableName=name)["Table"]["ItemCount"] == 2


# --- return values ----------------------------------------------------------------------

def test_return_values(ddb, tbl):
    put(ddb, tbl, "rv", a={"N": "1"}, b={"S": "b"}, m={"M": {"x": {"N": "1"}, "y": {"N": "2"}}})
    resp = update(ddb, tbl, "rv", "SET a = a + :one", {":one": {"N": "1"}})
    assert "Attributes" not in resp
    resp = update(ddb, tbl, "rv", "SET a = a + :one", {":one": {"N": "1"}}, ReturnValues="NONE")
    assert "Attributes" not in resp
    resp = update(ddb, tbl, "rv", "SET a = a + :one", {":one": {"N": "1"}}, ReturnValues="ALL_OLD")
    assert resp["Attributes"] == {"pk": {"S": "rv"}, "a": {"N": "3"}, "b": {"S": "b"},
                                  "m": {"M": {"x": {"N": "1"}, "y": {"N": "2"}}}}
    resp = update(ddb, tbl, "rv", "SET a = a + :one, m.x = :one REMOVE b", {":one": {"N": "1"}},
                  ReturnValues="UPDATED_OLD")
    assert resp["Attributes"] == {"a": {"N": "4"}, "b": {"S": "b"}, "m": {"M": {"x": {"N": "1"}}}}
    resp = update(ddb, tbl, "rv", "SET a = a + :one, m.y = :one, c = :one", {":one": {"N": "1"}},
                  ReturnValues="UPDATED_NEW")
    assert resp["Attributes"] == {"a": {"N": "6"}, "m": {"M": {"y": {"N": "1"}}}, "c": {"N": "1"}}
    resp = update(ddb, tbl, "rv", "SET a = :one", {":one": {"N": "1"}}, ReturnValues="ALL_NEW")
    assert resp["Attributes"] == {"pk": {"S": "rv"}, "a": {"N": "1"}, "c": {"N": "1"},
                                  "m": {"M": {"x": {"N": "1"}, "y": {"N": "1"}}}}


def test_return_values_on_absent_item(ddb, tbl):
    resp = update(ddb, tbl, "rv-new", "SET a = :v", {":v": {"S": "x"}}, ReturnValues="ALL_OLD")
    assert "Attributes" not in resp
    resp = update(ddb, tbl, "rv-new2", "SET a = :v", {":v": {"S": "x"}}, ReturnValues="UPDATED_OLD")
    assert "Attributes" not in resp
    resp = update(ddb, tbl, "rv-new3", "REMOVE a", ReturnValues="UPDATED_NEW")
    assert "Attributes" not in resp
    assert get(ddb, tbl, "rv-new3") == key("rv-new3")


def test_return_values_enum(ddb, tbl):
    put(ddb, tbl, "rv-bad", a={"S": "x"})
    with raises_ddb("ValidationException",
                    message="1 validation error detected: Value 'EVERYTHING' at 'returnValues' failed to satisfy "
                            "constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, "
                            "UPDATED_NEW]"):
        update(ddb, tbl, "rv-bad", "SET a = :v", {":v": {"S": "y"}}, ReturnValues="EVERYTHING")
    assert get(ddb, tbl, "rv-bad")["a"] == {"S": "x"}


# --- errors that leave the item alone -------------------------------------------------------

def expect_unchanged(ddb, table, item, code, message=None, contains=None, **kw):
    """The update fails with code/message and item (already stored) is untouched."""
    pk = item["pk"]["S"]
    with raises_ddb(code, message=message, contains=contains):
        ddb.update_item(TableName=table, Key=key(pk), **kw)
    assert get(ddb, table, pk) == item


def test_key_attribute_cannot_be_updated(ddb, tbl):
    item = put(ddb, tbl, "k1", a={"S": "x"})
    for expr, values in (("SET pk = :v", {":v": {"S": "other"}}), ("REMOVE pk", None),
                         ("SET a = :v ADD pk :n", {":v": {"S": "y"}, ":n": {"N": "1"}})):
        kw = dict(UpdateExpression=expr)
        if values:
            kw["ExpressionAttributeValues"] = values
        expect_unchanged(ddb, tbl, item, "ValidationException",
                         message=INVALID + "Cannot update attribute pk. This attribute is part of the key", **kw)
    # Through a name placeholder too.
    expect_unchanged(ddb, tbl, item, "ValidationException",
                     message=INVALID + "Cannot update attribute pk. This attribute is part of the key",
                     UpdateExpression="SET #k = :v", ExpressionAttributeNames={"#k": "pk"},
                     ExpressionAttributeValues={":v": {"S": "z"}})


def test_expression_attribute_errors(ddb, tbl):
    item = put(ddb, tbl, "e1", a={"S": "x"})
    expect_unchanged(ddb, tbl, item, "ValidationException",
                     message="Invalid UpdateExpression: An expression attribute value used in expression is not "
                             "defined; attribute value: :v",
                     UpdateExpression="SET a = :v")
    expect_unchanged(ddb, tbl, item, "ValidationException",
                     message="Invalid UpdateExpression: An expression attribute name used in the document path is "
                             "not defined; attribute name: #n",
                     UpdateExpression="SET #n = :v", ExpressionAttributeValues={":v": {"S": "y"}})
    expect_unchanged(ddb, tbl, item, "ValidationException",
                     message="Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}",
                     UpdateExpression="SET a = :v",
                     ExpressionAttributeValues={":v": {"S": "y"}, ":unused": {"S": "z"}})
    expect_unchanged(ddb, tbl, item, "ValidationException",
                     message="Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}",
                     UpdateExpression="SET a = :v", ExpressionAttributeNames={"#unused": "b"},
                     ExpressionAttributeValues={":v": {"S": "y"}})
    expect_unchanged(ddb, tbl, item, "ValidationException",
                     message="1 validation error detected: ExpressionAttributeValues can only be specified when "
                             "using expressions",
                     ExpressionAttributeValues={":v": {"S": "y"}})
    expect_unchanged(ddb, tbl, item, "ValidationException",
                     message="1 validation error detected: ExpressionAttributeNames can only be specified when "
                             "using expressions",
                     ExpressionAttributeNames={"#a": "a"})
    expect_unchanged(ddb, tbl, item, "ValidationException", message="ExpressionAttributeValues must not be empty",
                     UpdateExpression="SET a = :v", ExpressionAttributeValues={})


def test_syntax_and_semantic_errors(ddb, tbl):
    item = put(ddb, tbl, "e2", a={"S": "x"}, n={"N": "1"}, l={"L": [{"N": "1"}]}, s={"SS": ["q"]})
    v = {":v": {"S": "y"}}
    cases = [
        ("INVALID SYNTAX HERE", None,
         'Invalid UpdateExpression: Syntax error; token: "INVALID", near: "INVALID SYNTAX"'),
        ("", None, "Invalid UpdateExpression: The expression can not be empty;"),
        ("SET name = :v", v, "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name"),
        ("SET a = :v, a = :v", v, "Invalid UpdateExpression: Two document paths overlap with each other; must "
                                  "remove or rewrite one of these paths; path one: [a], path two: [a]"),
        ("SET a = :v SET n = :v", v, 'Invalid UpdateExpression: The "SET" section can only be used once in an '
                                     'update expression;'),
    ]
    for expr, values, message in cases:
        kw = dict(UpdateExpression=expr)
        if values:
            kw["ExpressionAttributeValues"] = values
        expect_unchanged(ddb, tbl, item, "ValidationException", message=message, **kw)
    # Data errors found while applying the update.
    expect_unchanged(ddb, tbl, item, "ValidationException",
                     message="The document path provided in the update expression is invalid for update",
                     UpdateExpression="SET a.b = :v", ExpressionAttributeValues=v)
    expect_unchanged(ddb, tbl, item, "ValidationException",
                     message="An operand in the update expression has an incorrect data type",
                     UpdateExpression="SET n = a + :one", ExpressionAttributeValues={":one": {"N": "1"}})
    expect_unchanged(ddb, tbl, item, "ValidationException",
                     message="An operand in the update expression has an incorrect data type",
                     UpdateExpression="ADD a :one", ExpressionAttributeValues={":one": {"N": "1"}})
    expect_unchanged(ddb, tbl, item, "ValidationException",
                     message="The provided expression refers to an attribute that does not exist in the item",
                     UpdateExpression="SET a = nope")
    expect_unchanged(ddb, tbl, item, "ValidationException", contains="Invalid UpdateExpression",
                     UpdateExpression="DELETE s :v", ExpressionAttributeValues=v)


def test_number_limits(ddb, tbl):
    ddb.put_item(TableName=tbl, Item={"pk": {"S": "num"}, "n": {"N": "9.9999999999999999999999999999999999999E+125"},
                                      "small": {"N": "1E-130"}, "prec": {"N": "12345678901234567890123456789012345678"}})
    item = get(ddb, tbl, "num")
    expect_unchanged(ddb, tbl, item, "ValidationException",
                     message="Number overflow. Attempting to store a number with magnitude larger than supported range",
                     UpdateExpression="SET n = n + :big",
                     ExpressionAttributeValues={":big": {"N": "9.9999999999999999999999999999999999999E+125"}})
    expect_unchanged(ddb, tbl, item, "ValidationException",
                     message="Number overflow. Attempting to store a number with magnitude larger than supported range",
                     UpdateExpression="ADD n :big",
                     ExpressionAttributeValues={":big": {"N": "9.9999999999999999999999999999999999999E+125"}})
    # A result needing more than 38 significant digits: the service reports it as an
    # overflow too (as the number module does; the exact text is unconfirmed).
    expect_unchanged(ddb, tbl, item, "ValidationException",
                     contains="Number overflow",
                     UpdateExpression="SET prec = prec + :tiny",
                     ExpressionAttributeValues={":tiny": {"N": "0.1"}})
    expect_unchanged(ddb, tbl, item, "ValidationException",
                     contains="Attempting to store more than 38 significant digits in a Number",
                     UpdateExpression="SET a = :v",
                     ExpressionAttributeValues={":v": {"N": "123456789012345678901234567890123456789"}})
    expect_unchanged(ddb, tbl, item, "ValidationException",
                     contains="Number underflow. Attempting to store a number with magnitude smaller than supported range",
                     UpdateExpression="SET a = :v", ExpressionAttributeValues={":v": {"N": "1E-131"}})
    # Exact: 1E-130 + 1 keeps every digit it can; -1 + 1 is 0.
    update(ddb, tbl, "num", "SET z = :m + :p", {":m": {"N": "-1"}, ":p": {"N": "1"}})
    assert get(ddb, tbl, "num")["z"] == {"N": "0"}


def test_item_size_after_update(ddb, tbl):
    item = put(ddb, tbl, "big", data={"S": "x" * 300000})
    expect_unchanged(ddb, tbl, item, "ValidationException",
                     message="Item size to update has exceeded the maximum allowed size",
                     UpdateExpression="SET more = :v", ExpressionAttributeValues={":v": {"S": "y" * 150000}})
    # Exactly at the limit is fine.
    filler = 409600 - len("pk") - len("big2") - len("data") - len("more") - 300000
    put(ddb, tbl, "big2", data={"S": "x" * 300000})
    update(ddb, tbl, "big2", "SET more = :v", {":v": {"S": "y" * filler}})
    assert len(get(ddb, tbl, "big2")["more"]["S"]) == filler


def test_missing_table_and_key(ddb, tbl):
    with raises_ddb("ResourceNotFoundException", message="Requested resource not found"):
        ddb.update_item(TableName="no-such-table-upd", Key=key("x"), UpdateExpression="SET a = :v",
                        ExpressionAttributeValues={":v": {"S": "y"}})
    with raises_ddb("ValidationException", message="The provided key element does not match the schema"):
        ddb.update_item(TableName=tbl, Key={"pk": {"N": "1"}}, UpdateExpression="SET a = :v",
                        ExpressionAttributeValues={":v": {"S": "y"}})
    with raises_ddb("ValidationException", message="The provided key element does not match the schema"):
        ddb.update_item(TableName=tbl, Key={"pk": {"S": "x"}, "other": {"S": "y"}})
    assert get(ddb, tbl, "x") is None


def test_raw_missing_key_and_enums_together(raw, tbl):
    r = raw("UpdateItem", TableName=tbl, UpdateExpression="SET a = :a", ExpressionAttributeValues={":a": {"S": "x"}},
            ReturnConsumedCapacity="INVALID", ReturnValues="INVALID")
    assert r.status == 400 and r.error_name == "ValidationException"
    assert r.message == (
        "3 validation errors detected: "
        "Value 'INVALID' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value "
        "set: [INDEXES, TOTAL, NONE]; "
        "Value 'INVALID' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: "
        "[ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]; "
        "Value null at 'key' failed to satisfy constraint: Member must not be null")


def test_update_cannot_nest_deeper_than_put_allows(ddb, tbl):
    # A PutItem may nest 32 levels of maps; an update that would make it 33 is
    # refused the way the service refuses a too-deep PutItem (found by fuzz_request).
    inner = {"S": "leaf"}
    for _ in range(32):
        inner = {"M": {"x": inner}}
    ddb.put_item(TableName=tbl, Item={"pk": {"S": "deep"}, "a": inner})
    path = "a" + ".x" * 32   # the leaf: a map there is the 33rd level
    with raises_ddb("ValidationException", "Nesting Levels have exceeded supported limits"):
        ddb.update_item(TableName=tbl, Key=key("deep"), UpdateExpression="SET %s = :m" % path,
                        ExpressionAttributeValues={":m": {"M": {"y": {"S": "z"}}}})
    assert get(ddb, tbl, "deep")["a"] == inner
