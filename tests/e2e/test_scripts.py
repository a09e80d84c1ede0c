"""scripts/meridian: up (detached and foreground), down, status, help (issue 2, item 1)."""
import json
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import (DEFAULT_ACCOUNT, MERIDIAN, REPO, create_table, free_port, http_request,
                      is_meridian, unique, wait_until)


def run_meridian(*args, env_extra=None, timeout=60):
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run([str(MERIDIAN), *map(str, args)], env=env, cwd="/", text=True,
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout)


def test_status_lists_regions_pids_and_tables(cluster, client_for):
    if not cluster.managed and not cluster.is_local():
        pytest.skip("status talks to 127.0.0.1")
    c1, c2 = client_for("ap-southeast-1"), client_for("eu-south-1")
    t1 = create_table(c1, name=unique("status-one"))
    t2 = create_table(c2, name=unique("status-two"))
    for i in range(3):
        c1.put_item(TableName=t1, Item={"pk": {"S": str(i)}})
    c2.put_item(TableName=t2, Item={"pk": {"S": "x"}})
    info = {r["region"]: r for r in cluster.info()["regions"]}

    p = run_meridian("status", "--port", cluster.port)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    lines = out.splitlines()
    for region, table, items in (("ap-southeast-1", t1, 3), ("eu-south-1", t2, 1)):
        rline = [l for l in lines if l.split()[:1] == [region]]
        assert len(rline) == 1, "no single line for %s in:\n%s" % (region, out)
        assert str(info[region]["pid"]) in rline[0].split(), rline[0]
        assert "running" in rline[0].split(), rline[0]
        tline = [l for l in lines if table in l.split()]
        assert len(tline) == 1, "no single line for table %s in:\n%s" % (table, out)
        words = tline[0].split()
        assert str(items) in words and DEFAULT_ACCOUNT in words and "ACTIVE" in words, tline[0]
        # The table is listed under its region.
        assert lines.index(tline[0]) > lines.index(rline[0])
    # Gateway pid in the header.
    assert str(cluster.health()["pid"]) in lines[0]


def test_status_json_is_the_cluster_map(cluster):
    if not cluster.managed and not cluster.is_local():
        pytest.skip("status talks to 127.0.0.1")
    p = run_meridian("status", "--port", cluster.port, "--json")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["port"] == cluster.port
    assert data["pid"] == cluster.health()["pid"]


def test_status_and_down_with_nothing_running():
    port = free_port()
    p = run_meridian("status", "--port", port)
    assert p.returncode != 0
    assert "no meridian cluster answers" in p.stderr.lower()
    p = run_meridian("down", "--port", port, env_extra={"MERIDIAN_RUN": "/tmp"})
    assert p.returncode == 0, p.stderr
    assert "nothing running" in (p.stdout + p.stderr)


def test_help_and_unknown_command():
    p = run_meridian("help")
    assert p.returncode == 0
    for word in ("up", "down", "status", "--in-memory", "--data-dir", "-d"):
        assert word in p.stdout, word
    p = run_meridian("frobnicate")
    assert p.returncode == 2
    assert "unknown command" in p.stderr
    p = run_meridian("up", "--no-such-flag")
    assert p.returncode != 0
    p = run_meridian("up", "--in-memory", "--data-dir", "/tmp/x", "-d", "--port", free_port())
    assert p.returncode != 0
    assert "exclude" in p.stderr


def test_up_detached_pidfile_log_and_down(new_cluster):
    c = new_cluster()
    pidfile = c.run_dir / ("meridian-%d.pid" % c.port)
    assert pidfile.read_text().strip() == str(c.gateway_pid)
    log = c.data_dir / "meridian.log"
    assert log.is_file() and log.stat().st_size > 0
    gw_argv = open("/proc/%d/cmdline" % c.gateway_pid, "rb").read().split(b"\0")
    assert os.path.basename(gw_argv[0].decode()) == "meridian-gateway"
    # The detached gateway is in a session of its own (setsid), not the caller's.
    assert os.getsid(c.gateway_pid) != os.getsid(0)
    c.client("us-east-1").list_tables()
    rpid = c.region("us-east-1")["pid"]
    c.stop()
    assert not pidfile.exists()
    assert not is_meridian(c.gateway_pid) and not is_meridian(rpid)


def test_up_detached_in_memory_logs_to_run_dir(new_cluster):
    c = new_cluster(in_memory=True)
    assert (c.run_dir / ("meridian-%d.log" % c.port)).is_file()
    assert c.info()["in_memory"] is True


def test_up_twice_on_one_port_refuses(new_cluster):
    c = new_cluster()
    p = c.meridian(*c.up_args())
    assert p.returncode != 0
    assert "already" in p.stderr
    assert c.health()["pid"] == c.gateway_pid


def test_up_with_regions_starts_them(new_cluster):
    c = new_cluster(regions=["us-east-1", "eu-west-3"])

    def both_running():
        regions = {r["region"]: r for r in c.info()["regions"]}
        return all(regions.get(r, {}).get("state") == "running" for r in ("us-east-1", "eu-west-3"))
    wait_until(both_running, timeout=10, what="--regions to start both regions")


def test_up_fails_cleanly_when_port_is_taken(new_cluster):
    c = new_cluster(start=False)
    squatter = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    squatter.bind(("127.0.0.1", c.port))
    squatter.listen(1)
    try:
        started = time.monotonic()
        p = c.meridian(*c.up_args(), timeout=60)
        assert p.returncode != 0, p.stdout
        assert time.monotonic() - started < 30
        # No gateway left behind for that port.
        assert not c.leftovers()
        assert not (c.run_dir / ("meridian-%d.pid" % c.port)).exists()
    finally:
        squatter.close()


def test_foreground_up_stops_cleanly_on_sigint(new_cluster):
    c = new_cluster(start=False)
    c.run_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, MERIDIAN_RUN=str(c.run_dir))
    proc = subprocess.Popen([str(MERIDIAN), "up", "--port", str(c.port), "--data-dir", str(c.data_dir),
                             "--run-dir", str(c.run_dir)],
                            env=env, cwd=str(REPO), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    c.running = True           # from here on, teardown stops it whatever happens
    try:
        def healthy():
            try:
                return http_request(c.endpoint + "/_meridian/health", timeout=2).status == 200
            except OSError:
                return False
        wait_until(healthy, timeout=20, interval=0.1, what="the foreground gateway to answer")
        c.gateway_pid = c.health()["pid"]
        c.seen_pids.add(c.gateway_pid)
        # `up` execs the gateway: the process we started is the gateway itself.
        assert c.gateway_pid == proc.pid
        c.client("us-east-1").list_tables()
        c.client("eu-west-1").list_tables()
        pids = [c.gateway_pid] + [r["pid"] for r in c.info()["regions"] if r.get("pid")]
        assert len(pids) >= 3
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=20)
        assert rc in (0, 130, -signal.SIGINT), rc
        wait_until(lambda: not any(is_meridian(p) for p in pids), timeout=10,
                   what="Ctrl-C to stop every regiond")
        c.running = False
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
