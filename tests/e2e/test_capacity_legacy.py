"""ReturnConsumedCapacity and ReturnItemCollectionMetrics on the single-item operations,
and the legacy parameters old SDKs still send: Expected (with ConditionalOperator),
AttributeUpdates and AttributesToGet, with the service's validation errors (issue 3).
Every rejected request is followed by a check that the item is unchanged."""
import pytest

from conftest import create_table, normalize, raises_ddb

ENV = "1 validation error detected: "
INVALID = "One or more parameter values were invalid: "
FAILED = "The conditional request failed"


@pytest.fixture(scope="module")
def tbl(ddb):
    return create_table(ddb)


def key(pk):
    return {"pk": {"S": pk}}


def get(ddb, table, pk):
    return ddb.get_item(TableName=table, Key=key(pk), ConsistentRead=True).get("Item")


def sized(pk, total):
    """An item of exactly `total` bytes as the service counts them."""
    filler = total - len("pk") - len(pk) - len("data")
    return {"pk": {"S": pk}, "data": {"S": "x" * filler}}


# --- consumed capacity ----------------------------------------------------------------

def test_put_capacity(ddb, tbl):
    resp = ddb.put_item(TableName=tbl, Item=sized("cap-put", 1024), ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"] == {"TableName": tbl, "CapacityUnits": 1.0}
    # 1025 bytes: two write units.
    resp = ddb.put_item(TableName=tbl, Item=sized("cap-put", 1025), ReturnConsumedCapacity="INDEXES")
    assert resp["ConsumedCapacity"] == {"TableName": tbl, "CapacityUnits": 2.0, "Table": {"CapacityUnits": 2.0}}
    # Replacing a 1025-byte item with a small one costs the larger of the two.
    resp = ddb.put_item(TableName=tbl, Item={"pk": {"S": "cap-put"}}, ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"]["CapacityUnits"] == 2.0
    resp = ddb.put_item(TableName=tbl, Item={"pk": {"S": "cap-put"}}, ReturnConsumedCapacity="NONE")
    assert "ConsumedCapacity" not in resp
    resp = ddb.put_item(TableName=tbl, Item={"pk": {"S": "cap-put"}})
    assert "ConsumedCapacity" not in resp


def test_get_capacity(ddb, tbl):
    ddb.put_item(TableName=tbl, Item=sized("cap-get", 4097))
    resp = ddb.get_item(TableName=tbl, Key=key("cap-get"), ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"] == {"TableName": tbl, "CapacityUnits": 2.0}
    resp = ddb.get_item(TableName=tbl, Key=key("cap-get"), ReturnConsumedCapacity="INDEXES")
    assert resp["ConsumedCapacity"] == {"TableName": tbl, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}
    # Projections do not make a read cheaper.
    resp = ddb.get_item(TableName=tbl, Key=key("cap-get"), ProjectionExpression="pk", ConsistentRead=True,
                        ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"]["CapacityUnits"] == 2.0
    # An absent item still costs the minimum.
    resp = ddb.get_item(TableName=tbl, Key=key("cap-none"), ReturnConsumedCapacity="TOTAL")
    assert "Item" not in resp
    assert resp["ConsumedCapacity"] == {"TableName": tbl, "CapacityUnits": 0.5}
    resp = ddb.get_item(TableName=tbl, Key=key("cap-none"), ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"]["CapacityUnits"] == 1.0


def test_delete_capacity(ddb, tbl):
    ddb.put_item(TableName=tbl, Item=sized("cap-del", 3000))
    resp = ddb.delete_item(TableName=tbl, Key=key("cap-del"), ReturnConsumedCapacity="TOTAL", ReturnValues="ALL_OLD")
    assert resp["ConsumedCapacity"] == {"TableName": tbl, "CapacityUnits": 3.0}
    assert resp["Attributes"]["pk"] == {"S": "cap-del"}
    resp = ddb.delete_item(TableName=tbl, Key=key("cap-del"), ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"]["CapacityUnits"] == 1.0


def test_update_capacity(ddb, tbl):
    resp = ddb.update_item(TableName=tbl, Key=key("cap-upd"), UpdateExpression="SET #d = :d", ExpressionAttributeNames={"#d": "data"},
                           ExpressionAttributeValues={":d": {"S": "x" * 5000}}, ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"] == {"TableName": tbl, "CapacityUnits": 5.0}
    resp = ddb.update_item(TableName=tbl, Key=key("cap-upd"), UpdateExpression="REMOVE #d", ExpressionAttributeNames={"#d": "data"},
                           ReturnConsumedCapacity="INDEXES", ReturnValues="UPDATED_OLD")
    assert resp["ConsumedCapacity"] == {"TableName": tbl, "CapacityUnits": 5.0, "Table": {"CapacityUnits": 5.0}}
    assert resp["Attributes"] == {"data": {"S": "x" * 5000}}
    resp = ddb.update_item(TableName=tbl, Key=key("cap-upd"), UpdateExpression="SET a = :a",
                           ExpressionAttributeValues={":a": {"N": "1"}}, ReturnConsumedCapacity="TOTAL")
    assert resp["ConsumedCapacity"]["CapacityUnits"] == 1.0


def test_capacity_enums(ddb, tbl):
    ddb.put_item(TableName=tbl, Item={"pk": {"S": "cap-enum"}, "v": {"S": "x"}})
    msg = (ENV + "Value 'ALL' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum "
           "value set: [INDEXES, TOTAL, NONE]")
    with raises_ddb("ValidationException", message=msg):
        ddb.put_item(TableName=tbl, Item={"pk": {"S": "cap-enum"}}, ReturnConsumedCapacity="ALL")
    with raises_ddb("ValidationException", message=msg):
        ddb.get_item(TableName=tbl, Key=key("cap-enum"), ReturnConsumedCapacity="ALL")
    with raises_ddb("ValidationException", message=msg):
        ddb.delete_item(TableName=tbl, Key=key("cap-enum"), ReturnConsumedCapacity="ALL")
    with raises_ddb("ValidationException", message=msg):
        ddb.update_item(TableName=tbl, Key=key("cap-enum"), ReturnConsumedCapacity="ALL")
    with raises_ddb("ValidationException",
                    message=ENV + "Value 'ALL' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member "
                                  "must satisfy enum value set: [SIZE, NONE]"):
        ddb.put_item(TableName=tbl, Item={"pk": {"S": "cap-enum"}}, ReturnItemCollectionMetrics="ALL")
    assert get(ddb, tbl, "cap-enum") == {"pk": {"S": "cap-enum"}, "v": {"S": "x"}}


def test_item_collection_metrics_without_lsi(ddb, tbl):
    for kw in ({"ReturnItemCollectionMetrics": "SIZE"}, {"ReturnItemCollectionMetrics": "NONE"}):
        resp = ddb.put_item(TableName=tbl, Item={"pk": {"S": "icm"}}, **kw)
        assert "ItemCollectionMetrics" not in resp
        resp = ddb.update_item(TableName=tbl, Key=key("icm"), **kw)
        assert "ItemCollectionMetrics" not in resp
        resp = ddb.delete_item(TableName=tbl, Key=key("icm"), **kw)
        assert "ItemCollectionMetrics" not in resp


def test_put_and_delete_return_values(ddb, tbl):
    ddb.put_item(TableName=tbl, Item={"pk": {"S": "prv"}, "v": {"S": "x"}})
    for rv in ("ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"):
        with raises_ddb("ValidationException", message=ENV + "ReturnValues can only be ALL_OLD or NONE"):
            ddb.put_item(TableName=tbl, Item={"pk": {"S": "prv"}}, ReturnValues=rv)
        with raises_ddb("ValidationException", message=ENV + "ReturnValues can only be ALL_OLD or NONE"):
            ddb.delete_item(TableName=tbl, Key=key("prv"), ReturnValues=rv)
    assert get(ddb, tbl, "prv") == {"pk": {"S": "prv"}, "v": {"S": "x"}}


# --- Expected ---------------------------------------------------------------------------

ITEM = {"pk": {"S": "exp"}, "s": {"S": "hello"}, "n": {"N": "5"}, "ss": {"SS": ["a", "b"]},
        "l": {"L": [{"S": "x"}]}, "m": {"M": {"k": {"S": "v"}}}, "dotted.name": {"S": "dot"}}


def expected_passes(ddb, tbl, expected, op=None):
    """Whether a PutItem guarded by Expected (and ConditionalOperator op) passes on ITEM."""
    ddb.put_item(TableName=tbl, Item=ITEM)
    kw = dict(TableName=tbl, Item=dict(ITEM, touched={"BOOL": True}), Expected=expected)
    if op:
        kw["ConditionalOperator"] = op
    try:
        ddb.put_item(**kw)
    except ddb.exceptions.ConditionalCheckFailedException as e:
        assert e.response["Error"]["Message"] == FAILED
        assert get(ddb, tbl, "exp") == ITEM
        return False
    return True


def av(*values):
    return {"AttributeValueList": list(values)}


@pytest.mark.parametrize("expected,want", [
    ({"s": {"Value": {"S": "hello"}}}, True),
    ({"s": {"Value": {"S": "nope"}}}, False),
    ({"s": {"Exists": True, "Value": {"S": "hello"}}}, True),
    ({"zz": {"Exists": False}}, True),
    ({"s": {"Exists": False}}, False),
    ({"dotted.name": {"Value": {"S": "dot"}}}, True),       # names are literal: no paths
    ({"n": dict(ComparisonOperator="EQ", **av({"N": "5.0"}))}, True),
    ({"n": dict(ComparisonOperator="NE", **av({"N": "5"}))}, False),
    ({"zz": dict(ComparisonOperator="NE", **av({"N": "5"}))}, True),
    ({"n": dict(ComparisonOperator="LE", **av({"N": "5"}))}, True),
    ({"n": dict(ComparisonOperator="LT", **av({"N": "5"}))}, False),
    ({"n": dict(ComparisonOperator="GE", **av({"N": "4"}))}, True),
    ({"n": dict(ComparisonOperator="GT", **av({"N": "5"}))}, False),
    ({"n": {"ComparisonOperator": "GT", "Value": {"N": "1"}}}, True),
    ({"n": {"ComparisonOperator": "NOT_NULL"}}, True),
    ({"zz": {"ComparisonOperator": "NOT_NULL"}}, False),
    ({"zz": {"ComparisonOperator": "NULL"}}, True),
    ({"s": dict(ComparisonOperator="CONTAINS", **av({"S": "ell"}))}, True),
    ({"ss": dict(ComparisonOperator="CONTAINS", **av({"S": "b"}))}, True),
    ({"l": dict(ComparisonOperator="CONTAINS", **av({"S": "x"}))}, True),
    ({"ss": dict(ComparisonOperator="NOT_CONTAINS", **av({"S": "b"}))}, False),
    ({"s": dict(ComparisonOperator="NOT_CONTAINS", **av({"S": "zz"}))}, True),
    ({"s": dict(ComparisonOperator="BEGINS_WITH", **av({"S": "he"}))}, True),
    ({"s": dict(ComparisonOperator="BEGINS_WITH", **av({"S": "lo"}))}, False),
    ({"n": dict(ComparisonOperator="IN", **av({"N": "1"}, {"N": "5"}))}, True),
    ({"n": dict(ComparisonOperator="IN", **av({"N": "1"}))}, False),
    ({"n": dict(ComparisonOperator="BETWEEN", **av({"N": "5"}, {"N": "6"}))}, True),
    ({"n": dict(ComparisonOperator="BETWEEN", **av({"N": "6"}, {"N": "7"}))}, False),
    ({"s": {"Value": {"S": "hello"}}, "n": {"Value": {"N": "5"}}}, True),
    ({"s": {"Value": {"S": "hello"}}, "n": {"Value": {"N": "6"}}}, False),
])
def test_expected_operators(ddb, tbl, expected, want):
    assert expected_passes(ddb, tbl, expected) is want


def test_expected_conditional_operator(ddb, tbl):
    either = {"s": {"Value": {"S": "nope"}}, "n": {"Value": {"N": "5"}}}
    assert expected_passes(ddb, tbl, either, "OR") is True
    assert expected_passes(ddb, tbl, either, "AND") is False
    assert expected_passes(ddb, tbl, {"s": {"Value": {"S": "nope"}}, "zz": {"Exists": False}}, "OR") is True
    ddb.put_item(TableName=tbl, Item=ITEM)
    with raises_ddb("ValidationException",
                    message=ENV + "Value 'XOR' at 'conditionalOperator' failed to satisfy constraint: Member must "
                                  "satisfy enum value set: [OR, AND]"):
        ddb.put_item(TableName=tbl, Item={"pk": {"S": "exp"}}, Expected=either, ConditionalOperator="XOR")
    assert get(ddb, tbl, "exp") == ITEM


def test_expected_on_update_and_delete(ddb, tbl):
    ddb.put_item(TableName=tbl, Item=ITEM)
    with raises_ddb("ConditionalCheckFailedException", message=FAILED):
        ddb.delete_item(TableName=tbl, Key=key("exp"), Expected={"n": {"Value": {"N": "4"}}})
    with raises_ddb("ConditionalCheckFailedException", message=FAILED):
        ddb.update_item(TableName=tbl, Key=key("exp"), Expected={"n": {"Value": {"N": "4"}}},
                        AttributeUpdates={"n": {"Action": "ADD", "Value": {"N": "1"}}})
    assert get(ddb, tbl, "exp") == ITEM
    ddb.update_item(TableName=tbl, Key=key("exp"), Expected={"n": {"Value": {"N": "5"}}},
                    AttributeUpdates={"n": {"Action": "ADD", "Value": {"N": "1"}}})
    assert get(ddb, tbl, "exp")["n"] == {"N": "6"}
    ddb.delete_item(TableName=tbl, Key=key("exp"), Expected={"n": {"Value": {"N": "6"}}})
    assert get(ddb, tbl, "exp") is None


@pytest.mark.parametrize("expected,message", [
    ({"a": {"Exists": True}}, INVALID + "Value must be provided when Exists is true for Attribute: a"),
    ({"a": {}}, INVALID + "Value must be provided when Exists is null for Attribute: a"),
    ({"a": {"Exists": False, "Value": {"S": "x"}}}, INVALID + "Value cannot be used when Exists is false for Attribute: a"),
    ({"a": {"Value": {"S": "x"}, "ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]}},
     INVALID + "Value and AttributeValueList cannot be used together for Attribute: a"),
    ({"a": {"ComparisonOperator": "EQ"}},
     INVALID + "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a"),
    ({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"S": "x"}]}},
     INVALID + "Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
    ({"a": {"ComparisonOperator": "NULL", "AttributeValueList": [{"S": "x"}]}},
     INVALID + "Invalid number of argument(s) for the NULL ComparisonOperator"),
    ({"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}, {"S": "y"}]}},
     INVALID + "Invalid number of argument(s) for the EQ ComparisonOperator"),
    ({"a": {"ComparisonOperator": "EQ", "Exists": True, "Value": {"S": "x"}}},
     INVALID + "Exists and ComparisonOperator cannot be used together for Attribute: a"),
    ({"a": {"AttributeValueList": [{"S": "x"}]}},
     INVALID + "AttributeValueList can only be used with a ComparisonOperator for Attribute: a"),
    ({"a": {"ComparisonOperator": "IN", "AttributeValueList": [{"S": "x"}, {"N": "1"}]}},
     INVALID + "AttributeValues inside AttributeValueList must be of same type"),
    ({"a": {"ComparisonOperator": "LT", "AttributeValueList": [{"BOOL": True}]}},
     INVALID + "ComparisonOperator LT is not valid for BOOL AttributeValue type"),
    ({"a": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"N": "1"}]}},
     INVALID + "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"),
    ({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "2"}, {"N": "1"}]}},
     "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"),
    ({"a": {"ComparisonOperator": "LIKE", "AttributeValueList": [{"N": "2"}]}},
     "Value 'LIKE' at 'expected.a.member.comparisonOperator' failed to satisfy constraint: Member must satisfy "
     "enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"),
])
def test_expected_validation(ddb, tbl, expected, message):
    before = {"pk": {"S": "expv"}, "a": {"S": "x"}}
    ddb.put_item(TableName=tbl, Item=before)
    with raises_ddb("ValidationException", message=ENV + message):
        ddb.put_item(TableName=tbl, Item={"pk": {"S": "expv"}}, Expected=expected)
    with raises_ddb("ValidationException", message=ENV + message):
        ddb.delete_item(TableName=tbl, Key=key("expv"), Expected=expected)
    assert get(ddb, tbl, "expv") == before


def test_expected_bad_value(ddb, tbl):
    with raises_ddb("ValidationException", contains="The parameter cannot be converted to a numeric value"):
        ddb.put_item(TableName=tbl, Item={"pk": {"S": "expn"}}, Expected={"a": {"Value": {"N": "x1"}}})
    assert get(ddb, tbl, "expn") is None


# --- AttributeUpdates -------------------------------------------------------------------

def test_attribute_updates(ddb, tbl):
    ddb.put_item(TableName=tbl, Item={"pk": {"S": "au"}, "n": {"N": "1"}, "ss": {"SS": ["a", "b"]},
                                      "l": {"L": [{"S": "x"}]}, "gone": {"S": "x"}, "name": {"S": "old"}})
    resp = ddb.update_item(TableName=tbl, Key=key("au"), ReturnValues="UPDATED_NEW", AttributeUpdates={
        "n": {"Action": "ADD", "Value": {"N": "2.5"}},
        "ss": {"Action": "DELETE", "Value": {"SS": ["a"]}},
        "ss2": {"Action": "ADD", "Value": {"SS": ["z"]}},
        "l": {"Action": "ADD", "Value": {"L": [{"S": "y"}]}},
        "l2": {"Action": "ADD", "Value": {"L": [{"S": "first"}]}},
        "gone": {"Action": "DELETE"},
        "name": {"Value": {"S": "new"}},                       # PUT is the default action
        "with space": {"Action": "PUT", "Value": {"BOOL": False}},
    })
    want = {"pk": {"S": "au"}, "n": {"N": "3.5"}, "ss": {"SS": ["b"]}, "ss2": {"SS": ["z"]},
            "l": {"L": [{"S": "x"}, {"S": "y"}]}, "l2": {"L": [{"S": "first"}]}, "name": {"S": "new"},
            "with space": {"BOOL": False}}
    assert normalize(get(ddb, tbl, "au")) == normalize(want)
    del want["pk"]
    assert normalize(resp["Attributes"]) == normalize(want)


def test_attribute_updates_create_the_item(ddb, tbl):
    resp = ddb.update_item(TableName=tbl, Key=key("au-new"), ReturnValues="ALL_NEW",
                           AttributeUpdates={"c": {"Action": "ADD", "Value": {"N": "1"}}})
    assert resp["Attributes"] == {"pk": {"S": "au-new"}, "c": {"N": "1"}}
    ddb.update_item(TableName=tbl, Key=key("au-new2"), AttributeUpdates={})
    assert get(ddb, tbl, "au-new2") == key("au-new2")


@pytest.mark.parametrize("updates,message", [
    ({"pk": {"Action": "PUT", "Value": {"S": "x"}}}, INVALID + "Cannot update attribute pk. This attribute is part of the key"),
    ({"a": {"Action": "PUT"}}, INVALID + "Only DELETE action is allowed when no attribute value is specified"),
    ({"a": {"Action": "ADD"}}, INVALID + "Only DELETE action is allowed when no attribute value is specified"),
    ({"a": {"Action": "DELETE", "Value": {"S": "x"}}}, INVALID + "DELETE action with value is not supported for the type S"),
    ({"a": {"Action": "ADD", "Value": {"S": "x"}}}, INVALID + "ADD action is not supported for the type S"),
    ({"a": {"Action": "ADD", "Value": {"M": {}}}}, INVALID + "ADD action is not supported for the type M"),
    ({"a": {"Action": "ADD", "Value": {"BOOL": True}}}, INVALID + "ADD action is not supported for the type BOOL"),
    ({"a": {"Action": "SWAP", "Value": {"S": "x"}}},
     ENV + "Value 'SWAP' at 'attributeUpdates.a.member.action' failed to satisfy constraint: Member must satisfy "
           "enum value set: [ADD, PUT, DELETE]"),
])
def test_attribute_updates_validation(ddb, tbl, updates, message):
    before = {"pk": {"S": "auv"}, "a": {"N": "1"}}
    ddb.put_item(TableName=tbl, Item=before)
    with raises_ddb("ValidationException", message=message):
        ddb.update_item(TableName=tbl, Key=key("auv"), AttributeUpdates=updates)
    assert get(ddb, tbl, "auv") == before


def test_attribute_updates_type_mismatch(ddb, tbl):
    before = {"pk": {"S": "aut"}, "a": {"S": "text"}}
    ddb.put_item(TableName=tbl, Item=before)
    with raises_ddb("ValidationException", message="Type mismatch for attribute to update"):
        ddb.update_item(TableName=tbl, Key=key("aut"), AttributeUpdates={"a": {"Action": "ADD", "Value": {"N": "1"}}})
    with raises_ddb("ValidationException", message="Type mismatch for attribute to update"):
        ddb.update_item(TableName=tbl, Key=key("aut"),
                        AttributeUpdates={"a": {"Action": "DELETE", "Value": {"SS": ["text"]}}})
    assert get(ddb, tbl, "aut") == before


# --- AttributesToGet ------------------------------------------------------------------------

def test_attributes_to_get(ddb, tbl):
    item = {"pk": {"S": "atg"}, "name": {"S": "Ada"}, "a.b": {"N": "1"}, "other": {"S": "x"}}
    ddb.put_item(TableName=tbl, Item=item)
    resp = ddb.get_item(TableName=tbl, Key=key("atg"), AttributesToGet=["name", "a.b", "absent"])
    assert resp["Item"] == {"name": {"S": "Ada"}, "a.b": {"N": "1"}}
    with raises_ddb("ValidationException", message=INVALID + "Duplicate value in attribute name: name"):
        ddb.get_item(TableName=tbl, Key=key("atg"), AttributesToGet=["name", "name"])
    with raises_ddb("ValidationException",
                    message="Can not use both expression and non-expression parameters in the same request: "
                            "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"):
        ddb.get_item(TableName=tbl, Key=key("atg"), AttributesToGet=["name"], ProjectionExpression="other")
    with raises_ddb("ValidationException",
                    message=ENV + "ExpressionAttributeNames can only be specified when using expressions"):
        ddb.get_item(TableName=tbl, Key=key("atg"), AttributesToGet=["name"], ExpressionAttributeNames={"#n": "name"})


# --- ProjectionExpression ------------------------------------------------------------------

def test_projection_nested_paths(ddb, tbl):
    item = {"pk": {"S": "proj"}, "m": {"M": {"a": {"N": "1"}, "b": {"M": {"c": {"S": "deep"}, "d": {"S": "no"}}}}},
            "l": {"L": [{"S": "zero"}, {"M": {"x": {"N": "1"}, "y": {"N": "2"}}}, {"S": "two"}]},
            "name": {"S": "Ada"}}
    ddb.put_item(TableName=tbl, Item=item)
    resp = ddb.get_item(TableName=tbl, Key=key("proj"), ProjectionExpression="m.b.c, l[2], l[1].y, #n",
                        ExpressionAttributeNames={"#n": "name"})
    assert resp["Item"] == {"m": {"M": {"b": {"M": {"c": {"S": "deep"}}}}},
                            "l": {"L": [{"M": {"y": {"N": "2"}}}, {"S": "two"}]}, "name": {"S": "Ada"}}
    resp = ddb.get_item(TableName=tbl, Key=key("proj"), ProjectionExpression="l[7], m.zz")
    assert resp["Item"] == {}
    with raises_ddb("ValidationException",
                    message="Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name"):
        ddb.get_item(TableName=tbl, Key=key("proj"), ProjectionExpression="m.a, name")
    with raises_ddb("ValidationException",
                    message="Invalid ProjectionExpression: Two document paths overlap with each other; must remove "
                            "or rewrite one of these paths; path one: [m, b], path two: [m, b, c]"):
        ddb.get_item(TableName=tbl, Key=key("proj"), ProjectionExpression="m.b, m.b.c")


# --- secondary indexes: write capacity and item collections -----------------------------

@pytest.fixture(scope="module")
def itbl(ddb):
    """pk/sk; LSI by-n (n N) KEYS_ONLY; GSI by-g (g S) ALL; GSI by-h (h S) INCLUDE x."""
    def idx(name, keys, projection):
        return {"IndexName": name, "Projection": projection,
                "KeySchema": [{"AttributeName": k, "KeyType": t} for k, t in zip(keys, ("HASH", "RANGE"))]}
    return create_table(
        ddb, range_key=("sk", "S"),
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t}
                              for n, t in (("pk", "S"), ("sk", "S"), ("n", "N"), ("g", "S"), ("h", "S"))],
        LocalSecondaryIndexes=[idx("by-n", ("pk", "n"), {"ProjectionType": "KEYS_ONLY"})],
        GlobalSecondaryIndexes=[idx("by-g", ("g",), {"ProjectionType": "ALL"}),
                                idx("by-h", ("h",), {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]})])


def ikey(pk, sk="s"):
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def capacity(tbl, table, lsi=None, gsi=None):
    """The INDEXES ConsumedCapacity the service reports for a write."""
    cc = {"TableName": tbl, "CapacityUnits": float(table + sum((lsi or {}).values()) + sum((gsi or {}).values())),
          "Table": {"CapacityUnits": float(table)}}
    if lsi:
        cc["LocalSecondaryIndexes"] = {k: {"CapacityUnits": float(v)} for k, v in lsi.items()}
    if gsi:
        cc["GlobalSecondaryIndexes"] = {k: {"CapacityUnits": float(v)} for k, v in gsi.items()}
    return cc


def test_index_write_capacity(ddb, itbl):
    """Each index write costs the entry's size in 1 KB units: a put or a removal one
    write, a move between index keys two, a change of projected attributes one, and
    nothing for an index that holds the item neither before nor after or whose entry
    does not change (developer guide: provisioned throughput considerations for
    GSIs and LSIs)."""
    def update(expr, values=None, mode="INDEXES"):
        kw = {"ExpressionAttributeValues": values} if values else {}
        return ddb.update_item(TableName=itbl, Key=ikey("a"), UpdateExpression=expr, ReturnConsumedCapacity=mode,
                               **kw)["ConsumedCapacity"]

    item = dict(ikey("a"), n={"N": "1"}, g={"S": "g1"}, data={"S": "d" * 1400})   # ~1.4 KB
    r = ddb.put_item(TableName=itbl, Item=item, ReturnConsumedCapacity="INDEXES")
    # the KEYS_ONLY LSI entry is small, the ALL GSI entry is the whole item, by-h lacks h
    assert r["ConsumedCapacity"] == capacity(itbl, 2, {"by-n": 1}, {"by-g": 2})
    r = ddb.put_item(TableName=itbl, Item=item, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == {"TableName": itbl, "CapacityUnits": 2.0}   # no index entry changed
    # a non-key attribute: rewritten in place where it is projected (by-g), not elsewhere
    r = ddb.update_item(TableName=itbl, Key=ikey("a"), UpdateExpression="SET #d = :d",
                        ExpressionAttributeNames={"#d": "data"}, ExpressionAttributeValues={":d": {"S": "e" * 1300}},
                        ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"] == capacity(itbl, 2, gsi={"by-g": 2})
    # the GSI key changes: the old entry out, the new one in
    assert update("SET g = :g", {":g": {"S": "g2"}}) == capacity(itbl, 2, gsi={"by-g": 4})
    assert update("SET g = :g", {":g": {"S": "g3"}}, "TOTAL") == {"TableName": itbl, "CapacityUnits": 6.0}
    # the item enters the sparse by-h (keys only: one small write), by-g changes in place
    assert update("SET h = :h", {":h": {"S": "h1"}}) == capacity(itbl, 2, gsi={"by-g": 2, "by-h": 1})
    # it leaves by-g: one removal of its (large) entry; by-h's entry is unchanged
    assert update("REMOVE g") == capacity(itbl, 2, gsi={"by-g": 2})
    # the LSI sort key changes: a move in by-n
    assert update("SET n = :n", {":n": {"N": "2"}}) == capacity(itbl, 2, {"by-n": 2})
    # an attribute by-h includes
    assert update("SET x = :x", {":x": {"S": "xx"}}) == capacity(itbl, 2, gsi={"by-h": 1})
    r = ddb.delete_item(TableName=itbl, Key=ikey("a"), ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"] == capacity(itbl, 2, {"by-n": 1}, {"by-h": 1})
    r = ddb.delete_item(TableName=itbl, Key=ikey("a"), ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"] == capacity(itbl, 1)


def test_index_write_capacity_in_batches_and_transactions(ddb, itbl, tbl):
    small = lambda pk, **a: dict(ikey(pk), n={"N": "1"}, **a)   # noqa: E731
    r = ddb.batch_write_item(RequestItems={
        itbl: [{"PutRequest": {"Item": small("b1", g={"S": "g"})}}, {"PutRequest": {"Item": small("b2")}}],
        tbl: [{"PutRequest": {"Item": {"pk": {"S": "b3"}}}}]}, ReturnConsumedCapacity="INDEXES")
    by_table = {c["TableName"]: c for c in r["ConsumedCapacity"]}
    assert by_table[itbl] == capacity(itbl, 2, {"by-n": 2}, {"by-g": 1})
    assert by_table[tbl] == {"TableName": tbl, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}
    r = ddb.batch_write_item(RequestItems={itbl: [{"DeleteRequest": {"Key": ikey("b1")}},
                                                  {"DeleteRequest": {"Key": ikey("b2")}}]},
                             ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == [{"TableName": itbl, "CapacityUnits": 5.0}]
    # transactional writes cost twice, on the indexes too; a ConditionCheck reads the table
    r = ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": itbl, "Item": small("t1", g={"S": "g"})}},
        {"ConditionCheck": {"TableName": itbl, "Key": ikey("t2"), "ConditionExpression": "attribute_not_exists(pk)"}}],
        ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"] == [capacity(itbl, 4, {"by-n": 2}, {"by-g": 2})]


def test_item_collection_metrics_with_lsi(ddb, itbl, tbl):
    """Tables with an LSI report the written item's collection: its partition key and
    the estimated size range in GB; tables without one report nothing."""
    metrics = lambda pk: {"ItemCollectionKey": {"pk": {"S": pk}}, "SizeEstimateRangeGB": [0.0, 1.0]}  # noqa: E731
    r = ddb.put_item(TableName=itbl, Item=dict(ikey("icm"), n={"N": "5"}), ReturnItemCollectionMetrics="SIZE")
    assert r["ItemCollectionMetrics"] == metrics("icm")
    r = ddb.update_item(TableName=itbl, Key=ikey("icm", "s2"), UpdateExpression="SET n = :n",
                        ExpressionAttributeValues={":n": {"N": "6"}}, ReturnItemCollectionMetrics="SIZE",
                        ReturnConsumedCapacity="TOTAL", ReturnValues="ALL_NEW")
    assert r["ItemCollectionMetrics"] == metrics("icm") and r["Attributes"]["n"] == {"N": "6"}
    assert "ConsumedCapacity" in r
    r = ddb.delete_item(TableName=itbl, Key=ikey("icm", "s2"), ReturnItemCollectionMetrics="SIZE")
    assert r["ItemCollectionMetrics"] == metrics("icm")
    r = ddb.put_item(TableName=itbl, Item=ikey("icm"), ReturnItemCollectionMetrics="NONE")
    assert "ItemCollectionMetrics" not in r
    # batches and transactions: per table with an LSI, one entry per item collection
    r = ddb.batch_write_item(RequestItems={
        itbl: [{"PutRequest": {"Item": ikey("c1", "a")}}, {"PutRequest": {"Item": ikey("c1", "b")}},
               {"DeleteRequest": {"Key": ikey("c2")}}],
        tbl: [{"PutRequest": {"Item": {"pk": {"S": "c3"}}}}]}, ReturnItemCollectionMetrics="SIZE")
    assert r["ItemCollectionMetrics"] == {itbl: [metrics("c1"), metrics("c2")]}
    r = ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": itbl, "Item": ikey("c4")}},
        {"Update": {"TableName": itbl, "Key": ikey("c5"), "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": {"S": "v"}}}},
        {"ConditionCheck": {"TableName": itbl, "Key": ikey("c6"), "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Put": {"TableName": tbl, "Item": {"pk": {"S": "c7"}}}}], ReturnItemCollectionMetrics="SIZE")
    assert r["ItemCollectionMetrics"] == {itbl: [metrics("c4"), metrics("c5")]}
    r = ddb.transact_write_items(TransactItems=[{"Put": {"TableName": tbl, "Item": {"pk": {"S": "c8"}}}}],
                                 ReturnItemCollectionMetrics="SIZE")
    assert "ItemCollectionMetrics" not in r
