"""The service's request limits (issue 9): each one over the limit gets DynamoDB's
error and changes nothing; each one at the limit is accepted.

Limits, from the DynamoDB developer guide's "Constraints" page and the API
reference, with messages where the service's text is known:
  request body 16 MB, item 400 KB, expression string 4 KB, 300 operators and 100 IN
  operands per expression, nesting 32 levels, attribute names 1..65535 bytes,
  expression placeholders (#name / :value) at most 255 bytes, each substitution map
  at most 2 MB, ListTables Limit 1..100, BatchWriteItem 25 requests, BatchGetItem
  100 keys, transactions 100 actions.
Everything goes over raw HTTP (ddb_raw), so the exact status and body are checked.
"""
import json

import pytest

from conftest import assert_ddb_error, create_table, ddb_raw, unique

NAME_TOO_LARGE = "1 validation error detected: Attribute name is too large, must be less than 65536 bytes"
SIZE_EXCEEDED = "Item size has exceeded the maximum allowed size"
UPDATE_SIZE_EXCEEDED = "Item size to update has exceeded the maximum allowed size"
KEY = {"pk": {"S": "k"}, "sk": {"N": "1"}}


@pytest.fixture
def seeded(ddb):
    """A table (pk: S, sk: N) holding two items; yields (name, items)."""
    name = create_table(ddb, hash_key=("pk", "S"), range_key=("sk", "N"))
    items = [dict(KEY, v={"S": "original"}, doc={"M": {"a": {"N": "1"}}}),
             {"pk": {"S": "other"}, "sk": {"N": "2"}, "v": {"S": "second"}}]
    for item in items:
        ddb.put_item(TableName=name, Item=item)
    yield name, items
    ddb.delete_table(TableName=name)


def snapshot(endpoint, name):
    """Every item of the table (a consistent Scan), in key order, and its ItemCount."""
    r = ddb_raw(endpoint, "Scan", {"TableName": name, "ConsistentRead": True})
    assert r.status == 200, r
    items = sorted(r.json["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["N"]))
    r = ddb_raw(endpoint, "DescribeTable", {"TableName": name})
    return items, r.json["Table"]["ItemCount"]


def assert_untouched(endpoint, name, items):
    assert snapshot(endpoint, name) == (sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["N"])), len(items))


def put(name, item, **extra):
    return dict({"TableName": name, "Item": item}, **extra)


def nested(levels):
    """A value of `levels` maps, one inside the other."""
    value = {"S": "leaf"}
    for _ in range(levels):
        value = {"M": {"a": value}}
    return value


# --- request body: 16 MB -----------------------------------------------------------------

def test_request_over_16mb_writes_nothing(endpoint, seeded):
    name, items = seeded
    # 25 puts of 700 KB strings: each item is refused anyway, but the body is refused first
    body = {"RequestItems": {name: [{"PutRequest": {"Item": {"pk": {"S": "big%d" % i}, "sk": {"N": "1"},
                                                             "v": {"S": "x" * (700 * 1024)}}}}
                                    for i in range(25)]}}
    r = ddb_raw(endpoint, "BatchWriteItem", json.dumps(body))
    assert 400 <= r.status < 500 and r.json is not None and "#" in r.error_type, r
    assert "16777216" in (r.message or ""), r
    assert_untouched(endpoint, name, items)


# --- items: 400 KB -----------------------------------------------------------------------

def test_item_size_limit_on_every_write_path(endpoint, seeded):
    name, items = seeded
    big = dict(KEY, v={"S": "x" * (400 * 1024)})
    assert_ddb_error(ddb_raw(endpoint, "PutItem", put(name, big)), "ValidationException", message=SIZE_EXCEEDED)
    r = ddb_raw(endpoint, "BatchWriteItem", {"RequestItems": {name: [
        {"PutRequest": {"Item": {"pk": {"S": "fine"}, "sk": {"N": "9"}}}}, {"PutRequest": {"Item": big}}]}})
    assert_ddb_error(r, "ValidationException", message=SIZE_EXCEEDED)
    r = ddb_raw(endpoint, "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": name, "Item": {"pk": {"S": "fine"}, "sk": {"N": "9"}}}},
        {"Put": {"TableName": name, "Item": big}}]})
    assert_ddb_error(r, "ValidationException", message=SIZE_EXCEEDED)
    # an update that would grow the item past 400 KB
    r = ddb_raw(endpoint, "UpdateItem", {"TableName": name, "Key": KEY, "UpdateExpression": "SET w = :w",
                                         "ExpressionAttributeValues": {":w": {"S": "y" * (400 * 1024)}}})
    assert_ddb_error(r, "ValidationException", message=UPDATE_SIZE_EXCEEDED)
    assert_untouched(endpoint, name, items)


# --- expressions: 4 KB, 300 operators, 100 IN operands --------------------------------------

def test_expression_of_4kb_is_the_limit(endpoint, seeded):
    name, items = seeded
    # "attribute_exists(aaa...)" padded to exactly n bytes
    def cond(n):
        return "attribute_exists(%s)" % ("a" * (n - len("attribute_exists()")))
    r = ddb_raw(endpoint, "PutItem", put(name, dict(KEY, v={"S": "changed"}), ConditionExpression=cond(4097)))
    assert_ddb_error(r, "ValidationException",
                     message="Invalid ConditionExpression: Expression size has exceeded the maximum allowed size;")
    r = ddb_raw(endpoint, "UpdateItem", {"TableName": name, "Key": KEY,
                                         "UpdateExpression": "SET v = :v" + " " * 4087,
                                         "ExpressionAttributeValues": {":v": {"S": "changed"}}})
    assert_ddb_error(r, "ValidationException", contains="Expression size has exceeded the maximum allowed size")
    r = ddb_raw(endpoint, "Scan", {"TableName": name, "FilterExpression": cond(4097)})
    assert_ddb_error(r, "ValidationException",
                     message="Invalid FilterExpression: Expression size has exceeded the maximum allowed size; "
                             "expression size: 4097")
    r = ddb_raw(endpoint, "GetItem", {"TableName": name, "Key": KEY, "ProjectionExpression": "a" * 4097})
    assert_ddb_error(r, "ValidationException", contains="Expression size has exceeded the maximum allowed size")
    assert_untouched(endpoint, name, items)
    # 4096 bytes exactly is accepted (the condition fails: the attribute does not exist)
    r = ddb_raw(endpoint, "PutItem", put(name, dict(KEY, v={"S": "changed"}), ConditionExpression=cond(4096)))
    assert_ddb_error(r, "ConditionalCheckFailedException")
    assert_untouched(endpoint, name, items)


def test_operator_and_in_operand_limits(endpoint, seeded):
    name, items = seeded
    values = {":v%d" % i: {"N": str(i)} for i in range(101)}
    r = ddb_raw(endpoint, "DeleteItem", {"TableName": name, "Key": KEY,
                                         "ConditionExpression": "v IN (%s)" % ", ".join(sorted(values)),
                                         "ExpressionAttributeValues": values})
    assert_ddb_error(r, "ValidationException",
                     message="Invalid ConditionExpression: The IN operator is provided with too many operands; "
                             "number of operands: 101")
    # 301 comparisons joined by 300 ORs: 601 operators
    r = ddb_raw(endpoint, "DeleteItem", {"TableName": name, "Key": KEY,
                                         "ConditionExpression": " OR ".join(["v = :v0"] * 301),
                                         "ExpressionAttributeValues": {":v0": {"S": "x"}}})
    assert_ddb_error(r, "ValidationException",
                     contains="Invalid ConditionExpression: The expression contains too many operators; "
                              "operator count: ")
    assert_untouched(endpoint, name, items)


# --- nesting: 32 levels --------------------------------------------------------------------

def test_nesting_depth_32(endpoint, seeded):
    name, items = seeded
    r = ddb_raw(endpoint, "PutItem", put(name, dict(KEY, deep=nested(33))))
    assert_ddb_error(r, "ValidationException", message="Nesting Levels have exceeded supported limits")
    r = ddb_raw(endpoint, "UpdateItem", {"TableName": name, "Key": KEY, "UpdateExpression": "SET deep = :d",
                                         "ExpressionAttributeValues": {":d": nested(33)}})
    assert_ddb_error(r, "ValidationException", contains="Nesting Levels have exceeded supported limits")
    assert_untouched(endpoint, name, items)
    ok = {"pk": {"S": "deep"}, "sk": {"N": "3"}, "deep": nested(32)}
    assert ddb_raw(endpoint, "PutItem", put(name, ok)).status == 200
    assert_untouched(endpoint, name, items + [ok])


# --- attribute names: 1..65535 bytes --------------------------------------------------------

def test_attribute_name_of_65536_bytes_is_refused(endpoint, seeded):
    name, items = seeded
    long_name = "n" * 65536
    for item in (dict(KEY, **{long_name: {"S": "x"}}),                      # top level
                 dict(KEY, doc={"M": {long_name: {"S": "x"}}}),             # a nested map key
                 dict(KEY, doc={"L": [{"M": {long_name: {"N": "1"}}}]})):   # inside a list
        assert_ddb_error(ddb_raw(endpoint, "PutItem", put(name, item)), "ValidationException",
                         message=NAME_TOO_LARGE)
    bad = dict(KEY, **{long_name: {"S": "x"}})
    r = ddb_raw(endpoint, "BatchWriteItem", {"RequestItems": {name: [
        {"PutRequest": {"Item": {"pk": {"S": "fine"}, "sk": {"N": "9"}}}}, {"PutRequest": {"Item": bad}}]}})
    assert_ddb_error(r, "ValidationException", message=NAME_TOO_LARGE)
    r = ddb_raw(endpoint, "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": name, "Item": {"pk": {"S": "fine"}, "sk": {"N": "9"}}}},
        {"Put": {"TableName": name, "Item": bad}}]})
    assert_ddb_error(r, "ValidationException", message=NAME_TOO_LARGE)
    # UpdateItem: a name through ExpressionAttributeNames, a map value with a long key,
    # a nested path, and legacy AttributeUpdates
    updates = [
        {"UpdateExpression": "SET #n = :v", "ExpressionAttributeNames": {"#n": long_name},
         "ExpressionAttributeValues": {":v": {"S": "x"}}},
        {"UpdateExpression": "SET doc = :v", "ExpressionAttributeValues": {":v": {"M": {long_name: {"S": "x"}}}}},
        {"UpdateExpression": "SET doc.#n = :v", "ExpressionAttributeNames": {"#n": long_name},
         "ExpressionAttributeValues": {":v": {"S": "x"}}},
        {"AttributeUpdates": {long_name: {"Action": "PUT", "Value": {"S": "x"}}}},
    ]
    for update in updates:
        r = ddb_raw(endpoint, "UpdateItem", dict({"TableName": name, "Key": KEY}, **update))
        assert_ddb_error(r, "ValidationException", message=NAME_TOO_LARGE)
    assert_untouched(endpoint, name, items)


def test_attribute_name_of_65535_bytes_is_accepted(endpoint, seeded):
    name, items = seeded
    longest = "m" * 65535
    item = {"pk": {"S": "longest"}, "sk": {"N": "4"}, longest: {"S": "x"}, "doc": {"M": {longest: {"N": "1"}}}}
    assert ddb_raw(endpoint, "PutItem", put(name, item)).status == 200
    r = ddb_raw(endpoint, "UpdateItem", {"TableName": name, "Key": {"pk": {"S": "longest"}, "sk": {"N": "4"}},
                                         "UpdateExpression": "SET #n = :v", "ExpressionAttributeNames": {"#n": longest},
                                         "ExpressionAttributeValues": {":v": {"S": "y"}}, "ReturnValues": "UPDATED_NEW"})
    assert r.status == 200 and r.json["Attributes"] == {longest: {"S": "y"}}, r
    assert_untouched(endpoint, name, items + [dict(item, **{longest: {"S": "y"}})])


# --- ExpressionAttributeNames / ExpressionAttributeValues ------------------------------------

def test_placeholder_of_256_bytes_is_refused(endpoint, seeded):
    name, items = seeded
    long_key = "#" + "k" * 255
    r = ddb_raw(endpoint, "UpdateItem", {"TableName": name, "Key": KEY, "UpdateExpression": "SET %s = :v" % long_key,
                                         "ExpressionAttributeNames": {long_key: "v"},
                                         "ExpressionAttributeValues": {":v": {"S": "changed"}}})
    assert_ddb_error(r, "ValidationException",
                     message="ExpressionAttributeNames contains invalid key: The expression attribute map contains "
                             "a key that is too long; size of key: 256")
    long_value = ":" + "k" * 255
    r = ddb_raw(endpoint, "UpdateItem", {"TableName": name, "Key": KEY, "UpdateExpression": "SET v = %s" % long_value,
                                         "ExpressionAttributeValues": {long_value: {"S": "changed"}}})
    assert_ddb_error(r, "ValidationException",
                     contains="ExpressionAttributeValues contains invalid key: The expression attribute map contains "
                              "a key that is too long;")
    # the length is checked before the syntax
    r = ddb_raw(endpoint, "UpdateItem", {"TableName": name, "Key": KEY, "UpdateExpression": "SET v = :v",
                                         "ExpressionAttributeNames": {"#-" * 200: "v"},
                                         "ExpressionAttributeValues": {":v": {"S": "changed"}}})
    assert_ddb_error(r, "ValidationException", contains="a key that is too long; size of key: 400")
    assert_untouched(endpoint, name, items)
    # 255 bytes is fine
    key255, value255 = "#" + "k" * 254, ":" + "k" * 254
    r = ddb_raw(endpoint, "UpdateItem", {"TableName": name, "Key": KEY,
                                         "UpdateExpression": "SET %s = %s" % (key255, value255),
                                         "ExpressionAttributeNames": {key255: "v"},
                                         "ExpressionAttributeValues": {value255: {"S": "changed"}}})
    assert r.status == 200, r
    items[0]["v"] = {"S": "changed"}
    assert_untouched(endpoint, name, items)


def test_substitution_maps_over_2mb_are_refused(endpoint, seeded):
    name, items = seeded
    # 40 names of 60,000 bytes: 2.4 MB of ExpressionAttributeNames
    names = {"#n%d" % i: chr(ord("a") + i % 26) * 60000 for i in range(40)}
    r = ddb_raw(endpoint, "UpdateItem", {"TableName": name, "Key": KEY, "UpdateExpression": "SET #n0 = :v",
                                         "ExpressionAttributeNames": names,
                                         "ExpressionAttributeValues": {":v": {"S": "changed"}}})
    assert_ddb_error(r, "ValidationException", message="ExpressionAttributeNames exceeds max size")
    # six values of 390 KB: 2.3 MB of ExpressionAttributeValues
    values = {":v%d" % i: {"S": "x" * (390 * 1024)} for i in range(6)}
    r = ddb_raw(endpoint, "DeleteItem", {"TableName": name, "Key": KEY,
                                         "ConditionExpression": " OR ".join("v = %s" % k for k in sorted(values)),
                                         "ExpressionAttributeValues": values})
    assert_ddb_error(r, "ValidationException", message="ExpressionAttributeValues exceeds max size")
    assert_untouched(endpoint, name, items)
    # under 2 MB (five of them) the request is served: the condition fails
    values.pop(":v5")
    r = ddb_raw(endpoint, "DeleteItem", {"TableName": name, "Key": KEY,
                                         "ConditionExpression": " OR ".join("v = %s" % k for k in sorted(values)),
                                         "ExpressionAttributeValues": values})
    assert_ddb_error(r, "ConditionalCheckFailedException")
    assert_untouched(endpoint, name, items)


# --- ListTables, batches, transactions --------------------------------------------------------

@pytest.mark.parametrize("limit, constraint", [
    (101, "Member must have value less than or equal to 100"),
    (0, "Member must have value greater than or equal to 1"),
])
def test_list_tables_limit(endpoint, limit, constraint):
    r = ddb_raw(endpoint, "ListTables", {"Limit": limit})
    assert_ddb_error(r, "ValidationException",
                     message="1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: %s"
                             % (limit, constraint))
    r = ddb_raw(endpoint, "ListTables", {"Limit": 100})
    assert r.status == 200 and len(r.json["TableNames"]) <= 100, r


def test_batch_write_of_26_writes_nothing(endpoint, seeded):
    name, items = seeded
    puts = [{"PutRequest": {"Item": {"pk": {"S": "b%d" % i}, "sk": {"N": "1"}}}} for i in range(26)]
    r = ddb_raw(endpoint, "BatchWriteItem", {"RequestItems": {name: puts}})
    assert_ddb_error(r, "ValidationException", message="Too many items requested for the BatchWriteItem call")
    assert_untouched(endpoint, name, items)
    assert ddb_raw(endpoint, "BatchWriteItem", {"RequestItems": {name: puts[:25]}}).status == 200
    assert snapshot(endpoint, name)[1] == len(items) + 25


def test_batch_get_of_101_keys(endpoint, seeded):
    name, items = seeded
    keys = [{"pk": {"S": "g%d" % i}, "sk": {"N": "1"}} for i in range(101)]
    r = ddb_raw(endpoint, "BatchGetItem", {"RequestItems": {name: {"Keys": keys}}})
    assert_ddb_error(r, "ValidationException", message="Too many items requested for the BatchGetItem call")
    r = ddb_raw(endpoint, "BatchGetItem", {"RequestItems": {name: {"Keys": keys[:100]}}})
    assert r.status == 200, r


def test_transaction_of_101_actions_writes_nothing(endpoint, seeded):
    name, items = seeded
    actions = [{"Put": {"TableName": name, "Item": {"pk": {"S": "t%d" % i}, "sk": {"N": "1"}}}} for i in range(101)]
    r = ddb_raw(endpoint, "TransactWriteItems", {"TransactItems": actions})
    assert_ddb_error(r, "ValidationException", contains="Member must have length less than or equal to 100")
    assert_untouched(endpoint, name, items)
    gets = [{"Get": {"TableName": name, "Key": {"pk": {"S": "t%d" % i}, "sk": {"N": "1"}}}} for i in range(101)]
    r = ddb_raw(endpoint, "TransactGetItems", {"TransactItems": gets})
    assert_ddb_error(r, "ValidationException", contains="Member must have length less than or equal to 100")
    assert ddb_raw(endpoint, "TransactWriteItems", {"TransactItems": actions[:100]}).status == 200
    assert snapshot(endpoint, name)[1] == len(items) + 100


def test_transaction_over_4mb_of_items_writes_nothing(endpoint, seeded):
    # each item is under 400 KB, eleven of them are over the transaction's 4 MB
    name, items = seeded
    actions = [{"Put": {"TableName": name, "Item": {"pk": {"S": "big%d" % i}, "sk": {"N": "1"},
                                                    "v": {"S": "x" * (390 * 1024)}}}} for i in range(11)]
    r = ddb_raw(endpoint, "TransactWriteItems", {"TransactItems": actions})
    assert_ddb_error(r, "ValidationException", contains="4 MB")
    assert_untouched(endpoint, name, items)
    assert ddb_raw(endpoint, "TransactWriteItems", {"TransactItems": actions[:10]}).status == 200
    assert snapshot(endpoint, name)[1] == len(items) + 10
