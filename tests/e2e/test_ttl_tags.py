"""Time to Live, tags and the account's questions (issue 4): UpdateTimeToLive and
DescribeTimeToLive with the service's errors; the sweeper deleting an expired item
within seconds while items expiring later, without a Number, or more than five years
in the past stay; TagResource, UntagResource, ListTagsOfResource by table ARN,
CreateTable's Tags in the same store; DescribeLimits; DescribeEndpoints."""
import sqlite3
import time

import pytest

from conftest import create_table, raises_ddb, wait_until


def arn_of(ddb, table):
    return ddb.describe_table(TableName=table)["Table"]["TableArn"]


def test_ttl_settings(ddb):
    t = create_table(ddb)
    d = ddb.describe_time_to_live(TableName=t)["TimeToLiveDescription"]
    assert d == {"TimeToLiveStatus": "DISABLED"}
    with raises_ddb("ValidationException", "TimeToLive is already disabled"):
        ddb.update_time_to_live(TableName=t, TimeToLiveSpecification={"Enabled": False, "AttributeName": "exp"})
    r = ddb.update_time_to_live(TableName=t, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    assert r["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "exp"}
    d = ddb.describe_time_to_live(TableName=t)["TimeToLiveDescription"]
    assert d == {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}
    with raises_ddb("ValidationException", "TimeToLive is already enabled"):
        ddb.update_time_to_live(TableName=t, TimeToLiveSpecification={"Enabled": True, "AttributeName": "other"})
    ddb.update_time_to_live(TableName=t, TimeToLiveSpecification={"Enabled": False, "AttributeName": "exp"})
    assert ddb.describe_time_to_live(TableName=t)["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"
    with raises_ddb("ResourceNotFoundException"):
        ddb.describe_time_to_live(TableName="no_such_table")
    with raises_ddb("ResourceNotFoundException"):
        ddb.update_time_to_live(TableName="no_such_table",
                                TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})


def test_ttl_validation(raw):
    r = raw("UpdateTimeToLive", TableName="whatever")
    assert r.error_name == "ValidationException" and "timeToLiveSpecification" in r.message
    r = raw("UpdateTimeToLive", TableName="whatever", TimeToLiveSpecification={"Enabled": True})
    assert r.error_name == "ValidationException" and "attributeName" in r.message


def change_log(cluster, table):
    """(event, by_ttl) of the table's change log, read from the region's data file."""
    db = sqlite3.connect("file:%s?mode=ro" % (cluster.data_dir / "us-east-1" / "data.db"), uri=True)
    try:
        (phys,) = db.execute("SELECT phys FROM catalog WHERE name = ?", (table,)).fetchone()
        return db.execute("SELECT event, by_ttl FROM log_%d ORDER BY seq" % phys).fetchall()
    finally:
        db.close()


def test_sweeper_deletes_expired_items(ddb, cluster):
    # a stream, so that the table keeps a change log to look at
    t = create_table(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    ddb.update_time_to_live(TableName=t, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    now = int(time.time())
    items = {
        "expired": {"N": str(now - 10)},
        "future": {"N": str(now + 3600)},
        "text": {"S": str(now - 10)},                      # not a Number: never expires
        "ancient": {"N": str(now - 6 * 365 * 86400)},      # over five years ago: kept
        "millis": {"N": str((now + 3600) * 1000)},         # far future
    }
    for pk, exp in items.items():
        ddb.put_item(TableName=t, Item={"pk": {"S": pk}, "exp": exp})
    ddb.put_item(TableName=t, Item={"pk": {"S": "none"}})

    def gone():
        return "Item" not in ddb.get_item(TableName=t, Key={"pk": {"S": "expired"}})
    wait_until(gone, timeout=8, interval=0.2, what="the expired item to be swept")
    for pk in ("future", "text", "ancient", "millis", "none"):
        assert "Item" in ddb.get_item(TableName=t, Key={"pk": {"S": pk}}), pk
    assert ddb.describe_table(TableName=t)["Table"]["ItemCount"] == 5
    if cluster.managed and cluster.data_dir:
        # six inserts, then one removal marked as the service's (Streams' userIdentity)
        assert change_log(cluster, t) == [(1, 0)] * 6 + [(3, 1)]


def test_plain_table_keeps_no_change_log(ddb, cluster):
    # Only streams and replication read the change log: a table with neither writes none
    # (its data file grows with its items, not with its writes), until a stream is on.
    if not (cluster.managed and cluster.data_dir):
        pytest.skip("reads the regiond's data file")
    t = create_table(ddb)
    for i in range(20):
        ddb.put_item(TableName=t, Item={"pk": {"S": "k%d" % (i % 3)}, "v": {"N": str(i)}})
    ddb.delete_item(TableName=t, Key={"pk": {"S": "k0"}})
    assert change_log(cluster, t) == []
    ddb.update_table(TableName=t, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    ddb.put_item(TableName=t, Item={"pk": {"S": "after"}})
    assert change_log(cluster, t) == [(1, 0)]


def test_sweeper_ignores_tables_without_ttl(ddb):
    t = create_table(ddb)
    ddb.put_item(TableName=t, Item={"pk": {"S": "old"}, "exp": {"N": str(int(time.time()) - 100)}})
    time.sleep(1.5)
    assert "Item" in ddb.get_item(TableName=t, Key={"pk": {"S": "old"}})


def test_tags_round_trip(ddb):
    t = create_table(ddb, Tags=[{"Key": "env", "Value": "test"}])
    arn = arn_of(ddb, t)
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "test"}]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "db"}, {"Key": "env", "Value": "prod"}])
    r = ddb.list_tags_of_resource(ResourceArn=arn)
    assert r["Tags"] == [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "db"}]
    assert "NextToken" not in r
    ddb.untag_resource(ResourceArn=arn, TagKeys=["env", "absent"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "db"}]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k%d" % i, "Value": ""} for i in range(49)])
    assert len(ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]) == 50
    with raises_ddb("ValidationException", contains="50"):
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "one-too-many", "Value": "x"}])
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k0", "Value": "replaced"}])   # replacing is fine


def test_tag_errors(ddb):
    t = create_table(ddb)
    arn = arn_of(ddb, t)
    missing = arn[: -len(t)] + "no_such_table"
    with raises_ddb("ResourceNotFoundException", "Requested resource not found: ResourcArn: %s not found" % missing):
        ddb.list_tags_of_resource(ResourceArn=missing)
    with raises_ddb("ResourceNotFoundException"):
        ddb.tag_resource(ResourceArn=missing, Tags=[{"Key": "a", "Value": "b"}])
    with raises_ddb("ValidationException", contains="Invalid TableArn"):
        ddb.untag_resource(ResourceArn=t, TagKeys=["a"])
    with raises_ddb("ValidationException", contains="tags.1.member.key"):
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "x" * 129, "Value": "b"}])


def test_describe_limits_and_endpoints(ddb):
    r = ddb.describe_limits()
    assert (r["AccountMaxReadCapacityUnits"], r["AccountMaxWriteCapacityUnits"],
            r["TableMaxReadCapacityUnits"], r["TableMaxWriteCapacityUnits"]) == (80000, 80000, 40000, 40000)
    r = ddb.describe_endpoints()
    assert r["Endpoints"] == [{"Address": "dynamodb.us-east-1.amazonaws.com", "CachePeriodInMinutes": 1440}]
