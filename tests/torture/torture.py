"""Crash-safety torture test (issue 9): a mixed write workload against a 3-region global
table while regionds and the gateway are killed with SIGKILL, then checks that
(a) every write acknowledged with HTTP 200 is in every region, (b) all regions hold the
same items, (c) every SQLite file passes PRAGMA integrity_check; then disk-full: a
cluster on a small tmpfs (--disk-full tmpfs, root only) or a global table one of whose
regions gets the chaos disk-full switch (--disk-full switch; the default without root)
must answer errors, keep what it acknowledged, store nothing it refused, stay
uncorrupted and work again (and catch up) once space returns.

Run through scripts/torture [--minutes N] [--seed S] [--disk-full switch|tmpfs|off].
Last line of output:
torture: acknowledged=N kills=K lost=L regions_identical=yes|no integrity=ok|FAILED
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import boto3
import botocore.config
from botocore.exceptions import BotoCoreError, ClientError

REPO = Path(__file__).resolve().parents[2]
MERIDIAN = REPO / "scripts" / "meridian"
REGIONS = ("ap-south-1", "eu-central-1", "us-west-1")
TABLE = "torture"
CONFLICT_KEYS = ["c#%02d" % i for i in range(16)]


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A gateway + regionds started with scripts/meridian up -d on a data dir of its own."""

    def __init__(self, base, data_dir, regions):
        self.base, self.data_dir, self.regions = Path(base), Path(data_dir), regions
        self.run_dir = self.base / "run"
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self._clients = {}

    def meridian(self, *args, check=True, timeout=120):
        env = dict(os.environ, MERIDIAN_RUN=str(self.run_dir))
        p = subprocess.run([str(MERIDIAN), *map(str, args)], env=env, cwd=str(REPO),
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise RuntimeError("scripts/meridian %s: %s%s" % (" ".join(map(str, args)), p.stdout, p.stderr))
        return p

    def up(self):
        self.meridian("up", "-d", "--port", self.port, "--run-dir", self.run_dir,
                      "--data-dir", self.data_dir, "--regions", ",".join(self.regions))

    def down(self):
        self.meridian("down", "--port", self.port, check=False)

    def admin(self, path, body=None):
        """GET /_meridian/PATH, or POST body (a dict) to it; the JSON answer."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.endpoint + "/_meridian/" + path, data=data,
                                     method="GET" if data is None else "POST")
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read())

    def regionds(self):
        """{region: (pid, state)} from /_meridian/cluster."""
        return {r["region"]: (r.get("pid") or 0, r.get("state"))
                for r in self.admin("cluster").get("regions", [])}

    def client(self, region, retries=1):
        cfg = botocore.config.Config(retries={"total_max_attempts": retries},
                                     connect_timeout=3, read_timeout=15)
        return boto3.client("dynamodb", endpoint_url=self.endpoint, region_name=region,
                            aws_access_key_id="AKIDTORTURE", aws_secret_access_key="x", config=cfg)


def wait_until(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            v = pred()
            if v:
                return v
        except Exception:
            pass
        time.sleep(0.2)
    raise RuntimeError("timed out after %ss waiting for %s" % (timeout, what))


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def make_global_table(c, regions=REGIONS):
    owner = c.client(regions[0], retries=3)
    owner.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    wait_until(lambda: owner.describe_table(TableName=TABLE)["Table"]["TableStatus"] == "ACTIVE", 30, "table")
    owner.update_table(TableName=TABLE, ReplicaUpdates=[{"Create": {"RegionName": r}} for r in regions[1:]])
    for r in regions:
        cl = c.client(r, retries=3)

        def active(cl=cl):
            t = cl.describe_table(TableName=TABLE)["Table"]
            return t["TableStatus"] == "ACTIVE" and all(x["ReplicaStatus"] == "ACTIVE" for x in t.get("Replicas", []))
        wait_until(active, 60, "the replica in %s ACTIVE" % r)


class Ledger:
    """What the cluster acknowledged: unique keys (never written again) -> value, and
    keys whose delete was acknowledged after their put (must be absent)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.present = {}
        self.absent = set()
        self.acks = 0
        self.errors = 0

    def put(self, key, value):
        with self.lock:
            self.present[key] = value
            self.acks += 1

    def deleted(self, key):
        with self.lock:
            self.absent.add(key)
            self.acks += 1

    def ack(self):
        with self.lock:
            self.acks += 1


def worker(c, ledger, tid, seed, stop):
    rng = random.Random(seed * 1000 + tid)
    clients = {r: c.client(r) for r in REGIONS}
    n = 0

    def item(key, value):
        return {"pk": {"S": key}, "v": {"S": value}, "w": {"N": str(tid)}}

    while not stop.is_set():
        region = rng.choice(REGIONS)
        cl = clients[region]
        op = rng.random()
        n += 1
        try:
            if op < 0.30:                                   # PutItem, unique key
                key, val = "u#%d#%d" % (tid, n), uuid.uuid4().hex
                cl.put_item(TableName=TABLE, Item=item(key, val))
                ledger.put(key, val)
            elif op < 0.45:                                 # BatchWriteItem, unique keys
                batch = {"u#%d#%d.%d" % (tid, n, i): uuid.uuid4().hex for i in range(5)}
                r = cl.batch_write_item(RequestItems={TABLE: [
                    {"PutRequest": {"Item": item(k, v)}} for k, v in batch.items()]})
                left = {x["PutRequest"]["Item"]["pk"]["S"] for x in r.get("UnprocessedItems", {}).get(TABLE, [])}
                for k, v in batch.items():
                    if k not in left:
                        ledger.put(k, v)
            elif op < 0.55:                                 # TransactWriteItems: 2 unique puts + 1 conflict update
                puts = {"t#%d#%d.%d" % (tid, n, i): uuid.uuid4().hex for i in range(2)}
                cl.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": item(k, v)}}
                                                       for k, v in puts.items()] + [
                    {"Update": {"TableName": TABLE, "Key": {"pk": {"S": rng.choice(CONFLICT_KEYS)}},
                                "UpdateExpression": "ADD n :one SET t = :t",
                                "ExpressionAttributeValues": {":one": {"N": "1"}, ":t": {"S": "txn"}}}}])
                for k, v in puts.items():
                    ledger.put(k, v)
            elif op < 0.70:                                 # UpdateItem on a conflict key
                cl.update_item(TableName=TABLE, Key={"pk": {"S": rng.choice(CONFLICT_KEYS)}},
                               UpdateExpression="ADD n :one SET last = :w",
                               ExpressionAttributeValues={":one": {"N": "1"}, ":w": {"S": "%d.%d" % (tid, n)}})
                ledger.ack()
            elif op < 0.80:                                 # PutItem on a conflict key
                cl.put_item(TableName=TABLE, Item=item(rng.choice(CONFLICT_KEYS), uuid.uuid4().hex))
                ledger.ack()
            elif op < 0.88:                                 # DeleteItem on a conflict key
                cl.delete_item(TableName=TABLE, Key={"pk": {"S": rng.choice(CONFLICT_KEYS)}})
                ledger.ack()
            else:                                           # put then delete a unique key
                # Both in one region: a delete sent to another region before the put
                # reached it deletes nothing there (as in DynamoDB), and the put wins.
                key = "d#%d#%d" % (tid, n)
                cl.put_item(TableName=TABLE, Item=item(key, "doomed"))
                ledger.ack()            # not in `present`: a failed delete may still have happened
                cl.delete_item(TableName=TABLE, Key={"pk": {"S": key}})
                ledger.deleted(key)
        except (ClientError, BotoCoreError, OSError):
            with ledger.lock:
                ledger.errors += 1
            time.sleep(0.05 + rng.random() * 0.1)      # the gateway may be down: back off a little


def kill_gateway(c):
    """SIGKILL the gateway; its regionds follow (PR_SET_PDEATHSIG); up -d again on the same data dir."""
    h = c.admin("health")
    old = [pid for pid, _ in c.regionds().values() if pid]
    os.kill(h["pid"], signal.SIGKILL)
    wait_until(lambda: not pid_alive(h["pid"]) and not any(pid_alive(p) for p in old), 30,
               "the old gateway and regionds to exit")
    c.up()


def faults(c, rng, stop, counts):
    while not stop.wait(rng.uniform(1.5, 3.5)):
        try:
            if rng.random() < 0.2:
                kill_gateway(c)
                counts["gateway"] += 1
                log("killed the gateway, restarted it")
            else:
                region = rng.choice(REGIONS)
                pid, state = c.regionds().get(region, (0, None))
                if pid and state == "running":
                    os.kill(pid, signal.SIGKILL)
                    counts["regiond"] += 1
                    log("killed regiond %s (pid %d)" % (region, pid))
        except Exception as e:                              # keep torturing; note it
            log("fault injection: %s" % e)
            with contextlib_suppress():
                c.up()


class contextlib_suppress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return True


def scan_all(cl):
    items, kw = {}, {"TableName": TABLE, "ConsistentRead": True}
    while True:
        r = cl.scan(**kw)
        for it in r["Items"]:
            items[it["pk"]["S"]] = it
        if "LastEvaluatedKey" not in r:
            return items
        kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]


def integrity(data_dirs):
    """PRAGMA integrity_check of every SQLite file, read-only (after the cluster stopped)."""
    bad, n = [], 0
    for d in data_dirs:
        for f in sorted(Path(d).rglob("*")):
            if not f.is_file() or f.name.endswith(("-wal", "-shm", "-journal", ".log")):
                continue
            with open(f, "rb") as fh:
                if fh.read(16) != b"SQLite format 3\0":
                    continue
            n += 1
            try:
                con = sqlite3.connect("file:%s?mode=ro" % f, uri=True)
                res = [r[0] for r in con.execute("PRAGMA integrity_check")]
                con.close()
            except sqlite3.Error as e:
                res = [str(e)]
            if res != ["ok"]:
                bad.append("%s: %s" % (f, "; ".join(res[:5])))
    return n, bad


def torture(args, work):
    data = work / "data"
    c = Cluster(work / "main", data, REGIONS)
    c.up()
    ledger, counts = Ledger(), {"regiond": 0, "gateway": 0}
    lost, identical = [], False
    try:
        make_global_table(c)
        log("global table in %s; workload for %.0f s" % (", ".join(REGIONS), args.seconds))
        stop_work, stop_faults = threading.Event(), threading.Event()
        threads = [threading.Thread(target=worker, args=(c, ledger, t, args.seed, stop_work)) for t in range(args.threads)]
        ft = threading.Thread(target=faults, args=(c, random.Random(args.seed), stop_faults, counts))
        for t in threads + [ft]:
            t.start()
        time.sleep(args.seconds)
        stop_faults.set()
        ft.join()
        time.sleep(2)                                      # writes go on a little without faults
        stop_work.set()
        for t in threads:
            t.join()
        log("workload done: %d acknowledged, %d errors/retries; kills: %d regiond, %d gateway"
            % (ledger.acks, ledger.errors, counts["regiond"], counts["gateway"]))
        wait_until(lambda: all(s == "running" for _, s in c.regionds().values()), 60, "every regiond running")
        clients = {r: c.client(r, retries=3) for r in REGIONS}
        scans = {}

        def same():
            scans.update({r: scan_all(clients[r]) for r in REGIONS})
            first = scans[REGIONS[0]]
            return all(scans[r] == first for r in REGIONS[1:])
        try:
            identical = wait_until(same, args.converge, "identical regions")
        except RuntimeError as e:
            log(str(e))
            for r in REGIONS:
                log("  %s: %d items" % (r, len(scans.get(r, {}))))
        for r in REGIONS:
            have = scans.get(r, {})
            for k, v in ledger.present.items():
                if have.get(k, {}).get("v", {}).get("S") != v:
                    lost.append("%s in %s" % (k, r))
            for k in ledger.absent:
                if k in have:
                    lost.append("deleted %s back in %s" % (k, r))
        for x in lost[:20]:
            log("LOST: %s" % x)
    finally:
        c.down()
    return ledger.acks, counts["regiond"] + counts["gateway"], lost, identical, [data]


def disk_full_tmpfs(args, work):
    """A one-region cluster on an 8 MB tmpfs (needs root): writes until the disk is full,
    then checks errors were clean, grows the tmpfs and checks recovery. None when the
    tmpfs cannot be mounted."""
    mnt = work / "tmpfs"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        log("disk-full (tmpfs): cannot mount a tmpfs (needs root and CAP_SYS_ADMIN)")
        return None
    region = REGIONS[0]
    c = Cluster(work / "df", mnt / "data", [region])
    acked, lost, copy = {}, [], work / "df-copy"
    try:
        c.up()
        cl = c.client(region, retries=1)
        cl.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        wait_until(lambda: cl.describe_table(TableName=TABLE)["Table"]["TableStatus"] == "ACTIVE", 30, "table")
        blob = "x" * 100_000
        errors, statuses, refused = 0, {}, set()   # refused: answered with an error
        for i in range(400):
            key, val = "f#%d" % i, uuid.uuid4().hex
            try:
                cl.put_item(TableName=TABLE, Item={"pk": {"S": key}, "v": {"S": val}, "blob": {"S": blob}})
                acked[key] = val
            except ClientError as e:
                errors += 1
                refused.add(key)
                st = e.response["ResponseMetadata"]["HTTPStatusCode"]
                name = e.response["Error"]["Code"]
                statuses[(st, name)] = statuses.get((st, name), 0) + 1
                if errors >= 20:
                    break
            except BotoCoreError as e:
                errors += 1
                statuses[("conn", type(e).__name__)] = statuses.get(("conn", type(e).__name__), 0) + 1
                if errors >= 20:
                    break
        log("disk-full: %d writes acknowledged before the 8 MB tmpfs filled; errors %s" % (len(acked), statuses))
        if not errors:
            lost.append("disk-full: the disk never filled")
        if any(st not in (500, 503) for st, _ in statuses):
            lost.append("disk-full: unexpected answers %s" % statuses)
        subprocess.run(["mount", "-o", "remount,size=256m", str(mnt)], check=True)
        log("disk-full: space returned (256 MB)")

        def works():
            cl.put_item(TableName=TABLE, Item={"pk": {"S": "after"}, "v": {"S": "ok"}})
            return True
        try:
            wait_until(works, 30, "a write to succeed after space returned")
        except RuntimeError as e:
            lost.append("disk-full: no recovery: %s" % e)
        try:
            have = {k: it["v"]["S"] for k, it in scan_all(c.client(region, retries=3)).items()}
            lost += ["disk-full: %s" % k for k, v in acked.items() if have.get(k) != v]
            # a request answered with an error stored nothing (its commit failed as a whole)
            lost += ["disk-full: %s stored though refused" % k for k in refused if k in have]
            log("disk-full: regiond restarts during the phase: %s"
                % next(r.get("restarts") for r in c.admin("cluster")["regions"] if r["region"] == region))
        except (ClientError, BotoCoreError) as e:
            lost.append("disk-full: scan failed after recovery: %s" % e)
    finally:
        c.down()
        shutil.copytree(mnt / "data", copy, ignore_dangling_symlinks=True, dirs_exist_ok=True)
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
    return len(acked), lost, copy


def _set_disk_full(c, region, on):
    """The chaos disk-full switch of region on or off, once its regiond has it."""
    c.admin("chaos", {"disk_full": [{"region": region, "on": on}]})
    wait_until(lambda: c.admin("chaos")["processes"][region]["disk_full_synced"], 15,
               "the disk-full switch at %s's regiond" % region)


def disk_full_switch(args, work):
    """A 2-region global table written in both regions from several threads; the chaos
    disk-full switch goes on in the second region for about 4 s, during which its
    regiond is restarted once (the disk stays full), then off. Every write that region
    refused while full must have had a 500 (503 while it restarted) and be stored
    nowhere, nothing may be acknowledged there meanwhile, reads must keep working, and
    once the switch is off every acknowledged write must be in both regions (the full
    one caught up on what it could not store) and the regions identical."""
    owner, full = REGIONS[0], REGIONS[1]
    c = Cluster(work / "dfs", work / "dfs-data", [owner, full])
    lock, stop = threading.Lock(), threading.Event()
    acked, refused, lost, statuses, window = {}, set(), [], {}, {}

    def writer(tid):
        clients = {r: c.client(r) for r in (owner, full)}
        n = 0
        while not stop.is_set():
            n += 1
            region = (owner, full)[n % 2]
            cl = clients[region]
            keys = {"s#%d#%d.%d" % (tid, n, i): uuid.uuid4().hex for i in range(1 + n % 3)}
            items = [{"pk": {"S": k}, "v": {"S": v}} for k, v in keys.items()]
            t0 = time.monotonic()
            try:
                if len(items) == 1:
                    cl.put_item(TableName=TABLE, Item=items[0])
                elif len(items) == 2:
                    cl.batch_write_item(RequestItems={TABLE: [{"PutRequest": {"Item": it}} for it in items]})
                else:
                    cl.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": it}} for it in items])
                with lock:
                    acked.update(keys)
                    if region == full and "on" in window and t0 >= window["on"] and "off" not in window:
                        lost.append("disk-full: %s acknowledged %s while its disk was full" % (full, list(keys)))
            except ClientError as e:
                st, code = e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]
                with lock:
                    statuses[(region, st, code)] = statuses.get((region, st, code), 0) + 1
                    if region == full and "on" in window and t0 >= window["on"] and "off" not in window:
                        refused.update(keys)
                        if st not in (500, 503):
                            lost.append("disk-full: %s answered %d %s while full" % (full, st, code))
            except (BotoCoreError, OSError) as e:
                with lock:
                    statuses[(region, "conn", type(e).__name__)] = statuses.get((region, "conn", type(e).__name__), 0) + 1
            time.sleep(0.005)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(3)]
    try:
        c.up()
        make_global_table(c, (owner, full))
        for t in threads:
            t.start()
        time.sleep(1.5)
        _set_disk_full(c, full, True)
        window["on"] = time.monotonic()
        log("disk-full (switch): %s's disk is full" % full)
        time.sleep(1.5)
        # Reads keep working; one that the regiond ran in the same group commit as a
        # refused write shares its 500, so the reader retries like an SDK does.
        reader = c.client(full, retries=10)
        seen = scan_all(reader)
        old_pid = c.regionds()[full][0]
        c.admin("chaos", {"process": [{"region": full, "action": "restart"}]})
        wait_until(lambda: c.regionds()[full][0] not in (0, old_pid) and c.regionds()[full][1] == "running", 30,
                   "%s's regiond restarted" % full)
        _set_disk_full(c, full, True)
        if not next(r for r in c.admin("cluster")["regions"] if r["region"] == full)["disk"]["full"]:
            lost.append("disk-full: the disk of %s was not full after a restart" % full)
        time.sleep(1.5)
        seen.update(scan_all(reader))
        with lock:
            window["off"] = time.monotonic()
        _set_disk_full(c, full, False)
        log("disk-full (switch): space returned to %s" % full)
        time.sleep(2.0)
        stop.set()
        for t in threads:
            t.join()
        with lock:
            stored = sorted(k for k in refused if k in seen)
        lost += ["disk-full: %s refused %s but stored it" % (full, k) for k in stored[:10]]
        log("disk-full (switch): %d writes acknowledged, %d refused while full; answers %s"
            % (len(acked), len(refused), statuses))
        if not refused:
            lost.append("disk-full: %s refused nothing while its disk was full" % full)
        clients = {r: c.client(r, retries=3) for r in (owner, full)}
        scans = {}

        def same():
            scans.update({r: scan_all(clients[r]) for r in (owner, full)})
            return scans[owner] == scans[full]
        try:
            wait_until(same, args.converge, "%s to catch up" % full)
        except RuntimeError as e:
            lost.append("disk-full: %s" % e)
        for r in (owner, full):
            have = scans.get(r, {})
            lost += ["disk-full: %s missing in %s" % (k, r) for k, v in acked.items()
                     if have.get(k, {}).get("v", {}).get("S") != v][:10]
            lost += ["disk-full: refused %s stored in %s" % (k, r) for k in refused if k in have][:10]
    except Exception as e:
        lost.append("disk-full: harness error: %r" % e)
    finally:
        stop.set()
        for t in threads:
            if t.is_alive():
                t.join()
        c.down()
    return len(acked), lost, work / "dfs-data"


def disk_full(args, work):
    """The disk-full phase in the mode asked for (default: tmpfs as root, else the
    switch). (acknowledged, lost, data dir to check or None)."""
    mode = args.disk_full or ("tmpfs" if os.geteuid() == 0 else "switch")
    if mode == "tmpfs":
        done = disk_full_tmpfs(args, work)
        if done is not None:
            return done
        if args.disk_full == "tmpfs":
            return 0, ["disk-full: --disk-full tmpfs, but no tmpfs could be mounted"], None
        log("disk-full: using the chaos disk-full switch instead")
    return disk_full_switch(args, work)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=1.0, help="workload under faults (default 1)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--converge", type=float, default=90, help="seconds allowed to converge")
    ap.add_argument("--disk-full", choices=("switch", "tmpfs", "off"), default=None,
                    help="disk-full phase: the chaos switch, a tmpfs (root), or none "
                         "(default: tmpfs as root, else switch)")
    ap.add_argument("--no-disk-full", action="store_true", help="same as --disk-full off")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = ap.parse_args()
    args.seconds = args.minutes * 60
    if args.seed is None:
        args.seed = random.randrange(1 << 30)
    log("seed %d (rerun with --seed %d)" % (args.seed, args.seed))
    work = Path(tempfile.mkdtemp(prefix="mer-torture-", dir="/tmp"))
    acks, kills, lost, identical, dirs = 0, 0, ["harness failed"], False, []
    try:
        acks, kills, lost, identical, dirs = torture(args, work)
        if not args.no_disk_full and args.disk_full != "off":
            n, df_lost, df_dir = disk_full(args, work)
            for x in df_lost[:20]:
                log("LOST: %s" % x)
            acks += n
            lost += df_lost
            if df_dir:
                dirs.append(df_dir)
    except Exception as e:
        log("harness error: %r" % e)
        lost = lost or ["harness error"]
    nfiles, bad = integrity(dirs) if dirs else (0, ["no data checked"])
    log("integrity_check: %d SQLite files, %d bad" % (nfiles, len(bad)))
    for b in bad:
        log("  " + b)
    if args.keep or lost or bad or not identical:
        log("kept %s" % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    ok = not lost and identical and not bad and nfiles > 0
    print("torture: acknowledged=%d kills=%d lost=%d regions_identical=%s integrity=%s"
          % (acks, kills, len(lost), "yes" if identical else "no", "ok" if not bad and nfiles else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
