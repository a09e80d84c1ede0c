"""ConditionExpression on PutItem, UpdateItem and DeleteItem (issue 3): evaluated
against the stored item; a failed condition is ConditionalCheckFailedException and
writes nothing; ReturnValuesOnConditionCheckFailure ALL_OLD carries the item; the
expression errors (syntax, reserved words, unused or missing names and values) are
the service's and leave the data untouched."""
import pytest

from conftest import create_table, raises_ddb

FAILED = "The conditional request failed"


@pytest.fixture(scope="module")
def tbl(ddb):
    return create_table(ddb)


def key(pk):
    return {"pk": {"S": pk}}


def get(ddb, table, pk):
    return ddb.get_item(TableName=table, Key=key(pk), ConsistentRead=True).get("Item")


ITEM = {
    "pk": {"S": "c"},
    "s": {"S": "hello world"},
    "n": {"N": "10"},
    "b": {"B": b"\x01\x02\x03"},
    "yes": {"BOOL": True},
    "nul": {"NULL": True},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "l": {"L": [{"S": "x"}, {"N": "2"}, {"M": {"deep": {"S": "v"}}}]},
    "m": {"M": {"k": {"S": "v"}, "num": {"N": "3"}, "e": {"S": ""}}},
}


def check(ddb, table, expr, values=None, names=None):
    """True if an UpdateItem guarded by expr passes on ITEM (stored as pk "c")."""
    kw = dict(TableName=table, Key=key("c"), ConditionExpression=expr,
              UpdateExpression="SET touched = :touch")
    kw["ExpressionAttributeValues"] = dict(values or {}, **{":touch": {"BOOL": True}})
    if names:
        kw["ExpressionAttributeNames"] = names
    ddb.put_item(TableName=table, Item=ITEM)
    try:
        ddb.update_item(**kw)
    except ddb.exceptions.ConditionalCheckFailedException as e:
        assert e.response["Error"]["Message"] == FAILED
        assert get(ddb, table, "c") == ITEM            # nothing was written
        return False
    assert get(ddb, table, "c")["touched"] == {"BOOL": True}
    return True


@pytest.mark.parametrize("expr,values,names,want", [
    ("n = :v", {":v": {"N": "10.0"}}, None, True),
    ("n = :v", {":v": {"S": "10"}}, None, False),          # different types never equal
    ("n <> :v", {":v": {"N": "11"}}, None, True),
    ("missing_attr <> :v", {":v": {"N": "11"}}, None, True),
    ("n < :v", {":v": {"N": "9.99"}}, None, False),
    ("n <= :v", {":v": {"N": "10"}}, None, True),
    ("n > :v", {":v": {"N": "-1E5"}}, None, True),
    ("n >= :v", {":v": {"N": "1E1"}}, None, True),
    ("s < :v", {":v": {"S": "hello x"}}, None, True),
    ("b > :v", {":v": {"B": b"\x01\x02"}}, None, True),
    ("n < :v", {":v": {"S": "a"}}, None, False),            # mixed types are not ordered
    ("n BETWEEN :lo AND :hi", {":lo": {"N": "9"}, ":hi": {"N": "10"}}, None, True),
    ("n BETWEEN :lo AND :hi", {":lo": {"N": "11"}, ":hi": {"N": "12"}}, None, False),
    ("s IN (:a, :b)", {":a": {"S": "x"}, ":b": {"S": "hello world"}}, None, True),
    ("n IN (:a, :b)", {":a": {"N": "1"}, ":b": {"N": "2"}}, None, False),
    ("attribute_exists(m.k)", None, None, True),
    ("attribute_exists(m.nope)", None, None, False),
    ("attribute_not_exists(zzz)", None, None, True),
    ("attribute_not_exists(l[5])", None, None, True),
    ("attribute_type(ss, :t)", {":t": {"S": "SS"}}, None, True),
    ("attribute_type(nul, :t)", {":t": {"S": "NULL"}}, None, True),
    ("attribute_type(n, :t)", {":t": {"S": "S"}}, None, False),
    ("begins_with(s, :p)", {":p": {"S": "hell"}}, None, True),
    ("begins_with(b, :p)", {":p": {"B": b"\x01"}}, None, True),
    ("begins_with(s, :p)", {":p": {"S": "world"}}, None, False),
    ("contains(s, :p)", {":p": {"S": "o w"}}, None, True),
    ("contains(ss, :p)", {":p": {"S": "b"}}, None, True),
    ("contains(ns, :p)", {":p": {"N": "2.50"}}, None, True),
    ("contains(l, :p)", {":p": {"N": "2"}}, None, True),
    ("contains(ss, :p)", {":p": {"S": "c"}}, None, False),
    ("size(s) = :v", {":v": {"N": "11"}}, None, True),
    ("size(ss) > :v", {":v": {"N": "1"}}, None, True),
    ("size(l) = :v", {":v": {"N": "3"}}, None, True),
    ("size(m.e) = :v", {":v": {"N": "0"}}, None, True),
    ("l[2].deep = :v", {":v": {"S": "v"}}, None, True),
    ("l[1] = :v", {":v": {"N": "2"}}, None, True),
    ("#m.#k = :v", {":v": {"S": "v"}}, {"#m": "m", "#k": "k"}, True),
    ("yes = :t AND n = :n", {":t": {"BOOL": True}, ":n": {"N": "10"}}, None, True),
    ("yes = :f OR n = :n", {":f": {"BOOL": False}, ":n": {"N": "10"}}, None, True),
    ("NOT n = :n", {":n": {"N": "10"}}, None, False),
    # AND binds tighter than OR: false OR (true AND true)
    ("n = :x OR n = :n AND yes = :t", {":x": {"N": "1"}, ":n": {"N": "10"}, ":t": {"BOOL": True}}, None, True),
    # parentheses change it: (false OR true) AND false
    ("(n = :x OR n = :n) AND yes = :f", {":x": {"N": "1"}, ":n": {"N": "10"}, ":f": {"BOOL": False}}, None, False),
    ("NOT (n = :x OR attribute_not_exists(s))", {":x": {"N": "1"}}, None, True),
])
def test_condition_semantics(ddb, tbl, expr, values, names, want):
    assert check(ddb, tbl, expr, values, names) is want


def test_put_item_condition(ddb, tbl):
    item = {"pk": {"S": "p1"}, "v": {"N": "1"}}
    ddb.put_item(TableName=tbl, Item=item, ConditionExpression="attribute_not_exists(pk)")
    with raises_ddb("ConditionalCheckFailedException", message=FAILED):
        ddb.put_item(TableName=tbl, Item={"pk": {"S": "p1"}, "v": {"N": "2"}},
                     ConditionExpression="attribute_not_exists(pk)")
    assert get(ddb, tbl, "p1") == item
    ddb.put_item(TableName=tbl, Item={"pk": {"S": "p1"}, "v": {"N": "2"}},
                 ConditionExpression="v = :old", ExpressionAttributeValues={":old": {"N": "1"}})
    assert get(ddb, tbl, "p1")["v"] == {"N": "2"}


def test_delete_item_condition(ddb, tbl):
    item = {"pk": {"S": "d1"}, "v": {"S": "keep"}}
    ddb.put_item(TableName=tbl, Item=item)
    with raises_ddb("ConditionalCheckFailedException", message=FAILED):
        ddb.delete_item(TableName=tbl, Key=key("d1"), ConditionExpression="v = :x",
                        ExpressionAttributeValues={":x": {"S": "other"}})
    assert get(ddb, tbl, "d1") == item
    resp = ddb.delete_item(TableName=tbl, Key=key("d1"), ConditionExpression="v = :x",
                           ExpressionAttributeValues={":x": {"S": "keep"}}, ReturnValues="ALL_OLD")
    assert resp["Attributes"] == item
    assert get(ddb, tbl, "d1") is None
    # On an absent item, attribute_exists fails and nothing happens.
    with raises_ddb("ConditionalCheckFailedException", message=FAILED):
        ddb.delete_item(TableName=tbl, Key=key("d1"), ConditionExpression="attribute_exists(pk)")


def test_update_item_condition_on_absent_item(ddb, tbl):
    with raises_ddb("ConditionalCheckFailedException", message=FAILED):
        ddb.update_item(TableName=tbl, Key=key("u-absent"), UpdateExpression="SET a = :v",
                        ConditionExpression="attribute_exists(pk)", ExpressionAttributeValues={":v": {"S": "x"}})
    assert get(ddb, tbl, "u-absent") is None                # not created
    ddb.update_item(TableName=tbl, Key=key("u-absent"), UpdateExpression="SET a = :v",
                    ConditionExpression="attribute_not_exists(pk)", ExpressionAttributeValues={":v": {"S": "x"}})
    assert get(ddb, tbl, "u-absent") == {"pk": {"S": "u-absent"}, "a": {"S": "x"}}


def test_optimistic_locking(ddb, tbl):
    ddb.put_item(TableName=tbl, Item={"pk": {"S": "lock"}, "version": {"N": "1"}})
    upd = dict(TableName=tbl, Key=key("lock"), UpdateExpression="SET version = version + :one",
               ConditionExpression="version = :expected")
    ddb.update_item(ExpressionAttributeValues={":one": {"N": "1"}, ":expected": {"N": "1"}}, **upd)
    with raises_ddb("ConditionalCheckFailedException", message=FAILED):
        ddb.update_item(ExpressionAttributeValues={":one": {"N": "1"}, ":expected": {"N": "1"}}, **upd)
    assert get(ddb, tbl, "lock")["version"] == {"N": "2"}


@pytest.mark.parametrize("op", ["PutItem", "UpdateItem", "DeleteItem"])
def test_return_values_on_condition_check_failure(raw, ddb, tbl, op):
    item = {"pk": {"S": "rvf-" + op}, "v": {"S": "old"}, "b": {"B": "AAE="}}
    ddb.put_item(TableName=tbl, Item={"pk": item["pk"], "v": item["v"], "b": {"B": b"\x00\x01"}})
    body = dict(TableName=tbl, ConditionExpression="v = :x", ExpressionAttributeValues={":x": {"S": "new"}})
    if op == "PutItem":
        body["Item"] = {"pk": item["pk"], "v": {"S": "replaced"}}
    else:
        body["Key"] = {"pk": item["pk"]}
    if op == "UpdateItem":
        body["UpdateExpression"] = "SET v = :x"
    r = raw(op, ReturnValuesOnConditionCheckFailure="ALL_OLD", **body)
    assert r.status == 400 and r.error_name == "ConditionalCheckFailedException", r
    assert r.message == FAILED
    assert r.json["Item"] == item
    r = raw(op, ReturnValuesOnConditionCheckFailure="NONE", **body)
    assert r.error_name == "ConditionalCheckFailedException" and "Item" not in r.json
    r = raw(op, **body)
    assert r.error_name == "ConditionalCheckFailedException" and "Item" not in r.json
    r = raw(op, ReturnValuesOnConditionCheckFailure="ALL_NEW", **body)
    assert r.error_name == "ValidationException"
    assert r.message == ("1 validation error detected: Value 'ALL_NEW' at 'returnValuesOnConditionCheckFailure' "
                         "failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]")
    assert get(ddb, tbl, item["pk"]["S"])["v"] == {"S": "old"}


def test_return_values_on_failure_for_absent_item(raw, tbl):
    r = raw("DeleteItem", TableName=tbl, Key=key("rvf-absent"), ConditionExpression="attribute_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert r.error_name == "ConditionalCheckFailedException"
    assert "Item" not in r.json


def expect_rejected(ddb, tbl, op, message=None, contains=None, **kw):
    """The write fails validation and the stored item is untouched."""
    before = {"pk": {"S": "bad"}, "v": {"S": "x"}, "name": {"S": "n"}}
    ddb.put_item(TableName=tbl, Item=before)
    with raises_ddb("ValidationException", message=message, contains=contains):
        if op == "put":
            ddb.put_item(TableName=tbl, Item={"pk": {"S": "bad"}, "v": {"S": "y"}}, **kw)
        elif op == "update":
            kw.setdefault("UpdateExpression", "SET v = :y")
            kw.setdefault("ExpressionAttributeValues", {})
            kw["ExpressionAttributeValues"][":y"] = {"S": "y"}
            ddb.update_item(TableName=tbl, Key=key("bad"), **kw)
        else:
            ddb.delete_item(TableName=tbl, Key=key("bad"), **kw)
    assert get(ddb, tbl, "bad") == before


@pytest.mark.parametrize("op", ["put", "update", "delete"])
def test_condition_expression_errors(ddb, tbl, op):
    expect_rejected(ddb, tbl, op, contains='Invalid ConditionExpression: Syntax error; token: "<EOF>", near: ',
                    ConditionExpression="v = ")
    expect_rejected(ddb, tbl, op, contains="Invalid ConditionExpression: The expression can not be empty;",
                    ConditionExpression="")
    expect_rejected(ddb, tbl, op,
                    message="Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name",
                    ConditionExpression="attribute_exists(name)")
    expect_rejected(ddb, tbl, op,
                    message="Invalid ConditionExpression: An expression attribute value used in expression is not "
                            "defined; attribute value: :nope",
                    ConditionExpression="v = :nope")
    expect_rejected(ddb, tbl, op,
                    message="Invalid ConditionExpression: An expression attribute name used in the document path "
                            "is not defined; attribute name: #nope",
                    ConditionExpression="attribute_exists(#nope)")
    expect_rejected(ddb, tbl, op, message="Invalid ConditionExpression: The expression has redundant parentheses;",
                    ConditionExpression="((attribute_exists(v)))")
    expect_rejected(ddb, tbl, op, message="Invalid ConditionExpression: Invalid function name; function: nope",
                    ConditionExpression="nope(v)")
    expect_rejected(ddb, tbl, op,
                    message="Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}",
                    ConditionExpression="attribute_exists(v)", ExpressionAttributeNames={"#u": "x"})
    values = {":unused": {"S": "z"}}
    expect_rejected(ddb, tbl, op,
                    message="Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}",
                    ConditionExpression="attribute_exists(v)", ExpressionAttributeValues=values)
    expect_rejected(ddb, tbl, op,
                    message="ExpressionAttributeNames contains invalid key: Syntax error; key: \"bad\"",
                    ConditionExpression="attribute_exists(v)", ExpressionAttributeNames={"bad": "x"})


@pytest.mark.parametrize("op", ["put", "delete"])
def test_values_without_an_expression(ddb, tbl, op):
    expect_rejected(ddb, tbl, op,
                    message="1 validation error detected: ExpressionAttributeValues can only be specified when "
                            "using expressions",
                    ExpressionAttributeValues={":v": {"S": "x"}})
    expect_rejected(ddb, tbl, op,
                    message="1 validation error detected: ExpressionAttributeNames can only be specified when "
                            "using expressions",
                    ExpressionAttributeNames={"#v": "v"})


def test_condition_with_names_and_reserved_words(ddb, tbl):
    ddb.put_item(TableName=tbl, Item={"pk": {"S": "rw"}, "name": {"S": "Ada"}, "size": {"N": "3"}})
    ddb.put_item(TableName=tbl, Item={"pk": {"S": "rw"}, "name": {"S": "Bea"}},
                 ConditionExpression="#n = :n AND #s < :four",
                 ExpressionAttributeNames={"#n": "name", "#s": "size"},
                 ExpressionAttributeValues={":n": {"S": "Ada"}, ":four": {"N": "4"}})
    assert get(ddb, tbl, "rw") == {"pk": {"S": "rw"}, "name": {"S": "Bea"}}


def test_mixing_expression_and_legacy(ddb, tbl):
    before = {"pk": {"S": "mix"}, "v": {"S": "x"}}
    ddb.put_item(TableName=tbl, Item=before)
    msg = ("Can not use both expression and non-expression parameters in the same request: "
           "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}")
    with raises_ddb("ValidationException", message=msg):
        ddb.put_item(TableName=tbl, Item={"pk": {"S": "mix"}}, Expected={"pk": {"Exists": False}},
                     ConditionExpression="attribute_not_exists(pk)")
    with raises_ddb("ValidationException", message=msg):
        ddb.delete_item(TableName=tbl, Key=key("mix"), Expected={"pk": {"Exists": False}},
                        ConditionExpression="attribute_not_exists(pk)")
    with raises_ddb("ValidationException",
                    message="Can not use both expression and non-expression parameters in the same request: "
                            "Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}"):
        ddb.update_item(TableName=tbl, Key=key("mix"), UpdateExpression="SET v = :v",
                        ExpressionAttributeValues={":v": {"S": "y"}},
                        AttributeUpdates={"v": {"Value": {"S": "z"}, "Action": "PUT"}})
    with raises_ddb("ValidationException",
                    message="Can not use both expression and non-expression parameters in the same request: "
                            "Non-expression parameters: {AttributeUpdates, Expected} "
                            "Expression parameters: {UpdateExpression, ConditionExpression}"):
        ddb.update_item(TableName=tbl, Key=key("mix"), UpdateExpression="SET v = :v",
                        ConditionExpression="attribute_exists(v)", ExpressionAttributeValues={":v": {"S": "y"}},
                        AttributeUpdates={"v": {"Value": {"S": "z"}, "Action": "PUT"}},
                        Expected={"v": {"Exists": True, "Value": {"S": "x"}}})
    assert get(ddb, tbl, "mix") == before
