"""Replica-specific settings of global tables (UpdateTable ReplicaUpdates Create and
Update with ProvisionedThroughputOverride, OnDemandThroughputOverride,
GlobalSecondaryIndexes, TableClassOverride, KMSMasterKeyId): validated as the service
does, stored per replica, shown in the other regions' Replicas entries and applied to
the replica's own table (its read capacity, its table class).
"""
import pytest
from botocore.exceptions import ClientError

from conftest import create_table, wait_until
from test_global_tables import R1, R2, R3, _exists, make_global, region_clients, wait_active


@pytest.fixture(scope="module")
def clients(cluster):
    return region_clients(cluster)


def _provisioned_table(clients):
    return create_table(clients(R1), billing="PROVISIONED", rcu=5, wcu=5,
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "g", "AttributeType": "S"}],
                        GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                               "Projection": {"ProjectionType": "ALL"},
                               "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}])


def _replica(desc, region):
    return next(r for r in desc["Replicas"] if r["RegionName"] == region)


def _code_and_message(fn, **kw):
    with pytest.raises(ClientError) as e:
        fn(**kw)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_create_with_overrides_is_shown_and_applied(clients):
    name = _provisioned_table(clients)
    clients(R1).update_table(TableName=name, ReplicaUpdates=[{"Create": {
        "RegionName": R2, "ProvisionedThroughputOverride": {"ReadCapacityUnits": 9},
        "GlobalSecondaryIndexes": [{"IndexName": "by-g", "ProvisionedThroughputOverride": {"ReadCapacityUnits": 4}}],
        "TableClassOverride": "STANDARD_INFREQUENT_ACCESS", "KMSMasterKeyId": "alias/replica-key"}}])
    wait_active(clients(R1), name)
    wait_until(lambda: _exists(clients(R2), name), timeout=30, what="the replica")
    wait_active(clients(R2), name)
    rep = _replica(clients(R1).describe_table(TableName=name)["Table"], R2)
    assert rep["ProvisionedThroughputOverride"] == {"ReadCapacityUnits": 9}
    assert rep["GlobalSecondaryIndexes"] == [{"IndexName": "by-g",
                                              "ProvisionedThroughputOverride": {"ReadCapacityUnits": 4}}]
    assert rep["ReplicaTableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert rep["KMSMasterKeyId"] == "alias/replica-key"
    # the replica's own table: its read capacity and class; the owner's unchanged
    own = clients(R2).describe_table(TableName=name)["Table"]
    assert own["ProvisionedThroughput"]["ReadCapacityUnits"] == 9
    assert own["ProvisionedThroughput"]["WriteCapacityUnits"] == 5
    assert own["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["ReadCapacityUnits"] == 4
    assert own["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert _replica(own, R1).get("ProvisionedThroughputOverride") is None
    owner = clients(R1).describe_table(TableName=name)["Table"]
    assert owner["ProvisionedThroughput"]["ReadCapacityUnits"] == 5


def test_update_changes_only_what_it_names_and_survives_a_table_update(clients):
    name = _provisioned_table(clients)
    make_global(clients, name, R1, [R2])
    clients(R2).update_table(TableName=name, ReplicaUpdates=[{"Update": {   # sent to a non-owner
        "RegionName": R1, "TableClassOverride": "STANDARD_INFREQUENT_ACCESS"}}])
    wait_active(clients(R1), name)
    clients(R1).update_table(TableName=name, ReplicaUpdates=[{"Update": {
        "RegionName": R2, "ProvisionedThroughputOverride": {"ReadCapacityUnits": 11}}}])
    wait_until(lambda: clients(R2).describe_table(TableName=name)["Table"]["ProvisionedThroughput"]
               ["ReadCapacityUnits"] == 11, timeout=10, what="the override applied in R2")
    wait_until(lambda: _replica(clients(R2).describe_table(TableName=name)["Table"], R1)
               .get("ReplicaTableClassSummary", {}).get("TableClass") == "STANDARD_INFREQUENT_ACCESS",
               timeout=10, what="R1's class seen from R2")
    wait_active(clients(R1), name)
    clients(R1).update_table(TableName=name, ReplicaUpdates=[{"Update": {
        "RegionName": R2, "KMSMasterKeyId": "alias/k2"}}])
    wait_until(lambda: _replica(clients(R1).describe_table(TableName=name)["Table"], R2)
               .get("KMSMasterKeyId") == "alias/k2", timeout=10, what="the key")
    rep = _replica(clients(R1).describe_table(TableName=name)["Table"], R2)
    assert rep["ProvisionedThroughputOverride"] == {"ReadCapacityUnits": 11}
    # a table-wide capacity change reaches R2 but its read override stays
    wait_active(clients(R1), name)
    clients(R1).update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 6, "WriteCapacityUnits": 8})
    wait_until(lambda: clients(R2).describe_table(TableName=name)["Table"]["ProvisionedThroughput"]
               ["WriteCapacityUnits"] == 8, timeout=10, what="the new write capacity in R2")
    assert clients(R2).describe_table(TableName=name)["Table"]["ProvisionedThroughput"]["ReadCapacityUnits"] == 11


def test_on_demand_override_on_an_on_demand_table(cluster, clients):
    name = make_global(clients, None, R1, [R2])
    raw = cluster.raw(R1)   # Debian's boto3 does not know OnDemandThroughputOverride yet
    raw.ok("UpdateTable", TableName=name, ReplicaUpdates=[{"Update": {
        "RegionName": R2, "OnDemandThroughputOverride": {"MaxReadRequestUnits": 100}}}])
    wait_until(lambda: _replica(raw.describe(name), R2)   # boto3 would drop the member too
               .get("OnDemandThroughputOverride") == {"MaxReadRequestUnits": 100}, timeout=10, what="the override")


def test_override_errors(cluster, clients):
    on_demand = make_global(clients, None, R1, [R2])
    provisioned = _provisioned_table(clients)
    upd = clients(R1).update_table
    code, msg = _code_and_message(upd, TableName=on_demand, ReplicaUpdates=[{"Update": {
        "RegionName": R2, "ProvisionedThroughputOverride": {"ReadCapacityUnits": 5}}}])
    assert code == "ValidationException" and "PAY_PER_REQUEST" in msg
    r = cluster.raw(R1)("UpdateTable", TableName=provisioned, ReplicaUpdates=[{"Create": {
        "RegionName": R3, "OnDemandThroughputOverride": {"MaxReadRequestUnits": 5}}}])
    assert r.status == 400 and r.error_name == "ValidationException" and "PROVISIONED" in r.message
    code, msg = _code_and_message(upd, TableName=provisioned, ReplicaUpdates=[{"Create": {
        "RegionName": R3, "GlobalSecondaryIndexes": [{"IndexName": "nope",
                                                      "ProvisionedThroughputOverride": {"ReadCapacityUnits": 1}}]}}])
    assert code == "ValidationException" and "nope" in msg
    code, msg = _code_and_message(upd, TableName=provisioned, ReplicaUpdates=[{"Create": {
        "RegionName": R3, "TableClassOverride": "GLACIER"}}])
    assert code == "ValidationException" and "tableClassOverride" in msg
    code, msg = _code_and_message(upd, TableName=on_demand, ReplicaUpdates=[{"Update": {"RegionName": R2}}])
    assert code == "ValidationException"
    # nothing was created or changed by the refused requests
    assert not _exists(clients(R3), provisioned)
    assert "ProvisionedThroughputOverride" not in _replica(clients(R1).describe_table(TableName=on_demand)["Table"], R2)
