"""Durability: a regiond killed with SIGKILL is restarted by the gateway and loses
nothing it acknowledged; `scripts/meridian down` + `up` on the same data dir keeps
every table and item; `--in-memory` keeps nothing (issue 2, item 3). Each test runs
its own cluster(s) so the session cluster is never disturbed."""
import datetime
import os
import signal
import subprocess
import threading
import time

import botocore.exceptions

from conftest import (OTHER_ACCOUNT, REPO, arg_value, create_table, fresh_account, is_meridian,
                      normalize, proc_argv, raises_ddb, wait_until)

ITEM_TYPES = {
    "s": {"S": "caf\u00e9 \u2603"},
    "empty": {"S": ""},
    "n": {"N": "123456789012345678901234567890.12345678"},
    "b": {"B": bytes(range(256))},
    "t": {"BOOL": True},
    "z": {"NULL": True},
    "m": {"M": {"x": {"L": [{"N": "1.5"}, {"SS": ["a", "b"]}]}}},
    "ss": {"SS": ["x", "y"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"\x00", b"\xff"]},
}


def wait_restarted(cluster, region, old_pid, min_restarts=1, timeout=20):
    def check():
        r = cluster.region(region)
        if r and r["state"] == "running" and r["pid"] != old_pid and r["restarts"] >= min_restarts:
            return r
        return None
    return wait_until(check, timeout=timeout, interval=0.1,
                      what="the gateway to restart %s's regiond" % region)


def test_kill_9_regiond_loses_nothing_acknowledged(new_cluster):
    c = new_cluster()
    region = "eu-west-1"
    client = c.client(region)
    name = create_table(client)
    acked = {}
    for i in range(100):
        item = dict(ITEM_TYPES, pk={"S": "before-%d" % i}, i={"N": str(i)})
        client.put_item(TableName=name, Item=item)
        acked[item["pk"]["S"]] = item

    before = c.region(region)
    assert before["state"] == "running"
    old_pid = before["pid"]
    assert arg_value(proc_argv(old_pid), "--region") == region
    restarts0 = before["restarts"]

    # A writer keeps writing while the regiond is killed; whatever it got a 200 for
    # must survive. Writes that failed may or may not have been committed.
    attempted = set()
    stop = threading.Event()
    writer_client = c.client(region)
    writer_errors = []

    def writer():
        i = 0
        while not stop.is_set():
            key = "during-%d" % i
            item = {"pk": {"S": key}, "i": {"N": str(i)}, "s": {"S": "w" * 100}}
            attempted.add(key)
            try:
                writer_client.put_item(TableName=name, Item=item)
                acked[key] = item
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                writer_errors.append(repr(e))
                time.sleep(0.01)
            i += 1

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    wait_until(lambda: len(acked) >= 120, timeout=10, what="the writer to get going")
    os.kill(old_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    after = wait_restarted(c, region, old_pid)
    # Let the writer run against the new process for a moment.
    n = len(acked)
    wait_until(lambda: len(acked) >= n + 20 or time.monotonic() - killed_at > 15, timeout=20,
               what="writes to succeed after the restart")
    stop.set()
    t.join(timeout=30)
    assert not t.is_alive()

    assert after["restarts"] >= restarts0 + 1
    assert after["pid"] != old_pid
    assert arg_value(proc_argv(after["pid"]), "--region") == region
    # The killed process is gone (and reaped: not left as a zombie).
    assert not os.path.exists("/proc/%d" % old_pid) or proc_argv(old_pid) is None
    assert not is_meridian(old_pid)

    # Every acknowledged item is there, exactly.
    for key, item in acked.items():
        got = client.get_item(TableName=name, Key={"pk": {"S": key}}, ConsistentRead=True)
        assert "Item" in got, "acknowledged item %s was lost (writer errors: %s)" % (key, writer_errors[:3])
        assert normalize(got["Item"]) == normalize(item), key
    # Nothing appeared that nobody wrote.
    count = client.describe_table(TableName=name)["Table"]["ItemCount"]
    assert len(acked) <= count <= 100 + len(attempted)

    # A second kill is handled the same way, and counted.
    os.kill(after["pid"], signal.SIGKILL)
    again = wait_restarted(c, region, after["pid"], min_restarts=after["restarts"] + 1)
    assert again["restarts"] >= restarts0 + 2
    assert client.get_item(TableName=name, Key={"pk": {"S": "before-7"}})["Item"]["i"] == {"N": "7"}


def test_other_regions_unaffected_by_a_kill(new_cluster):
    c = new_cluster()
    a, b = c.client("us-east-1"), c.client("ap-south-1")
    ta, tb = create_table(a), create_table(b)
    a.put_item(TableName=ta, Item={"pk": {"S": "a"}})
    b.put_item(TableName=tb, Item={"pk": {"S": "b"}})
    pid_b = c.region("ap-south-1")["pid"]
    old_a = c.region("us-east-1")["pid"]
    os.kill(old_a, signal.SIGKILL)
    # ap-south-1 keeps answering throughout, with the same process.
    assert b.get_item(TableName=tb, Key={"pk": {"S": "b"}})["Item"] == {"pk": {"S": "b"}}
    wait_restarted(c, "us-east-1", old_a)
    assert c.region("ap-south-1")["pid"] == pid_b
    assert c.region("ap-south-1")["restarts"] == 0
    assert a.get_item(TableName=ta, Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}


def describe_kept(client, name):
    """The parts of a description that must survive a restart."""
    t = client.describe_table(TableName=name)["Table"]
    return {k: t.get(k) for k in ("TableName", "TableArn", "TableId", "CreationDateTime", "KeySchema",
                                  "AttributeDefinitions", "ItemCount", "TableSizeBytes",
                                  "TableStatus")} | {
        "billing": t.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"),
        "rcu": t["ProvisionedThroughput"]["ReadCapacityUnits"],
        "wcu": t["ProvisionedThroughput"]["WriteCapacityUnits"],
        "class": t.get("TableClassSummary", {}).get("TableClass", "STANDARD"),
    }


def test_down_and_up_keep_tables_and_items(new_cluster):
    c = new_cluster()
    us, south = c.client("us-east-1"), c.client("ap-south-1")
    other = c.client("us-east-1", OTHER_ACCOUNT)

    t1 = create_table(us, hash_key=("h", "S"), range_key=("r", "N"), billing="PROVISIONED",
                      rcu=5, wcu=6, TableClass="STANDARD_INFREQUENT_ACCESS")
    # Debian's boto3 predates DeletionProtectionEnabled: set and read it over raw JSON.
    c.raw("us-east-1").ok("UpdateTable", TableName=t1, DeletionProtectionEnabled=True)
    t2 = create_table(south, hash_key=("id", "B"))
    t3 = create_table(other)
    gone = create_table(us)
    items1 = [dict(ITEM_TYPES, h={"S": "h%d" % (i % 3)}, r={"N": str(i)}) for i in range(30)]
    for it in items1:
        us.put_item(TableName=t1, Item=it)
    us.delete_item(TableName=t1, Key={"h": {"S": "h0"}, "r": {"N": "0"}})
    items1 = items1[1:]
    items2 = [{"id": {"B": bytes([i, 0, 255])}, "v": {"N": str(i)}} for i in range(10)]
    for it in items2:
        south.put_item(TableName=t2, Item=it)
    other.put_item(TableName=t3, Item={"pk": {"S": "mine"}})
    us.delete_table(TableName=gone)

    kept = {(("us", t1)): describe_kept(us, t1), ("south", t2): describe_kept(south, t2),
            ("other", t3): describe_kept(other, t3)}
    assert c.raw("us-east-1").describe(t1)["DeletionProtectionEnabled"] is True
    lists = {"us": us.list_tables()["TableNames"], "south": south.list_tables()["TableNames"],
             "other": other.list_tables()["TableNames"]}

    c.stop()
    assert not c.leftovers()
    # One data file per region used: DIR/<region>/data.db.
    for region in ("us-east-1", "ap-south-1"):
        assert (c.data_dir / region / "data.db").is_file(), sorted(os.listdir(c.data_dir))

    c.start()
    clients = {"us": c.client("us-east-1"), "south": c.client("ap-south-1"),
               "other": c.client("us-east-1", OTHER_ACCOUNT)}
    for who, names in lists.items():
        assert clients[who].list_tables()["TableNames"] == names, who
    for (who, name), desc in kept.items():
        assert describe_kept(clients[who], name) == desc, name
    for it in items1:
        got = clients["us"].get_item(TableName=t1, Key={"h": it["h"], "r": it["r"]}, ConsistentRead=True)
        assert normalize(got["Item"]) == normalize(it)
    assert "Item" not in clients["us"].get_item(TableName=t1, Key={"h": {"S": "h0"}, "r": {"N": "0"}})
    for it in items2:
        assert clients["south"].get_item(TableName=t2, Key={"id": it["id"]})["Item"] == it
    assert "Item" in clients["other"].get_item(TableName=t3, Key={"pk": {"S": "mine"}})
    with raises_ddb("ResourceNotFoundException"):
        clients["us"].describe_table(TableName=gone)
    # Deletion protection survived too.
    assert c.raw("us-east-1").describe(t1)["DeletionProtectionEnabled"] is True
    with raises_ddb("ValidationException"):
        clients["us"].delete_table(TableName=t1)
    # And the restarted cluster takes writes.
    clients["us"].put_item(TableName=t1, Item={"h": {"S": "new"}, "r": {"N": "1"}})
    assert clients["us"].describe_table(TableName=t1)["Table"]["ItemCount"] == len(items1) + 1


def test_in_memory_keeps_nothing(new_cluster):
    c = new_cluster(in_memory=True)
    info = c.info()
    assert info["in_memory"] is True
    client = c.client("us-east-1")
    name = create_table(client)
    client.put_item(TableName=name, Item={"pk": {"S": "ephemeral"}})
    rpid = c.region("us-east-1")["pid"]
    assert "--in-memory" in proc_argv(rpid)
    assert arg_value(proc_argv(rpid), "--data-dir") is None

    c.stop()
    c.start()
    client = c.client("us-east-1")
    assert client.list_tables()["TableNames"] == []
    with raises_ddb("ResourceNotFoundException"):
        client.describe_table(TableName=name)
    # No data files anywhere under the cluster's dir.
    found = [os.path.join(d, f) for d, _, files in os.walk(c.base_dir) for f in files
             if f.endswith(".db") or f.endswith(".db-wal")]
    assert found == []


def test_sigterm_stops_gateway_and_regionds(new_cluster):
    c = new_cluster()
    for region in ("us-east-1", "eu-west-2"):
        c.client(region).list_tables()
    info = c.info()
    pids = [c.gateway_pid] + [r["pid"] for r in info["regions"] if r.get("pid")]
    assert len(pids) >= 3
    os.kill(c.gateway_pid, signal.SIGTERM)
    wait_until(lambda: not any(is_meridian(p) for p in pids), timeout=15,
               what="SIGTERM to stop the gateway and its regionds")
    # Nothing left to stop: `down` says so and succeeds.
    p = c.meridian("down", "--port", c.port)
    assert p.returncode == 0, p.stderr
    assert "nothing running" in (p.stdout + p.stderr)
    c.running = False


def test_shutdown_endpoint(new_cluster):
    c = new_cluster()
    c.client("ca-central-1").list_tables()
    pids = [c.gateway_pid] + [r["pid"] for r in c.info()["regions"] if r.get("pid")]
    r = c.admin("shutdown", "POST")
    assert r.status == 200, r
    wait_until(lambda: not any(is_meridian(p) for p in pids), timeout=15,
               what="POST /_meridian/shutdown to stop every process")
    c.running = False


def test_restart_keeps_creation_time(new_cluster):
    c = new_cluster()
    account = fresh_account()
    name = create_table(c.client("us-east-1", account))
    created = c.client("us-east-1", account).describe_table(TableName=name)["Table"]["CreationDateTime"]
    assert abs(created - datetime.datetime.now(datetime.timezone.utc)) < datetime.timedelta(minutes=2)
    c.stop()
    c.start()
    again = c.client("us-east-1", account).describe_table(TableName=name)["Table"]
    assert again["CreationDateTime"] == created
    assert again["TableArn"] == "arn:aws:dynamodb:us-east-1:%s:table/%s" % (account, name)


def test_durability_full_is_passed_to_every_regiond(new_cluster):
    """`scripts/meridian up --durability full` reaches each regiond's command line as
    --durability=full; the regiond says so in its log and serves writes. SQLite's
    synchronous level is per connection, so the command line and the log are what a
    test can see from outside."""
    c = new_cluster(start=False, regions=["us-east-1", "eu-west-1"])
    c.run_dir.mkdir(parents=True, exist_ok=True)
    bad = c.meridian("up", "-d", "--port", c.port, "--run-dir", c.run_dir, "--data-dir", c.data_dir,
                     "--durability", "fsync")
    assert bad.returncode != 0
    assert "--durability must be 'process'" in bad.stderr and "'fsync'" in bad.stderr, bad.stderr
    assert not c.leftovers()

    c.meridian(*c.up_args()[:1], "--durability", "full", *c.up_args()[1:], check=True)
    c.running = True
    c.gateway_pid = c.health()["pid"]
    c.seen_pids.add(c.gateway_pid)
    for region in ("us-east-1", "eu-west-1"):
        client = c.client(region)
        name = create_table(client)
        client.put_item(TableName=name, Item={"pk": {"S": "durable"}})
        assert client.get_item(TableName=name, Key={"pk": {"S": "durable"}}, ConsistentRead=True)["Item"]
        argv = proc_argv(c.region(region)["pid"])
        assert arg_value(argv, "--durability") == "full", argv
    log = (c.data_dir / "meridian.log").read_text(errors="replace")
    for region in ("us-east-1", "eu-west-1"):
        assert any(region in line and "durability full" in line for line in log.splitlines()), log[-2000:]


def test_regiond_rejects_an_unknown_durability():
    regiond = os.environ.get("MERIDIAN_REGIOND") or str(REPO / "build" / "regiond" / "meridian-regiond")
    p = subprocess.run([regiond, "--region", "us-east-1", "--listen", "ipc:///nonexistent/x",
                        "--in-memory", "--durability=sync"], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 2
    assert "bad --durability 'sync' (process or full)" in p.stderr, p.stderr
