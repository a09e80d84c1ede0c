"""Global tables (version 2019.11.21, issue 5) with boto3: replicas created with
UpdateTable ReplicaUpdates are real copies in other regiond processes, seeded from a
snapshot and kept in step over the ZeroMQ feed with catch-up behind it.

Convergence is checked with full scans compared region by region. Destructive tests
(kill -9, dropped feed messages, slowed heartbeats) start clusters of their own.
"""
import os
import signal
import threading
import time

import pytest
from botocore.exceptions import ClientError

from conftest import create_table, normalize, unique, wait_until

R1, R2, R3 = "ap-south-1", "eu-central-1", "us-west-1"


# --- helpers ----------------------------------------------------------------------------

def scan_all(client, name):
    """Every item of the table, keyed by its pk, in a form that compares."""
    items, kw = {}, {"TableName": name, "ConsistentRead": True}
    while True:
        r = client.scan(**kw)
        for it in r["Items"]:
            key = (it["pk"]["S"], it.get("sk", {}).get("N"))
            items[key] = normalize(it)
        if "LastEvaluatedKey" not in r:
            return items
        kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]


def wait_active(client, name, timeout=30):
    """Waits until the table and every replica are ACTIVE; returns the description."""
    def ready():
        t = client.describe_table(TableName=name)["Table"]
        ok = t["TableStatus"] == "ACTIVE" and all(r["ReplicaStatus"] == "ACTIVE" for r in t.get("Replicas", []))
        return t if ok else None
    return wait_until(ready, timeout=timeout, interval=0.1, what="%s and its replicas ACTIVE" % name)


def make_global(clients, name, owner, regions, **create_kw):
    """Creates name in owner (unless it exists) and adds replicas in regions."""
    if name is None:
        name = create_table(clients(owner), **create_kw)
    clients(owner).update_table(TableName=name,
                                ReplicaUpdates=[{"Create": {"RegionName": r}} for r in regions])
    wait_active(clients(owner), name)
    for r in regions:
        wait_until(lambda: _exists(clients(r), name), timeout=30, what="the replica in %s" % r)
        wait_active(clients(r), name)
    return name


def _exists(client, name):
    try:
        client.describe_table(TableName=name)
        return True
    except ClientError:
        return False


def converged(clients, name, regions, timeout=60):
    """Waits until every region holds the same items; returns them."""
    last = {}

    def same():
        scans = [scan_all(clients(r), name) for r in regions]
        last["scans"] = scans
        return (scans[0],) if all(s == scans[0] for s in scans[1:]) else None   # truthy when empty too
    try:
        return wait_until(same, timeout=timeout, interval=0.2, what="identical items in %s" % (regions,))[0]
    except AssertionError:
        scans = last.get("scans", [])
        diff = {r: len(s) for r, s in zip(regions, scans)}
        raise AssertionError("regions did not converge: item counts %r" % diff)


def region_clients(cluster):
    cache = {}

    def get(region):
        if region not in cache:
            cache[region] = cluster.client(region)
        return cache[region]
    return get


@pytest.fixture(scope="module")
def clients(cluster):
    return region_clients(cluster)


# --- replica creation and description ---------------------------------------------------

def test_replica_created_from_non_empty_table_is_seeded(clients):
    name = create_table(clients(R1))
    with_items = [{"PutRequest": {"Item": {"pk": {"S": "k%03d" % i}, "n": {"N": str(i)}}}} for i in range(120)]
    for i in range(0, len(with_items), 25):
        clients(R1).batch_write_item(RequestItems={name: with_items[i:i + 25]})
    clients(R1).delete_item(TableName=name, Key={"pk": {"S": "k000"}})
    make_global(clients, name, R1, [R2])
    items = converged(clients, name, [R1, R2])
    assert len(items) == 119
    assert clients(R2).describe_table(TableName=name)["Table"]["ItemCount"] == 119


def test_replica_created_while_writes_flow(clients):
    """The snapshot and the feed after it hand over without losing or reviving anything."""
    name = create_table(clients(R1))
    stop = threading.Event()
    acked = []

    def writer():
        c = region_client_cache
        i = 0
        while not stop.is_set():
            key = "w%05d" % i
            c.put_item(TableName=name, Item={"pk": {"S": key}, "v": {"N": str(i)}})
            if i % 5 == 4:
                c.delete_item(TableName=name, Key={"pk": {"S": "w%05d" % (i - 2)}})
            acked.append(key)
            i += 1

    region_client_cache = clients(R1)
    t = threading.Thread(target=writer)
    t.start()
    time.sleep(0.5)
    try:
        make_global(clients, name, R1, [R2])
        time.sleep(0.5)
    finally:
        stop.set()
        t.join()
    items = converged(clients, name, [R1, R2])
    assert len(acked) > 50 and len(items) == len(acked) - len(acked) // 5


def test_describe_shows_other_regions_and_version(clients):
    name = make_global(clients, None, R1, [R2, R3])
    for region in (R1, R2, R3):
        t = clients(region).describe_table(TableName=name)["Table"]
        assert t["GlobalTableVersion"] == "2019.11.21"
        others = sorted(r["RegionName"] for r in t["Replicas"])
        assert others == sorted({R1, R2, R3} - {region}), (region, t["Replicas"])
        assert all(r["ReplicaStatus"] == "ACTIVE" for r in t["Replicas"])
        assert t["TableArn"].startswith("arn:aws:dynamodb:%s:" % region)


def test_update_table_answers_updating_and_refuses_concurrent_change(clients):
    name = create_table(clients(R1))
    r = clients(R1).update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": "sa-east-1"}}])
    t = r["TableDescription"]
    assert t["TableStatus"] == "UPDATING"
    assert t["GlobalTableVersion"] == "2019.11.21"
    assert [x["RegionName"] for x in t["Replicas"]] == ["sa-east-1"]
    assert t["Replicas"][0]["ReplicaStatus"] == "CREATING"
    with pytest.raises(ClientError) as e:
        clients(R1).update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": R3}}])
    assert e.value.response["Error"]["Code"] == "ResourceInUseException"
    wait_active(clients(R1), name)


def test_stream_enabled_on_every_replica_and_not_disabled(clients):
    name = make_global(clients, None, R1, [R2])
    for region in (R1, R2):
        t = clients(region).describe_table(TableName=name)["Table"]
        assert t["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    with pytest.raises(ClientError) as e:
        clients(R2).update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert e.value.response["Error"]["Message"] == "Disabling Stream is not allowed for a Global Table replica."


def test_replica_has_the_indexes_and_ttl_setting(clients):
    c = clients(R1)
    name = create_table(c, AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                 {"AttributeName": "g", "AttributeType": "S"}],
                        GlobalSecondaryIndexes=[{"IndexName": "by-g",
                                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                                 "Projection": {"ProjectionType": "ALL"}}])
    c.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    c.put_item(TableName=name, Item={"pk": {"S": "a"}, "g": {"S": "x"}})
    make_global(clients, name, R1, [R2])
    clients(R2).put_item(TableName=name, Item={"pk": {"S": "b"}, "g": {"S": "x"}})
    converged(clients, name, [R1, R2])
    for region in (R1, R2):
        r = clients(region).query(TableName=name, IndexName="by-g", KeyConditionExpression="g = :g",
                                  ExpressionAttributeValues={":g": {"S": "x"}})
        assert sorted(i["pk"]["S"] for i in r["Items"]) == ["a", "b"], region
    ttl = clients(R2).describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}


def test_each_replica_streams_local_and_replicated_writes(cluster, clients):
    name = make_global(clients, None, R1, [R2])
    clients(R1).put_item(TableName=name, Item={"pk": {"S": "from-r1"}})
    clients(R2).put_item(TableName=name, Item={"pk": {"S": "from-r2"}})
    converged(clients, name, [R1, R2])
    clients(R2).put_item(TableName=name, Item={"pk": {"S": "from-r2"}})   # no change: no record
    for region in (R1, R2):
        ds = _streams_client(cluster, region)
        arn = clients(region).describe_table(TableName=name)["Table"]["LatestStreamArn"]
        shards = ds.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        keys = []
        for sh in shards:
            it = ds.get_shard_iterator(StreamArn=arn, ShardId=sh["ShardId"],
                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            recs = ds.get_records(ShardIterator=it)["Records"]
            keys += [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in recs]
        assert sorted(keys) == [("INSERT", "from-r1"), ("INSERT", "from-r2")], (region, keys)


def _streams_client(cluster, region):
    import boto3
    return boto3.client("dynamodbstreams", endpoint_url=cluster.endpoint, region_name=region,
                        aws_access_key_id="AKIDMERIDIANTEST", aws_secret_access_key="secret")


def test_ttl_billing_and_index_changes_reach_every_replica(clients):
    name = make_global(clients, None, R1, [R2, R3])
    clients(R3).put_item(TableName=name, Item={"pk": {"S": "a"}, "g": {"S": "x"}})
    clients(R2).update_time_to_live(TableName=name,
                                    TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    for region in (R1, R3):
        wait_until(lambda: clients(region).describe_time_to_live(TableName=name)["TimeToLiveDescription"]
                   .get("AttributeName") == "exp", timeout=10, what="TTL in %s" % region)
    clients(R1).update_table(TableName=name, BillingMode="PROVISIONED",
                             ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    for region in (R2, R3):
        wait_until(lambda: clients(region).describe_table(TableName=name)["Table"]
                   .get("BillingModeSummary", {}).get("BillingMode") == "PROVISIONED",
                   timeout=10, what="PROVISIONED in %s" % region)
    wait_active(clients(R1), name)
    clients(R1).update_table(TableName=name, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                             GlobalSecondaryIndexUpdates=[{"Create": {
                                 "IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"},
                                 "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}}])
    converged(clients, name, [R1, R2, R3])

    def indexed(region):
        try:
            r = clients(region).query(TableName=name, IndexName="by-g", KeyConditionExpression="g = :g",
                                      ExpressionAttributeValues={":g": {"S": "x"}})
        except ClientError:
            return False
        return [i["pk"]["S"] for i in r["Items"]] == ["a"]
    for region in (R1, R2, R3):
        wait_until(lambda: indexed(region), timeout=10, what="the new index in %s" % region)


def test_tags_are_not_propagated(clients):
    name = create_table(clients(R1), Tags=[{"Key": "team", "Value": "a"}])
    make_global(clients, name, R1, [R2])
    arn = clients(R2).describe_table(TableName=name)["Table"]["TableArn"]
    assert clients(R2).list_tags_of_resource(ResourceArn=arn)["Tags"] == []


# --- errors ---------------------------------------------------------------------------------

def _error(fn, **kw):
    with pytest.raises(ClientError) as e:
        fn(**kw)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_errors(clients):
    name = make_global(clients, None, R1, [R2])
    c = clients(R1)
    code, msg = _error(c.update_table, TableName=name, ReplicaUpdates=[{"Create": {"RegionName": R2}}])
    assert (code, msg) == ("ValidationException",
                           "Failed to create a the new replica of table with name: '%s' because one or more "
                           "replicas already existed as tables." % name)
    code, msg = _error(c.update_table, TableName=name, ReplicaUpdates=[{"Create": {"RegionName": R1}}])
    assert (code, msg) == ("ValidationException",
                           "Cannot add, delete, or update the local region through ReplicaUpdates. Use "
                           "CreateTable, DeleteTable, or UpdateTable as required.")
    code, msg = _error(c.update_table, TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": "eu-north-1"}}])
    assert (code, msg) == ("ValidationException",
                           "Update global table operation failed because one or more replicas were not part of "
                           "the global table. Please retry the request without these replicas: [eu-north-1].")
    code, msg = _error(c.update_table, TableName=name,
                       ReplicaUpdates=[{"Update": {"RegionName": "eu-north-1", "TableClassOverride": "STANDARD"}}])
    assert code == "ValidationException" and "[eu-north-1]" in msg
    code, msg = _error(c.update_table, TableName=name, ReplicaUpdates=[{"Create": {"RegionName": "moon-base-x"}}])
    assert code == "ValidationException" and "moon-base-x" in msg
    code, msg = _error(c.update_table, TableName=name, ReplicaUpdates=[{"Create": {"RegionName": R3}},
                                                                       {"Delete": {"RegionName": R2}}])
    assert code == "ValidationException"
    code, msg = _error(c.update_table, TableName=name, ReplicaUpdates=[{"Update": {"RegionName": R2}}])
    assert code == "ValidationException"
    code, _ = _error(c.update_table, TableName=unique(), ReplicaUpdates=[{"Create": {"RegionName": R2}}])
    assert code == "ResourceNotFoundException"
    # nothing changed
    t = c.describe_table(TableName=name)["Table"]
    assert [r["RegionName"] for r in t["Replicas"]] == [R2]


# --- replication ----------------------------------------------------------------------------

def test_writes_in_every_region_converge(clients):
    regions = [R1, R2, R3]
    name = make_global(clients, None, R1, [R2, R3])
    for i in range(30):
        for region in regions:
            clients(region).put_item(TableName=name, Item={"pk": {"S": "%s-%d" % (region, i)},
                                                            "v": {"N": str(i)}})
    items = converged(clients, name, regions)
    assert len(items) == 90
    for region in regions:
        assert clients(region).describe_table(TableName=name)["Table"]["ItemCount"] == 90


def test_conflicting_concurrent_writes_converge_to_one_winner(clients):
    regions = [R1, R2, R3]
    name = make_global(clients, None, R1, [R2, R3])
    keys = ["c%02d" % i for i in range(25)]
    barrier = threading.Barrier(len(regions))
    errors = []

    def writer(region):
        client = region_client_cache[region]
        barrier.wait()
        try:
            for round_ in range(4):
                for k in keys:
                    client.put_item(TableName=name, Item={"pk": {"S": k}, "by": {"S": region},
                                                          "round": {"N": str(round_)}})
        except Exception as e:   # reported below
            errors.append(e)

    region_client_cache = {r: clients(r) for r in regions}
    threads = [threading.Thread(target=writer, args=(r,)) for r in regions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    items = converged(clients, name, regions)
    assert sorted(k for k, _ in items) == keys
    winners = {it["by"]["S"] for it in items.values()}
    assert winners <= set(regions)


def test_deleted_item_is_not_resurrected(clients):
    name = make_global(clients, None, R1, [R2])
    key = {"pk": {"S": "gone"}}
    clients(R1).put_item(TableName=name, Item={**key, "v": {"N": "0"}})
    converged(clients, name, [R1, R2])
    clients(R1).put_item(TableName=name, Item={**key, "v": {"N": "1"}})
    time.sleep(0.01)
    clients(R2).delete_item(TableName=name, Key=key)
    converged(clients, name, [R1, R2])
    time.sleep(1.0)   # several heartbeats: nothing comes back
    for region in (R1, R2):
        assert "Item" not in clients(region).get_item(TableName=name, Key=key, ConsistentRead=True)


def test_late_older_write_does_not_resurrect(new_cluster):
    """Feed messages all dropped and heartbeats slow: the older write reaches the
    region that deleted the item only afterwards, by catch-up, and loses to its tombstone."""
    c = new_cluster(gateway_args=["--regiond-arg=--test-drop-feed=1", "--regiond-arg=--heartbeat-ms=1500"])
    clients = region_clients(c)
    name = make_global(clients, None, R1, [R2])
    key = {"pk": {"S": "late"}}
    clients(R1).put_item(TableName=name, Item={**key, "v": {"N": "0"}})
    converged(clients, name, [R1, R2], timeout=30)
    clients(R1).put_item(TableName=name, Item={**key, "v": {"N": "1"}})   # older
    time.sleep(0.02)
    clients(R2).delete_item(TableName=name, Key=key)                        # newer: a tombstone
    time.sleep(4.0)   # both changes cross by catch-up
    for region in (R1, R2):
        assert "Item" not in clients(region).get_item(TableName=name, Key=key, ConsistentRead=True), region


def test_tombstones_are_dropped_after_the_log_retention(new_cluster):
    c = new_cluster(gateway_args=["--regiond-arg=--stream-retention-ms=2000"])
    clients = region_clients(c)
    name = make_global(clients, None, R1, [R2])
    for i in range(5):
        clients(R1).put_item(TableName=name, Item={"pk": {"S": "t%d" % i}})
    converged(clients, name, [R1, R2])
    for i in range(3):
        clients(R2).delete_item(TableName=name, Key={"pk": {"S": "t%d" % i}})
    converged(clients, name, [R1, R2])

    def tombstones(region):
        reg = {r["region"]: r for r in c.info()["regions"]}[region]
        return [t for t in reg["tables"] if t["name"] == name][0]["global"]["tombstones"]
    assert tombstones(R1) == 3 and tombstones(R2) == 3
    for region in (R1, R2):
        wait_until(lambda: tombstones(region) == 0, timeout=15, what="tombstones dropped in %s" % region)
    assert len(converged(clients, name, [R1, R2])) == 2


def test_subscriber_that_drops_feed_messages_converges(new_cluster):
    c = new_cluster(gateway_args=["--regiond-arg=--test-drop-feed=0.5"])
    clients = region_clients(c)
    regions = [R1, R2, R3]
    name = make_global(clients, None, R1, [R2, R3])
    for i in range(200):
        region = regions[i % 3]
        clients(region).put_item(TableName=name, Item={"pk": {"S": "d%03d" % i}, "v": {"N": str(i)}})
    for i in range(0, 200, 7):
        clients(regions[(i + 1) % 3]).delete_item(TableName=name, Key={"pk": {"S": "d%03d" % i}})
    items = converged(clients, name, regions)
    assert len(items) == 200 - len(range(0, 200, 7))


def test_batch_transaction_and_update_item_replicate(clients):
    name = make_global(clients, None, R1, [R2, R3])
    clients(R2).batch_write_item(RequestItems={name: [
        {"PutRequest": {"Item": {"pk": {"S": "b%d" % i}, "n": {"N": "1"}}}} for i in range(10)]})
    clients(R3).transact_write_items(TransactItems=[
        {"Put": {"TableName": name, "Item": {"pk": {"S": "t1"}, "n": {"N": "1"}}}},
        {"Put": {"TableName": name, "Item": {"pk": {"S": "t2"}, "n": {"N": "2"}}}},
    ])
    converged(clients, name, [R1, R2, R3])
    clients(R1).update_item(TableName=name, Key={"pk": {"S": "b3"}}, UpdateExpression="SET n = n + :one",
                            ExpressionAttributeValues={":one": {"N": "41"}})
    clients(R2).batch_write_item(RequestItems={name: [{"DeleteRequest": {"Key": {"pk": {"S": "b9"}}}}]})
    items = converged(clients, name, [R1, R2, R3])
    assert items[("b3", None)]["n"] == {"N": "42"}
    assert ("b9", None) not in items and len(items) == 11
    # reads on replicas: BatchGetItem, TransactGetItems, Query
    r = clients(R3).batch_get_item(RequestItems={name: {"Keys": [{"pk": {"S": "t1"}}, {"pk": {"S": "b3"}}]}})
    assert len(r["Responses"][name]) == 2
    r = clients(R2).transact_get_items(TransactItems=[{"Get": {"TableName": name, "Key": {"pk": {"S": "t2"}}}}])
    assert r["Responses"][0]["Item"]["n"] == {"N": "2"}
    r = clients(R1).query(TableName=name, KeyConditionExpression="pk = :k",
                          ExpressionAttributeValues={":k": {"S": "t1"}})
    assert r["Count"] == 1


def test_removing_the_original_region_keeps_data_and_passes_ownership(clients):
    name = make_global(clients, None, R1, [R2, R3])
    for i in range(20):
        clients(R1).put_item(TableName=name, Item={"pk": {"S": "o%d" % i}})
    converged(clients, name, [R1, R2, R3])
    clients(R2).update_table(TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": R1}}])
    wait_until(lambda: not _exists(clients(R1), name), timeout=30, what="the original replica gone")
    wait_until(lambda: sorted(r["RegionName"] for r in
                              clients(R2).describe_table(TableName=name)["Table"]["Replicas"]) == [R3],
               timeout=30, what="R2 to see only R3")
    items = converged(clients, name, [R2, R3])
    assert len(items) == 20
    clients(R3).put_item(TableName=name, Item={"pk": {"S": "after"}})
    converged(clients, name, [R2, R3])
    # the new owner can grow the group again: a replica back in the original region
    clients(R3).update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": R1}}])
    wait_until(lambda: _exists(clients(R1), name), timeout=30, what="the replica back in R1")
    wait_active(clients(R2), name)
    items = converged(clients, name, [R1, R2, R3])
    assert len(items) == 21


def test_delete_table_of_a_replica_leaves_the_group(clients):
    name = make_global(clients, None, R1, [R2, R3])
    clients(R3).delete_table(TableName=name)
    wait_until(lambda: [r["RegionName"] for r in clients(R1).describe_table(TableName=name)["Table"]["Replicas"]]
               == [R2], timeout=30, what="R3 removed from the group")
    clients(R1).put_item(TableName=name, Item={"pk": {"S": "still"}})
    converged(clients, name, [R1, R2])
    assert not _exists(clients(R3), name)
    # added again, the region starts a new log: its new writes must not pass for old ones
    clients(R2).update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": R3}}])
    wait_until(lambda: _exists(clients(R3), name), timeout=30, what="the replica back in R3")
    wait_active(clients(R1), name)
    wait_active(clients(R3), name)
    for i in range(5):
        clients(R3).put_item(TableName=name, Item={"pk": {"S": "again-%d" % i}})
    items = converged(clients, name, [R1, R2, R3])
    assert len(items) == 6


# --- failures -------------------------------------------------------------------------------

def test_kill_9_of_a_replica_while_writes_flow_everywhere(new_cluster):
    c = new_cluster()
    clients = region_clients(c)
    regions = [R1, R2, R3]
    name = make_global(clients, None, R1, [R2, R3])
    acked = {r: [] for r in regions}
    stop = threading.Event()

    def writer(region):
        client = c.client(region)
        i = 0
        while not stop.is_set():
            key = "%s-%05d" % (region, i)
            i += 1
            try:
                client.put_item(TableName=name, Item={"pk": {"S": key}, "v": {"N": str(i)}})
                acked[region].append(key)
            except Exception:
                time.sleep(0.05)   # the region is down: not acknowledged

    threads = [threading.Thread(target=writer, args=(r,)) for r in regions]
    for t in threads:
        t.start()
    time.sleep(1.0)
    for region in (R2, R1):   # a replica, then the owner
        victim = c.region(region)["pid"]
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: (c.region(region) or {}).get("pid") not in (None, 0, victim), timeout=30,
                   what="the regiond of %s restarted" % region)
        time.sleep(1.5)
    stop.set()
    for t in threads:
        t.join()
    items = converged(clients, name, regions, timeout=90)
    for region in regions:
        missing = [k for k in acked[region] if (k, None) not in items]
        assert not missing, "%s: %d acknowledged writes missing, e.g. %s" % (region, len(missing), missing[:3])
    assert all(len(acked[r]) > 0 for r in regions)


# --- the legacy 2017.11.29 operations ----------------------------------------------------------

def test_legacy_operations_answer_as_for_new_tables(clients):
    name = make_global(clients, None, R1, [R2])
    c = clients(R1)
    code, msg = _error(c.create_global_table, GlobalTableName=name, ReplicationGroup=[{"RegionName": R1}])
    assert code == "ValidationException" and "2019.11.21" in msg
    for fn in (c.describe_global_table, c.describe_global_table_settings):
        code, msg = _error(fn, GlobalTableName=name)
        assert code == "GlobalTableNotFoundException"
        assert msg == "Global table not found: Global table with name: '%s' does not exist." % name
    code, _ = _error(c.update_global_table, GlobalTableName=name,
                     ReplicaUpdates=[{"Create": {"RegionName": R3}}])
    assert code == "GlobalTableNotFoundException"
    assert c.list_global_tables()["GlobalTables"] == []


def test_admin_cluster_shows_global_tables_and_counters(cluster, clients):
    name = make_global(clients, None, R1, [R2])
    clients(R1).put_item(TableName=name, Item={"pk": {"S": "x"}})
    converged(clients, name, [R1, R2])
    regions = {r["region"]: r for r in cluster.info()["regions"]}
    for region in (R1, R2):
        tables = [t for t in regions[region]["tables"] if t["name"] == name]
        assert tables and tables[0]["global"]["owner"] == R1, tables
        assert tables[0]["global"]["replicas"] == {R1: "ACTIVE", R2: "ACTIVE"}
    assert regions[R1]["replication"]["published"] >= 1
    assert regions[R2]["replication"]["applied"] >= 1
