"""chaos_run: `scripts/meridian chaos run SCENARIO.json` (Debian's python3 + boto3).

Applies a scenario's timed faults through /_meridian/chaos while writing to a global
table in every region, samples /_meridian/metrics into a CSV time series, then clears
every fault, waits for the regions to converge and prints a summary: max lag per link,
time to converge after the last heal, acknowledged writes lost (must be 0). It also
writes an SVG plot of the lag per link. Scenario format: scripts/scenarios/*.json.
"""
import csv
import json
import os
import re
import sys
import threading
import time
import urllib.request

import boto3
import botocore.config


def fail(msg):
    print("meridian: chaos run: %s" % msg, file=sys.stderr)
    sys.exit(1)


def http(base, path, body=None):
    req = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                 method="GET" if body is None else "POST",
                                 headers=dict({"Content-Type": "application/json"},
                                              **({"X-Meridian-Admin-Key": os.environ["MERIDIAN_ADMIN_KEY"]}
                                                 if os.environ.get("MERIDIAN_ADMIN_KEY") else {})))
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=10) as r:
            return r.read().decode()
    except urllib.error.HTTPError as e:
        fail("%s refused (%d): %s" % (path, e.code, e.read().decode()))


def metrics(base):
    out = {}
    for line in http(base, "/_meridian/metrics").splitlines():
        m = re.match(r'^([a-z_]+)(?:\{(.*)\})? (\S+)$', line)
        if m:
            out[(m.group(1), tuple(sorted(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))))] = float(m.group(3))
    return out


def total(ms, name, **labels):
    want = set(labels.items())
    return sum(v for (n, l), v in ms.items() if n == name and want <= set(l))


def client(base, region):
    cfg = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 3},
                                 connect_timeout=5, read_timeout=30)
    return boto3.client("dynamodb", endpoint_url=base, region_name=region, aws_access_key_id="chaos",
                        aws_secret_access_key="chaos", config=cfg)


def setup_table(base, name, regions):
    owner = client(base, regions[0])
    try:
        owner.describe_table(TableName=name)
    except owner.exceptions.ResourceNotFoundException:
        owner.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                           AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                           BillingMode="PAY_PER_REQUEST")
    have = {r["RegionName"] for r in owner.describe_table(TableName=name)["Table"].get("Replicas", [])}
    missing = [r for r in regions[1:] if r not in have]
    if missing:
        owner.update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": r}} for r in missing])
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if all(client(base, r).describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE" for r in regions):
                return
        except Exception:
            pass
        time.sleep(0.2)
    fail("the global table %s did not become ACTIVE in %s" % (name, regions))


def scan_keys(c, name):
    keys, kw = set(), {"TableName": name, "ConsistentRead": True, "ProjectionExpression": "pk"}
    while True:
        r = c.scan(**kw)
        keys.update(i["pk"]["S"] for i in r["Items"])
        if "LastEvaluatedKey" not in r:
            return keys
        kw["ExclusiveStartKey"] = r["LastEvaluatedKey"]


def missing_everywhere(base, name, regions, acked, sc):
    """Waits for every acknowledged write to be in every region; returns the ones missing."""
    want = set(k for ks in acked.values() for k in ks)
    lost = want
    deadline = time.time() + float(sc.get("converge_timeout_s", 60))
    while time.time() < deadline:
        lost = set()
        for r in regions:
            lost |= want - scan_keys(client(base, r), name)
        if not lost:
            break
        time.sleep(0.2)
    return lost


def converged_at_end(base, name, regions, acked, sc):
    return None if missing_everywhere(base, name, regions, acked, sc) else True


def svg_plot(path, times, series, title):
    w, h, ml, mb, mt, mr = 800, 400, 70, 40, 30, 180
    tmax = max(times) if times else 1
    ymax = max([1.0] + [v for vs in series.values() for v in vs]) * 1.1
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]
    x = lambda t: ml + (w - ml - mr) * t / (tmax or 1)
    y = lambda v: mt + (h - mt - mb) * (1 - v / ymax)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">' % (w, h),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="18" font-size="14">%s</text>' % (ml, title),
           '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (ml, h - mb, w - mr, h - mb),
           '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (ml, mt, ml, h - mb),
           '<text x="%d" y="%d">time (s)</text>' % ((w - mr) // 2, h - 8),
           '<text x="8" y="%d" transform="rotate(-90 14 %d)">lag (ms)</text>' % (h // 2, h // 2)]
    for i in range(5):
        v = ymax * i / 4
        out.append('<text x="%d" y="%d" text-anchor="end">%d</text>' % (ml - 4, y(v) + 4, v))
        t = tmax * i / 4
        out.append('<text x="%d" y="%d" text-anchor="middle">%.0f</text>' % (x(t), h - mb + 16, t))
    for k, (label, vs) in enumerate(sorted(series.items())):
        pts = " ".join("%.1f,%.1f" % (x(t), y(v)) for t, v in zip(times, vs))
        color = colors[k % len(colors)]
        out.append('<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>' % (color, pts))
        out.append('<text x="%d" y="%d" fill="%s">%s</text>' % (w - mr + 8, mt + 16 * (k + 1), color, label))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    if len(sys.argv) != 3:
        fail("usage: chaos_run.py PORT SCENARIO.json")
    base = "http://127.0.0.1:%s" % sys.argv[1]
    try:
        with open(sys.argv[2]) as f:
            sc = json.load(f)
    except (OSError, ValueError) as e:
        fail("cannot read %s: %s" % (sys.argv[2], e))
    regions = sc.get("regions") or fail("the scenario needs regions (the first one owns the table)")
    name = sc.get("table", "chaos-scenario")
    duration = float(sc.get("duration_s", 30))
    sample = float(sc.get("sample_ms", 500)) / 1000
    rate = float(sc.get("writes_per_s", 20))
    steps = sorted(sc.get("steps", []), key=lambda s: s["at"])
    out_dir = sc.get("out_dir") or os.path.splitext(os.path.basename(sys.argv[2]))[0] + "-results"
    os.makedirs(out_dir, exist_ok=True)

    http(base, "/_meridian/chaos", {"clear": True, "seed": int(sc.get("seed", 1))})
    setup_table(base, name, regions)
    acked = {r: [] for r in regions}
    stop = threading.Event()

    def writer(region):
        c, i = client(base, region), 0
        while not stop.is_set():
            key = "%s-%d-%06d" % (region, int(time.time()), i)
            i += 1
            try:
                c.put_item(TableName=name, Item={"pk": {"S": key}})
                acked[region].append(key)
            except Exception:
                pass   # not acknowledged: not counted
            time.sleep(1.0 / rate)

    threads = [threading.Thread(target=writer, args=(r,), daemon=True) for r in regions]
    for t in threads:
        t.start()
    rows, times, lag, last_heal, caught_up_at = [], [], {}, None, None
    prev, t0, next_step = None, time.time(), 0
    while True:
        now = time.time() - t0
        while next_step < len(steps) and steps[next_step]["at"] <= now:
            step = steps[next_step]
            http(base, "/_meridian/chaos", step["chaos"])
            print("t=%5.1fs %s" % (now, json.dumps(step["chaos"])))
            if step["chaos"].get("heal") or step["chaos"].get("clear"):
                last_heal, caught_up_at = now, None
            next_step += 1
        if now >= duration:
            break
        ms = metrics(base)
        row = {"t_s": round(now, 2)}
        for (n, l), v in ms.items():
            if n == "meridian_replication_current_lag_ms":
                d = dict(l)
                row["lag_ms:%s->%s" % (d["origin"], d["destination"])] = v
        for r in regions:
            req, err = total(ms, "meridian_requests_total", region=r), total(ms, "meridian_errors_total", region=r)
            if prev:
                dt = max(now - prev[0], 1e-3)
                row["req_per_s:%s" % r] = round((req - prev[1][r][0]) / dt, 1)
                row["err_per_s:%s" % r] = round((err - prev[1][r][1]) / dt, 1)
            row["conflicts:%s" % r] = total(ms, "meridian_lww_conflicts_total", region=r)
        prev = (now, {r: (total(ms, "meridian_requests_total", region=r), total(ms, "meridian_errors_total", region=r))
                      for r in regions})
        lags = [v for k, v in row.items() if k.startswith("lag_ms:")]
        if last_heal is not None and caught_up_at is None and lags and max(lags) < 1000 and \
                total(ms, "meridian_replication_backlog") == 0:
            caught_up_at = now   # every link caught up (lag under 1 s, nothing left in the logs)
        rows.append(row)
        times.append(now)
        for k, v in row.items():
            if k.startswith("lag_ms:"):
                lag.setdefault(k[7:], [0.0] * (len(times) - 1)).append(v)
        for k in lag:
            if len(lag[k]) < len(times):
                lag[k].append(lag[k][-1] if lag[k] else 0.0)
        time.sleep(max(0.0, sample - (time.time() - t0 - now)))
    stop.set()
    for t in threads:
        t.join()
    end = time.time() - t0
    http(base, "/_meridian/chaos", {"clear": True})
    if last_heal is None:
        last_heal = end
    if caught_up_at is None:
        caught_up_at = None if converged_at_end(base, name, regions, acked, sc) is None else time.time() - t0
    lost = missing_everywhere(base, name, regions, acked, sc)

    keys = sorted({k for row in rows for k in row})
    with open(os.path.join(out_dir, "timeseries.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
    svg_plot(os.path.join(out_dir, "lag.svg"), times, lag, "replication lag per link: %s" % os.path.basename(sys.argv[2]))
    summary = {
        "max_lag_ms": {k: max(v) if v else 0 for k, v in lag.items()},
        "seconds_to_converge_after_last_heal": None if caught_up_at is None else round(caught_up_at - last_heal, 2),
        "writes_acknowledged": sum(len(ks) for ks in acked.values()),
        "writes_lost": len(lost),
        "csv": os.path.join(out_dir, "timeseries.csv"),
        "plot": os.path.join(out_dir, "lag.svg"),
    }
    with open(os.path.join(out_dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary, indent=2))
    sys.exit(0 if not lost else 3)


if __name__ == "__main__":
    main()
