"""Chaos and latency experiments (issue 7): POST/GET /_meridian/chaos, the
`scripts/meridian chaos` forms, the faults' effects seen by clients and by replication,
and /_meridian/metrics showing what happened. Disk full (issue 9): the regiond's SQLite
VFS switch, clean 500s, nothing partial stored, recovery and replica catch-up.

Destructive tests (partition, delay, kill) start clusters of their own; the others use
the session cluster and clear every fault they set.
"""
import json
import re
import sqlite3
import threading
import time

import boto3
import botocore.config
import pytest

from botocore.exceptions import ClientError

from conftest import DUMMY_KEY, create_table, ddb_raw, http_request, normalize, wait_until
from test_global_tables import converged, make_global, region_clients, scan_all

R1, R2 = "ap-south-1", "eu-central-1"


# --- helpers ----------------------------------------------------------------------------

def chaos(cluster, body=None):
    """POSTs body (a dict or raw text) to /_meridian/chaos, or GETs it; returns the Response."""
    url = cluster.endpoint + "/_meridian/chaos"
    if body is None:
        return http_request(url)
    text = body if isinstance(body, str) else json.dumps(body)
    return http_request(url, "POST", text, {"Content-Type": "application/json"})


def chaos_ok(cluster, body):
    r = chaos(cluster, body)
    assert r.status == 200, r
    return r.json


def metrics(cluster):
    """/_meridian/metrics as {(name, frozenset(labels)): value}."""
    r = http_request(cluster.endpoint + "/_meridian/metrics")
    assert r.status == 200, r
    assert r.headers["content-type"].startswith("text/plain")
    out = {}
    for line in r.body.decode().splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-z_]+)(?:\{(.*)\})? (\S+)$', line)
        assert m, "not Prometheus text: %r" % line
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def metric(cluster, name, **labels):
    want = frozenset(labels.items())
    for (n, l), v in metrics(cluster).items():
        if n == name and want <= l:
            return v
    return None


def link_status(cluster, origin, dest):
    """The destination regiond's view of the link origin -> dest (lag, backlog)."""
    for reg in cluster.info()["regions"]:
        if reg["region"] == dest:
            for link in reg.get("links") or []:
                if link["origin"] == origin:
                    return link
    return None


def retrying_client(cluster, region, attempts=10):
    cfg = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": attempts},
                                 connect_timeout=5, read_timeout=30)
    return boto3.client("dynamodb", endpoint_url=cluster.endpoint, region_name=region,
                        aws_access_key_id=DUMMY_KEY, aws_secret_access_key="secret", config=cfg)


@pytest.fixture
def clean(cluster):
    """The session cluster, with every fault cleared afterwards."""
    yield cluster
    chaos_ok(cluster, {"clear": True})


# --- the API ----------------------------------------------------------------------------

def test_get_shows_nothing_in_force_at_first(clean):
    state = chaos(clean).json
    assert state["links"] == [] and state["regions"] == []
    assert isinstance(state["seed"], int)


@pytest.mark.parametrize("body", [
    "not json",
    "[1, 2]",
    "",
    '{"links": {"origin": "us-east-1"}}',
    '{"links": [{"origin": "us-east-1"}]}',
    '{"links": [{"origin": "us-east-1", "destination": "us-east-1", "delay_ms": 5}]}',
    '{"links": [{"origin": "us-east-1", "destination": "eu-west-1", "delay_ms": -5}]}',
    '{"links": [{"origin": "us-east-1", "destination": "eu-west-1", "drop": 1.5}]}',
    '{"links": [{"origin": "us-east-1", "destination": "eu-west-1", "partition": "yes"}]}',
    '{"links": [{"origin": "US EAST", "destination": "eu-west-1", "partition": true}]}',
    '{"regions": [{"region": "us-east-1", "error": {"code": "Teapot", "rate": 0.5}}]}',
    '{"regions": [{"region": "us-east-1", "error": {"code": "ThrottlingException", "rate": 2}}]}',
    '{"regions": [{"region": "us-east-1", "latency_ms": "slow"}]}',
    '{"regions": [{"region": "us-east-1", "outage": 1}]}',
    '{"process": [{"region": "us-east-1", "action": "explode"}]}',
    '{"process": [{"region": "never-used-1", "action": "kill"}]}',
    '{"seed": -1}',
    '{"bogus": true}',
    '{"disk_full": {"region": "us-east-1", "on": true}}',
    '{"disk_full": [{"region": "us-east-1"}]}',
    '{"disk_full": [{"region": "us-east-1", "on": "yes"}]}',
    '{"disk_full": [{"region": "../us-east-1", "on": true}]}',
    '{"disk_full": [{"region": "us-east-1", "on": true, "size": 1}]}',
    # a valid part followed by an invalid one: nothing of it applies
    '{"links": [{"origin": "us-east-1", "destination": "eu-west-1", "delay_ms": 50}], "regions": [{"region": 7}]}',
])
def test_malformed_request_gets_400_and_changes_nothing(clean, body):
    clean.client("us-east-1").list_tables()   # the region has a process
    chaos_ok(clean, {"seed": 11, "regions": [{"region": "us-east-1", "latency_ms": 1}]})
    before = chaos(clean).json
    r = chaos(clean, body)
    assert r.status == 400, r
    assert r.json["error"] == "ValidationError" and r.json["message"]
    after = chaos(clean).json
    assert after["links"] == before["links"] and after["regions"] == before["regions"]
    assert after["disk_full"] == before["disk_full"] == []
    assert after["seed"] == before["seed"] == 11


def test_chaos_is_loopback_only_and_unknown_paths_404(clean):
    r = http_request(clean.endpoint + "/_meridian/chaos", "DELETE")
    assert r.status == 404


# --- client-facing faults ----------------------------------------------------------------

def test_injected_throttling_makes_boto3_retry_and_succeed(clean):
    client = retrying_client(clean, "us-east-1")
    name = create_table(client)
    chaos_ok(clean, {"seed": 42, "regions": [{"region": "us-east-1",
                                              "error": {"code": "ThrottlingException", "rate": 0.5,
                                                        "ops": ["PutItem"]}}]})
    retries = 0
    for i in range(20):
        r = client.put_item(TableName=name, Item={"pk": {"S": "k%d" % i}})
        retries += r["ResponseMetadata"]["RetryAttempts"]
    assert retries > 0
    # only PutItem is hit
    for _ in range(10):
        assert client.get_item(TableName=name, Key={"pk": {"S": "k1"}})["ResponseMetadata"]["RetryAttempts"] == 0
    assert client.scan(TableName=name)["Count"] == 20
    assert metric(clean, "meridian_errors_total", region="us-east-1", operation="PutItem", **{"class": "4xx"}) >= retries
    assert metric(clean, "meridian_requests_total", region="us-east-1", operation="GetItem") >= 10


@pytest.mark.parametrize("code,status,wire", [
    ("ThrottlingException", 400, "com.amazon.coral.availability#ThrottlingException"),
    ("ProvisionedThroughputExceededException", 400,
     "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"),
    ("InternalServerError", 500, "com.amazonaws.dynamodb.v20120810#InternalServerError"),
    ("ServiceUnavailable", 503, "com.amazon.coral.service#ServiceUnavailableException"),
])
def test_injected_errors_have_the_service_wire_form(clean, code, status, wire):
    clean.client("us-east-1").list_tables()
    chaos_ok(clean, {"regions": [{"region": "us-east-1", "error": {"code": code, "rate": 1, "ops": ["ListTables"]}}]})
    r = ddb_raw(clean.endpoint, "ListTables", {})
    assert r.status == status, r
    assert r.json["__type"] == wire
    assert "x-amzn-requestid" in r.headers


def test_outage_answers_503_and_latency_delays(clean):
    client = clean.client("us-east-1")
    client.list_tables()
    chaos_ok(clean, {"regions": [{"region": "us-east-1", "outage": True}]})
    r = ddb_raw(clean.endpoint, "ListTables", {})
    assert r.status == 503 and r.json["__type"].endswith("ServiceUnavailableException")
    chaos_ok(clean, {"regions": [{"region": "us-east-1", "latency_ms": 300}]})
    t0 = time.monotonic()
    client.list_tables()
    assert time.monotonic() - t0 >= 0.29
    chaos_ok(clean, {"regions": [{"region": "us-east-1"}]})   # an empty entry clears the region
    assert chaos(clean).json["regions"] == []


def test_same_seed_same_injected_errors(clean):
    clean.client("us-east-1").list_tables()

    def pattern():
        chaos_ok(clean, {"seed": 1234, "regions": [{"region": "us-east-1", "error": {
            "code": "InternalServerError", "rate": 0.5, "ops": ["ListTables"]}}]})
        return [ddb_raw(clean.endpoint, "ListTables", {}).status for _ in range(24)]
    a, b = pattern(), pattern()
    assert a == b and 500 in a and 200 in a


# --- the CLI ----------------------------------------------------------------------------

def test_cli_forms(clean):
    clean.client("us-east-1").list_tables()
    clean.client("eu-west-1").list_tables()

    def cli(*args, ok=True):
        p = clean.meridian("chaos", "--port", clean.port, *args)
        assert (p.returncode == 0) == ok, (args, p.returncode, p.stdout, p.stderr)
        return json.loads(p.stdout) if ok else p

    s = cli("--seed", "5", "link", "us-east-1", "eu-west-1", "--delay-ms", "40", "--jitter-ms", "5", "--drop", "0.1")
    assert s["seed"] == 5
    assert s["links"] == [{"origin": "us-east-1", "destination": "eu-west-1", "delay_ms": 40, "jitter_ms": 5,
                           "drop": 0.1, "partition": False}]
    s = cli("partition", "us-east-1", "eu-west-1")
    assert {(l["origin"], l["destination"], l["partition"]) for l in s["links"]} == {
        ("us-east-1", "eu-west-1", True), ("eu-west-1", "us-east-1", True)}
    s = cli("heal", "us-east-1", "eu-west-1")
    assert [(l["origin"], l["destination"]) for l in s["links"]] == [("eu-west-1", "us-east-1")]
    s = cli("link", "us-east-1", "eu-west-1", "--partition")
    assert len(s["links"]) == 2
    s = cli("heal")
    assert s["links"] == []
    s = cli("region", "eu-west-1", "--latency-ms", "10", "--error", "ThrottlingException:0.25:PutItem,GetItem")
    assert s["regions"] == [{"region": "eu-west-1", "latency_ms": 10, "outage": False,
                             "error": {"code": "ThrottlingException", "rate": 0.25, "ops": ["PutItem", "GetItem"]}}]
    s = cli("region", "eu-west-1", "--outage")
    assert s["regions"][0]["outage"] is True and s["regions"][0]["error"] is None
    s = cli("process", "eu-west-1", "pause")
    assert s["processes"]["eu-west-1"]["chaos"] == "paused"
    s = cli("process", "eu-west-1", "resume")
    assert s["processes"]["eu-west-1"]["chaos"] is None
    s = cli("disk-full", "eu-west-1", "on")
    assert s["disk_full"] == [{"region": "eu-west-1", "on": True}]
    s = cli("disk-full", "eu-west-1", "off")
    assert s["disk_full"] == []
    cli("disk-full", "eu-west-1", "on")
    s = cli("clear")
    assert s["links"] == [] and s["regions"] == [] and s["disk_full"] == []
    assert cli("show")["links"] == []
    assert cli()["regions"] == []
    # refused before anything is sent, or by the gateway: non-zero and nothing changes
    for bad in (["link", "us-east-1"], ["link", "a", "b", "--delay-ms", "x"], ["region", "eu-west-1", "--error", "Nope"],
                ["region", "eu-west-1", "--error", "Teapot:0.5"], ["process", "eu-west-1", "explode"],
                ["partition", "us-east-1"], ["bogus"], ["--seed", "x", "clear"], ["disk-full", "eu-west-1"],
                ["disk-full", "eu-west-1", "maybe"], ["disk-full", "EU WEST", "on"]):
        cli(*bad, ok=False)
    assert chaos(clean).json["regions"] == [] and chaos(clean).json["links"] == []
    assert chaos(clean).json["disk_full"] == []


def test_status_shows_regions_and_lag_per_link(clean):
    clean.client("us-east-1").list_tables()
    p = clean.meridian("status", "--port", clean.port)
    assert p.returncode == 0, p.stderr
    assert "us-east-1" in p.stdout and "up" in p.stdout


# --- replication faults -----------------------------------------------------------------

def test_partition_while_both_take_writes_then_heal_converges(new_cluster):
    c = new_cluster()
    clients = region_clients(c)
    name = make_global(clients, None, R1, [R2])
    clients(R1).put_item(TableName=name, Item={"pk": {"S": "before"}})
    converged(clients, name, [R1, R2])
    chaos_ok(c, {"links": [{"origin": R1, "destination": R2, "partition": True},
                           {"origin": R2, "destination": R1, "partition": True}]})
    wait_until(lambda: all(p["links_synced"] for p in chaos(c).json["processes"].values()), timeout=10,
               what="the link table at every regiond")
    for i in range(40):
        clients(R1).put_item(TableName=name, Item={"pk": {"S": "r1-%d" % i}})
        clients(R2).put_item(TableName=name, Item={"pk": {"S": "r2-%d" % i}})
        time.sleep(0.05)
    clients(R1).put_item(TableName=name, Item={"pk": {"S": "both"}, "v": {"S": R1}})
    clients(R2).put_item(TableName=name, Item={"pk": {"S": "both"}, "v": {"S": R2}})
    time.sleep(2.0)
    # nothing crossed
    assert ("r1-0", None) not in scan_all(clients(R2), name)
    assert ("r2-0", None) not in scan_all(clients(R1), name)
    lag_during = metric(c, "meridian_replication_current_lag_ms", origin=R1, destination=R2)
    assert lag_during is not None and lag_during >= 1500, lag_during
    chaos_ok(c, {"heal": True})
    items = converged(clients, name, [R1, R2], timeout=60)
    assert all(("r1-%d" % i, None) in items and ("r2-%d" % i, None) in items for i in range(40))
    wait_until(lambda: metric(c, "meridian_replication_current_lag_ms", origin=R1, destination=R2) < 1000,
               timeout=15, what="the lag R1 -> R2 to fall after the heal")
    wait_until(lambda: metric(c, "meridian_replication_current_lag_ms", origin=R2, destination=R1) < 1000,
               timeout=15, what="the lag R2 -> R1 to fall after the heal")
    assert metric(c, "meridian_catchup_repairs_total", region=R2) >= 1
    assert metric(c, "meridian_replication_dropped_total", region=R2) >= 1


def test_link_delay_shows_in_replication_lag_and_nowhere_else(new_cluster):
    c = new_cluster()
    clients = region_clients(c)
    name = make_global(clients, None, R1, [R2])
    chaos_ok(c, {"links": [{"origin": R1, "destination": R2, "delay_ms": 200}]})
    wait_until(lambda: all(p["links_synced"] for p in chaos(c).json["processes"].values()), timeout=10,
               what="the link table at every regiond")
    worst_client = 0.0
    for i in range(10):
        for region in (R1, R2):
            t0 = time.monotonic()
            clients(region).put_item(TableName=name, Item={"pk": {"S": "%s-%d" % (region, i)}})
            worst_client = max(worst_client, time.monotonic() - t0)
        time.sleep(0.1)
    converged(clients, name, [R1, R2])
    delayed, direct = link_status(c, R1, R2), link_status(c, R2, R1)
    assert delayed["count"] >= 10 and direct["count"] >= 10
    mean_delayed = delayed["sum_ms"] / delayed["count"]
    mean_direct = direct["sum_ms"] / direct["count"]
    assert 190 <= mean_delayed <= 450, delayed
    assert mean_direct < 120, direct
    assert worst_client < 0.15   # clients do not see it
    h = metric(c, "meridian_replication_lag_ms_bucket", origin=R1, destination=R2, le="100")
    assert h == 0


def test_kill_9_under_load_loses_no_acknowledged_write(new_cluster):
    c = new_cluster()
    clients = region_clients(c)
    regions = [R1, R2]
    name = make_global(clients, None, R1, [R2])
    acked = {r: [] for r in regions}
    stop = threading.Event()

    def writer(region):
        client = c.client(region)
        i = 0
        while not stop.is_set():
            key = "%s-%05d" % (region, i)
            i += 1
            try:
                client.put_item(TableName=name, Item={"pk": {"S": key}})
                acked[region].append(key)
            except Exception:
                time.sleep(0.05)   # the region is down: not acknowledged

    threads = [threading.Thread(target=writer, args=(r,)) for r in regions]
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        victim = c.region(R2)["pid"]
        restarts = c.region(R2)["restarts"]
        chaos_ok(c, {"process": [{"region": R2, "action": "kill"}]})
        wait_until(lambda: c.region(R2)["state"] == "stopped", timeout=10, what="R2 down")
        time.sleep(1.5)
        assert c.region(R2)["state"] == "stopped" and c.region(R2)["pid"] is None   # held down
        assert metric(c, "meridian_region_up", region=R2) == 0
        n = len(acked[R2])
        time.sleep(0.3)
        assert len(acked[R2]) == n   # nothing is acknowledged by a dead region
        chaos_ok(c, {"process": [{"region": R2, "action": "restart"}]})
        wait_until(lambda: (c.region(R2) or {}).get("pid") not in (None, 0, victim), timeout=30,
                   what="the regiond of R2 restarted")
        time.sleep(1.5)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert c.region(R2)["restarts"] == restarts + 1
    assert metric(c, "meridian_process_restarts_total", region=R2) == restarts + 1
    items = converged(clients, name, regions, timeout=90)
    for region in regions:
        missing = [k for k in acked[region] if (k, None) not in items]
        assert not missing, "%s: %d acknowledged writes missing, e.g. %s" % (region, len(missing), missing[:3])
    assert all(len(acked[r]) > 0 for r in regions)


def test_scenario_run_writes_csv_plot_and_summary(new_cluster, tmp_path):
    c = new_cluster(in_memory=True)
    out = tmp_path / "out"
    scenario = tmp_path / "s.json"
    scenario.write_text(json.dumps({
        "regions": [R1, R2], "table": "scen", "seed": 3, "duration_s": 4, "sample_ms": 250,
        "writes_per_s": 10, "out_dir": str(out),
        "steps": [{"at": 1, "chaos": {"links": [{"origin": R1, "destination": R2, "partition": True}]}},
                  {"at": 2.5, "chaos": {"heal": True}}]}))
    p = c.meridian("chaos", "--port", c.port, "run", scenario, timeout=120)
    assert p.returncode == 0, (p.stdout, p.stderr)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["writes_lost"] == 0 and summary["writes_acknowledged"] > 0
    assert summary["max_lag_ms"]["%s->%s" % (R1, R2)] >= 500
    assert (out / "timeseries.csv").read_text().startswith("conflicts:")
    assert (out / "lag.svg").read_text().startswith("<svg")
    assert chaos(c).json["links"] == []
    p = c.meridian("chaos", "--port", c.port, "run", tmp_path / "missing.json")
    assert p.returncode != 0 and "cannot read" in p.stderr


# --- disk full (issue 9) ------------------------------------------------------------------

def set_disk_full(cluster, region, on):
    """Turns region's disk-full switch on or off; returns once its regiond has it."""
    s = chaos_ok(cluster, {"disk_full": [{"region": region, "on": on}]})
    assert ({"region": region, "on": True} in s["disk_full"]) == on, s
    wait_until(lambda: chaos(cluster).json["processes"][region]["disk_full_synced"], timeout=10,
               what="the disk-full switch at %s's regiond" % region)
    assert cluster.region(region)["disk"]["full"] is on


def expect_500(call, **kw):
    """call(**kw) must fail with the service's 500 InternalServerError."""
    with pytest.raises(ClientError) as e:
        call(**kw)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500, e.value.response
    assert e.value.response["Error"]["Code"] == "InternalServerError"


def integrity(cluster, region):
    """PRAGMA integrity_check of region's data file, read-only (the regiond keeps running)."""
    con = sqlite3.connect("file:%s?mode=ro" % (cluster.data_dir / region / "data.db"), uri=True)
    try:
        return [r[0] for r in con.execute("PRAGMA integrity_check")]
    finally:
        con.close()


def items_of(client, name):
    """Every item, keyed by (pk, sk), normalized."""
    out, kw = {}, {"TableName": name, "ConsistentRead": True}
    while True:
        r = client.scan(**kw)
        for it in r["Items"]:
            out[(it["pk"]["S"], it.get("sk", {}).get("N"))] = normalize(it)
        if "LastEvaluatedKey" not in r:
            return out
        kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]


def _key(pk, sk):
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


def _writes(client, name, tag):
    """One of each kind of write, as (call, kwargs); tag makes their new keys unique."""
    big = "x" * 300_000   # 20 of these exceed SQLite's page cache: it spills mid-transaction
    return [
        (client.put_item, dict(TableName=name, Item=dict(_key("new-" + tag, 1), v={"S": tag}))),
        (client.put_item, dict(TableName=name, Item=dict(_key("a", 1), v={"S": tag}))),
        (client.update_item, dict(TableName=name, Key=_key("a", 2), UpdateExpression="SET v = :v",
                                  ExpressionAttributeValues={":v": {"S": tag}})),
        (client.delete_item, dict(TableName=name, Key=_key("a", 3))),
        (client.batch_write_item, dict(RequestItems={name: [
            {"PutRequest": {"Item": dict(_key("batch-" + tag, 1), v={"S": tag})}},
            {"DeleteRequest": {"Key": _key("a", 4)}}]})),
        (client.transact_write_items, dict(TransactItems=[
            {"Put": {"TableName": name, "Item": dict(_key("txn-" + tag, 1), v={"S": tag})}},
            {"Update": {"TableName": name, "Key": _key("a", 5), "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}}])),
        (client.batch_write_item, dict(RequestItems={name: [
            {"PutRequest": {"Item": dict(_key("big-" + tag, i), blob={"S": big})}} for i in range(20)]})),
    ]


def test_disk_full_refused_for_an_in_memory_cluster(new_cluster):
    c = new_cluster(in_memory=True, regions=[R1])
    r = chaos(c, {"disk_full": [{"region": R1, "on": True}]})
    assert r.status == 400 and "in memory" in r.json["message"], r
    assert chaos(c).json["disk_full"] == []


def test_disk_full_writes_fail_cleanly_reads_work_and_recover(new_cluster):
    c = new_cluster(regions=[R1])
    client = c.client(R1)
    name = create_table(client, range_key=("sk", "N"))
    client.batch_write_item(RequestItems={name: [
        {"PutRequest": {"Item": dict(_key("a", i), v={"S": "v%d" % i})}} for i in range(1, 12)]})
    before = items_of(client, name)
    assert len(before) == 11

    set_disk_full(c, R1, True)
    for call, kw in _writes(client, name, "refused"):
        expect_500(call, **kw)
    expect_500(client.create_table, TableName="refused-table", BillingMode="PAY_PER_REQUEST",
               AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
               KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    # reads work and see exactly what was there: nothing of a refused write is stored
    assert normalize(client.get_item(TableName=name, Key=_key("a", 1), ConsistentRead=True)["Item"]) == \
        before[("a", "1")]
    q = client.query(TableName=name, KeyConditionExpression="pk = :a", ExpressionAttributeValues={":a": {"S": "a"}})
    assert q["Count"] == 11
    assert items_of(client, name) == before
    assert "refused-table" not in client.list_tables()["TableNames"]
    assert c.region(R1)["disk"]["refused_writes"] > 0
    assert integrity(c, R1) == ["ok"]

    # a full disk stays full when the process restarts
    old_pid = c.region(R1)["pid"]
    chaos_ok(c, {"process": [{"region": R1, "action": "restart"}]})
    wait_until(lambda: (c.region(R1) or {}).get("pid") not in (None, 0, old_pid)
               and c.region(R1)["state"] == "running", timeout=30, what="%s's regiond restarted" % R1)
    assert c.region(R1)["disk"]["full"] is True
    expect_500(client.put_item, TableName=name, Item=_key("after-restart", 1))
    assert items_of(client, name) == before
    assert chaos(c).json["disk_full"] == [{"region": R1, "on": True}]

    # space returns: every kind of write works again, without a restart
    pid = c.region(R1)["pid"]
    set_disk_full(c, R1, False)
    for call, kw in _writes(client, name, "later"):
        call(**kw)
    after = items_of(client, name)
    assert after[("new-later", "1")]["v"] == {"S": "later"} and after[("a", "1")]["v"] == {"S": "later"}
    assert after[("a", "2")]["v"] == {"S": "later"} and ("a", "3") not in after and ("a", "4") not in after
    assert after[("txn-later", "1")] and after[("a", "5")]["n"] == {"N": "1"}
    assert sum(1 for k in after if k[0] == "big-later") == 20
    assert not any(k[0].endswith("refused") for k in after)
    assert c.region(R1)["pid"] == pid
    assert integrity(c, R1) == ["ok"]


def test_disk_full_reads_never_fail_beside_failing_writes(new_cluster):
    # Reads and writes arrive together and share the regiond's commit groups; a group
    # whose commit fails must not take the reads down with it (they run first and saw
    # only committed data).
    c = new_cluster(regions=[R1])
    setup = c.client(R1)
    name = create_table(setup, range_key=("sk", "N"))
    setup.batch_write_item(RequestItems={name: [
        {"PutRequest": {"Item": dict(_key("r", i), v={"S": "v%d" % i})}} for i in range(10)]})
    set_disk_full(c, R1, True)
    stop = threading.Event()
    outcomes = {"read_ok": 0, "read_failed": [], "write_ok": 0, "write_500": 0}
    lock = threading.Lock()

    def writer(n):
        client = retrying_client(c, R1, attempts=1)
        i = 0
        while not stop.is_set():
            i += 1
            try:
                client.put_item(TableName=name, Item=dict(_key("w%d" % n, i), v={"S": "x" * 2000}))
                with lock:
                    outcomes["write_ok"] += 1
            except ClientError as e:
                assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 500
                with lock:
                    outcomes["write_500"] += 1

    def reader(n):
        client = retrying_client(c, R1, attempts=1)
        for i in range(150):
            try:
                r = client.get_item(TableName=name, Key=_key("r", i % 10))
                assert r["Item"]["v"] == {"S": "v%d" % (i % 10)}
                with lock:
                    outcomes["read_ok"] += 1
            except ClientError as e:
                with lock:
                    outcomes["read_failed"].append(e.response["Error"]["Code"])

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    readers = [threading.Thread(target=reader, args=(n,)) for n in range(3)]
    for t in writers + readers:
        t.start()
    for t in readers:
        t.join()
    stop.set()
    for t in writers:
        t.join()
    set_disk_full(c, R1, False)
    assert outcomes["read_failed"] == [] and outcomes["read_ok"] == 450, outcomes
    assert outcomes["write_ok"] == 0 and outcomes["write_500"] > 0, outcomes
    assert not any(k[0].startswith("w") for k in items_of(setup, name))
    assert integrity(c, R1) == ["ok"]


def test_disk_full_replica_catches_up_after_space_returns(new_cluster):
    c = new_cluster(regions=[R1, R2])
    clients = region_clients(c)
    name = make_global(clients, None, R1, [R2])
    clients(R1).put_item(TableName=name, Item={"pk": {"S": "before"}})
    converged(clients, name, [R1, R2])

    set_disk_full(c, R2, True)
    for i in range(30):
        clients(R1).put_item(TableName=name, Item={"pk": {"S": "r1-%d" % i}})
    expect_500(clients(R2).put_item, TableName=name, Item={"pk": {"S": "r2-refused"}})
    # R2 stores none of them, and its applied position stays where its data is
    wait_until(lambda: (link_status(c, R1, R2) or {}).get("backlog", 0) >= 30, timeout=15,
               what="%s's backlog from %s to show the 30 writes" % (R2, R1))
    time.sleep(1.0)   # a few heartbeats and catch-up attempts, all refused
    assert scan_all(clients(R2), name) == {("before", None): {"pk": {"S": "before"}}}
    assert link_status(c, R1, R2)["backlog"] >= 30
    assert integrity(c, R2) == ["ok"]

    set_disk_full(c, R2, False)
    items = converged(clients, name, [R1, R2], timeout=60)
    assert all(("r1-%d" % i, None) in items for i in range(30))
    assert ("r2-refused", None) not in items
    wait_until(lambda: link_status(c, R1, R2)["backlog"] == 0, timeout=15, what="no backlog left")
    clients(R2).put_item(TableName=name, Item={"pk": {"S": "r2-later"}})
    assert ("r2-later", None) in converged(clients, name, [R1, R2])
    assert integrity(c, R2) == ["ok"]
