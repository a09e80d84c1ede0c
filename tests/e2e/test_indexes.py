"""Secondary indexes (issue 4): LocalSecondaryIndexes and GlobalSecondaryIndexes at
CreateTable, GSIs added (backfilled), updated and deleted by UpdateTable, projections
KEYS_ONLY / INCLUDE / ALL, sparse indexes, index maintenance on every write, Query and
Scan on indexes with the service's rules, DescribeTable, limits and errors."""
import pytest

from conftest import raises_ddb, unique

INVALID = "One or more parameter values were invalid: "


def defs(*pairs):
    return [{"AttributeName": n, "AttributeType": t} for n, t in pairs]


def schema(hash_key, range_key=None):
    s = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        s.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return s


def index(name, hash_key, range_key=None, projection="ALL", non_key=None):
    p = {"ProjectionType": projection}
    if non_key:
        p["NonKeyAttributes"] = non_key
    return {"IndexName": name, "KeySchema": schema(hash_key, range_key), "Projection": p}


@pytest.fixture(scope="module")
def shop(ddb):
    """Orders: pk customer (S), sk order id (S); LSI by amount (N), INCLUDE note;
    GSI by status (S) + amount, KEYS_ONLY; GSI by region (S), ALL (sparse)."""
    name = unique("shop")
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=defs(("pk", "S"), ("sk", "S"), ("amount", "N"), ("status", "S"), ("region", "S")),
        KeySchema=schema("pk", "sk"),
        LocalSecondaryIndexes=[index("by-amount", "pk", "amount", "INCLUDE", ["note"])],
        GlobalSecondaryIndexes=[index("by-status", "status", "amount", "KEYS_ONLY"), index("by-region", "region")])
    for c in range(3):
        for o in range(10):
            item = {"pk": {"S": "c%d" % c}, "sk": {"S": "o%02d" % o}, "amount": {"N": str((o * 7) % 10 - 3)},
                    "status": {"S": "open" if o % 3 else "closed"}, "note": {"S": "n%d" % o},
                    "secret": {"S": "s%d" % o}}
            if o % 4 == 0:
                item["region"] = {"S": "eu"}
            ddb.put_item(TableName=name, Item=item)
    return name


def test_describe_shows_indexes(ddb, shop):
    t = ddb.describe_table(TableName=shop)["Table"]
    lsi = {i["IndexName"]: i for i in t["LocalSecondaryIndexes"]}
    gsi = {i["IndexName"]: i for i in t["GlobalSecondaryIndexes"]}
    assert lsi["by-amount"]["KeySchema"] == schema("pk", "amount")
    assert lsi["by-amount"]["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note"]}
    assert lsi["by-amount"]["ItemCount"] == 30 and lsi["by-amount"]["IndexSizeBytes"] > 0
    assert lsi["by-amount"]["IndexArn"].endswith(":table/%s/index/by-amount" % shop)
    assert "IndexStatus" not in lsi["by-amount"]
    assert gsi["by-status"]["IndexStatus"] == "ACTIVE"
    assert gsi["by-status"]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert gsi["by-status"]["ProvisionedThroughput"]["ReadCapacityUnits"] == 0
    assert gsi["by-region"]["ItemCount"] == 9        # sparse: only items with a region
    assert gsi["by-status"]["ItemCount"] == 30


def test_create_table_answer_shows_creating_gsi(ddb):
    name = unique("ct")
    r = ddb.create_table(TableName=name, AttributeDefinitions=defs(("pk", "S"), ("g", "N")), KeySchema=schema("pk"),
                         GlobalSecondaryIndexes=[dict(index("gsi-g", "g"), ProvisionedThroughput={
                             "ReadCapacityUnits": 3, "WriteCapacityUnits": 4})],
                         ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    g = r["TableDescription"]["GlobalSecondaryIndexes"][0]
    assert g["IndexStatus"] == "CREATING"
    assert g["ProvisionedThroughput"]["ReadCapacityUnits"] == 3 and g["ProvisionedThroughput"]["WriteCapacityUnits"] == 4
    g = ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"][0]
    assert g["IndexStatus"] == "ACTIVE"


def test_lsi_query_orders_by_index_key(ddb, shop):
    r = ddb.query(TableName=shop, IndexName="by-amount", KeyConditionExpression="pk = :c",
                  ExpressionAttributeValues={":c": {"S": "c1"}})
    amounts = [int(i["amount"]["N"]) for i in r["Items"]]
    assert amounts == sorted(amounts) and len(amounts) == 10
    # ALL_PROJECTED_ATTRIBUTES by default: keys and the included note, not secret
    assert set(r["Items"][0]) == {"pk", "sk", "amount", "note"}
    r = ddb.query(TableName=shop, IndexName="by-amount", KeyConditionExpression="pk = :c AND amount < :z",
                  ExpressionAttributeValues={":c": {"S": "c1"}, ":z": {"N": "0"}}, ScanIndexForward=False)
    assert [int(i["amount"]["N"]) for i in r["Items"]] == [-1, -2, -3]


def test_lsi_fetches_from_the_table(ddb, shop):
    r = ddb.query(TableName=shop, IndexName="by-amount", KeyConditionExpression="pk = :c",
                  ExpressionAttributeValues={":c": {"S": "c2"}}, Select="ALL_ATTRIBUTES", ConsistentRead=True,
                  ReturnConsumedCapacity="INDEXES")
    assert len(r["Items"]) == 10 and all("secret" in i for i in r["Items"])
    cc = r["ConsumedCapacity"]
    assert "LocalSecondaryIndexes" in cc and cc["Table"]["CapacityUnits"] == 10.0
    r = ddb.query(TableName=shop, IndexName="by-amount", KeyConditionExpression="pk = :c",
                  ExpressionAttributeValues={":c": {"S": "c2"}}, ProjectionExpression="secret, amount")
    assert all(set(i) == {"secret", "amount"} for i in r["Items"])


def test_gsi_keys_only_query(ddb, shop):
    r = ddb.query(TableName=shop, IndexName="by-status", KeyConditionExpression="#s = :s AND amount >= :a",
                  ExpressionAttributeNames={"#s": "status"},
                  ExpressionAttributeValues={":s": {"S": "closed"}, ":a": {"N": "0"}})
    assert all(set(i) == {"pk", "sk", "status", "amount"} for i in r["Items"])
    amounts = [int(i["amount"]["N"]) for i in r["Items"]]
    assert amounts == sorted(amounts) and all(a >= 0 for a in amounts)
    # closed orders are o00, o03, o06, o09 of each customer: amounts -3, 8... (o*7%10-3)
    assert r["Count"] == sum(1 for c in range(3) for o in (0, 3, 6, 9) if (o * 7) % 10 - 3 >= 0)


def test_gsi_rules(ddb, shop):
    base = dict(TableName=shop, IndexName="by-status", KeyConditionExpression="#s = :s",
                ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": {"S": "open"}})
    with raises_ddb("ValidationException", "Consistent reads are not supported on global secondary indexes"):
        ddb.query(ConsistentRead=True, **base)
    with raises_ddb("ValidationException", INVALID + "Select type ALL_ATTRIBUTES is not supported for global "
                                           "secondary index by-status because its projection type is not ALL"):
        ddb.query(Select="ALL_ATTRIBUTES", **base)
    with raises_ddb("ValidationException", "Query condition missed key schema element: status"):
        ddb.query(TableName=shop, IndexName="by-status", KeyConditionExpression="pk = :s",
                  ExpressionAttributeValues={":s": {"S": "c1"}})
    with raises_ddb("ValidationException", "Consistent reads are not supported on global secondary indexes"):
        ddb.scan(TableName=shop, IndexName="by-region", ConsistentRead=True)


def test_gsi_pagination_keys(ddb, shop):
    base = dict(TableName=shop, IndexName="by-status", KeyConditionExpression="#s = :s",
                ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": {"S": "open"}})
    r = ddb.query(Limit=4, **base)
    assert set(r["LastEvaluatedKey"]) == {"pk", "sk", "status", "amount"}
    seen, start, pages = [], None, 0
    while True:
        kw = dict(base, Limit=4)
        if start:
            kw["ExclusiveStartKey"] = start
        r = ddb.query(**kw)
        pages += 1
        seen += [(i["amount"]["N"], i["pk"]["S"], i["sk"]["S"]) for i in r["Items"]]
        start = r.get("LastEvaluatedKey")
        if not start:
            break
    assert len(seen) == 18 and len(set(seen)) == 18 and pages == 5
    # a start key without the index's key attributes is refused
    with raises_ddb("ValidationException", contains="The provided starting key is invalid"):
        ddb.query(ExclusiveStartKey={"pk": {"S": "c0"}, "sk": {"S": "o01"}}, **base)


def test_sparse_gsi_scan(ddb, shop):
    r = ddb.scan(TableName=shop, IndexName="by-region")
    assert r["Count"] == 9 and all(i["region"] == {"S": "eu"} for i in r["Items"])
    assert all("secret" in i for i in r["Items"])      # ALL projection
    r = ddb.scan(TableName=shop, IndexName="by-amount", Select="COUNT")
    assert r["Count"] == 30
    seen = set()
    for seg in range(3):
        for i in ddb.scan(TableName=shop, IndexName="by-status", Segment=seg, TotalSegments=3)["Items"]:
            seen.add((i["pk"]["S"], i["sk"]["S"]))
    assert len(seen) == 30


def test_index_follows_writes(ddb, shop):
    def region_keys():
        r = ddb.query(TableName=shop, IndexName="by-region", KeyConditionExpression="#r = :r",
                      ExpressionAttributeNames={"#r": "region"}, ExpressionAttributeValues={":r": {"S": "us"}})
        return [(i["pk"]["S"], i["sk"]["S"]) for i in r["Items"]]
    key = {"pk": {"S": "c9"}, "sk": {"S": "x"}}
    ddb.put_item(TableName=shop, Item=dict(key, region={"S": "us"}, amount={"N": "1"}, status={"S": "new"}))
    assert region_keys() == [("c9", "x")]
    ddb.update_item(TableName=shop, Key=key, UpdateExpression="SET #r = :r", ExpressionAttributeNames={"#r": "region"},
                    ExpressionAttributeValues={":r": {"S": "ap"}})
    assert region_keys() == []
    ddb.update_item(TableName=shop, Key=key, UpdateExpression="SET #r = :r", ExpressionAttributeNames={"#r": "region"},
                    ExpressionAttributeValues={":r": {"S": "us"}})
    assert region_keys() == [("c9", "x")]
    ddb.update_item(TableName=shop, Key=key, UpdateExpression="REMOVE #r", ExpressionAttributeNames={"#r": "region"})
    assert region_keys() == []
    ddb.put_item(TableName=shop, Item=dict(key, region={"S": "us"}))
    assert region_keys() == [("c9", "x")]
    ddb.delete_item(TableName=shop, Key=key)
    assert region_keys() == []


def test_wrong_index_key_type_is_refused(ddb, shop):
    key = {"pk": {"S": "c8"}, "sk": {"S": "bad"}}
    with raises_ddb("ValidationException", INVALID + "Type mismatch for Index Key amount Expected: N Actual: S "
                                                     "IndexName: by-amount"):
        ddb.put_item(TableName=shop, Item=dict(key, amount={"S": "12"}))
    with raises_ddb("ValidationException", contains="Type mismatch for Index Key region Expected: S Actual: N"):
        ddb.update_item(TableName=shop, Key=key, UpdateExpression="SET #r = :r",
                        ExpressionAttributeNames={"#r": "region"}, ExpressionAttributeValues={":r": {"N": "1"}})
    with raises_ddb("ValidationException",
                    "One or more parameter values are not valid. A value specified for a secondary index key is not "
                    "supported. The AttributeValue for a key attribute cannot contain an empty string value. "
                    "IndexName: by-region, IndexKey: region"):
        ddb.put_item(TableName=shop, Item=dict(key, region={"S": ""}))
    assert "Item" not in ddb.get_item(TableName=shop, Key=key)


def test_index_key_size_limits(ddb):
    """An index partition key over 2048 bytes or sort key over 1024 is refused on
    write, whatever the operation, and nothing is written."""
    name = unique("ks")
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=schema("pk"),
                     AttributeDefinitions=defs(("pk", "S"), ("g", "S"), ("r", "S")),
                     GlobalSecondaryIndexes=[index("by-gr", "g", "r", "KEYS_ONLY")])
    ok = {"pk": {"S": "ok"}, "g": {"S": "g" * 2048}, "r": {"S": "r" * 1024}}
    ddb.put_item(TableName=name, Item=ok)
    r = ddb.query(TableName=name, IndexName="by-gr", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": ok["g"]})
    assert r["Count"] == 1
    big_g = INVALID + "Size limit exceeded for Index Key g Actual Size: 2049 bytes Max Size: 2048 bytes IndexName: by-gr"
    big_r = INVALID + "Size limit exceeded for Index Key r Actual Size: 1025 bytes Max Size: 1024 bytes IndexName: by-gr"
    with raises_ddb("ValidationException", big_g):
        ddb.put_item(TableName=name, Item={"pk": {"S": "bad"}, "g": {"S": "g" * 2049}, "r": {"S": "r"}})
    with raises_ddb("ValidationException", big_r):
        ddb.put_item(TableName=name, Item={"pk": {"S": "bad"}, "g": {"S": "g"}, "r": {"S": "r" * 1025}})
    with raises_ddb("ValidationException", big_g):
        ddb.update_item(TableName=name, Key={"pk": {"S": "ok"}}, UpdateExpression="SET g = :g",
                        ExpressionAttributeValues={":g": {"S": "g" * 2049}})
    with raises_ddb("ValidationException", big_r):
        ddb.batch_write_item(RequestItems={name: [
            {"PutRequest": {"Item": {"pk": {"S": "b1"}, "g": {"S": "g"}, "r": {"S": "r"}}}},
            {"PutRequest": {"Item": {"pk": {"S": "b2"}, "g": {"S": "g"}, "r": {"S": "r" * 1025}}}}]})
    with raises_ddb("ValidationException", big_g):
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": name, "Item": {"pk": {"S": "t1"}, "g": {"S": "g" * 2049}, "r": {"S": "r"}}}}])
    items = ddb.scan(TableName=name)["Items"]
    assert items == [ok]


# --- UpdateTable: GSIs added, updated, deleted ---------------------------------------------

def test_gsi_backfill(ddb):
    name = unique("bf")
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", AttributeDefinitions=defs(("pk", "S")),
                     KeySchema=schema("pk"))
    n = 3000
    for i in range(n):
        item = {"pk": {"S": "k%05d" % i}, "grp": {"S": "g%d" % (i % 5)}, "rank": {"N": str(i)}}
        if i % 10 == 0:
            item["grp"] = {"N": "1"}          # wrong type: left out of the index
        if i % 10 == 1:
            del item["grp"]                   # sparse
        ddb.put_item(TableName=name, Item=item)
    r = ddb.update_table(TableName=name, AttributeDefinitions=defs(("grp", "S"), ("rank", "N")),
                         GlobalSecondaryIndexUpdates=[{"Create": index("by-grp", "grp", "rank", "INCLUDE", ["pk"])}])
    g = r["TableDescription"]["GlobalSecondaryIndexes"][0]
    assert g["IndexName"] == "by-grp" and g["IndexStatus"] == "CREATING" and g["Backfilling"] is True
    t = ddb.describe_table(TableName=name)["Table"]
    g = t["GlobalSecondaryIndexes"][0]
    assert g["IndexStatus"] == "ACTIVE" and "Backfilling" not in g
    assert g["ItemCount"] == n * 8 // 10
    assert {"AttributeName": "grp", "AttributeType": "S"} in t["AttributeDefinitions"]
    r = ddb.query(TableName=name, IndexName="by-grp", KeyConditionExpression="grp = :g AND #r BETWEEN :a AND :b",
                  ExpressionAttributeNames={"#r": "rank"},
                  ExpressionAttributeValues={":g": {"S": "g2"}, ":a": {"N": "100"}, ":b": {"N": "200"}})
    assert [int(i["rank"]["N"]) for i in r["Items"]] == [i for i in range(100, 201) if i % 5 == 2 and i % 10 > 1]
    # writes after the backfill are indexed too
    ddb.put_item(TableName=name, Item={"pk": {"S": "new"}, "grp": {"S": "g9"}, "rank": {"N": "1"}})
    r = ddb.query(TableName=name, IndexName="by-grp", KeyConditionExpression="grp = :g",
                  ExpressionAttributeValues={":g": {"S": "g9"}})
    assert r["Items"] == [{"pk": {"S": "new"}, "grp": {"S": "g9"}, "rank": {"N": "1"}}]
    # and deleting it drops it, and the attribute definitions it alone used: the
    # answer shows it DELETING, the next DescribeTable no more
    r = ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-grp"}}])
    g = r["TableDescription"]["GlobalSecondaryIndexes"]
    assert [(i["IndexName"], i["IndexStatus"]) for i in g] == [("by-grp", "DELETING")]
    t = ddb.describe_table(TableName=name)["Table"]
    assert "GlobalSecondaryIndexes" not in t
    assert t["AttributeDefinitions"] == defs(("pk", "S"))
    with raises_ddb("ValidationException", "The table does not have the specified index: by-grp"):
        ddb.query(TableName=name, IndexName="by-grp", KeyConditionExpression="grp = :g",
                  ExpressionAttributeValues={":g": {"S": "g9"}})


def test_gsi_update_throughput_and_errors(ddb):
    name = unique("up")
    ddb.create_table(TableName=name, AttributeDefinitions=defs(("pk", "S"), ("g", "S")), KeySchema=schema("pk"),
                     ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                     GlobalSecondaryIndexes=[dict(index("gsi-i", "g"), ProvisionedThroughput={
                         "ReadCapacityUnits": 1, "WriteCapacityUnits": 1})])
    ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Update": {
        "IndexName": "gsi-i", "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 6}}}])
    g = ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"][0]
    assert g["ProvisionedThroughput"]["ReadCapacityUnits"] == 5 and g["ProvisionedThroughput"]["WriteCapacityUnits"] == 6
    with raises_ddb("LimitExceededException", contains="Only 1 online index can be created or deleted"):
        ddb.update_table(TableName=name, AttributeDefinitions=defs(("a", "S"), ("b", "S")),
                         GlobalSecondaryIndexUpdates=[
                             {"Create": dict(index("gsi-a", "a"), ProvisionedThroughput={
                                 "ReadCapacityUnits": 1, "WriteCapacityUnits": 1})},
                             {"Create": dict(index("gsi-b", "b"), ProvisionedThroughput={
                                 "ReadCapacityUnits": 1, "WriteCapacityUnits": 1})}])
    with raises_ddb("ValidationException", INVALID + "ProvisionedThroughput must be specified for index: gsi-c"):
        ddb.update_table(TableName=name, AttributeDefinitions=defs(("c", "S")),
                         GlobalSecondaryIndexUpdates=[{"Create": index("gsi-c", "c")}])
    with raises_ddb("ResourceNotFoundException"):
        ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "nope"}}])
    # a failed update leaves the definition as it was
    t = ddb.describe_table(TableName=name)["Table"]
    assert [g["IndexName"] for g in t["GlobalSecondaryIndexes"]] == ["gsi-i"]
    assert t["AttributeDefinitions"] == defs(("pk", "S"), ("g", "S"))


# --- CreateTable validation ----------------------------------------------------------------

def create(ddb, **kw):
    args = dict(TableName=unique("bad"), BillingMode="PAY_PER_REQUEST", KeySchema=schema("pk", "sk"),
                AttributeDefinitions=defs(("pk", "S"), ("sk", "S")))
    args.update(kw)
    return ddb.create_table(**args)


def test_create_validation(ddb):
    with raises_ddb("ValidationException", INVALID + "Table KeySchema does not have a range key, which is required "
                                                     "when specifying a LocalSecondaryIndex"):
        create(ddb, KeySchema=schema("pk"), AttributeDefinitions=defs(("pk", "S"), ("x", "S")),
               LocalSecondaryIndexes=[index("lsi-x", "pk", "x")])
    with raises_ddb("ValidationException", contains="Index KeySchema does not have the same leading hash key"):
        create(ddb, AttributeDefinitions=defs(("pk", "S"), ("sk", "S"), ("x", "S")),
               LocalSecondaryIndexes=[index("lsi-x", "x", "sk")])
    with raises_ddb("ValidationException", INVALID + "Number of attributes in KeySchema does not exactly match "
                                                     "number of attributes defined in AttributeDefinitions"):
        create(ddb, AttributeDefinitions=defs(("pk", "S"), ("sk", "S"), ("x", "S"), ("unused", "S")),
               GlobalSecondaryIndexes=[index("gsi-x", "x")])
    with raises_ddb("ValidationException", contains="Some index key attributes are not defined"):
        create(ddb, GlobalSecondaryIndexes=[index("gsi-x", "x")])
    with raises_ddb("ValidationException", INVALID + "Duplicate index name: gsi-x"):
        create(ddb, AttributeDefinitions=defs(("pk", "S"), ("sk", "S"), ("x", "S")),
               GlobalSecondaryIndexes=[index("gsi-x", "x"), index("gsi-x", "x", "sk")])
    with raises_ddb("ValidationException", INVALID + "ProjectionType is ALL, but NonKeyAttributes is specified"):
        create(ddb, AttributeDefinitions=defs(("pk", "S"), ("sk", "S"), ("x", "S")),
               GlobalSecondaryIndexes=[index("gsi-x", "x", projection="ALL", non_key=["a"])])
    with raises_ddb("ValidationException", INVALID + "ProvisionedThroughput should not be specified for index: gsi-x "
                                                     "when BillingMode is PAY_PER_REQUEST"):
        create(ddb, AttributeDefinitions=defs(("pk", "S"), ("sk", "S"), ("x", "S")),
               GlobalSecondaryIndexes=[dict(index("gsi-x", "x"), ProvisionedThroughput={
                   "ReadCapacityUnits": 1, "WriteCapacityUnits": 1})])


def test_index_limits(ddb):
    attrs = defs(("pk", "S"), ("sk", "S"), *[("a%d" % i, "S") for i in range(21)])
    with raises_ddb("ValidationException", contains="LocalSecondaryIndexes"):
        create(ddb, AttributeDefinitions=attrs[:8],
               LocalSecondaryIndexes=[index("lsi%d" % i, "pk", "a%d" % i) for i in range(6)])
    with raises_ddb("LimitExceededException"):
        create(ddb, AttributeDefinitions=attrs,
               GlobalSecondaryIndexes=[index("gsi%d" % i, "a%d" % i) for i in range(21)])
    # the limits themselves are fine
    r = create(ddb, AttributeDefinitions=attrs,
               LocalSecondaryIndexes=[index("lsi%d" % i, "pk", "a%d" % i) for i in range(5)],
               GlobalSecondaryIndexes=[index("gsi%d" % i, "a%d" % i) for i in range(1, 21)])
    d = r["TableDescription"]
    assert len(d["LocalSecondaryIndexes"]) == 5 and len(d["GlobalSecondaryIndexes"]) == 20
    name = d["TableName"]
    ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"S": "s"}, **{"a%d" % i: {"S": "v"} for i in range(21)}})
    for i in range(1, 21):
        r = ddb.query(TableName=name, IndexName="gsi%d" % i, KeyConditionExpression="a%d = :v" % i,
                      ExpressionAttributeValues={":v": {"S": "v"}})
        assert r["Count"] == 1
    ddb.delete_table(TableName=name)


def test_indexes_survive_a_restart(new_cluster):
    c = new_cluster()
    ddb = c.client()
    name = unique("rs")
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=defs(("pk", "S"), ("sk", "N"), ("g", "S"), ("l", "N")),
                     KeySchema=schema("pk", "sk"), LocalSecondaryIndexes=[index("lsi-l", "pk", "l", "KEYS_ONLY")],
                     GlobalSecondaryIndexes=[index("gsi-g", "g", "sk", "INCLUDE", ["x"])])
    for i in range(20):
        ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "g": {"S": "g%d" % (i % 2)},
                                            "l": {"N": str(-i)}, "x": {"S": "x"}, "y": {"S": "y"}})
    c.stop()
    c.start()
    ddb = c.client()
    t = ddb.describe_table(TableName=name)["Table"]
    assert [i["IndexName"] for i in t["LocalSecondaryIndexes"]] == ["lsi-l"]
    assert t["GlobalSecondaryIndexes"][0]["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}
    r = ddb.query(TableName=name, IndexName="gsi-g", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": {"S": "g1"}})
    assert [int(i["sk"]["N"]) for i in r["Items"]] == list(range(1, 20, 2))
    assert set(r["Items"][0]) == {"pk", "sk", "g", "x"}
    ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"N": "100"}, "l": {"N": "-100"}})
    r = ddb.query(TableName=name, IndexName="lsi-l", KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "p"}}, Limit=2)
    assert [int(i["l"]["N"]) for i in r["Items"]] == [-100, -19]
