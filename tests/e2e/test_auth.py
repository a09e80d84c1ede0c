"""Authentication and isolation (issue 9): a cluster started with `--auth FILE`.

SigV4 signatures from botocore (boto3 clients and hand-signed requests with a
chosen date) and from the AWS SDK for JavaScript v3 are verified against FILE's
secrets; wrong, unknown, missing and expired credentials get DynamoDB's errors;
session tokens; host and X-Amz-Date that must be signed; accounts that never see
each other's tables or streams; the admin API behind the admin key; scripts/meridian
status/chaos/down with auth on; and hostile region and table names that must never
become paths or arguments.
"""
import datetime
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import time
import urllib.parse
import uuid
from pathlib import Path

import boto3
import botocore.config
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import JSON_CT, REPO, Cluster, ddb_raw, http_request, unique

KEY_A, SECRET_A, ACCOUNT_A = "AKIDALPHAEXAMPLE", "alpha/Secret+Key0123456789abcdefEXAMPLE", "111122223333"
KEY_A2, SECRET_A2 = "AKIDALPHATWO", "second-key-of-account-a"
KEY_B, SECRET_B, ACCOUNT_B = "AKIDBETAEXAMPLE", "beta-secret-key", "444455556666"
KEY_T, SECRET_T, TOKEN_T = "ASIATEMPORARY", "temporary-secret", "FwoGZXIvYXdzEXAMPLE/session+token=="
ADMIN_KEY = "admin-" + uuid.uuid4().hex

BAD_SIGNATURE = ("The request signature we calculated does not match the signature you provided. "
                 "Check your AWS Secret Access Key and signing method. "
                 "Consult the service documentation for details.")
BAD_TOKEN = "The security token included in the request is invalid."


def auth_file_text():
    return "\n".join([
        "# Meridian credentials: ACCESS_KEY_ID SECRET_ACCESS_KEY ACCOUNT_ID [SESSION_TOKEN]",
        "%s   %s\t%s" % (KEY_A, SECRET_A, ACCOUNT_A),
        "%s %s %s   # a second key of the same account" % (KEY_A2, SECRET_A2, ACCOUNT_A),
        "%s %s %s" % (KEY_B, SECRET_B, ACCOUNT_B),
        "%s %s %s %s" % (KEY_T, SECRET_T, ACCOUNT_B, TOKEN_T),
        "",
        "admin %s" % ADMIN_KEY,
        "",
    ])


class AuthCluster(Cluster):
    """A Cluster started with --auth; its admin calls carry the admin key."""

    def __init__(self, base_dir, **kw):
        super().__init__(base_dir, **kw)
        self.auth_file = self.base_dir / "credentials"
        self.auth_file.write_text(auth_file_text())
        self.auth_file.chmod(0o600)

    def up_args(self):
        args = super().up_args()
        return args[:2] + ["--auth", self.auth_file] + args[2:]

    def admin(self, path, method="GET", key=ADMIN_KEY):
        headers = {"X-Meridian-Admin-Key": key} if key else {}
        return http_request(self.endpoint + "/_meridian/" + path, method, headers=headers, timeout=10)


def start_auth_cluster(e2e_tmp, cluster_registry, name, **kw):
    c = AuthCluster(e2e_tmp / ("%s-%s" % (name, uuid.uuid4().hex[:6])), **kw)
    cluster_registry.append(c)
    c.start()
    return c


@pytest.fixture(scope="module")
def auth_cluster(external_endpoint, e2e_tmp, cluster_registry):
    if external_endpoint:
        pytest.skip("starts its own cluster with --auth; not run against --endpoint")
    c = start_auth_cluster(e2e_tmp, cluster_registry, "auth")
    yield c
    c.stop()


def client(cluster, key, secret, token=None, service="dynamodb", region="us-east-1"):
    return boto3.client(service, endpoint_url=cluster.endpoint, region_name=region,
                        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
                        config=botocore.config.Config(retries={"max_attempts": 1}))


def amz_date(when):
    return when.strftime("%Y%m%dT%H%M%SZ")


def signed(endpoint, op, body, key, secret, region="us-east-1", when=None, token=None,
           target_prefix="DynamoDB_20120810.", send_body=None, drop_headers=(), service="dynamodb"):
    """Signs a request with botocore's SigV4Auth at a chosen time and sends it by hand."""
    data = json.dumps(body).encode()
    when = when or datetime.datetime.now(datetime.timezone.utc)
    ts = amz_date(when)
    headers = {"Content-Type": JSON_CT, "X-Amz-Target": target_prefix + op, "X-Amz-Date": ts}
    if token:
        headers["X-Amz-Security-Token"] = token
    req = AWSRequest(method="POST", url=endpoint + "/", data=data, headers=headers)
    req.context["timestamp"] = ts
    signer = SigV4Auth(Credentials(key, secret, token), service, region)
    canonical = signer.canonical_request(req)
    signature = signer.signature(signer.string_to_sign(req, canonical), req)
    headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        key, signer.credential_scope(req), signer.signed_headers(signer.headers_to_sign(req)), signature)
    for h in drop_headers:
        headers.pop(h, None)
    return http_request(endpoint + "/", "POST", send_body if send_body is not None else data, headers)


def error_of(resp):
    j = resp.json or {}
    return j.get("__type", "").rsplit("#", 1)[-1], j.get("message", j.get("Message"))


def make_table(c, name=None, stream=False):
    name = name or unique("auth")
    kw = {}
    if stream:
        kw["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    c.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                   KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], **kw)
    return name


# --- signatures ------------------------------------------------------------------------

def test_right_secret_works_and_account_comes_from_the_file(auth_cluster):
    c = client(auth_cluster, KEY_A, SECRET_A)
    name = make_table(c)
    c.put_item(TableName=name, Item={"pk": {"S": "k"}, "v": {"S": "  spaced   value  ü"}})
    assert c.get_item(TableName=name, Key={"pk": {"S": "k"}})["Item"]["v"]["S"] == "  spaced   value  ü"
    arn = c.describe_table(TableName=name)["Table"]["TableArn"]
    assert ":%s:table/" % ACCOUNT_A in arn


def test_wrong_secret_is_invalid_signature(auth_cluster):
    with pytest.raises(ClientError) as e:
        client(auth_cluster, KEY_A, SECRET_A + "x").list_tables()
    assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
    message = e.value.response["Error"]["Message"]
    assert message.startswith(BAD_SIGNATURE + "\n\nThe Canonical String for this request should have been\n'POST\n/\n"), message
    assert "\nx-amz-target:DynamoDB_20120810.ListTables\n" in message
    assert "The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n" in message
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unknown_key_is_unrecognized_client(auth_cluster):
    with pytest.raises(ClientError) as e:
        client(auth_cluster, "AKIDNOBODYKNOWS", "whatever").list_tables()
    assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert e.value.response["Error"]["Message"] == BAD_TOKEN


def test_missing_authorization_is_missing_token(auth_cluster):
    r = http_request(auth_cluster.endpoint + "/", "POST", "{}",
                     {"Content-Type": JSON_CT, "X-Amz-Target": "DynamoDB_20120810.ListTables"})
    assert r.status == 400
    assert error_of(r) == ("MissingAuthenticationTokenException", "Request is missing Authentication Token")
    assert r.headers.get("x-amzn-requestid")


def test_hand_signed_request_passes_and_tampering_fails(auth_cluster):
    ep = auth_cluster.endpoint
    ok = signed(ep, "ListTables", {}, KEY_A, SECRET_A)
    assert ok.status == 200, ok
    tampered = signed(ep, "ListTables", {}, KEY_A, SECRET_A, send_body=b'{"Limit":1}')
    kind, message = error_of(tampered)
    assert kind == "InvalidSignatureException" and message.startswith(BAD_SIGNATURE), tampered
    # a signed header that changed on the way
    r = signed(ep, "ListTables", {}, KEY_A, SECRET_A, drop_headers=("X-Amz-Target",))
    assert r.status == 400 and error_of(r)[0] in ("InvalidSignatureException", "UnknownOperationException")


def test_expired_and_future_dates(auth_cluster):
    ep = auth_cluster.endpoint
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
    r = signed(ep, "ListTables", {}, KEY_A, SECRET_A, when=old)
    kind, message = error_of(r)
    assert r.status == 400 and kind == "InvalidSignatureException", r
    assert re.fullmatch(r"Signature expired: %s is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)"
                        % amz_date(old), message), message
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=20)
    kind, message = error_of(signed(ep, "ListTables", {}, KEY_A, SECRET_A, when=future))
    assert kind == "InvalidSignatureException"
    assert message.startswith("Signature not yet current: %s is still later than " % amz_date(future)), message
    # within the 15 minutes: accepted
    recent = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
    assert signed(ep, "ListTables", {}, KEY_A, SECRET_A, when=recent).status == 200


def test_missing_date_is_incomplete_signature(auth_cluster):
    r = signed(auth_cluster.endpoint, "ListTables", {}, KEY_A, SECRET_A, drop_headers=("X-Amz-Date",))
    kind, message = error_of(r)
    assert kind == "IncompleteSignatureException", r
    assert "X-Amz-Date" in message


def test_wrong_signing_service(auth_cluster):
    r = signed(auth_cluster.endpoint, "ListTables", {}, KEY_A, SECRET_A, service="s3")
    assert error_of(r) == ("InvalidSignatureException", "Credential should be scoped to correct service: 'dynamodb'. ")


def hand_signed(endpoint, op, body, key, secret, signed_names, region="us-east-1"):
    """Signs a request by hand (hashlib/hmac, no botocore) over exactly the headers
    in signed_names, so that a signature can be right yet leave out host or x-amz-date."""
    data = json.dumps(body).encode()
    ts = amz_date(datetime.datetime.now(datetime.timezone.utc))
    headers = {"Host": urllib.parse.urlsplit(endpoint).netloc, "Content-Type": JSON_CT,
               "X-Amz-Target": "DynamoDB_20120810." + op, "X-Amz-Date": ts}
    lower = {k.lower(): v for k, v in headers.items()}
    names = sorted(signed_names)
    sha = lambda b: hashlib.sha256(b).hexdigest()
    canonical = "\n".join(["POST", "/", ""] + ["%s:%s" % (n, lower[n].strip()) for n in names]
                          + ["", ";".join(names), sha(data)])
    scope = "%s/%s/dynamodb/aws4_request" % (ts[:8], region)
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", ts, scope, sha(canonical.encode())])
    k = ("AWS4" + secret).encode()
    for part in (ts[:8], region, "dynamodb", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(k, string_to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        key, scope, ";".join(names), signature)
    return http_request(endpoint + "/", "POST", data, headers)


HOST_UNSIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
DATE_UNSIGNED = "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."


def test_host_and_date_must_be_signed(auth_cluster):
    ep = auth_cluster.endpoint
    # the hand signer is right: the smallest set the service takes passes
    ok = hand_signed(ep, "ListTables", {}, KEY_A, SECRET_A, ["host", "x-amz-date"])
    assert ok.status == 200, ok
    assert hand_signed(ep, "ListTables", {}, KEY_A, SECRET_A,
                       ["content-type", "host", "x-amz-date", "x-amz-target"]).status == 200
    # a correct signature that leaves out host, or x-amz-date, is refused
    for names, want in ((["content-type", "x-amz-date", "x-amz-target"], HOST_UNSIGNED),
                        (["x-amz-date"], HOST_UNSIGNED),
                        (["content-type", "host", "x-amz-target"], DATE_UNSIGNED),
                        (["host"], DATE_UNSIGNED)):
        r = hand_signed(ep, "ListTables", {}, KEY_A, SECRET_A, names)
        assert r.status == 400, (names, r)
        assert error_of(r) == ("InvalidSignatureException", want), (names, r)
        assert r.headers.get("x-amzn-requestid")
    # checked before the key: an unknown key without host signed gets the same answer
    r = hand_signed(ep, "ListTables", {}, "AKIDNOBODYKNOWS", "x", ["x-amz-date"])
    assert error_of(r) == ("InvalidSignatureException", HOST_UNSIGNED), r
    # and nothing happens: a CreateTable signed without host creates no table
    name = unique("unsigned")
    body = {"TableName": name, "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}
    for names in (["content-type", "x-amz-date", "x-amz-target"], ["content-type", "host", "x-amz-target"]):
        assert hand_signed(ep, "CreateTable", body, KEY_A, SECRET_A, names).status == 400
    assert name not in client(auth_cluster, KEY_A, SECRET_A).list_tables()["TableNames"]


def test_session_token(auth_cluster):
    assert client(auth_cluster, KEY_T, SECRET_T, TOKEN_T).list_tables()["TableNames"] is not None
    for token in (None, TOKEN_T + "x"):
        with pytest.raises(ClientError) as e:
            client(auth_cluster, KEY_T, SECRET_T, token).list_tables()
        assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"
    # a key listed without a token must not present one
    with pytest.raises(ClientError) as e:
        client(auth_cluster, KEY_A, SECRET_A, TOKEN_T).list_tables()
    assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_streams_calls_are_verified(auth_cluster):
    a = client(auth_cluster, KEY_A, SECRET_A)
    name = make_table(a, stream=True)
    s = client(auth_cluster, KEY_A, SECRET_A, service="dynamodbstreams")
    assert [x["TableName"] for x in s.list_streams(TableName=name)["Streams"]] == [name]
    with pytest.raises(ClientError) as e:
        client(auth_cluster, KEY_A, "nope", service="dynamodbstreams").list_streams()
    assert e.value.response["Error"]["Code"] == "InvalidSignatureException"


# --- isolation -----------------------------------------------------------------------

def test_accounts_do_not_see_each_other(auth_cluster):
    a = client(auth_cluster, KEY_A, SECRET_A)
    a2 = client(auth_cluster, KEY_A2, SECRET_A2)
    b = client(auth_cluster, KEY_B, SECRET_B)
    name = make_table(a, stream=True)
    a.put_item(TableName=name, Item={"pk": {"S": "secret"}})
    assert name in a2.list_tables()["TableNames"]            # same account, other key
    assert name not in b.list_tables()["TableNames"]
    with pytest.raises(ClientError) as e:
        b.describe_table(TableName=name)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        b.get_item(TableName=name, Key={"pk": {"S": "secret"}})
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    # B may have a table of the same name: its own
    make_table(b, name=name)
    assert "Item" not in b.get_item(TableName=name, Key={"pk": {"S": "secret"}})
    assert "Item" in a.get_item(TableName=name, Key={"pk": {"S": "secret"}})
    # streams
    sa = client(auth_cluster, KEY_A, SECRET_A, service="dynamodbstreams")
    sb = client(auth_cluster, KEY_B, SECRET_B, service="dynamodbstreams")
    arn = sa.list_streams(TableName=name)["Streams"][0]["StreamArn"]
    assert all(s["StreamArn"] != arn for s in sb.list_streams()["Streams"])
    with pytest.raises(ClientError) as e:
        sb.describe_stream(StreamArn=arn)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


# --- the admin API -------------------------------------------------------------------

def test_admin_api_needs_the_key(auth_cluster):
    for path, method in (("cluster", "GET"), ("metrics", "GET"), ("chaos", "GET")):
        for key in (None, "wrong", ADMIN_KEY[:-1]):
            r = auth_cluster.admin(path, method, key=key)
            assert r.status == 403, (path, key, r)
        assert auth_cluster.admin(path, method).status == 200
    assert auth_cluster.admin("shutdown", "POST", key=None).status == 403
    assert auth_cluster.admin("shutdown", "POST", key="wrong").status == 403
    assert auth_cluster.admin("health", key=None).status == 200      # liveness only
    # a data-plane credential is not an admin key
    assert auth_cluster.admin("cluster", key=SECRET_A).status == 403


def test_scripts_meridian_with_auth(auth_cluster):
    p = auth_cluster.meridian("status", "--port", auth_cluster.port, "--json", check=True)
    assert json.loads(p.stdout)["port"] == auth_cluster.port
    p = auth_cluster.meridian("chaos", "--port", auth_cluster.port, "show", check=True)
    assert "regions" in p.stdout
    env_wrong = dict(os.environ, MERIDIAN_ADMIN_KEY="wrong")
    p = subprocess.run([str(REPO / "scripts" / "meridian"), "status", "--port", str(auth_cluster.port)],
                       env=dict(env_wrong, MERIDIAN_RUN=str(auth_cluster.run_dir)), capture_output=True,
                       text=True, timeout=30)
    assert p.returncode != 0


def test_down_with_auth_is_clean(external_endpoint, e2e_tmp, cluster_registry):
    if external_endpoint:
        pytest.skip("starts its own cluster")
    c = start_auth_cluster(e2e_tmp, cluster_registry, "authdown", in_memory=True)
    client(c, KEY_A, SECRET_A).list_tables()
    c.info()
    started = time.monotonic()
    p = c.meridian("down", "--port", c.port, check=True)
    c.running = False
    assert time.monotonic() - started < 10, "down waited for its SIGTERM fallback: %s" % p.stderr
    assert "SIGTERM" not in p.stderr, p.stderr
    c.stop()


def test_bad_auth_file_refused(e2e_tmp, external_endpoint):
    if external_endpoint:
        pytest.skip("runs the gateway binary")
    gateway = os.environ.get("MERIDIAN_GATEWAY") or str(REPO / "build" / "gateway" / "meridian-gateway")
    d = e2e_tmp / ("badauth-" + uuid.uuid4().hex[:6])
    d.mkdir()
    for text in ("AKID secret 12345\n", "AKID secret\n", "AKID s 111122223333\nAKID t 111122223333\n", "# none\n"):
        f = d / "creds"
        f.write_text(text)
        p = subprocess.run([gateway, "--port", "0", "--in-memory", "--auth", str(f)], capture_output=True,
                           text=True, timeout=20)
        assert p.returncode != 0, text
    p = subprocess.run([gateway, "--port", "0", "--in-memory", "--auth", str(d / "missing")],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode != 0


# --- the AWS SDK for JavaScript v3 -------------------------------------------------------

def test_js_sdk_signed_calls(auth_cluster):
    node = shutil.which("node")
    js = REPO / "tests" / "e2e" / "js"
    if not node:
        pytest.skip("node is not installed")
    if not (js / "node_modules" / "@aws-sdk" / "client-dynamodb-streams").is_dir():
        pytest.skip("tests/e2e/js/node_modules has no AWS SDK (scripts/install-deps --with-node)")
    p = subprocess.run([node, str(js / "auth_check.mjs"), auth_cluster.endpoint, KEY_A, SECRET_A],
                       capture_output=True, text=True, timeout=120, cwd=str(js))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "js auth: ok" in p.stdout


# --- hostile names ---------------------------------------------------------------------

HOSTILE_REGIONS = ["../x", "us-east-1 --data-dir /", "us-east-1/../../etc", "x" * 300, "us-éast-1",
                   "us-east-1\u202e", "-d", "us-east-1;rm", "US-EAST-1", ".", ""]
HOSTILE_TABLES = ["../x", "..", "a/b", "t --data-dir /", "x" * 300, "tаble", "t\x00x", "t\nx", "../../etc/passwd"]


def wire(text):
    """text as its UTF-8 bytes on the wire (http.client sends header values as latin-1)."""
    return text.encode("utf-8").decode("latin-1")


def data_entries(cluster):
    if cluster.data_dir is None or not Path(cluster.data_dir).is_dir():
        return set()
    return {p.name for p in Path(cluster.data_dir).iterdir()}


def check_no_stray_files(cluster):
    for name in data_entries(cluster):
        assert name == "meridian.log" or re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d{1,2}", name), name
    assert not (Path(cluster.base_dir) / "x").exists()
    assert not (Path(cluster.base_dir).parent / "x").exists()
    for reg in cluster.info().get("regions", []):
        assert re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d{1,2}", reg["region"]), reg


def test_hostile_region_names_unsigned(cluster):
    """Auth off: the credential scope's region is checked before a process is started."""
    if not cluster.managed:
        pytest.skip("inspects the cluster's data dir")
    for region in HOSTILE_REGIONS:
        if any(c in region for c in ", \t\r\n/") or not region:
            continue   # not one Credential field (a '/' shifts the scope); covered with auth on
        r = ddb_raw(cluster.endpoint, "ListTables", {}, region=wire(region))
        assert r.status == 400 and error_of(r)[0] == "InvalidSignatureException", (region, r)
    check_no_stray_files(cluster)


def test_hostile_region_names_signed(auth_cluster):
    """Auth on: a correctly signed request for a hostile region is refused all the same."""
    for region in HOSTILE_REGIONS:
        r = http_request(auth_cluster.endpoint + "/", "POST", "{}", {
            "Content-Type": JSON_CT, "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "X-Amz-Date": amz_date(datetime.datetime.now(datetime.timezone.utc)),
            "Authorization": "AWS4-HMAC-SHA256 Credential=%s/20240101/%s/dynamodb/aws4_request, "
                             "SignedHeaders=host;x-amz-date, Signature=%s" % (KEY_A, wire(region), "0" * 64)})
        assert r.status == 400, (region, r)
        if all(c not in region for c in " ,/") and region and len(region) < 100 and region.isascii():
            r = signed(auth_cluster.endpoint, "ListTables", {}, KEY_A, SECRET_A, region=region)
            assert r.status == 400 and error_of(r)[0] == "InvalidSignatureException", (region, r)
    check_no_stray_files(auth_cluster)


def test_hostile_table_names(auth_cluster):
    a = client(auth_cluster, KEY_A, SECRET_A)
    for name in HOSTILE_TABLES:
        body = {"TableName": name, "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}
        r = signed(auth_cluster.endpoint, "CreateTable", body, KEY_A, SECRET_A)
        assert r.status == 400 and error_of(r)[0] == "ValidationException", (name, r)
        r = signed(auth_cluster.endpoint, "DescribeTable", {"TableName": name}, KEY_A, SECRET_A)
        assert r.status == 400, (name, r)
    assert not any(n in HOSTILE_TABLES for n in a.list_tables()["TableNames"])
    # a replica in a hostile region
    name = make_table(a, stream=True)
    for region in ("../x", "us-east-1 --data-dir /", "x" * 300, "us-éast-1"):
        r = signed(auth_cluster.endpoint, "UpdateTable",
                   {"TableName": name, "ReplicaUpdates": [{"Create": {"RegionName": region}}]}, KEY_A, SECRET_A)
        assert r.status == 400, (region, r)
    check_no_stray_files(auth_cluster)
