"""Fixtures and helpers for Meridian's end-to-end tests.

Every test talks to a real cluster: a meridian-gateway and its meridian-regionds,
started through `scripts/meridian up -d` on a free loopback port with a fresh
temporary data dir, and stopped with `scripts/meridian down` (so the launcher is
tested as well). The session cluster is shared by a test file's tests; tests that
kill or restart processes start their own clusters through the `new_cluster`
factory. `--endpoint URL` (or MERIDIAN_ENDPOINT) runs the suite against a cluster
that is already running instead; the tests that need their own clusters are then
skipped.

Run with Debian's python3: /usr/bin/python3 -m pytest -q tests/e2e
The binaries come from MERIDIAN_GATEWAY / MERIDIAN_REGIOND (CTest sets them), else
from build/. Helpers below are imported by the test files (`from conftest import`).
"""
import contextlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import uuid
import zlib
from pathlib import Path

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[2]
MERIDIAN = REPO / "scripts" / "meridian"
PROGRAMS = ("meridian-gateway", "meridian-regiond")
DEFAULT_ACCOUNT = "000000000000"
OTHER_ACCOUNT = "123456789012"      # a 12-digit access key id is the account
DUMMY_KEY = "AKIDMERIDIANTEST"      # anything else is account 000000000000
DDB_NS = "com.amazonaws.dynamodb.v20120810#"
JSON_CT = "application/x-amz-json-1.0"

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("no_proxy", "127.0.0.1,localhost")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")


# --- small helpers -----------------------------------------------------------------

def unique(prefix="t"):
    """A table name no other test uses."""
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


def fresh_account():
    """A random 12-digit account id (as an access key id): a namespace of its own."""
    return str(random.randint(200000000000, 999999999999))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=10.0, interval=0.05, what="condition"):
    """Polls predicate() until it returns something truthy; returns that value."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %.1fs waiting for %s (last: %r)" % (timeout, what, last))


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers          # lower-cased names
        self.body = body                # bytes
        try:
            self.json = json.loads(body.decode("utf-8")) if body else None
        except (ValueError, UnicodeDecodeError):
            self.json = None

    @property
    def error_type(self):
        return (self.json or {}).get("__type", "")

    @property
    def error_name(self):
        return self.error_type.rsplit("#", 1)[-1]

    @property
    def message(self):
        j = self.json or {}
        return j.get("message", j.get("Message"))

    def __repr__(self):
        return "<HTTP %s %s %r>" % (self.status, self.headers, self.body[:400])


def http_request(url, method="GET", body=None, headers=None, timeout=15):
    """One HTTP/1.1 request without proxies or retries. Returns a Response."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
    try:
        path = u.path or "/"
        if u.query:
            path += "?" + u.query
        if isinstance(body, str):
            body = body.encode("utf-8")
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        return Response(r.status, hdrs, data)
    finally:
        conn.close()


def check_common_headers(resp):
    """Every DynamoDB response carries x-amzn-RequestId and a correct x-amz-crc32."""
    assert resp.headers.get("x-amzn-requestid"), "no x-amzn-RequestId in %r" % resp
    assert "x-amz-crc32" in resp.headers, "no x-amz-crc32 in %r" % resp
    want = str(zlib.crc32(resp.body) & 0xFFFFFFFF)
    assert resp.headers["x-amz-crc32"] == want, \
        "x-amz-crc32 %s but the body's CRC32 is %s" % (resp.headers["x-amz-crc32"], want)


def ddb_raw(endpoint, op, body, region="us-east-1", access_key=DUMMY_KEY,
            target=None, omit_target=False, headers=None, check_headers=True):
    """Sends a DynamoDB JSON request by hand, so the exact reply can be checked.

    op: operation name (X-Amz-Target DynamoDB_20120810.<op>), or target= for a raw
    header value. body: dict (JSON-encoded), or str/bytes sent as is."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    h = {
        "Content-Type": JSON_CT,
        "Authorization": ("AWS4-HMAC-SHA256 Credential=%s/20240101/%s/dynamodb/aws4_request, "
                          "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                          "Signature=%s" % (access_key, region, "0" * 64)),
        "X-Amz-Date": "20240101T000000Z",
    }
    if not omit_target:
        h["X-Amz-Target"] = target if target is not None else "DynamoDB_20120810." + op
    h.update(headers or {})
    resp = http_request(endpoint + "/", "POST", body, h)
    if check_headers:
        check_common_headers(resp)
    return resp


def assert_ddb_error(resp, name, message=None, contains=None, status=400):
    """resp is DynamoDB's error JSON for `name` (e.g. ValidationException)."""
    assert resp.status == status, "expected HTTP %d %s, got %r" % (status, name, resp)
    assert resp.json is not None, "error body is not JSON: %r" % resp
    assert resp.error_name == name, "expected %s, got %r" % (name, resp.json)
    assert "#" in resp.error_type, "__type has no namespace: %r" % resp.json
    if message is not None:
        assert resp.message == message, "message %r != %r" % (resp.message, message)
    if contains is not None:
        assert resp.message and contains in resp.message, \
            "message %r does not contain %r" % (resp.message, contains)


@contextlib.contextmanager
def raises_ddb(code, message=None, contains=None):
    """Expects a boto3 ClientError with that error code (and message)."""
    with pytest.raises(ClientError) as ei:
        yield ei
    err = ei.value.response.get("Error", {})
    assert err.get("Code") == code, "expected %s, got %r" % (code, err)
    if message is not None:
        assert err.get("Message") == message, "message %r != %r" % (err.get("Message"), message)
    if contains is not None:
        assert contains in (err.get("Message") or ""), \
            "message %r does not contain %r" % (err.get("Message"), contains)


class RawDDB:
    """DynamoDB over hand-made JSON requests, for what Debian's boto3 (1.26) and AWS CLI
    (2.9) do not know yet, e.g. DeletionProtectionEnabled (added to the API in 2023)."""

    def __init__(self, endpoint, region="us-east-1", access_key=DUMMY_KEY):
        self.endpoint, self.region, self.access_key = endpoint, region, access_key

    def __call__(self, op, **body):
        """The Response (status, headers, json) of one request."""
        return ddb_raw(self.endpoint, op, body, region=self.region, access_key=self.access_key)

    def ok(self, op, **body):
        """The JSON of a request that must succeed."""
        r = self(op, **body)
        assert r.status == 200, "%s failed: %r" % (op, r)
        return r.json

    def describe(self, name):
        return self.ok("DescribeTable", TableName=name)["Table"]


def make_client(endpoint, region="us-east-1", access_key=DUMMY_KEY, validate=True):
    cfg = botocore.config.Config(
        retries={"total_max_attempts": 1},       # see every failure as it is
        parameter_validation=validate,
        connect_timeout=5, read_timeout=30,
    )
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name=region,
                        aws_access_key_id=access_key, aws_secret_access_key="secret",
                        config=cfg)


def create_table(client, name=None, hash_key=("pk", "S"), range_key=None,
                 billing="PAY_PER_REQUEST", rcu=None, wcu=None, **extra):
    """Creates a table; returns its name."""
    name = name or unique()
    attrs = [{"AttributeName": hash_key[0], "AttributeType": hash_key[1]}]
    schema = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    if range_key:
        attrs.append({"AttributeName": range_key[0], "AttributeType": range_key[1]})
        schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
    kw = dict(TableName=name, AttributeDefinitions=attrs, KeySchema=schema)
    if billing:
        kw["BillingMode"] = billing
    if rcu is not None or wcu is not None:
        kw["ProvisionedThroughput"] = {"ReadCapacityUnits": rcu, "WriteCapacityUnits": wcu}
    kw.update(extra)
    client.create_table(**kw)
    return name


def normalize(value):
    """An attribute value (or item) in a form where sets compare as sets."""
    if isinstance(value, dict):
        if len(value) == 1:
            (t, v), = value.items()
            if t in ("SS", "NS", "BS"):
                return {t: sorted(v)}
            if t == "M":
                return {"M": {k: normalize(x) for k, x in v.items()}}
            if t == "L":
                return {"L": [normalize(x) for x in v]}
            if t in ("S", "N", "B", "BOOL", "NULL"):
                return value
        return {k: normalize(x) for k, x in value.items()}
    return value


# --- processes -----------------------------------------------------------------------

def proc_argv(pid):
    """argv of a live process, or None (gone, or a zombie)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        if state in ("Z", "X"):
            return None
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            raw = f.read()
    except (OSError, IndexError):
        return None
    if not raw:
        return None
    return [a.decode("utf-8", "replace") for a in raw.rstrip(b"\0").split(b"\0")]


def proc_ppid(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("PPid:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def is_meridian(pid, program=None):
    argv = proc_argv(pid)
    if not argv:
        return False
    prog = os.path.basename(argv[0])
    return prog == program if program else prog in PROGRAMS


def meridian_processes():
    """{pid: argv} of every live meridian-gateway / meridian-regiond on this machine."""
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            argv = proc_argv(int(entry))
            if argv and os.path.basename(argv[0]) in PROGRAMS:
                out[int(entry)] = argv
    return out


def arg_value(argv, flag):
    """The value of `--flag V` or `--flag=V` in argv, or None."""
    for i, a in enumerate(argv):
        if a == flag and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith(flag + "="):
            return a.split("=", 1)[1]
    return None


# --- clusters ------------------------------------------------------------------------

class Cluster:
    """A cluster this test session started (and must stop)."""

    managed = True

    def __init__(self, base_dir, in_memory=False, data_dir=None, port=None, regions=None, gateway_args=None):
        self.base_dir = Path(base_dir)
        self.gateway_args = list(gateway_args or [])   # after `--`: e.g. --regiond-arg=...
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.in_memory = in_memory
        self.data_dir = None if in_memory else Path(data_dir or self.base_dir / "data")
        self.run_dir = self.base_dir / "run"
        self.regions = regions
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.gateway_pid = None
        self.seen_pids = set()       # every Meridian pid this cluster ever had
        self.running = False

    # scripts/meridian, with pidfiles and logs kept under this cluster's dir
    def meridian(self, *args, timeout=60, check=False):
        env = dict(os.environ)
        env["MERIDIAN_RUN"] = str(self.run_dir)
        if env.get("MERIDIAN_GATEWAY") and env.get("MERIDIAN_REGIOND"):
            env.setdefault("MERIDIAN_NO_BUILD", "1")
        p = subprocess.run([str(MERIDIAN), *map(str, args)], env=env, cwd=str(REPO),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=timeout)
        if check:
            assert p.returncode == 0, "scripts/meridian %s failed (%d):\n%s\n%s" % (
                " ".join(map(str, args)), p.returncode, p.stdout, p.stderr)
        return p

    def up_args(self):
        args = ["up", "-d", "--port", self.port, "--run-dir", self.run_dir]
        if self.in_memory:
            args.append("--in-memory")
        else:
            args += ["--data-dir", self.data_dir]
        if self.regions:
            args += ["--regions", ",".join(self.regions)]
        if self.gateway_args:
            args += ["--", *self.gateway_args]
        return args

    def start(self):
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.meridian(*self.up_args(), check=True)
        self.running = True
        health = self.health()
        self.gateway_pid = health["pid"]
        self.seen_pids.add(self.gateway_pid)
        return self

    def stop(self):
        """scripts/meridian down; then every process the cluster had must be gone."""
        if self.running:
            with contextlib.suppress(Exception):
                self.info()              # remember the regionds' pids
            self.seen_pids.update(self.own_processes())
            p = self.meridian("down", "--port", self.port, timeout=90)
            self.running = False
            assert p.returncode == 0, "scripts/meridian down failed:\n%s\n%s" % (p.stdout, p.stderr)
        wait_until(lambda: not self.leftovers(), timeout=10,
                   what="the processes of the cluster on port %d to exit" % self.port)

    def kill_everything(self):
        """Last resort after a failed stop: SIGKILL whatever is left."""
        for pid in self.leftovers():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def own_processes(self):
        """Live Meridian processes that belong to this cluster."""
        mine = set()
        procs = meridian_processes()
        for pid, argv in procs.items():
            if pid in self.seen_pids or pid == self.gateway_pid:
                mine.add(pid)
            elif self.gateway_pid and proc_ppid(pid) == self.gateway_pid:
                mine.add(pid)
            elif any(str(self.base_dir) in a for a in argv):
                mine.add(pid)
            elif os.path.basename(argv[0]) == "meridian-gateway" and \
                    arg_value(argv, "--port") == str(self.port):
                mine.add(pid)
        return mine

    def leftovers(self):
        return sorted(p for p in self.seen_pids | self.own_processes() if is_meridian(p))

    # admin API
    def admin(self, path, method="GET"):
        return http_request(self.endpoint + "/_meridian/" + path, method, timeout=10)

    def health(self):
        r = self.admin("health")
        assert r.status == 200, r
        return r.json

    def info(self):
        r = self.admin("cluster")
        assert r.status == 200, r
        c = r.json
        for reg in c.get("regions", []):
            if isinstance(reg.get("pid"), int) and reg["pid"] > 0:
                self.seen_pids.add(reg["pid"])
        return c

    def region(self, name):
        for reg in self.info().get("regions", []):
            if reg.get("region") == name:
                return reg
        return None

    def client(self, region="us-east-1", access_key=DUMMY_KEY, validate=True):
        return make_client(self.endpoint, region, access_key, validate)

    def raw(self, region="us-east-1", access_key=DUMMY_KEY):
        return RawDDB(self.endpoint, region, access_key)


class ExternalCluster(Cluster):
    """A cluster that was already running (--endpoint): used, never started or stopped."""

    managed = False

    def __init__(self, endpoint):
        self.endpoint = endpoint.rstrip("/")
        u = urllib.parse.urlsplit(self.endpoint)
        self.port = u.port or 80
        self.host = u.hostname
        self.base_dir = Path("/nonexistent-meridian-external")
        self.in_memory = None
        self.data_dir = None
        self.gateway_pid = None
        self.seen_pids = set()
        self.running = True

    def start(self):
        raise RuntimeError("an external cluster is not started by the tests")

    def stop(self):
        pass

    def is_local(self):
        return self.host in ("127.0.0.1", "localhost", "::1")


# --- pytest wiring ---------------------------------------------------------------------

def pytest_addoption(parser):
    parser.addoption("--endpoint", default=os.environ.get("MERIDIAN_ENDPOINT"),
                     help="run against an already running Meridian at this URL "
                          "(default: start one; env MERIDIAN_ENDPOINT)")


@pytest.fixture(scope="session")
def external_endpoint(request):
    return request.config.getoption("--endpoint")


@pytest.fixture(scope="session")
def e2e_tmp():
    """One short temp dir for every cluster of the session (ipc paths stay short)."""
    d = Path(tempfile.mkdtemp(prefix="mer-e2e-", dir="/tmp"))
    yield d
    keep_sanitizer_logs(d)
    shutil.rmtree(d, ignore_errors=True)


SANITIZER_MARKS = (b"ERROR: AddressSanitizer", b"LeakSanitizer", b"runtime error:")


def keep_sanitizer_logs(tmp):
    """Under tests/asan/run (MERIDIAN_ASAN_LOGS set): copies every cluster log that holds
    a sanitizer report there before the temp dir goes, so the run fails on it."""
    dest = os.environ.get("MERIDIAN_ASAN_LOGS")
    if not dest:
        return
    for log in tmp.rglob("*.log"):
        with contextlib.suppress(OSError):
            if any(m in log.read_bytes() for m in SANITIZER_MARKS):
                shutil.copy(log, Path(dest) / ("cluster-%s-%s" % (uuid.uuid4().hex[:8], log.name)))


@pytest.fixture(scope="session")
def cluster_registry(e2e_tmp):
    """Every cluster started in the session; at the end none of their processes, nor
    any Meridian process pointing into the session's temp dir, may be left."""
    clusters = []
    yield clusters
    problems = []
    for c in clusters:
        if c.running:
            try:
                c.stop()
            except Exception as e:          # report, then clean up anyway
                problems.append("cluster on port %d did not stop: %s" % (c.port, e))
        left = c.leftovers()
        if left:
            problems.append("cluster on port %d left processes %s" % (c.port, left))
            c.kill_everything()
    stray = {pid: argv for pid, argv in meridian_processes().items()
             if any(str(e2e_tmp) in a for a in argv)}
    if stray:
        problems.append("stray Meridian processes: %r" % stray)
        for pid in stray:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    assert not problems, "; ".join(problems)


@pytest.fixture(scope="session")
def cluster(external_endpoint, e2e_tmp, cluster_registry):
    """The session's cluster (or the external one)."""
    if external_endpoint:
        yield ExternalCluster(external_endpoint)
        return
    c = Cluster(e2e_tmp / "session")
    cluster_registry.append(c)
    c.start()
    yield c
    c.stop()


@pytest.fixture
def new_cluster(external_endpoint, e2e_tmp, cluster_registry):
    """Factory for clusters of a test's own (stopped, and checked, at its end)."""
    if external_endpoint:
        pytest.skip("starts and kills its own clusters; not run against --endpoint")
    mine = []

    def make(in_memory=False, data_dir=None, port=None, regions=None, start=True, gateway_args=None):
        c = Cluster(e2e_tmp / ("c%d-%s" % (len(cluster_registry), uuid.uuid4().hex[:6])),
                    in_memory=in_memory, data_dir=data_dir, port=port, regions=regions,
                    gateway_args=gateway_args)
        cluster_registry.append(c)
        mine.append(c)
        if start:
            c.start()
        return c

    yield make
    errors = []
    for c in mine:
        try:
            c.stop()
        except AssertionError as e:
            errors.append(str(e))
            c.kill_everything()
    assert not errors, "; ".join(errors)


@pytest.fixture(scope="session")
def endpoint(cluster):
    return cluster.endpoint


@pytest.fixture(scope="session")
def ddb(cluster):
    """boto3 DynamoDB client, us-east-1, account 000000000000."""
    return cluster.client("us-east-1")


@pytest.fixture(scope="session")
def client_for(cluster):
    """client_for(region, access_key=...) -> boto3 DynamoDB client."""
    def make(region="us-east-1", access_key=DUMMY_KEY, validate=True):
        return cluster.client(region, access_key, validate)
    return make


@pytest.fixture(scope="session")
def other_account(cluster):
    """boto3 client whose access key 123456789012 makes it account 123456789012."""
    return cluster.client("us-east-1", OTHER_ACCOUNT)


@pytest.fixture(scope="session")
def raw(cluster):
    """RawDDB for us-east-1, account 000000000000."""
    return cluster.raw("us-east-1")


@pytest.fixture
def fresh(cluster):
    """A client in an account of its own (nothing else in the suite sees its tables)."""
    return cluster.client("us-east-1", fresh_account())


@pytest.fixture
def table(ddb):
    """A fresh hash-key (pk: S) table in us-east-1; deleted afterwards."""
    name = create_table(ddb)
    yield name
    with contextlib.suppress(ClientError):
        ddb.delete_table(TableName=name)
