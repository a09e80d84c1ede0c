"""Global tables that converge after losses (issue 5's remaining gaps): settings
changes a replica missed (its regiond stopped, then killed) reach it once it is back,
and an in-memory regiond that restarts (its copies and change log gone) is seeded
again from the owner while its peers start its new log from the beginning.

Every test starts a cluster of its own.
"""
import os
import signal
from botocore.exceptions import ClientError

from conftest import wait_until
from test_global_tables import R1, R2, R3, _exists, converged, make_global, region_clients, wait_active


def _restart(c, region, sig=signal.SIGKILL):
    """Kills region's regiond and waits until the gateway started another one."""
    victim = c.region(region)["pid"]
    os.kill(victim, sig)
    wait_until(lambda: (c.region(region) or {}).get("pid") not in (None, 0, victim), timeout=30,
               what="the regiond of %s restarted" % region)


def _settings(client, name):
    t = client.describe_table(TableName=name)["Table"]
    ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    return (t.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"),
            t["ProvisionedThroughput"]["ReadCapacityUnits"],
            sorted(g["IndexName"] for g in t.get("GlobalSecondaryIndexes", [])),
            ttl.get("TimeToLiveStatus"), ttl.get("AttributeName"))


def test_settings_missed_by_a_stopped_then_killed_replica_converge(new_cluster):
    c = new_cluster()
    clients = region_clients(c)
    name = make_global(clients, None, R1, [R2, R3])
    clients(R1).put_item(TableName=name, Item={"pk": {"S": "a"}, "g": {"S": "x"}})
    victim = c.region(R3)["pid"]
    os.kill(victim, signal.SIGSTOP)   # what is sent to it now is queued, then lost with it
    try:
        clients(R2).update_time_to_live(TableName=name,
                                        TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
        clients(R1).update_table(TableName=name, BillingMode="PROVISIONED",
                                 ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 6})
        wait_until(lambda: clients(R1).describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE",
                   timeout=10, what="R1 ACTIVE")
        clients(R1).update_table(TableName=name, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                                 GlobalSecondaryIndexUpdates=[{"Create": {
                                     "IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                     "Projection": {"ProjectionType": "ALL"},
                                     "ProvisionedThroughput": {"ReadCapacityUnits": 3, "WriteCapacityUnits": 3}}}])
        want = ("PROVISIONED", 7, ["by-g"], "ENABLED", "exp")
        wait_until(lambda: _settings(clients(R2), name) == want, timeout=15, what="the settings in R2")
    finally:
        os.kill(victim, signal.SIGKILL)   # a stopped process dies of it too
    wait_until(lambda: (c.region(R3) or {}).get("pid") not in (None, 0, victim), timeout=30,
               what="the regiond of %s restarted" % R3)
    wait_until(lambda: _settings(clients(R3), name) == want, timeout=30, what="the settings in R3")
    r = clients(R3).query(TableName=name, IndexName="by-g", KeyConditionExpression="g = :g",
                          ExpressionAttributeValues={":g": {"S": "x"}})
    assert [i["pk"]["S"] for i in r["Items"]] == ["a"]
    # and a change made in the region that was down reaches the others
    wait_active(clients(R3), name)

    def disable_ttl():   # refused (ResourceInUse) while R3 still takes the newer settings over
        try:
            clients(R3).update_time_to_live(TableName=name,
                                            TimeToLiveSpecification={"Enabled": False, "AttributeName": "exp"})
            return True
        except ClientError as e:
            assert e.response["Error"]["Code"] == "ResourceInUseException", e
            return False
    wait_until(disable_ttl, timeout=15, interval=0.2, what="TTL change accepted in R3")
    for region in (R1, R2):
        wait_until(lambda: _settings(clients(region), name)[3] == "DISABLED", timeout=15,
                   what="TTL off in %s" % region)


def test_restarted_in_memory_replica_is_seeded_again_and_its_new_log_applied(new_cluster):
    c = new_cluster(in_memory=True)
    clients = region_clients(c)
    regions = [R1, R2, R3]
    name = make_global(clients, None, R1, [R2, R3])
    for i in range(60):
        clients(regions[i % 3]).put_item(TableName=name, Item={"pk": {"S": "k%03d" % i}, "v": {"N": str(i)}})
    assert len(converged(clients, name, regions)) == 60
    _restart(c, R2)
    wait_until(lambda: _exists(clients(R2), name), timeout=30, what="the table back in R2")
    wait_active(clients(R2), name)
    wait_active(clients(R1), name)
    assert len(converged(clients, name, regions)) == 60
    # the restarted region's log starts at 1 again: its peers must not take it for old
    for i in range(20):
        clients(R2).put_item(TableName=name, Item={"pk": {"S": "after%02d" % i}, "v": {"N": str(i)}})
    clients(R2).delete_item(TableName=name, Key={"pk": {"S": "k000"}})
    items = converged(clients, name, regions)
    assert len(items) == 79 and ("after19", None) in items and ("k000", None) not in items
    desc = clients(R1).describe_table(TableName=name)["Table"]
    assert {r["RegionName"]: r["ReplicaStatus"] for r in desc["Replicas"]} == {R2: "ACTIVE", R3: "ACTIVE"}
