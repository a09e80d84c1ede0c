"""Regions and accounts: each region is its own meridian-regiond process (started on
first use, `--region R` on its command line), regions and accounts do not see each
other's tables, and the gateway serves many requests at once (issue 2, item 3)."""
import concurrent.futures
import json
import os
import re
import subprocess

import pytest

from conftest import (DEFAULT_ACCOUNT, DUMMY_KEY, OTHER_ACCOUNT, arg_value, create_table,
                      http_request, proc_argv, proc_ppid, raises_ddb, unique, wait_until)


def local_pids_visible(cluster):
    """True when the cluster's processes can be inspected from here."""
    if cluster.managed:
        return True
    try:
        pid = cluster.health()["pid"]
    except Exception:
        return False
    return cluster.is_local() and proc_argv(pid) is not None


def test_health(cluster):
    r = cluster.admin("health")
    assert r.status == 200, r
    assert r.json["status"] == "ok"
    assert isinstance(r.json["pid"], int) and r.json["pid"] > 0
    if cluster.managed:
        assert r.json["pid"] == cluster.gateway_pid


def test_cluster_map(cluster, ddb):
    name = create_table(ddb)
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "b"}})
    c = cluster.info()
    assert c["port"] == cluster.port
    assert isinstance(c["pid"], int)
    assert isinstance(c["in_memory"], bool)
    assert c["default_region"] == "us-east-1"
    if cluster.managed:
        assert c["in_memory"] is False
        assert os.path.realpath(c["data_dir"]) == os.path.realpath(cluster.data_dir)
    us = [r for r in c["regions"] if r["region"] == "us-east-1"]
    assert len(us) == 1, c["regions"]
    us = us[0]
    assert us["state"] == "running"
    assert isinstance(us["pid"], int) and us["pid"] > 0
    assert isinstance(us["restarts"], int)
    assert us["endpoint"]
    tables = [t for t in us["tables"] if t["name"] == name and t["account"] == DEFAULT_ACCOUNT]
    assert len(tables) == 1, us["tables"]
    assert tables[0]["status"] == "ACTIVE"
    assert tables[0]["items"] == 2
    assert tables[0]["bytes"] == ddb.describe_table(TableName=name)["Table"]["TableSizeBytes"]


def test_unknown_admin_path(cluster):
    r = cluster.admin("no-such-thing")
    assert r.status in (400, 404), r


def test_regions_do_not_share_tables(client_for):
    south = client_for("ap-south-1")
    central = client_for("eu-central-1")
    name = create_table(south)
    assert name in south.list_tables()["TableNames"]
    assert name not in central.list_tables()["TableNames"]
    with raises_ddb("ResourceNotFoundException"):
        central.describe_table(TableName=name)
    with raises_ddb("ResourceNotFoundException"):
        central.get_item(TableName=name, Key={"pk": {"S": "a"}})
    arn = south.describe_table(TableName=name)["Table"]["TableArn"]
    assert arn == "arn:aws:dynamodb:ap-south-1:%s:table/%s" % (DEFAULT_ACCOUNT, name)

    # The same name in the other region is another table, with its own items.
    create_table(central, name=name, hash_key=("pk", "S"))
    south.put_item(TableName=name, Item={"pk": {"S": "a"}, "where": {"S": "south"}})
    central.put_item(TableName=name, Item={"pk": {"S": "a"}, "where": {"S": "central"}})
    assert south.get_item(TableName=name, Key={"pk": {"S": "a"}})["Item"]["where"] == {"S": "south"}
    assert central.get_item(TableName=name, Key={"pk": {"S": "a"}})["Item"]["where"] == {"S": "central"}
    assert central.describe_table(TableName=name)["Table"]["TableArn"] == \
        "arn:aws:dynamodb:eu-central-1:%s:table/%s" % (DEFAULT_ACCOUNT, name)
    # Deleting one leaves the other.
    central.delete_table(TableName=name)
    assert south.get_item(TableName=name, Key={"pk": {"S": "a"}})["Item"]["where"] == {"S": "south"}


def test_one_regiond_per_region(cluster, client_for):
    if not local_pids_visible(cluster):
        pytest.skip("the cluster's processes are not visible from here")
    regions = ["us-west-2", "eu-west-1", "ap-northeast-1"]
    for region in regions:
        client_for(region).list_tables()
    gateway = cluster.health()["pid"]
    info = {r["region"]: r for r in cluster.info()["regions"]}
    pids = {}
    for region in regions:
        assert region in info, "region %s not in the cluster map: %r" % (region, sorted(info))
        assert info[region]["state"] == "running"
        pid = info[region]["pid"]
        argv = proc_argv(pid)
        assert argv, "regiond pid %d of %s is not running" % (pid, region)
        assert os.path.basename(argv[0]) == "meridian-regiond", argv
        assert arg_value(argv, "--region") == region, argv
        assert proc_ppid(pid) == gateway, "regiond %d is not the gateway's child" % pid
        pids[region] = pid
    # Distinct processes.
    assert len(set(pids.values())) == len(regions)
    # What `ps` shows: exactly one regiond per region among the gateway's children.
    out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(gateway)],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    for region in regions:
        lines = [l for l in out.splitlines()
                 if "meridian-regiond" in l and re.search(r"--region[ =]%s(\s|$)" % re.escape(region), l)]
        assert len(lines) == 1, "ps shows %d regionds for %s:\n%s" % (len(lines), region, out)
        assert lines[0].split()[0] == str(pids[region])


def test_region_starts_on_first_use(cluster, client_for):
    region = "sa-east-1"
    before = cluster.region(region)
    if before is not None and before.get("state") == "running":
        pytest.skip("sa-east-1 was already in use")
    client_for(region).list_tables()
    after = cluster.region(region)
    assert after is not None, "a used region is not in the cluster map"
    assert after["state"] == "running"
    assert isinstance(after["pid"], int) and after["pid"] > 0
    if local_pids_visible(cluster):
        assert arg_value(proc_argv(after["pid"]), "--region") == region


def test_unsigned_request_goes_to_default_region(cluster, endpoint, ddb):
    # Without an Authorization header the default region (us-east-1) answers.
    name = create_table(ddb)
    r = http_request(endpoint + "/", "POST", b"{}", {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.ListTables"})
    assert r.status == 200, r
    # This may page; look for the table in every page.
    names = list(r.json["TableNames"])
    while "LastEvaluatedTableName" in r.json:
        r = http_request(endpoint + "/", "POST",
                         json.dumps({"ExclusiveStartTableName": r.json["LastEvaluatedTableName"]}), {
                             "Content-Type": "application/x-amz-json-1.0",
                             "X-Amz-Target": "DynamoDB_20120810.ListTables"})
        names += r.json["TableNames"]
    assert name in names


def test_accounts_are_separate(ddb, other_account):
    name = create_table(other_account)
    arn = other_account.describe_table(TableName=name)["Table"]["TableArn"]
    assert arn == "arn:aws:dynamodb:us-east-1:%s:table/%s" % (OTHER_ACCOUNT, name)
    assert name in other_account.list_tables()["TableNames"]
    assert name not in ddb.list_tables()["TableNames"]
    with raises_ddb("ResourceNotFoundException"):
        ddb.describe_table(TableName=name)
    with raises_ddb("ResourceNotFoundException"):
        ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})

    # Account 000000000000 can have its own table of that name.
    create_table(ddb, name=name)
    assert ddb.describe_table(TableName=name)["Table"]["TableArn"] == \
        "arn:aws:dynamodb:us-east-1:%s:table/%s" % (DEFAULT_ACCOUNT, name)
    other_account.put_item(TableName=name, Item={"pk": {"S": "a"}, "who": {"S": OTHER_ACCOUNT}})
    assert "Item" not in ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})
    ddb.delete_table(TableName=name)
    assert other_account.get_item(TableName=name, Key={"pk": {"S": "a"}})["Item"]["who"] == \
        {"S": OTHER_ACCOUNT}


@pytest.mark.parametrize("key", [DUMMY_KEY, "AKIAIOSFODNN7EXAMPLE", "12345678901", "1234567890123",
                                 "12345678901a"])
def test_non_account_keys_are_the_default_account(client_for, key):
    client = client_for("us-east-1", access_key=key)
    name = create_table(client)
    assert client.describe_table(TableName=name)["Table"]["TableArn"] == \
        "arn:aws:dynamodb:us-east-1:%s:table/%s" % (DEFAULT_ACCOUNT, name)
    client.delete_table(TableName=name)


def test_many_requests_in_flight(client_for):
    regions = ["us-east-1", "eu-central-1", "ap-south-1"]
    clients = {r: client_for(r) for r in regions}
    tables = {r: create_table(clients[r]) for r in regions}
    # boto3 clients are thread-safe; 48 writes from 16 threads across three regions.
    jobs = [(regions[i % 3], i) for i in range(48)]

    def put(job):
        region, i = job
        clients[region].put_item(TableName=tables[region],
                                 Item={"pk": {"S": "k%d" % i}, "region": {"S": region}})
        return job

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        done = list(pool.map(put, jobs))
    assert len(done) == len(jobs)
    for region, i in jobs:
        item = clients[region].get_item(TableName=tables[region], Key={"pk": {"S": "k%d" % i}})["Item"]
        assert item["region"] == {"S": region}
    for region in regions:
        assert clients[region].describe_table(TableName=tables[region])["Table"]["ItemCount"] == 16


def test_region_name_from_each_client_is_honoured(client_for):
    # Tables created through three regions show three different ARNs.
    arns = set()
    for region in ("us-east-2", "eu-north-1", "ap-southeast-2"):
        c = client_for(region)
        name = create_table(c, name=unique("r"))
        arns.add(c.describe_table(TableName=name)["Table"]["TableArn"].split(":")[3])
    assert arns == {"us-east-2", "eu-north-1", "ap-southeast-2"}


def test_region_processes_keep_running(cluster, client_for):
    # Using a region twice reuses its process.
    c = client_for("eu-central-1")
    c.list_tables()
    first = cluster.region("eu-central-1")["pid"]
    c.list_tables()
    assert cluster.region("eu-central-1")["pid"] == first
    wait_until(lambda: cluster.region("eu-central-1")["state"] == "running", timeout=5,
               what="eu-central-1 running")
