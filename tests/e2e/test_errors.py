"""Bad input over raw HTTP (not boto3), so the exact status and body are checked: each
error is DynamoDB's JSON error, and changes nothing (issue 2, item 4). Every reply,
good or bad, must carry x-amzn-RequestId and a correct x-amz-crc32 (ddb_raw checks).

Where the service's exact message is known it is asserted in full; where it is not
certain, the error type and a stable part of the message are."""
import base64
import json
import socket
import time

import pytest

from conftest import DDB_NS, assert_ddb_error, create_table, ddb_raw, unique, wait_until

CORAL_SERVICE = "com.amazon.coral.service#"
CORAL_VALIDATE = "com.amazon.coral.validate#"
KEY_SCHEMA_MSG = "The provided key element does not match the schema"


@pytest.fixture
def seeded(ddb):
    """A table (pk: S, sk: N) holding one item; yields (name, item)."""
    name = create_table(ddb, hash_key=("pk", "S"), range_key=("sk", "N"))
    item = {"pk": {"S": "k"}, "sk": {"N": "1"}, "v": {"S": "original"}}
    ddb.put_item(TableName=name, Item=item)
    yield name, item
    ddb.delete_table(TableName=name)


def assert_unchanged(endpoint, name, item):
    r = ddb_raw(endpoint, "GetItem", {"TableName": name, "ConsistentRead": True,
                                      "Key": {"pk": item["pk"], "sk": item["sk"]}})
    assert r.status == 200, r
    assert r.json == {"Item": item}
    r = ddb_raw(endpoint, "DescribeTable", {"TableName": name})
    assert r.status == 200, r
    assert r.json["Table"]["ItemCount"] == 1


# --- the envelope: JSON, targets ---------------------------------------------------------

def test_success_has_request_id_and_crc(endpoint):
    r = ddb_raw(endpoint, "ListTables", {})
    assert r.status == 200, r
    assert isinstance(r.json["TableNames"], list)
    assert r.headers.get("content-type", "").startswith("application/x-amz-json-1.0")
    # Request ids are unique per request.
    r2 = ddb_raw(endpoint, "ListTables", {})
    assert r2.headers["x-amzn-requestid"] != r.headers["x-amzn-requestid"]


@pytest.mark.parametrize("body", [
    '{"TableName": ',
    'not json at all',
    '{"TableName": "x",}',
    '\xff\xfe',
])
def test_malformed_json(endpoint, seeded, body):
    name, item = seeded
    r = ddb_raw(endpoint, "PutItem", body.encode("latin-1"))
    assert_ddb_error(r, "SerializationException")
    assert r.error_type == CORAL_SERVICE + "SerializationException"
    assert_unchanged(endpoint, name, item)


def test_wrong_json_type_for_a_member(endpoint, seeded):
    name, item = seeded
    # TableName must be a string. The service answers SerializationException ("... can
    # not be converted to an String"); only the type is asserted.
    r = ddb_raw(endpoint, "DescribeTable", {"TableName": 5})
    assert_ddb_error(r, "SerializationException")
    r = ddb_raw(endpoint, "PutItem", {"TableName": name, "Item": ["not", "a", "map"]})
    assert r.status == 400 and r.error_name in ("SerializationException", "ValidationException"), r
    assert_unchanged(endpoint, name, item)


def test_missing_target(endpoint, seeded):
    name, item = seeded
    r = ddb_raw(endpoint, None, {"TableName": name, "Item": {"pk": {"S": "new"}, "sk": {"N": "2"}}},
                omit_target=True)
    assert_ddb_error(r, "UnknownOperationException")
    assert r.error_type == CORAL_SERVICE + "UnknownOperationException"
    assert_unchanged(endpoint, name, item)


@pytest.mark.parametrize("target", [
    "DynamoDB_20120810.NoSuchOperation",
    "DynamoDB_20120810.",
    "DynamoDB_20120810.putitem",          # operation names are case-sensitive
    "DynamoDB_19990101.PutItem",
    "NotDynamoDB.PutItem",
    "PutItem",
    "",
])
def test_unknown_operation(endpoint, seeded, target):
    name, item = seeded
    r = ddb_raw(endpoint, None, {"TableName": name, "Item": {"pk": {"S": "new"}, "sk": {"N": "2"}}},
                target=target)
    assert_ddb_error(r, "UnknownOperationException")
    assert_unchanged(endpoint, name, item)


# --- tables that do not exist ------------------------------------------------------------

def test_describe_missing_table(endpoint):
    name = unique("missing")
    r = ddb_raw(endpoint, "DescribeTable", {"TableName": name})
    assert_ddb_error(r, "ResourceNotFoundException",
                     message="Requested resource not found: Table: %s not found" % name)
    assert r.error_type == DDB_NS + "ResourceNotFoundException"


@pytest.mark.parametrize("op,body", [
    ("GetItem", {"Key": {"pk": {"S": "a"}}}),
    ("PutItem", {"Item": {"pk": {"S": "a"}}}),
    ("DeleteItem", {"Key": {"pk": {"S": "a"}}}),
    ("DeleteTable", {}),
    ("UpdateTable", {"DeletionProtectionEnabled": True}),
])
def test_operations_on_missing_table(endpoint, op, body):
    name = unique("missing")
    r = ddb_raw(endpoint, op, dict(body, TableName=name))
    assert_ddb_error(r, "ResourceNotFoundException")
    assert r.message.startswith("Requested resource not found"), r.message
    # Nothing was created along the way.
    r = ddb_raw(endpoint, "DescribeTable", {"TableName": name})
    assert_ddb_error(r, "ResourceNotFoundException")


def test_create_existing_table(endpoint, seeded):
    name, item = seeded
    r = ddb_raw(endpoint, "CreateTable", {
        "TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "x", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}]})
    assert_ddb_error(r, "ResourceInUseException")
    assert r.error_type == DDB_NS + "ResourceInUseException"
    # The service: "Table already exists: NAME".
    assert name in r.message
    assert_unchanged(endpoint, name, item)


# --- invalid table names -------------------------------------------------------------------

def create_body(name):
    return {"TableName": name, "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}


@pytest.mark.parametrize("name,fragment", [
    ("ab", "Member must have length greater than or equal to 3"),
    ("", "Member must have length greater than or equal to 3"),
    ("x" * 256, "Member must have length less than or equal to 255"),
    ("bad name!", "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
    ("slash/name", "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
    ("t\u00e9st", "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
])
def test_invalid_table_name(endpoint, name, fragment):
    # The service: "1 validation error detected: Value 'NAME' at 'tableName' failed to
    # satisfy constraint: <fragment>"
    before = ddb_raw(endpoint, "ListTables", {}).json["TableNames"]
    r = ddb_raw(endpoint, "CreateTable", create_body(name))
    assert_ddb_error(r, "ValidationException", contains=fragment)
    assert r.error_type == CORAL_VALIDATE + "ValidationException"
    assert "tableName" in r.message
    assert ddb_raw(endpoint, "ListTables", {}).json["TableNames"] == before


def test_valid_unusual_table_names(endpoint):
    for name in ["abc", "A.b-c_d", "x" * 255, "123", "..."]:
        name = name if len(name) == 255 else name + "-" + unique("u")[-6:]
        r = ddb_raw(endpoint, "CreateTable", create_body(name))
        assert r.status == 200, r
        assert ddb_raw(endpoint, "DescribeTable", {"TableName": name}).json["Table"]["TableName"] == name
        assert ddb_raw(endpoint, "DeleteTable", {"TableName": name}).status == 200


def test_invalid_table_name_in_item_operation(endpoint):
    # DynamoDB validates the name before looking the table up.
    r = ddb_raw(endpoint, "GetItem", {"TableName": "no!such!table", "Key": {"pk": {"S": "a"}}})
    assert_ddb_error(r, "ValidationException", contains="regular expression pattern")


# --- keys ---------------------------------------------------------------------------------

@pytest.mark.parametrize("op", ["GetItem", "DeleteItem"])
@pytest.mark.parametrize("key", [
    {"pk": {"S": "k"}},                                            # range key missing
    {"sk": {"N": "1"}},                                            # hash key missing
    {"pk": {"S": "k"}, "sk": {"N": "1"}, "extra": {"S": "x"}},     # an extra attribute
    {"pk": {"N": "1"}, "sk": {"N": "1"}},                          # hash key wrong type
    {"pk": {"S": "k"}, "sk": {"S": "1"}},                          # range key wrong type
    {"pk": {"S": "k"}, "other": {"N": "1"}},                       # wrong attribute name
    {},
])
def test_bad_key(endpoint, seeded, op, key):
    name, item = seeded
    r = ddb_raw(endpoint, op, {"TableName": name, "Key": key})
    assert_ddb_error(r, "ValidationException", message=KEY_SCHEMA_MSG)
    assert_unchanged(endpoint, name, item)


def test_put_missing_key(endpoint, seeded):
    name, item = seeded
    r = ddb_raw(endpoint, "PutItem", {"TableName": name, "Item": {"pk": {"S": "k"}, "v": {"S": "new"}}})
    assert_ddb_error(r, "ValidationException",
                     message="One or more parameter values were invalid: Missing the key sk in the item")
    r = ddb_raw(endpoint, "PutItem", {"TableName": name, "Item": {"sk": {"N": "1"}, "v": {"S": "new"}}})
    assert_ddb_error(r, "ValidationException",
                     message="One or more parameter values were invalid: Missing the key pk in the item")
    assert_unchanged(endpoint, name, item)


def test_put_wrong_key_type(endpoint, seeded):
    name, item = seeded
    r = ddb_raw(endpoint, "PutItem", {"TableName": name,
                                      "Item": {"pk": {"N": "5"}, "sk": {"N": "1"}, "v": {"S": "new"}}})
    assert_ddb_error(r, "ValidationException",
                     message="One or more parameter values were invalid: Type mismatch for key pk "
                             "expected: S actual: N")
    r = ddb_raw(endpoint, "PutItem", {"TableName": name,
                                      "Item": {"pk": {"S": "k"}, "sk": {"S": "1"}, "v": {"S": "new"}}})
    assert_ddb_error(r, "ValidationException",
                     message="One or more parameter values were invalid: Type mismatch for key sk "
                             "expected: N actual: S")
    assert_unchanged(endpoint, name, item)


def test_empty_string_key(endpoint, seeded):
    name, item = seeded
    # The service: "One or more parameter values are not valid. The AttributeValue for a
    # key attribute cannot contain an empty string value. Key: pk"
    r = ddb_raw(endpoint, "PutItem", {"TableName": name, "Item": {"pk": {"S": ""}, "sk": {"N": "1"}}})
    assert_ddb_error(r, "ValidationException", contains="empty string")
    assert_unchanged(endpoint, name, item)


# --- attribute values ------------------------------------------------------------------------

@pytest.mark.parametrize("value,fragment", [
    ({}, None),                                     # no type
    ({"S": "a", "N": "1"}, None),                   # two types
    ({"X": "a"}, None),                             # no such type
    ({"N": "abc"}, None),                           # not a number
    ({"N": ""}, None),
    ({"N": "1" * 39}, "significant digits"),        # 39 significant digits
    ({"N": "1E126"}, None),                         # overflow
    ({"N": "1E-131"}, None),                        # underflow
    ({"SS": []}, None),                             # empty set
    ({"SS": ["a", "a"]}, None),                     # duplicates
    ({"NS": ["1", "1.0"]}, None),                   # duplicates once canonical
    ({"BOOL": "true"}, None),                       # wrong JSON type inside
    ({"NULL": False}, None),                        # NULL must be true
    ({"B": "not base64!"}, None),
])
def test_bad_attribute_value(endpoint, seeded, value, fragment):
    name, item = seeded
    r = ddb_raw(endpoint, "PutItem", {"TableName": name,
                                      "Item": {"pk": {"S": "k"}, "sk": {"N": "1"}, "v": value}})
    assert r.status == 400, r
    # Some of these are answered as SerializationException by the service's front end.
    assert r.error_name in ("ValidationException", "SerializationException"), r.json
    if fragment:
        assert fragment in r.message, r.message
    assert_unchanged(endpoint, name, item)


def test_item_over_400kb(endpoint, seeded):
    name, item = seeded
    # Item size = names + values: pk(2) + "k"(1) + sk(2) + 1 (at least 1 for the number)
    # + v(1) + 409594 = at least 409601 bytes: one over.
    big = {"pk": {"S": "k"}, "sk": {"N": "1"}, "v": {"S": "x" * (409600 - 7 + 1)}}
    r = ddb_raw(endpoint, "PutItem", {"TableName": name, "Item": big})
    assert_ddb_error(r, "ValidationException",
                     message="Item size has exceeded the maximum allowed size")
    assert_unchanged(endpoint, name, item)
    # Attribute names count too: a long name pushes a near-limit item over.
    big = {"pk": {"S": "k"}, "sk": {"N": "1"}, "v" * 1000: {"S": "x" * (409600 - 1000)}}
    r = ddb_raw(endpoint, "PutItem", {"TableName": name, "Item": big})
    assert_ddb_error(r, "ValidationException",
                     message="Item size has exceeded the maximum allowed size")
    assert_unchanged(endpoint, name, item)


def test_item_over_400kb_new_key(endpoint, seeded):
    name, item = seeded
    big = {"pk": {"S": "new"}, "sk": {"N": "2"}, "blob": {"B": "QUJD" * 140000}}   # 420000 bytes
    r = ddb_raw(endpoint, "PutItem", {"TableName": name, "Item": big})
    assert_ddb_error(r, "ValidationException",
                     message="Item size has exceeded the maximum allowed size")
    r = ddb_raw(endpoint, "GetItem", {"TableName": name, "Key": {"pk": {"S": "new"}, "sk": {"N": "2"}}})
    assert r.status == 200 and r.json == {}, r
    assert_unchanged(endpoint, name, item)


def test_missing_required_members(endpoint, seeded):
    name, item = seeded
    # GetItem without Key, PutItem without Item, anything without TableName.
    for op, body in [("GetItem", {"TableName": name}),
                     ("PutItem", {"TableName": name}),
                     ("DeleteItem", {"TableName": name}),
                     ("GetItem", {"Key": {"pk": {"S": "k"}, "sk": {"N": "1"}}}),
                     ("DescribeTable", {})]:
        r = ddb_raw(endpoint, op, body)
        assert_ddb_error(r, "ValidationException")
        # The service: "1 validation error detected: Value null at 'key' failed to satisfy
        # constraint: Member must not be null"
        assert "Member must not be null" in r.message, (op, r.message)
    assert_unchanged(endpoint, name, item)


def test_errors_do_not_break_the_connection_state(endpoint, seeded):
    # After a burst of bad requests the endpoint still serves good ones.
    name, item = seeded
    for _ in range(20):
        ddb_raw(endpoint, "PutItem", b"{{{{")
        ddb_raw(endpoint, None, b"{}", target="Nope.Nope")
    assert_unchanged(endpoint, name, item)


def test_error_body_shape(endpoint):
    r = ddb_raw(endpoint, "DescribeTable", {"TableName": unique("missing")})
    assert r.status == 400
    assert r.headers.get("content-type", "").startswith("application/x-amz-json-1.0")
    body = json.loads(r.body)
    assert set(body) <= {"__type", "message", "Message"}, body


def test_key_size_limits(endpoint, seeded):
    name, item = seeded
    # Partition keys may be 2048 bytes, sort keys 1024. The service: "One or more parameter
    # values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"
    # (sic); only the type and the number are asserted.
    ok = {"pk": {"S": "h" * 2048}, "sk": {"N": "1"}}
    r = ddb_raw(endpoint, "PutItem", {"TableName": name, "Item": ok})
    assert r.status == 200, r
    r = ddb_raw(endpoint, "PutItem", {"TableName": name, "Item": {"pk": {"S": "h" * 2049}, "sk": {"N": "1"}}})
    assert_ddb_error(r, "ValidationException", contains="2048")
    r = ddb_raw(endpoint, "GetItem", {"TableName": name, "Key": {"pk": {"S": "h" * 2049}, "sk": {"N": "1"}}})
    assert_ddb_error(r, "ValidationException", contains="2048")

    name2 = unique("rk")
    assert ddb_raw(endpoint, "CreateTable", {
        "TableName": name2, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "h", "AttributeType": "S"},
                                 {"AttributeName": "r", "AttributeType": "B"}],
        "KeySchema": [{"AttributeName": "h", "KeyType": "HASH"},
                      {"AttributeName": "r", "KeyType": "RANGE"}]}).status == 200
    r = ddb_raw(endpoint, "PutItem", {"TableName": name2, "Item": {
        "h": {"S": "x"}, "r": {"B": base64.b64encode(b"\x01" * 1024).decode()}}})
    assert r.status == 200, r
    r = ddb_raw(endpoint, "PutItem", {"TableName": name2, "Item": {
        "h": {"S": "x"}, "r": {"B": base64.b64encode(b"\x01" * 1025).decode()}}})
    assert_ddb_error(r, "ValidationException", contains="1024")
    r = ddb_raw(endpoint, "DescribeTable", {"TableName": name2})
    assert r.json["Table"]["ItemCount"] == 1
    ddb_raw(endpoint, "DeleteTable", {"TableName": name2})
    r = ddb_raw(endpoint, "DescribeTable", {"TableName": name})
    assert r.json["Table"]["ItemCount"] == 2


def test_oversized_request_body(endpoint, seeded):
    # A 17 MB body is refused: never a crash, never a partial write, and the endpoint
    # keeps serving. DESIGN.md: every error is DynamoDB's JSON error, and every response
    # carries x-amzn-RequestId and x-amz-crc32 (ddb_raw checks both) -- so not a bare
    # HTML "413 Request Entity Too Large" page. The error type is not asserted.
    name, item = seeded
    body = json.dumps({"TableName": name, "Item": {"pk": {"S": "k"}, "sk": {"N": "1"},
                                                   "v": {"S": "x" * (17 * 1024 * 1024)}}})
    r = ddb_raw(endpoint, "PutItem", body)
    assert 400 <= r.status < 500, r
    assert r.json is not None and "#" in r.error_type, "not a DynamoDB JSON error: %r" % r
    assert_unchanged(endpoint, name, item)


# --- hostile clients and limits (issue 9) ------------------------------------------------

@pytest.mark.parametrize("attr, constraint", [
    ("a" * 256, "Member must have length less than or equal to 255"),
    ("", "Member must have length greater than or equal to 1"),
])
def test_key_attribute_name_length(endpoint, attr, constraint):
    # API reference, KeySchemaElement / AttributeDefinition: AttributeName length 1..255.
    name = unique("attrlen")
    r = ddb_raw(endpoint, "CreateTable", {
        "TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": attr, "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": attr, "KeyType": "HASH"}]})
    assert_ddb_error(r, "ValidationException", contains=constraint)
    assert "keySchema.1.member.attributeName" in r.message, r
    assert ddb_raw(endpoint, "DescribeTable", {"TableName": name}).status == 400


def _raw_connect(endpoint):
    host, port = endpoint.split("//")[1].split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def test_slow_client_is_disconnected(new_cluster):
    # A client that trickles half a request line and then stalls is dropped after
    # --client-timeout-s; the gateway keeps serving everyone else meanwhile.
    c = new_cluster(in_memory=True, gateway_args=["--client-timeout-s", "2"])
    s = _raw_connect(c.endpoint)
    try:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Le")
        t0 = time.monotonic()
        assert ddb_raw(c.endpoint, "ListTables", {}).status == 200
        s.settimeout(15)
        try:
            data = s.recv(65536)
        except ConnectionResetError:
            data = b""
        # closed (maybe after a 408 or 400), and not before the timeout
        while data:
            data = s.recv(65536)
        assert 1.5 <= time.monotonic() - t0 < 12
    finally:
        s.close()
    assert ddb_raw(c.endpoint, "ListTables", {}).status == 200


def test_connection_limit(new_cluster):
    # --max-connections 8: with 8 idle connections open, a request on a 9th is
    # answered 503 (the service's generic ServiceUnavailableException) and closed;
    # once one idle connection closes, requests are served again.
    c = new_cluster(in_memory=True, gateway_args=["--max-connections", "8"])
    idle = [_raw_connect(c.endpoint) for _ in range(8)]
    try:
        time.sleep(0.3)   # let the gateway accept them all
        r = ddb_raw(c.endpoint, "ListTables", {})
        assert_ddb_error(r, "ServiceUnavailableException", status=503)
        idle.pop().close()
        wait_until(lambda: ddb_raw(c.endpoint, "ListTables", {}).status == 200, timeout=5,
                   what="a request to be served after an idle connection closed")
    finally:
        for s in idle:
            s.close()
