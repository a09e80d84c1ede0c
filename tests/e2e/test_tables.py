"""Tables through boto3: CreateTable, DescribeTable, ListTables, DeleteTable and
UpdateTable, as the issue's checklist lists them (issue 2, item 3)."""
import datetime
import re

import pytest

from conftest import (DEFAULT_ACCOUNT, assert_ddb_error, create_table, raises_ddb, unique)

# Debian's boto3 (1.26) predates DeletionProtectionEnabled (2023): the tests that set or
# read it use hand-made JSON requests (the `raw` fixture) instead.
PROTECTED_MSG = ("Resource cannot be deleted as it is currently protected against deletion. "
                 "Disable deletion protection first.")


def create_raw(raw, name=None, **extra):
    name = name or unique()
    raw.ok("CreateTable", TableName=name, BillingMode="PAY_PER_REQUEST",
           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
           KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], **extra)
    return name

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def describe(client, name):
    return client.describe_table(TableName=name)["Table"]


def key_value(key_type, i=1):
    return {"S": {"S": "k%d" % i}, "N": {"N": str(i)}, "B": {"B": bytes([0, 255, i])}}[key_type]


# --- CreateTable ------------------------------------------------------------------------

@pytest.mark.parametrize("key_type", ["S", "N", "B"])
def test_create_hash_key_of_each_type(ddb, key_type):
    name = unique("hash-" + key_type.lower())
    resp = ddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": key_type}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST")
    td = resp["TableDescription"]
    assert td["TableName"] == name
    assert td["TableStatus"] in ("CREATING", "ACTIVE")
    assert td["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert td["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": key_type}]
    # Meridian's tables are ACTIVE at once: no waiting needed before using them.
    assert describe(ddb, name)["TableStatus"] == "ACTIVE"
    key = {"id": key_value(key_type)}
    ddb.put_item(TableName=name, Item=dict(key, v={"S": "x"}))
    assert ddb.get_item(TableName=name, Key=key)["Item"] == dict(key, v={"S": "x"})


@pytest.mark.parametrize("hash_type,range_type", [("S", "N"), ("N", "S"), ("B", "B"), ("S", "S")])
def test_create_hash_and_range_key(ddb, hash_type, range_type):
    name = create_table(ddb, hash_key=("h", hash_type), range_key=("r", range_type))
    t = describe(ddb, name)
    assert t["KeySchema"] == [{"AttributeName": "h", "KeyType": "HASH"},
                              {"AttributeName": "r", "KeyType": "RANGE"}]
    assert sorted(t["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == [
        {"AttributeName": "h", "AttributeType": hash_type},
        {"AttributeName": "r", "AttributeType": range_type}]
    # Two items with the same hash key and different range keys are two items.
    h = key_value(hash_type, 1)
    for i in (1, 2):
        ddb.put_item(TableName=name, Item={"h": h, "r": key_value(range_type, i), "i": {"N": str(i)}})
    for i in (1, 2):
        item = ddb.get_item(TableName=name, Key={"h": h, "r": key_value(range_type, i)})["Item"]
        assert item["i"] == {"N": str(i)}
    assert describe(ddb, name)["ItemCount"] == 2


def test_describe_pay_per_request_table(ddb, raw):
    before = datetime.datetime.now(datetime.timezone.utc)
    name = create_table(ddb, hash_key=("pk", "S"), range_key=("sk", "N"))
    t = describe(ddb, name)
    assert t["TableName"] == name
    assert t["TableStatus"] == "ACTIVE"
    assert re.fullmatch(r"arn:aws:dynamodb:us-east-1:%s:table/%s" % (DEFAULT_ACCOUNT, re.escape(name)),
                        t["TableArn"]), t["TableArn"]
    assert UUID_RE.match(t["TableId"]), t["TableId"]
    created = t["CreationDateTime"]
    assert isinstance(created, datetime.datetime)
    assert before - datetime.timedelta(seconds=60) <= created <= \
        datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=60), created
    assert t["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                              {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert t["ItemCount"] == 0
    assert t["TableSizeBytes"] == 0
    assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert isinstance(t["BillingModeSummary"].get("LastUpdateToPayPerRequestDateTime"),
                      datetime.datetime)
    pt = t["ProvisionedThroughput"]
    assert pt["ReadCapacityUnits"] == 0 and pt["WriteCapacityUnits"] == 0
    assert pt["NumberOfDecreasesToday"] == 0
    assert raw.describe(name)["DeletionProtectionEnabled"] is False
    # The service leaves TableClassSummary out for a default (STANDARD) table, or says STANDARD.
    assert t.get("TableClassSummary", {"TableClass": "STANDARD"})["TableClass"] == "STANDARD"
    # The description does not change between two reads.
    t2 = describe(ddb, name)
    for field in ("TableArn", "TableId", "CreationDateTime", "KeySchema", "AttributeDefinitions"):
        assert t2[field] == t[field], field


def test_describe_provisioned_table(ddb):
    name = create_table(ddb, billing="PROVISIONED", rcu=7, wcu=3)
    t = describe(ddb, name)
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
    assert t["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
    assert t["ProvisionedThroughput"]["NumberOfDecreasesToday"] == 0
    # The service omits BillingModeSummary for a table created PROVISIONED, or says so.
    assert t.get("BillingModeSummary", {"BillingMode": "PROVISIONED"})["BillingMode"] == "PROVISIONED"


def test_billing_mode_defaults_to_provisioned(ddb):
    # No BillingMode given: PROVISIONED, which needs ProvisionedThroughput.
    name = unique()
    ddb.create_table(TableName=name,
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 4})
    t = describe(ddb, name)
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 2
    assert t["ProvisionedThroughput"]["WriteCapacityUnits"] == 4
    assert t.get("BillingModeSummary", {"BillingMode": "PROVISIONED"})["BillingMode"] == "PROVISIONED"


def test_create_with_table_class_and_deletion_protection(ddb, raw):
    name = create_raw(raw, TableClass="STANDARD_INFREQUENT_ACCESS", DeletionProtectionEnabled=True)
    t = raw.describe(name)
    assert t["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert t["DeletionProtectionEnabled"] is True
    assert describe(ddb, name)["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    raw.ok("UpdateTable", TableName=name, DeletionProtectionEnabled=False)
    ddb.delete_table(TableName=name)


def test_item_count_and_size_follow_writes(ddb):
    name = create_table(ddb)
    # Item size = UTF-8 lengths of the attribute names + values (strings):
    # {"pk": "a1", "data": "hello"} = 2 + 2 + 4 + 5 = 13 bytes.
    ddb.put_item(TableName=name, Item={"pk": {"S": "a1"}, "data": {"S": "hello"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "a2"}, "data": {"S": "hello"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "a3"}})           # 2 + 2 = 4 bytes
    t = describe(ddb, name)
    assert t["ItemCount"] == 3
    assert t["TableSizeBytes"] == 13 + 13 + 4
    # Overwriting an item changes the size, not the count.
    ddb.put_item(TableName=name, Item={"pk": {"S": "a3"}, "data": {"S": "0123456789"}})  # 2+2+4+10
    t = describe(ddb, name)
    assert t["ItemCount"] == 3
    assert t["TableSizeBytes"] == 13 + 13 + 18
    ddb.delete_item(TableName=name, Key={"pk": {"S": "a1"}})
    t = describe(ddb, name)
    assert t["ItemCount"] == 2
    assert t["TableSizeBytes"] == 13 + 18
    # Deleting an absent item changes nothing.
    ddb.delete_item(TableName=name, Key={"pk": {"S": "nope"}})
    assert describe(ddb, name)["ItemCount"] == 2


# --- ListTables -------------------------------------------------------------------------

def test_list_tables_sorted_and_paginated(fresh):
    # A fresh account sees only its own tables: exactly these seven.
    names = ["lt-%s-%d" % (c, i) for i, c in enumerate("gcaefdb")]
    for n in names:
        create_table(fresh, name=n)
    want = sorted(names)
    resp = fresh.list_tables()
    assert resp["TableNames"] == want
    assert "LastEvaluatedTableName" not in resp

    pages = []
    kw = {"Limit": 3}
    while True:
        resp = fresh.list_tables(**kw)
        pages.append(resp["TableNames"])
        if "LastEvaluatedTableName" not in resp:
            break
        assert resp["LastEvaluatedTableName"] == resp["TableNames"][-1]
        kw["ExclusiveStartTableName"] = resp["LastEvaluatedTableName"]
        assert len(pages) < 10, "pagination does not end: %r" % pages
    assert pages == [want[0:3], want[3:6], want[6:7]]

    # ExclusiveStartTableName need not be a table: the listing starts after it.
    resp = fresh.list_tables(ExclusiveStartTableName="lt-c")
    assert resp["TableNames"] == [n for n in want if n > "lt-c"]
    resp = fresh.list_tables(ExclusiveStartTableName=want[-1])
    assert resp["TableNames"] == []

    for n in names:
        fresh.delete_table(TableName=n)
    assert fresh.list_tables()["TableNames"] == []


def test_list_tables_empty_account(fresh):
    resp = fresh.list_tables()
    assert resp["TableNames"] == []
    assert "LastEvaluatedTableName" not in resp


# --- DeleteTable ------------------------------------------------------------------------

def test_delete_table(ddb):
    name = create_table(ddb)
    ddb.put_item(TableName=name, Item={"pk": {"S": "x"}, "v": {"N": "1"}})
    resp = ddb.delete_table(TableName=name)
    td = resp["TableDescription"]
    assert td["TableName"] == name
    assert td["TableStatus"] == "DELETING"
    with raises_ddb("ResourceNotFoundException"):
        ddb.describe_table(TableName=name)
    with raises_ddb("ResourceNotFoundException"):
        ddb.get_item(TableName=name, Key={"pk": {"S": "x"}})
    with raises_ddb("ResourceNotFoundException"):
        ddb.put_item(TableName=name, Item={"pk": {"S": "y"}})
    with raises_ddb("ResourceNotFoundException"):
        ddb.delete_table(TableName=name)
    assert name not in ddb.list_tables()["TableNames"]
    # The name can be used again, and the new table starts empty.
    create_table(ddb, name=name, hash_key=("pk", "S"))
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "x"}})
    assert describe(ddb, name)["ItemCount"] == 0
    ddb.delete_table(TableName=name)


def test_deletion_protection_blocks_delete(ddb, raw):
    name = create_raw(raw, DeletionProtectionEnabled=True)
    ddb.put_item(TableName=name, Item={"pk": {"S": "keep"}})
    assert raw.describe(name)["DeletionProtectionEnabled"] is True
    r = raw("DeleteTable", TableName=name)
    assert_ddb_error(r, "ValidationException", message=PROTECTED_MSG)
    # Nothing changed.
    assert describe(ddb, name)["TableStatus"] == "ACTIVE"
    assert "Item" in ddb.get_item(TableName=name, Key={"pk": {"S": "keep"}})
    # Through boto3 too.
    with raises_ddb("ValidationException", message=PROTECTED_MSG):
        ddb.delete_table(TableName=name)

    resp = raw.ok("UpdateTable", TableName=name, DeletionProtectionEnabled=False)
    assert resp["TableDescription"]["DeletionProtectionEnabled"] is False
    assert raw.describe(name)["DeletionProtectionEnabled"] is False
    ddb.delete_table(TableName=name)
    with raises_ddb("ResourceNotFoundException"):
        describe(ddb, name)


def test_deletion_protection_turned_on_later(ddb, raw):
    name = create_table(ddb)
    raw.ok("UpdateTable", TableName=name, DeletionProtectionEnabled=True)
    assert raw.describe(name)["DeletionProtectionEnabled"] is True
    with raises_ddb("ValidationException", message=PROTECTED_MSG):
        ddb.delete_table(TableName=name)
    raw.ok("UpdateTable", TableName=name, DeletionProtectionEnabled=False)
    ddb.delete_table(TableName=name)


# --- UpdateTable ------------------------------------------------------------------------

def test_update_billing_mode_and_throughput(ddb):
    name = create_table(ddb)
    ddb.put_item(TableName=name, Item={"pk": {"S": "survivor"}, "n": {"N": "1"}})

    resp = ddb.update_table(TableName=name, BillingMode="PROVISIONED",
                            ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7})
    assert resp["TableDescription"]["TableName"] == name
    assert resp["TableDescription"]["TableStatus"] in ("UPDATING", "ACTIVE")
    t = describe(ddb, name)
    assert t["TableStatus"] == "ACTIVE"
    assert t["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert (t["ProvisionedThroughput"]["ReadCapacityUnits"],
            t["ProvisionedThroughput"]["WriteCapacityUnits"]) == (5, 7)

    ddb.update_table(TableName=name,
                     ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 11})
    t = describe(ddb, name)
    assert (t["ProvisionedThroughput"]["ReadCapacityUnits"],
            t["ProvisionedThroughput"]["WriteCapacityUnits"]) == (10, 11)
    assert isinstance(t["ProvisionedThroughput"].get("LastIncreaseDateTime"), datetime.datetime)

    ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    t = describe(ddb, name)
    assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert (t["ProvisionedThroughput"]["ReadCapacityUnits"],
            t["ProvisionedThroughput"]["WriteCapacityUnits"]) == (0, 0)
    # The table and its items are untouched by all this.
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "survivor"}})["Item"]["n"] == {"N": "1"}
    assert t["ItemCount"] == 1


def test_update_table_class(ddb):
    name = create_table(ddb)
    ddb.update_table(TableName=name, TableClass="STANDARD_INFREQUENT_ACCESS")
    assert describe(ddb, name)["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    ddb.update_table(TableName=name, TableClass="STANDARD")
    assert describe(ddb, name)["TableClassSummary"]["TableClass"] == "STANDARD"


def test_update_missing_table(ddb):
    with raises_ddb("ResourceNotFoundException"):
        ddb.update_table(TableName=unique("missing"), BillingMode="PAY_PER_REQUEST")


def test_update_provisioned_needs_throughput(ddb):
    name = create_table(ddb)
    # Switching to PROVISIONED without ProvisionedThroughput is refused (exact text not
    # asserted: the service's wording for this case varies), and changes nothing.
    with raises_ddb("ValidationException"):
        ddb.update_table(TableName=name, BillingMode="PROVISIONED")
    assert describe(ddb, name)["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


# --- CreateTable errors -------------------------------------------------------------------

def test_create_existing_table(ddb):
    name = create_table(ddb)
    ddb.put_item(TableName=name, Item={"pk": {"S": "x"}})
    # The service says "Table already exists: NAME".
    with raises_ddb("ResourceInUseException", contains=name):
        create_table(ddb, name=name, hash_key=("other", "N"))
    t = describe(ddb, name)
    assert t["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert t["ItemCount"] == 1


def test_same_name_in_another_account_is_another_table(ddb, fresh):
    name = create_table(ddb)
    create_table(fresh, name=name, hash_key=("other", "N"))
    assert describe(fresh, name)["KeySchema"][0]["AttributeName"] == "other"
    assert describe(ddb, name)["KeySchema"][0]["AttributeName"] == "pk"


def schema_request(**kw):
    req = dict(TableName=unique("bad"), BillingMode="PAY_PER_REQUEST",
               AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
               KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    req.update(kw)
    return req


BAD_SCHEMAS = {
    # A key attribute without an AttributeDefinition.
    "key-not-defined": dict(
        AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}]),
    # An AttributeDefinition no key uses.
    "unused-definition": dict(
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "extra", "AttributeType": "N"}]),
    # Two HASH keys.
    "two-hash-keys": dict(
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "pk2", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "pk2", "KeyType": "HASH"}]),
    # RANGE without HASH.
    "range-only": dict(KeySchema=[{"AttributeName": "pk", "KeyType": "RANGE"}]),
    # RANGE first.
    "range-first": dict(
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "sk", "KeyType": "RANGE"},
                   {"AttributeName": "pk", "KeyType": "HASH"}]),
    # Key types are S, N or B only.
    "bool-key": dict(AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "BOOL"}]),
    # No key at all.
    "empty-key-schema": dict(KeySchema=[]),
    # PROVISIONED needs ProvisionedThroughput.
    "provisioned-without-throughput": dict(BillingMode="PROVISIONED"),
    # PAY_PER_REQUEST takes no ProvisionedThroughput.
    "on-demand-with-throughput": dict(
        ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}),
    # Zero capacity units are not allowed.
    "zero-throughput": dict(BillingMode="PROVISIONED",
                            ProvisionedThroughput={"ReadCapacityUnits": 0, "WriteCapacityUnits": 1}),
    "bad-billing-mode": dict(BillingMode="FREE"),
}


@pytest.mark.parametrize("case", sorted(BAD_SCHEMAS))
def test_create_table_bad_schema(client_for, ddb, case):
    # parameter_validation=False: boto3 would refuse some of these itself; the point is
    # what the server answers. Only the error type is asserted: the service's wording
    # differs between these cases and over time.
    raw = client_for("us-east-1", validate=False)
    req = schema_request(**BAD_SCHEMAS[case])
    with raises_ddb("ValidationException"):
        raw.create_table(**req)
    assert req["TableName"] not in ddb.list_tables()["TableNames"]
    with raises_ddb("ResourceNotFoundException"):
        ddb.describe_table(TableName=req["TableName"])


def test_create_bad_attribute_type_message(client_for):
    raw = client_for("us-east-1", validate=False)
    req = schema_request(AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "X"}])
    # The service: "1 validation error detected: Value 'X' at
    # 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member
    # must satisfy enum value set: [B, N, S]"
    with raises_ddb("ValidationException", contains="Member must satisfy enum value set"):
        raw.create_table(**req)
