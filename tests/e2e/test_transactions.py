"""TransactWriteItems and TransactGetItems (issue 4): all-or-nothing (a transaction
failing half-way leaves nothing written), CancellationReasons in order on the wire,
one item touched twice, ClientRequestToken idempotency, the 100-action limit,
transactional capacity (twice the plain units), reads in order."""
import json

import pytest

from conftest import create_table, raises_ddb

CANCELLED = "Transaction cancelled, please refer cancellation reasons for specific reasons [%s]"


@pytest.fixture(scope="module")
def tbl(ddb):
    return create_table(ddb)


def k(pk):
    return {"pk": {"S": pk}}


def get(ddb, table, pk):
    return ddb.get_item(TableName=table, Key=k(pk), ConsistentRead=True).get("Item")


def test_all_actions_commit(ddb, tbl):
    ddb.put_item(TableName=tbl, Item={"pk": {"S": "upd"}, "n": {"N": "1"}})
    ddb.put_item(TableName=tbl, Item={"pk": {"S": "del"}})
    ddb.put_item(TableName=tbl, Item={"pk": {"S": "chk"}, "ok": {"BOOL": True}})
    r = ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": tbl, "Item": {"pk": {"S": "new"}, "v": {"S": "x"}},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": tbl, "Key": k("upd"), "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Delete": {"TableName": tbl, "Key": k("del")}},
        {"ConditionCheck": {"TableName": tbl, "Key": k("chk"), "ConditionExpression": "ok = :t",
                            "ExpressionAttributeValues": {":t": {"BOOL": True}}}},
    ], ReturnConsumedCapacity="TOTAL")
    assert get(ddb, tbl, "new") == {"pk": {"S": "new"}, "v": {"S": "x"}}
    assert get(ddb, tbl, "upd")["n"] == {"N": "2"}
    assert get(ddb, tbl, "del") is None
    assert r["ConsumedCapacity"] == [{"TableName": tbl, "CapacityUnits": 8.0}]   # 2x each


def test_failure_half_way_writes_nothing(ddb, raw, tbl):
    ddb.put_item(TableName=tbl, Item={"pk": {"S": "h1"}, "n": {"N": "5"}})
    ddb.put_item(TableName=tbl, Item={"pk": {"S": "h3"}, "n": {"N": "7"}})
    body = dict(TransactItems=[
        {"Put": {"TableName": tbl, "Item": {"pk": {"S": "h0"}}}},
        {"Update": {"TableName": tbl, "Key": k("h1"), "UpdateExpression": "SET n = :v",
                    "ExpressionAttributeValues": {":v": {"N": "6"}}}},
        {"ConditionCheck": {"TableName": tbl, "Key": k("h2"), "ConditionExpression": "attribute_exists(pk)"}},
        {"Delete": {"TableName": tbl, "Key": k("h3"), "ConditionExpression": "n = :n",
                    "ExpressionAttributeValues": {":n": {"N": "0"}},
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
    ])
    r = raw("TransactWriteItems", **body)
    assert r.status == 400
    assert r.error_name == "TransactionCanceledException"
    assert r.json["Message"] == CANCELLED % "None, None, ConditionalCheckFailed, ConditionalCheckFailed"
    assert r.json["CancellationReasons"] == [
        {"Code": "None"}, {"Code": "None"},
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"},
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed",
         "Item": {"pk": {"S": "h3"}, "n": {"N": "7"}}},
    ]
    assert get(ddb, tbl, "h0") is None
    assert get(ddb, tbl, "h1")["n"] == {"N": "5"}
    assert get(ddb, tbl, "h3")["n"] == {"N": "7"}
    with raises_ddb("TransactionCanceledException", contains="[None, None, ConditionalCheckFailed"):
        ddb.transact_write_items(**body)


def test_update_error_is_a_reason(raw, ddb, tbl):
    ddb.put_item(TableName=tbl, Item={"pk": {"S": "s1"}, "s": {"S": "text"}})
    r = raw("TransactWriteItems", TransactItems=[
        {"Update": {"TableName": tbl, "Key": k("s1"), "UpdateExpression": "ADD s :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}}])
    assert r.error_name == "TransactionCanceledException"
    assert r.json["CancellationReasons"][0]["Code"] == "ValidationError"
    assert get(ddb, tbl, "s1")["s"] == {"S": "text"}


def test_validation(ddb, tbl):
    with raises_ddb("ValidationException", "Transaction request cannot include multiple operations on one item"):
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": tbl, "Item": {"pk": {"S": "twice"}}}},
            {"ConditionCheck": {"TableName": tbl, "Key": k("twice"),
                                "ConditionExpression": "attribute_not_exists(pk)"}}])
    assert get(ddb, tbl, "twice") is None
    with raises_ddb("ValidationException", "Transaction request cannot include multiple operations on one item"):
        ddb.transact_get_items(TransactItems=[{"Get": {"TableName": tbl, "Key": k("a")}},
                                              {"Get": {"TableName": tbl, "Key": k("a")}}])
    with raises_ddb("ResourceNotFoundException"):
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": tbl, "Item": {"pk": {"S": "nf"}}}},
            {"Put": {"TableName": "no_such_table", "Item": {"pk": {"S": "nf"}}}}])
    assert get(ddb, tbl, "nf") is None
    with raises_ddb("ValidationException", contains="Cannot update attribute pk. This attribute is part of the key"):
        ddb.transact_write_items(TransactItems=[
            {"Update": {"TableName": tbl, "Key": k("u"), "UpdateExpression": "SET pk = :v",
                        "ExpressionAttributeValues": {":v": {"S": "z"}}}}])


def test_limit_of_100_actions(ddb, tbl):
    puts = [{"Put": {"TableName": tbl, "Item": {"pk": {"S": "lim%d" % i}}}} for i in range(101)]
    with raises_ddb("ValidationException", contains="100"):
        ddb.transact_write_items(TransactItems=puts)
    ddb.transact_write_items(TransactItems=puts[:100])
    assert get(ddb, tbl, "lim99") == {"pk": {"S": "lim99"}}


def test_client_request_token(ddb, tbl):
    ddb.put_item(TableName=tbl, Item={"pk": {"S": "ctr"}, "n": {"N": "0"}})
    incr = [{"Update": {"TableName": tbl, "Key": k("ctr"), "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}}]
    for _ in range(3):
        ddb.transact_write_items(TransactItems=incr, ClientRequestToken="token-1")
    assert get(ddb, tbl, "ctr")["n"] == {"N": "1"}          # ran once
    with raises_ddb("IdempotentParameterMismatchException"):
        ddb.transact_write_items(TransactItems=incr + [{"Put": {"TableName": tbl, "Item": {"pk": {"S": "o"}}}}],
                                 ClientRequestToken="token-1")
    ddb.transact_write_items(TransactItems=incr, ClientRequestToken="token-2")
    assert get(ddb, tbl, "ctr")["n"] == {"N": "2"}
    # a cancelled transaction does not use its token up
    cond = [{"ConditionCheck": {"TableName": tbl, "Key": k("late"), "ConditionExpression": "attribute_exists(pk)"}}]
    with raises_ddb("TransactionCanceledException"):
        ddb.transact_write_items(TransactItems=cond, ClientRequestToken="token-3")
    ddb.put_item(TableName=tbl, Item={"pk": {"S": "late"}})
    ddb.transact_write_items(TransactItems=cond, ClientRequestToken="token-3")


def test_transact_get(ddb, raw, tbl):
    ddb.put_item(TableName=tbl, Item={"pk": {"S": "g1"}, "a": {"S": "1"}, "b": {"S": "2"}})
    ddb.put_item(TableName=tbl, Item={"pk": {"S": "g3"}, "a": {"S": "3"}})
    r = ddb.transact_get_items(TransactItems=[
        {"Get": {"TableName": tbl, "Key": k("g1"), "ProjectionExpression": "#b",
                 "ExpressionAttributeNames": {"#b": "b"}}},
        {"Get": {"TableName": tbl, "Key": k("g2")}},
        {"Get": {"TableName": tbl, "Key": k("g3")}},
    ], ReturnConsumedCapacity="TOTAL")
    assert r["Responses"] == [{"Item": {"b": {"S": "2"}}}, {}, {"Item": {"pk": {"S": "g3"}, "a": {"S": "3"}}}]
    assert r["ConsumedCapacity"] == [{"TableName": tbl, "CapacityUnits": 6.0}]
    r = raw("TransactGetItems", TransactItems=[{}])
    assert r.error_name == "ValidationException"
    assert r.message == "The action or operation requested is invalid. Verify that the action is typed correctly."


def test_raw_empty_answer(raw, tbl):
    r = raw("TransactWriteItems", TransactItems=[{"Put": {"TableName": tbl, "Item": {"pk": {"S": "raw"}}}}])
    assert r.status == 200 and r.json == {}
    r = raw("TransactWriteItems", TransactItems=[])
    assert r.error_name == "ValidationException" and "transactItems" in r.message
    assert json.loads(json.dumps(r.json))
