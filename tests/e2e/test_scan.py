"""Scan (issue 4): every item once over many pages, parallel scan (each item in exactly
one segment, stable across pages), FilterExpression and legacy ScanFilter, Select,
the 1 MB page, consumed capacity, scans of indexes, and the service's errors."""
import pytest

from conftest import create_table, raises_ddb


def scan_all(ddb, **kw):
    items, pages, start = [], 0, None
    while True:
        args = dict(kw)
        if start:
            args["ExclusiveStartKey"] = start
        r = ddb.scan(**args)
        pages += 1
        items += r.get("Items", [])
        start = r.get("LastEvaluatedKey")
        if not start:
            return items, pages


@pytest.fixture(scope="module")
def filled(ddb):
    """400 items over 100 partitions of 4 sort keys."""
    name = create_table(ddb, range_key=("sk", "N"))
    for p in range(100):
        for s in range(4):
            ddb.put_item(TableName=name, Item={"pk": {"S": "p%03d" % p}, "sk": {"N": str(s)},
                                                "n": {"N": str(p * 4 + s)}})
    return name


def keys(items):
    return [(i["pk"]["S"], int(i["sk"]["N"])) for i in items]


def test_scan_everything_in_pages(ddb, filled):
    items, pages = scan_all(ddb, TableName=filled, Limit=33)
    assert len(items) == 400 and len(set(keys(items))) == 400
    assert pages == 13      # 12 full pages and a last one of 4
    # one partition's items come together, in sort-key order
    ks = keys(items)
    for i in range(0, 400, 4):
        assert [k[1] for k in ks[i:i + 4]] == [0, 1, 2, 3]
    r = ddb.scan(TableName=filled)
    assert r["Count"] == r["ScannedCount"] == 400 and "LastEvaluatedKey" not in r


@pytest.mark.parametrize("total", [1, 2, 3, 7, 100])
def test_parallel_scan_covers_each_item_once(ddb, filled, total):
    seen = []
    per_segment = []
    for seg in range(total):
        items, _ = scan_all(ddb, TableName=filled, Segment=seg, TotalSegments=total, Limit=9)
        per_segment.append(len(items))
        seen += keys(items)
    assert len(seen) == 400 and len(set(seen)) == 400
    if total in (2, 3, 7):
        assert all(n > 0 for n in per_segment), per_segment   # the hash spreads partitions
    # a partition is never split between segments
    owner = {}
    for seg in range(total):
        for pk, _ in keys(ddb.scan(TableName=filled, Segment=seg, TotalSegments=total)["Items"]):
            assert owner.setdefault(pk, seg) == seg


def test_parallel_scan_pages_are_stable(ddb, filled):
    one, _ = scan_all(ddb, TableName=filled, Segment=1, TotalSegments=4)
    paged, pages = scan_all(ddb, TableName=filled, Segment=1, TotalSegments=4, Limit=5)
    assert keys(one) == keys(paged) and pages > 5


def test_start_key_of_another_segment(ddb, filled):
    r = ddb.scan(TableName=filled, Segment=0, TotalSegments=2, Limit=1)
    with raises_ddb("ValidationException", "The provided starting key is invalid: Invalid ExclusiveStartKey. Please "
                                           "use ExclusiveStartKey with correct Segment. TotalSegments: 2 Segment: 1"):
        ddb.scan(TableName=filled, Segment=1, TotalSegments=2, ExclusiveStartKey=r["LastEvaluatedKey"])


def test_filter_count_and_select(ddb, filled):
    r = ddb.scan(TableName=filled, FilterExpression="n < :x", ExpressionAttributeValues={":x": {"N": "10"}})
    assert r["Count"] == 10 and r["ScannedCount"] == 400
    r = ddb.scan(TableName=filled, FilterExpression="sk = :z", ExpressionAttributeValues={":z": {"N": "0"}},
                 Select="COUNT")
    assert r["Count"] == 100 and "Items" not in r
    r = ddb.scan(TableName=filled, FilterExpression="n = :x", ExpressionAttributeValues={":x": {"N": "17"}},
                 ProjectionExpression="n")
    assert r["Items"] == [{"n": {"N": "17"}}]
    r = ddb.scan(TableName=filled, Limit=50, FilterExpression="n >= :x", ExpressionAttributeValues={":x": {"N": "0"}})
    assert r["Count"] == 50 and r["ScannedCount"] == 50 and "LastEvaluatedKey" in r


def test_legacy_scan_filter(ddb, filled):
    r = ddb.scan(TableName=filled, ScanFilter={
        "n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "4"}, {"N": "7"}]}},
        AttributesToGet=["n"])
    assert sorted(int(i["n"]["N"]) for i in r["Items"]) == [4, 5, 6, 7]
    r = ddb.scan(TableName=filled, ScanFilter={
        "n": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "1"}, {"N": "2"}]},
        "pk": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "p099"}]}},
        ConditionalOperator="OR", Select="COUNT")
    assert r["Count"] == 6


def test_capacity(ddb):
    name = create_table(ddb)
    for i in range(4):
        ddb.put_item(TableName=name, Item={"pk": {"S": "c%d" % i}, "v": {"S": "v" * 2043}})   # 2 KB each
    r = ddb.scan(TableName=name, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == {"TableName": name, "CapacityUnits": 1.0}
    r = ddb.scan(TableName=name, ReturnConsumedCapacity="INDEXES", ConsistentRead=True)
    assert r["ConsumedCapacity"] == {"TableName": name, "CapacityUnits": 2.0, "Table": {"CapacityUnits": 2.0}}


def test_scan_pages_of_1mb(ddb):
    name = create_table(ddb)
    for i in range(30):
        ddb.put_item(TableName=name, Item={"pk": {"S": "b%02d" % i}, "v": {"S": "v" * (100 * 1024 - 5)}})
    r = ddb.scan(TableName=name)
    assert r["ScannedCount"] == 11 and "LastEvaluatedKey" in r
    items, pages = scan_all(ddb, TableName=name)
    assert len({i["pk"]["S"] for i in items}) == 30 and pages == 3


def test_empty_table(ddb):
    name = create_table(ddb)
    r = ddb.scan(TableName=name)
    assert r["Items"] == [] and r["Count"] == 0 and "LastEvaluatedKey" not in r


def test_segment_errors(ddb, filled):
    with raises_ddb("ValidationException", "The Segment parameter is required but was not present in the request "
                                           "when parameter TotalSegments is present"):
        ddb.scan(TableName=filled, TotalSegments=2)
    with raises_ddb("ValidationException", "The TotalSegments parameter is required but was not present in the "
                                           "request when Segment parameter is present"):
        ddb.scan(TableName=filled, Segment=1)
    with raises_ddb("ValidationException", "The Segment parameter is zero-based and must be less than parameter "
                                           "TotalSegments: Segment: 2 is not less than TotalSegments: 2"):
        ddb.scan(TableName=filled, Segment=2, TotalSegments=2)


def test_validation_errors(ddb, filled, raw):
    r = raw("Scan", TableName=filled, TotalSegments=0, Segment=0)
    assert r.status == 400 and r.json["message"] == (
        "1 validation error detected: Value '0' at 'totalSegments' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1")
    r = raw("Scan", TableName=filled, TotalSegments=1000001, Segment=-1, Limit=0)
    assert r.json["message"].startswith("3 validation errors detected: ")
    r = raw("Scan", TableName=filled, Select="EVERYTHING")
    assert r.json["message"] == (
        "1 validation error detected: Value 'EVERYTHING' at 'select' failed to satisfy constraint: Member must "
        "satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]")
    with raises_ddb("ValidationException",
                    "The provided starting key is invalid: The provided key element does not match the schema"):
        ddb.scan(TableName=filled, ExclusiveStartKey={"pk": {"S": "p001"}})
    with raises_ddb("ValidationException", "Cannot specify the ProjectionExpression when choosing to get only the Count"):
        ddb.scan(TableName=filled, Select="COUNT", ProjectionExpression="n")
    with raises_ddb("ValidationException", contains="Value provided in ExpressionAttributeValues unused"):
        ddb.scan(TableName=filled, FilterExpression="n > :a",
                 ExpressionAttributeValues={":a": {"N": "1"}, ":b": {"N": "2"}})
    with raises_ddb("ResourceNotFoundException", "Requested resource not found"):
        ddb.scan(TableName="no-such-table")
