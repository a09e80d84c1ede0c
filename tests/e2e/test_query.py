"""Query (issue 4): key conditions on every sort-key type and order, ScanIndexForward,
Limit and ExclusiveStartKey/LastEvaluatedKey over many pages, the 1 MB page read before
FilterExpression, Select, projections, consumed capacity, the legacy parameters, and
the service's validation errors."""
from decimal import Decimal

import pytest

from conftest import create_table, raises_ddb

INVALID = "One or more parameter values were invalid: "


def q(ddb, table, cond, values, **kw):
    return ddb.query(TableName=table, KeyConditionExpression=cond, ExpressionAttributeValues=values, **kw)


def all_pages(ddb, **kw):
    """Every item of a paginated Query, and the number of pages it took."""
    items, pages, start = [], 0, None
    while True:
        args = dict(kw)
        if start:
            args["ExclusiveStartKey"] = start
        r = ddb.query(**args)
        pages += 1
        items += r["Items"]
        start = r.get("LastEvaluatedKey")
        if not start:
            return items, pages


@pytest.fixture(scope="module")
def num_table(ddb):
    """pk S, sk N, holding numbers of every sign and scale under pk 'n'."""
    name = create_table(ddb, range_key=("sk", "N"))
    for n in NUMBERS:
        ddb.put_item(TableName=name, Item={"pk": {"S": "n"}, "sk": {"N": n}, "v": {"S": "x" * 10}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "other"}, "sk": {"N": "0"}})
    return name


NUMBERS = ["-1e30", "-100", "-10.5", "-10", "-1", "-0.5", "-0.001", "-1E-20", "0", "1E-20", "0.001", "0.5", "1",
           "2", "9.99", "10", "10.5", "11", "100", "123456789012345678901234567890", "1e30"]


def nums(items):
    return [Decimal(i["sk"]["N"]) for i in items]


def test_number_order_both_ways(ddb, num_table):
    want = sorted(Decimal(n) for n in NUMBERS)
    r = q(ddb, num_table, "pk = :p", {":p": {"S": "n"}})
    assert nums(r["Items"]) == want
    assert r["Count"] == r["ScannedCount"] == len(NUMBERS)
    assert "LastEvaluatedKey" not in r
    r = q(ddb, num_table, "pk = :p", {":p": {"S": "n"}}, ScanIndexForward=False)
    assert nums(r["Items"]) == want[::-1]


@pytest.mark.parametrize("cond,values,pred", [
    ("sk = :a", {":a": "-10.5"}, lambda x: x == Decimal("-10.5")),
    ("sk < :a", {":a": "-0.5"}, lambda x: x < Decimal("-0.5")),
    ("sk <= :a", {":a": "-0.5"}, lambda x: x <= Decimal("-0.5")),
    ("sk > :a", {":a": "0"}, lambda x: x > 0),
    ("sk >= :a", {":a": "0"}, lambda x: x >= 0),
    ("sk BETWEEN :a AND :b", {":a": "-1", ":b": "10"}, lambda x: Decimal(-1) <= x <= 10),
    ("sk BETWEEN :a AND :b", {":a": "0.001", ":b": "0.001"}, lambda x: x == Decimal("0.001")),
])
def test_number_conditions(ddb, num_table, cond, values, pred):
    vals = {k: {"N": v} for k, v in values.items()}
    vals[":p"] = {"S": "n"}
    want = sorted(d for d in (Decimal(n) for n in NUMBERS) if pred(d))
    for forward in (True, False):
        r = q(ddb, num_table, "pk = :p AND " + cond, vals, ScanIndexForward=forward)
        assert nums(r["Items"]) == (want if forward else want[::-1])


def test_partition_without_items(ddb, num_table):
    r = q(ddb, num_table, "pk = :p", {":p": {"S": "nobody"}})
    assert r["Items"] == [] and r["Count"] == 0 and r["ScannedCount"] == 0


STRINGS = ["a", "B", "aa", "ab", "abc", "b", "Z", "zz", "\u00e9", "\u00e9t\u00e9", "a b", "a\u00ff", "~", "0", "9"]


@pytest.fixture(scope="module")
def str_table(ddb):
    name = create_table(ddb, range_key=("sk", "S"))
    for s in STRINGS:
        ddb.put_item(TableName=name, Item={"pk": {"S": "s"}, "sk": {"S": s}})
    return name


def test_string_order_is_utf8_bytes(ddb, str_table):
    r = q(ddb, str_table, "pk = :p", {":p": {"S": "s"}})
    assert [i["sk"]["S"] for i in r["Items"]] == sorted(STRINGS, key=lambda s: s.encode("utf-8"))


def test_string_begins_with(ddb, str_table):
    r = q(ddb, str_table, "pk = :p AND begins_with(sk, :b)", {":p": {"S": "s"}, ":b": {"S": "a"}})
    assert [i["sk"]["S"] for i in r["Items"]] == ["a", "a b", "aa", "ab", "abc", "a\u00ff"]
    r = q(ddb, str_table, "pk = :p AND begins_with(sk, :b)", {":p": {"S": "s"}, ":b": {"S": "\u00e9"}},
          ScanIndexForward=False)
    assert [i["sk"]["S"] for i in r["Items"]] == ["\u00e9t\u00e9", "\u00e9"]
    r = q(ddb, str_table, "pk = :p AND begins_with(sk, :b)", {":p": {"S": "s"}, ":b": {"S": "q"}})
    assert r["Items"] == []


def test_binary_order_and_begins_with(ddb):
    name = create_table(ddb, range_key=("sk", "B"))
    values = [b"\x00", b"\x00\x01", b"\x01", b"\x7f", b"\x80", b"\xff", b"\xff\x00", b"\xff\xff", b"\xff\xff\x01",
              b"abc"]
    for v in values:
        ddb.put_item(TableName=name, Item={"pk": {"S": "b"}, "sk": {"B": v}})
    r = q(ddb, name, "pk = :p", {":p": {"S": "b"}})
    assert [i["sk"]["B"] for i in r["Items"]] == sorted(values)
    r = q(ddb, name, "pk = :p AND begins_with(sk, :b)", {":p": {"S": "b"}, ":b": {"B": b"\xff"}})
    assert [i["sk"]["B"] for i in r["Items"]] == [b"\xff", b"\xff\x00", b"\xff\xff", b"\xff\xff\x01"]
    r = q(ddb, name, "pk = :p AND begins_with(sk, :b)", {":p": {"S": "b"}, ":b": {"B": b"\xff\xff"}})
    assert [i["sk"]["B"] for i in r["Items"]] == [b"\xff\xff", b"\xff\xff\x01"]
    r = q(ddb, name, "pk = :p AND begins_with(sk, :b)", {":p": {"S": "b"}, ":b": {"B": b"\x00"}})
    assert [i["sk"]["B"] for i in r["Items"]] == [b"\x00", b"\x00\x01"]


def test_hash_only_table(ddb):
    name = create_table(ddb, hash_key=("id", "N"))
    ddb.put_item(TableName=name, Item={"id": {"N": "7"}, "a": {"S": "x"}})
    r = q(ddb, name, "id = :i", {":i": {"N": "7.0"}})
    assert r["Items"] == [{"id": {"N": "7"}, "a": {"S": "x"}}]
    r = q(ddb, name, "id = :i", {":i": {"N": "7"}}, Limit=1)
    assert r["Count"] == 1 and r["LastEvaluatedKey"] == {"id": {"N": "7"}}
    r = q(ddb, name, "id = :i", {":i": {"N": "7"}}, ExclusiveStartKey=r["LastEvaluatedKey"])
    assert r["Items"] == [] and "LastEvaluatedKey" not in r


# --- pagination -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def many(ddb):
    name = create_table(ddb, range_key=("sk", "N"))
    for i in range(300):
        ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "odd": {"BOOL": i % 2 == 1}})
    return name


def test_pagination_many_pages(ddb, many):
    base = dict(TableName=many, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}})
    items, pages = all_pages(ddb, Limit=7, **base)
    assert [int(i["sk"]["N"]) for i in items] == list(range(300))
    assert pages == 43          # 42 full pages and a last one of 6
    items, pages = all_pages(ddb, Limit=11, ScanIndexForward=False, **base)
    assert [int(i["sk"]["N"]) for i in items] == list(range(299, -1, -1))


def test_limit_reached_exactly_gives_a_last_key(ddb, many):
    base = dict(TableName=many, KeyConditionExpression="pk = :p AND sk >= :a",
                ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "290"}})
    r = ddb.query(Limit=10, **base)
    assert r["Count"] == 10 and r["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "299"}}
    r = ddb.query(Limit=10, ExclusiveStartKey=r["LastEvaluatedKey"], **base)
    assert r["Count"] == 0 and "LastEvaluatedKey" not in r


def test_start_key_with_range_condition(ddb, many):
    r = ddb.query(TableName=many, KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                  ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "10"}, ":b": {"N": "20"}},
                  ExclusiveStartKey={"pk": {"S": "p"}, "sk": {"N": "14"}})
    assert [int(i["sk"]["N"]) for i in r["Items"]] == list(range(15, 21))
    # a start key that is not an item is fine: the page begins after it
    r = ddb.query(TableName=many, KeyConditionExpression="pk = :p AND sk < :b",
                  ExpressionAttributeValues={":p": {"S": "p"}, ":b": {"N": "5"}}, ScanIndexForward=False,
                  ExclusiveStartKey={"pk": {"S": "p"}, "sk": {"N": "2.5"}})
    assert [int(i["sk"]["N"]) for i in r["Items"]] == [2, 1, 0]


def test_limit_counts_items_read_before_the_filter(ddb, many):
    r = ddb.query(TableName=many, KeyConditionExpression="pk = :p", FilterExpression="odd = :t",
                  ExpressionAttributeValues={":p": {"S": "p"}, ":t": {"BOOL": True}}, Limit=10)
    assert r["ScannedCount"] == 10 and r["Count"] == 5
    assert [int(i["sk"]["N"]) for i in r["Items"]] == [1, 3, 5, 7, 9]
    assert r["LastEvaluatedKey"]["sk"] == {"N": "9"}
    r = ddb.query(TableName=many, KeyConditionExpression="pk = :p", FilterExpression="odd = :t",
                  ExpressionAttributeValues={":p": {"S": "p"}, ":t": {"BOOL": True}}, Select="COUNT")
    assert r["Count"] == 150 and r["ScannedCount"] == 300 and "Items" not in r


# --- the 1 MB page ------------------------------------------------------------------------

def sized(pk, sk, total):
    """An item of exactly `total` bytes as the service counts them (sk a 3-digit N: 3 bytes... see below)."""
    # pk(2)+len(pk) + sk(2)+N size + data(4)+filler. A 1..3 digit integer N counts 2 bytes.
    filler = total - 2 - len(pk) - 2 - 2 - 4
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}, "data": {"S": "x" * filler}}


@pytest.fixture(scope="module")
def big(ddb):
    name = create_table(ddb, range_key=("sk", "N"))
    for i in range(1, 26):
        ddb.put_item(TableName=name, Item=sized("big", i, 100 * 1024))
    return name


def test_page_stops_after_1mb(ddb, big):
    base = dict(TableName=big, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "big"}})
    r = ddb.query(**base, ReturnConsumedCapacity="TOTAL", ConsistentRead=True)
    # 10 items are 1000 KB < 1 MB; the 11th crosses the limit and ends the page
    assert r["Count"] == 11 and r["LastEvaluatedKey"] == {"pk": {"S": "big"}, "sk": {"N": "11"}}
    assert r["ConsumedCapacity"]["CapacityUnits"] == 11 * 25.0
    items, pages = all_pages(ddb, **base)
    assert len(items) == 25 and pages == 3


def test_page_limit_applies_before_the_filter(ddb, big):
    r = ddb.query(TableName=big, KeyConditionExpression="pk = :p", FilterExpression="attribute_not_exists(#d)",
                  ExpressionAttributeNames={"#d": "data"}, ExpressionAttributeValues={":p": {"S": "big"}})
    assert r["Count"] == 0 and r["ScannedCount"] == 11 and r["Items"] == []
    assert r["LastEvaluatedKey"]["sk"] == {"N": "11"}


def test_items_just_under_the_boundary(ddb):
    name = create_table(ddb, range_key=("sk", "N"))
    # four items of 256 KB - 1 byte stay under 1 MB together; the fifth crosses it
    for i in range(1, 7):
        ddb.put_item(TableName=name, Item=sized("e", i, 256 * 1024 - 1))
    r = q(ddb, name, "pk = :p", {":p": {"S": "e"}})
    assert r["Count"] == 5 and r["LastEvaluatedKey"]["sk"] == {"N": "5"}
    r = q(ddb, name, "pk = :p", {":p": {"S": "e"}}, ExclusiveStartKey=r["LastEvaluatedKey"])
    assert r["Count"] == 1 and "LastEvaluatedKey" not in r


# --- Select, projections, capacity ----------------------------------------------------------

@pytest.fixture(scope="module")
def docs(ddb):
    name = create_table(ddb, range_key=("sk", "S"))
    for i in range(3):
        ddb.put_item(TableName=name, Item={
            "pk": {"S": "d"}, "sk": {"S": "k%d" % i}, "a": {"N": str(i)},
            "m": {"M": {"x": {"S": "x%d" % i}, "y": {"L": [{"N": "1"}, {"N": "2"}]}}},
            "pad": {"S": "p" * 2990}})
    return name


def test_projection_expression(ddb, docs):
    r = q(ddb, docs, "pk = :p", {":p": {"S": "d"}}, ProjectionExpression="a, m.x, #y.y[1]",
          ExpressionAttributeNames={"#y": "m"})
    assert r["Items"][0] == {"a": {"N": "0"}, "m": {"M": {"x": {"S": "x0"}, "y": {"L": [{"N": "2"}]}}}}
    r = q(ddb, docs, "pk = :p", {":p": {"S": "d"}}, ProjectionExpression="sk, a", Select="SPECIFIC_ATTRIBUTES")
    assert r["Items"] == [{"sk": {"S": "k%d" % i}, "a": {"N": str(i)}} for i in range(3)]


def test_select_count_and_all(ddb, docs):
    r = q(ddb, docs, "pk = :p", {":p": {"S": "d"}}, Select="COUNT")
    assert r["Count"] == 3 and "Items" not in r
    r = q(ddb, docs, "pk = :p", {":p": {"S": "d"}}, Select="ALL_ATTRIBUTES")
    assert len(r["Items"]) == 3 and "pad" in r["Items"][0]


def test_consumed_capacity(ddb, docs):
    # three items of about 3 KB: one read of ~9.1 KB, rounded up to 3 units of 4 KB
    base = dict(TableName=docs, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "d"}})
    r = ddb.query(ReturnConsumedCapacity="TOTAL", ConsistentRead=True, **base)
    assert r["ConsumedCapacity"] == {"TableName": docs, "CapacityUnits": 3.0}
    r = ddb.query(ReturnConsumedCapacity="TOTAL", **base)
    assert r["ConsumedCapacity"] == {"TableName": docs, "CapacityUnits": 1.5}
    r = ddb.query(ReturnConsumedCapacity="INDEXES", ConsistentRead=True, **base)
    assert r["ConsumedCapacity"] == {"TableName": docs, "CapacityUnits": 3.0, "Table": {"CapacityUnits": 3.0}}
    # projections and filters do not make a read cheaper; Select COUNT neither
    r = ddb.query(ReturnConsumedCapacity="TOTAL", ConsistentRead=True, Select="COUNT", **base)
    assert r["ConsumedCapacity"]["CapacityUnits"] == 3.0
    # an empty result still costs the minimum
    r = ddb.query(TableName=docs, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "zz"}},
                  ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 0.5
    r = ddb.query(ReturnConsumedCapacity="NONE", **base)
    assert "ConsumedCapacity" not in r


# --- legacy parameters ---------------------------------------------------------------------

def test_legacy_key_conditions_filter_and_attributes(ddb, many):
    r = ddb.query(TableName=many, KeyConditions={
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
        "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "10"}, {"N": "19"}]}},
        QueryFilter={"odd": {"ComparisonOperator": "EQ", "AttributeValueList": [{"BOOL": False}]}},
        AttributesToGet=["sk"])
    assert r["Items"] == [{"sk": {"N": str(i)}} for i in range(10, 20, 2)]
    assert r["ScannedCount"] == 10
    r = ddb.query(TableName=many, KeyConditions={
        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
        "sk": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "4"}]}},
        QueryFilter={"odd": {"ComparisonOperator": "EQ", "AttributeValueList": [{"BOOL": True}]},
                     "sk2": {"ComparisonOperator": "NULL"}},
        ConditionalOperator="OR", Select="COUNT")
    assert r["Count"] == 4


def test_legacy_errors(ddb, many):
    with raises_ddb("ValidationException", contains="Can not use both expression and non-expression parameters"):
        ddb.query(TableName=many, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
                  QueryFilter={"odd": {"ComparisonOperator": "EQ", "AttributeValueList": [{"BOOL": True}]}})
    with raises_ddb("ValidationException", INVALID + "Unsupported operator on KeyCondition: NE"):
        ddb.query(TableName=many, KeyConditions={
            "pk": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "p"}]}})


# --- errors ----------------------------------------------------------------------------

def test_key_condition_errors(ddb, num_table):
    with raises_ddb("ValidationException",
                    "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."):
        ddb.query(TableName=num_table)
    with raises_ddb("ValidationException", "Query condition missed key schema element: pk"):
        q(ddb, num_table, "sk = :a", {":a": {"N": "1"}})
    with raises_ddb("ValidationException", "Query key condition not supported"):
        q(ddb, num_table, "pk > :a", {":a": {"S": "1"}})
    with raises_ddb("ValidationException", INVALID + "Condition parameter type does not match schema type"):
        q(ddb, num_table, "pk = :p AND sk = :a", {":p": {"S": "n"}, ":a": {"S": "1"}})
    with raises_ddb("ValidationException", contains="begins_with, operand type: N"):
        q(ddb, num_table, "pk = :p AND begins_with(sk, :a)", {":p": {"S": "n"}, ":a": {"N": "1"}})
    with raises_ddb("ValidationException", contains="The BETWEEN operator requires upper bound to be greater than"):
        q(ddb, num_table, "pk = :p AND sk BETWEEN :a AND :b", {":p": {"S": "n"}, ":a": {"N": "2"}, ":b": {"N": "1"}})


def test_filter_on_key_attribute(ddb, num_table):
    with raises_ddb("ValidationException",
                    "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk"):
        q(ddb, num_table, "pk = :p", {":p": {"S": "n"}, ":a": {"N": "1"}}, FilterExpression="sk > :a")


def test_select_errors(ddb, num_table):
    base = dict(TableName=num_table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "n"}})
    with raises_ddb("ValidationException", "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES"):
        ddb.query(Select="ALL_ATTRIBUTES", ProjectionExpression="v", **base)
    with raises_ddb("ValidationException", contains="SPECIFIC_ATTRIBUTES"):
        ddb.query(Select="SPECIFIC_ATTRIBUTES", **base)
    with raises_ddb("ValidationException", contains="ALL_PROJECTED_ATTRIBUTES"):
        ddb.query(Select="ALL_PROJECTED_ATTRIBUTES", **base)
    with raises_ddb("ValidationException", contains="The table does not have the specified index: nope"):
        ddb.query(IndexName="nope", **base)


def test_limit_and_start_key_errors(ddb, num_table, raw):
    r = raw("Query", TableName=num_table, KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "n"}}, Limit=0)
    assert r.status == 400 and r.json["message"] == (
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1")
    base = dict(TableName=num_table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "n"}})
    with raises_ddb("ValidationException", contains="The provided starting key is invalid"):
        ddb.query(ExclusiveStartKey={"pk": {"S": "n"}}, **base)
    with raises_ddb("ValidationException", contains="The provided starting key is invalid"):
        ddb.query(ExclusiveStartKey={"pk": {"S": "n"}, "sk": {"S": "1"}}, **base)
    with raises_ddb("ValidationException", contains="The provided starting key is invalid"):
        ddb.query(ExclusiveStartKey={"pk": {"S": "n"}, "sk": {"N": "1"}, "x": {"S": "1"}}, **base)


def test_missing_table(ddb):
    with raises_ddb("ResourceNotFoundException", "Requested resource not found"):
        q(ddb, "no-such-table", "pk = :p", {":p": {"S": "n"}})


@pytest.mark.parametrize("forward", [True, False])
def test_pages_within_a_range(ddb, many, forward):
    """Paging inside BETWEEN bounds, both ways, and from a start key on the bound itself."""
    base = dict(TableName=many, KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"N": "100"}, ":b": {"N": "150"}},
                ScanIndexForward=forward)
    items, pages = all_pages(ddb, Limit=6, **base)
    want = list(range(100, 151))
    assert [int(i["sk"]["N"]) for i in items] == (want if forward else want[::-1]) and pages == 9
    # on the bound itself
    edge = {"pk": {"S": "p"}, "sk": {"N": "100" if forward else "150"}}
    r = ddb.query(ExclusiveStartKey=edge, Limit=2, **base)
    assert [int(i["sk"]["N"]) for i in r["Items"]] == ([101, 102] if forward else [149, 148])
