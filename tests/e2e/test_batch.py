"""BatchGetItem and BatchWriteItem (issue 4): per-table results and projections,
the 100-key and 25-request limits, duplicate keys, a missing table, validation of the
whole batch before anything is written, and ConsumedCapacity per table."""
import pytest

from conftest import create_table, raises_ddb

DUPLICATES = "Provided list of item keys contains duplicates"


@pytest.fixture(scope="module")
def tables(ddb):
    return create_table(ddb), create_table(ddb, range_key=("sk", "N"))


def k(pk, sk=None):
    key = {"pk": {"S": pk}}
    if sk is not None:
        key["sk"] = {"N": str(sk)}
    return key


def item(pk, sk=None, **attrs):
    it = k(pk, sk)
    it.update({name: {"S": v} for name, v in attrs.items()})
    return it


def test_write_then_get_across_tables(ddb, tables):
    a, b = tables
    r = ddb.batch_write_item(RequestItems={
        a: [{"PutRequest": {"Item": item("x", v="1", w="2")}},
            {"PutRequest": {"Item": item("y", v="3")}}],
        b: [{"PutRequest": {"Item": item("x", 1, v="4")}}],
    }, ReturnConsumedCapacity="TOTAL")
    assert r["UnprocessedItems"] == {}
    assert sorted((c["TableName"], c["CapacityUnits"]) for c in r["ConsumedCapacity"]) == \
        sorted([(a, 2.0), (b, 1.0)])
    r = ddb.batch_get_item(RequestItems={
        a: {"Keys": [k("x"), k("y"), k("absent")], "ProjectionExpression": "#v",
            "ExpressionAttributeNames": {"#v": "v"}, "ConsistentRead": True},
        b: {"Keys": [k("x", 1)]},
    }, ReturnConsumedCapacity="TOTAL")
    assert r["UnprocessedKeys"] == {}
    assert sorted(r["Responses"][a], key=lambda i: i["v"]["S"]) == [{"v": {"S": "1"}}, {"v": {"S": "3"}}]
    assert r["Responses"][b] == [item("x", 1, v="4")]
    units = {c["TableName"]: c["CapacityUnits"] for c in r["ConsumedCapacity"]}
    assert units == {a: 3.0, b: 0.5}      # consistent reads (3 keys), one eventual read

    ddb.batch_write_item(RequestItems={a: [{"DeleteRequest": {"Key": k("x")}}]})
    assert "Item" not in ddb.get_item(TableName=a, Key=k("x"))


def test_attributes_to_get(ddb, tables):
    a, _ = tables
    ddb.put_item(TableName=a, Item=item("atg", v="1", w="2"))
    r = ddb.batch_get_item(RequestItems={a: {"Keys": [k("atg")], "AttributesToGet": ["w"]}})
    assert r["Responses"][a] == [{"w": {"S": "2"}}]


def test_get_duplicates_and_limits(ddb, tables):
    a, _ = tables
    with raises_ddb("ValidationException", DUPLICATES):
        ddb.batch_get_item(RequestItems={a: {"Keys": [k("d"), k("d")]}})
    with raises_ddb("ValidationException", "Too many items requested for the BatchGetItem call"):
        ddb.batch_get_item(RequestItems={a: {"Keys": [k("k%d" % i) for i in range(101)]}})
    r = ddb.batch_get_item(RequestItems={a: {"Keys": [k("k%d" % i) for i in range(100)]}})
    assert r["Responses"][a] == []
    with raises_ddb("ResourceNotFoundException", "Requested resource not found"):
        ddb.batch_get_item(RequestItems={"no_such_table": {"Keys": [k("x")]}})
    with raises_ddb("ValidationException", "The provided key element does not match the schema"):
        ddb.batch_get_item(RequestItems={a: {"Keys": [{"other": {"S": "x"}}]}})


def test_write_duplicates_limits_and_all_or_nothing(ddb, tables):
    a, b = tables
    with raises_ddb("ValidationException", DUPLICATES):
        ddb.batch_write_item(RequestItems={a: [
            {"PutRequest": {"Item": item("dup", v="1")}},
            {"DeleteRequest": {"Key": k("dup")}}]})
    assert "Item" not in ddb.get_item(TableName=a, Key=k("dup"))
    with raises_ddb("ValidationException", "Too many items requested for the BatchWriteItem call"):
        ddb.batch_write_item(RequestItems={
            a: [{"PutRequest": {"Item": item("m%d" % i)}} for i in range(13)],
            b: [{"PutRequest": {"Item": item("m%d" % i, i)}} for i in range(13)]})
    # 25 in all is fine
    ddb.batch_write_item(RequestItems={a: [{"PutRequest": {"Item": item("ok%d" % i)}} for i in range(25)]})
    assert ddb.get_item(TableName=a, Key=k("ok24"))["Item"] == item("ok24")
    # a bad element anywhere: nothing of the batch is written
    for bad in ({"PutRequest": {"Item": {"pk": {"N": "1"}}}},        # wrong key type
                {"DeleteRequest": {"Key": k("x", 1)}}):             # not a's schema
        with raises_ddb("ValidationException"):
            ddb.batch_write_item(RequestItems={a: [{"PutRequest": {"Item": item("never")}}, bad]})
        assert "Item" not in ddb.get_item(TableName=a, Key=k("never"))
    with raises_ddb("ResourceNotFoundException"):
        ddb.batch_write_item(RequestItems={a: [{"PutRequest": {"Item": item("never")}}],
                                           "no_such_table": [{"DeleteRequest": {"Key": k("x")}}]})
    assert "Item" not in ddb.get_item(TableName=a, Key=k("never"))
    # the same key in two tables is no duplicate
    ddb.batch_write_item(RequestItems={a: [{"PutRequest": {"Item": item("same")}}],
                                       b: [{"PutRequest": {"Item": item("same", 1)}}]})


def test_raw_shapes(raw, tables):
    a, _ = tables
    r = raw("BatchWriteItem", RequestItems={a: [{}]})
    assert r.error_name == "ValidationException"
    r = raw("BatchWriteItem", RequestItems={})
    assert r.error_name == "ValidationException" and "requestItems" in r.message
    r = raw("BatchGetItem", RequestItems={a: {"Keys": [k("nothing")]}})
    assert r.status == 200 and r.json == {"Responses": {a: []}, "UnprocessedKeys": {}}
    r = raw("BatchWriteItem", RequestItems={a: [{"PutRequest": {"Item": item("r")}}]},
            ReturnItemCollectionMetrics="SIZE")
    assert r.status == 200 and r.json == {"UnprocessedItems": {}}
