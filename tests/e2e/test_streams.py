"""DynamoDB Streams for one region (issue 6), through boto3's `dynamodbstreams` client
on the cluster's own endpoint: StreamSpecification at CreateTable and UpdateTable and
in DescribeTable; every view type's images; INSERT/MODIFY/REMOVE and no record for a
write that changes nothing; Time to Live removals carrying the service's identity;
the four iterator types; shard rollover with ParentShardId lineage and a consumer
that sees every record exactly once; disable and re-enable (a new ARN, the old one
still readable); trimming, expired iterators and the service's errors."""
import re
import time

import boto3
import botocore.config
import pytest

from conftest import DUMMY_KEY, OTHER_ACCOUNT, create_table, raises_ddb, unique, wait_until

ARN_RE = re.compile(r"^arn:aws:dynamodb:us-east-1:(\d{12}):table/([\w.-]+)/stream/"
                    r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})$")
VIEW_TYPES = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")
TTL_IDENTITY = {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}   # the API's Identity shape


def streams_client(endpoint, region="us-east-1", access_key=DUMMY_KEY, validate=True):
    cfg = botocore.config.Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30,
                                 parameter_validation=validate)
    return boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name=region,
                        aws_access_key_id=access_key, aws_secret_access_key="secret", config=cfg)


@pytest.fixture(scope="module")
def streams(cluster):
    return streams_client(cluster.endpoint)


def stream_table(ddb, view="NEW_AND_OLD_IMAGES", **extra):
    """A new table with a stream of that view type: (name, stream ARN)."""
    name = create_table(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": view}, **extra)
    return name, ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]


def shards_of(streams, arn):
    """Every shard of the stream, following LastEvaluatedShardId."""
    shards, kw = [], {}
    while True:
        d = streams.describe_stream(StreamArn=arn, Limit=2, **kw)["StreamDescription"]
        shards += d["Shards"]
        if "LastEvaluatedShardId" not in d:
            return shards
        kw = {"ExclusiveStartShardId": d["LastEvaluatedShardId"]}


def read_shard(streams, arn, shard_id, kind="TRIM_HORIZON", limit=None, **kw):
    """Records of one shard until it is exhausted (closed) or caught up (open)."""
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, ShardIteratorType=kind,
                                    **kw)["ShardIterator"]
    out = []
    while it:
        r = streams.get_records(ShardIterator=it, **({"Limit": limit} if limit else {}))
        out += r["Records"]
        it = r.get("NextShardIterator")
        if not r["Records"] and it:
            break                      # an open shard with nothing more yet
    return out


def read_all(streams, arn):
    """Every record of the stream, parents before children."""
    shards = shards_of(streams, arn)
    ids = {s["ShardId"] for s in shards}
    done, out = set(), []
    while len(done) < len(shards):
        for s in shards:
            parent = s.get("ParentShardId")
            if s["ShardId"] in done or (parent in ids and parent not in done):
                continue
            out += read_shard(streams, arn, s["ShardId"])
            done.add(s["ShardId"])
    return out


def pk(value):
    return {"pk": {"S": value}}


# --- StreamSpecification ---------------------------------------------------------------

def test_enable_at_create(ddb, streams):
    name = create_table(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    t = ddb.describe_table(TableName=name)["Table"]
    assert t["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    m = ARN_RE.match(t["LatestStreamArn"])
    assert m and m.group(2) == name and m.group(3) == t["LatestStreamLabel"]
    listed = streams.list_streams(TableName=name)["Streams"]
    assert listed == [{"StreamArn": t["LatestStreamArn"], "TableName": name, "StreamLabel": t["LatestStreamLabel"]}]
    d = streams.describe_stream(StreamArn=t["LatestStreamArn"])["StreamDescription"]
    assert d["StreamStatus"] == "ENABLED" and d["StreamViewType"] == "NEW_IMAGE"
    assert d["TableName"] == name and d["StreamLabel"] == t["LatestStreamLabel"]
    assert d["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert abs(d["CreationRequestDateTime"].timestamp() - time.time()) < 60
    assert len(d["Shards"]) == 1
    shard = d["Shards"][0]
    assert re.match(r"^shardId-\d{20}-[0-9a-f]{8}$", shard["ShardId"])
    assert "ParentShardId" not in shard and "EndingSequenceNumber" not in shard["SequenceNumberRange"]
    assert re.match(r"^\d{21,}$", shard["SequenceNumberRange"]["StartingSequenceNumber"])


def test_create_without_stream_and_spec_errors(ddb):
    name = create_table(ddb, StreamSpecification={"StreamEnabled": False})
    t = ddb.describe_table(TableName=name)["Table"]
    assert "StreamSpecification" not in t and "LatestStreamArn" not in t
    with raises_ddb("ValidationException", contains="streamSpecification.streamViewType"):
        ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "ALL"})
    with raises_ddb("ValidationException", contains="StreamViewType"):
        ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True})
    with raises_ddb("ValidationException", "Table has no stream to disable: TableName: %s" % name):
        ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})


def test_enable_by_update_then_twice(ddb, streams):
    name = create_table(ddb)
    r = ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    desc = r["TableDescription"]
    assert desc["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    assert ARN_RE.match(desc["LatestStreamArn"])
    with raises_ddb("ValidationException", "Table already has an enabled stream: TableName: %s" % name):
        ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    assert streams.describe_stream(StreamArn=desc["LatestStreamArn"])["StreamDescription"]["StreamViewType"] \
        == "KEYS_ONLY"


# --- records -----------------------------------------------------------------------------

@pytest.mark.parametrize("view", VIEW_TYPES)
def test_records_of_every_view_type(ddb, streams, view):
    name, arn = stream_table(ddb, view)
    before = time.time()
    ddb.put_item(TableName=name, Item={**pk("a"), "v": {"N": "1"}})                 # INSERT
    ddb.put_item(TableName=name, Item={**pk("a"), "v": {"N": "1"}})                 # identical: nothing
    ddb.update_item(TableName=name, Key=pk("a"), UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"N": "1"}})                     # no change: nothing
    ddb.update_item(TableName=name, Key=pk("a"), UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"N": "2"}})                     # MODIFY
    ddb.delete_item(TableName=name, Key=pk("absent"))                                  # nothing
    ddb.delete_item(TableName=name, Key=pk("a"))                                       # REMOVE
    recs = read_all(streams, arn)
    assert [r["eventName"] for r in recs] == ["INSERT", "MODIFY", "REMOVE"]
    v1, v2 = {**pk("a"), "v": {"N": "1"}}, {**pk("a"), "v": {"N": "2"}}
    images = {"INSERT": (None, v1), "MODIFY": (v1, v2), "REMOVE": (v2, None)}
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in recs]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert len({r["eventID"] for r in recs}) == 3
    for r in recs:
        assert r["eventVersion"] == "1.1" and r["eventSource"] == "aws:dynamodb"
        assert r["awsRegion"] == "us-east-1" and "userIdentity" not in r
        db = r["dynamodb"]
        assert db["Keys"] == pk("a") and db["StreamViewType"] == view and db["SizeBytes"] > 0
        assert before - 2 <= db["ApproximateCreationDateTime"].timestamp() <= time.time() + 2
        old, new = images[r["eventName"]]
        want_new = new if view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") else None
        want_old = old if view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES") else None
        assert db.get("NewImage") == want_new, r
        assert db.get("OldImage") == want_old, r


def test_batch_and_transaction_writes_are_recorded(ddb, streams):
    name, arn = stream_table(ddb, "NEW_IMAGE")
    ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": pk("b%d" % i)}} for i in range(3)]})
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": name, "Item": pk("t")}},
                                            {"Delete": {"TableName": name, "Key": pk("b0")}}])
    recs = read_all(streams, arn)
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in recs][:3] == \
        [("INSERT", "b0"), ("INSERT", "b1"), ("INSERT", "b2")]
    assert sorted((r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in recs[3:]) == \
        [("INSERT", "t"), ("REMOVE", "b0")]


def test_ttl_removal_names_the_service(ddb, streams):
    name, arn = stream_table(ddb, "OLD_IMAGE")
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    ddb.put_item(TableName=name, Item={**pk("expired"), "exp": {"N": str(int(time.time()) - 60)}})
    ddb.put_item(TableName=name, Item=pk("manual"))
    ddb.delete_item(TableName=name, Key=pk("manual"))
    wait_until(lambda: "Item" not in ddb.get_item(TableName=name, Key=pk("expired")), timeout=10,
               interval=0.2, what="the Time to Live sweeper")
    removes = [r for r in read_all(streams, arn) if r["eventName"] == "REMOVE"]
    by_key = {r["dynamodb"]["Keys"]["pk"]["S"]: r for r in removes}
    assert by_key["expired"]["userIdentity"] == TTL_IDENTITY
    assert by_key["expired"]["dynamodb"]["OldImage"]["pk"] == {"S": "expired"}
    assert "userIdentity" not in by_key["manual"]


# --- iterators ---------------------------------------------------------------------------

def test_iterator_types(ddb, streams):
    name, arn = stream_table(ddb, "KEYS_ONLY")
    for k in ("a", "b", "c"):
        ddb.put_item(TableName=name, Item=pk(k))
    shard = shards_of(streams, arn)[0]["ShardId"]
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    assert latest.startswith(arn + "|")
    r = streams.get_records(ShardIterator=latest)
    assert r["Records"] == [] and r["NextShardIterator"]
    ddb.put_item(TableName=name, Item=pk("d"))
    r = streams.get_records(ShardIterator=r["NextShardIterator"])
    assert [x["dynamodb"]["Keys"]["pk"]["S"] for x in r["Records"]] == ["d"]

    everything = read_shard(streams, arn, shard)
    assert [x["dynamodb"]["Keys"]["pk"]["S"] for x in everything] == ["a", "b", "c", "d"]
    seq_b = everything[1]["dynamodb"]["SequenceNumber"]
    at = read_shard(streams, arn, shard, "AT_SEQUENCE_NUMBER", SequenceNumber=seq_b)
    assert [x["dynamodb"]["Keys"]["pk"]["S"] for x in at] == ["b", "c", "d"]
    after = read_shard(streams, arn, shard, "AFTER_SEQUENCE_NUMBER", SequenceNumber=seq_b)
    assert [x["dynamodb"]["Keys"]["pk"]["S"] for x in after] == ["c", "d"]
    limited = streams.get_records(ShardIterator=streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"], Limit=2)
    assert len(limited["Records"]) == 2
    nxt = streams.get_records(ShardIterator=limited["NextShardIterator"], Limit=2)
    assert [x["dynamodb"]["Keys"]["pk"]["S"] for x in nxt["Records"]] == ["c", "d"]


def test_errors(ddb, streams, cluster):
    name, arn = stream_table(ddb)
    ddb.put_item(TableName=name, Item=pk("a"))
    shard = shards_of(streams, arn)[0]["ShardId"]
    missing = arn.rsplit("/", 1)[0] + "/2000-01-01T00:00:00.000"
    with raises_ddb("ResourceNotFoundException", "Requested resource not found: Stream: %s not found" % missing):
        streams.describe_stream(StreamArn=missing)
    with raises_ddb("ResourceNotFoundException"):
        streams.get_shard_iterator(StreamArn=missing, ShardId=shard, ShardIteratorType="LATEST")
    with raises_ddb("ResourceNotFoundException"):
        streams.get_shard_iterator(StreamArn=arn, ShardId="shardId-00000000000000000000-0000dead",
                                   ShardIteratorType="LATEST")
    with raises_ddb("ValidationException"):
        streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER")
    with raises_ddb("ValidationException"):
        streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                                   SequenceNumber="9" * 30)
    with raises_ddb("ValidationException"):
        streams.get_records(ShardIterator=arn + "|1|bm90IGFuIGl0ZXJhdG9y")
    unchecked = streams_client(cluster.endpoint, validate=False)
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    with raises_ddb("ValidationException", "1 validation error detected: Value '1001' at 'limit' failed to satisfy "
                    "constraint: Member must have value less than or equal to 1000"):
        unchecked.get_records(ShardIterator=it, Limit=1001)
    with raises_ddb("ValidationException", contains="'limit'"):
        unchecked.list_streams(Limit=0)
    with raises_ddb("ValidationException", contains="shardIteratorType"):
        unchecked.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_TIMESTAMP")
    # a stream is its table's account's only
    other = streams_client(cluster.endpoint, access_key=OTHER_ACCOUNT)
    assert other.list_streams(TableName=name)["Streams"] == []
    with raises_ddb("ResourceNotFoundException"):
        other.describe_stream(StreamArn=arn)
    with raises_ddb("ResourceNotFoundException"):
        other.get_records(ShardIterator=it)


def test_list_streams_pages(cluster):
    account = "%012d" % (int(time.time() * 1000) % 10 ** 12)
    ddb = cluster.client(access_key=account)
    streams = streams_client(cluster.endpoint, access_key=account)
    arns = sorted(stream_table(ddb)[1] for _ in range(3))
    seen, kw = [], {}
    while True:
        r = streams.list_streams(Limit=2, **kw)
        seen += [s["StreamArn"] for s in r["Streams"]]
        if "LastEvaluatedStreamArn" not in r:
            break
        kw = {"ExclusiveStartStreamArn": r["LastEvaluatedStreamArn"]}
    assert sorted(seen) == arns


# --- stream lifecycle ----------------------------------------------------------------------

def test_disable_and_reenable_gives_a_new_stream(ddb, streams):
    name, old_arn = stream_table(ddb, "NEW_IMAGE")
    ddb.put_item(TableName=name, Item=pk("one"))
    ddb.put_item(TableName=name, Item=pk("two"))
    r = ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    assert r["TableDescription"]["LatestStreamArn"] == old_arn
    assert "StreamSpecification" not in ddb.describe_table(TableName=name)["Table"]
    ddb.put_item(TableName=name, Item=pk("unseen"))                 # no stream enabled
    r = ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    new_arn = r["TableDescription"]["LatestStreamArn"]
    assert new_arn != old_arn and ARN_RE.match(new_arn)
    ddb.put_item(TableName=name, Item=pk("three"))

    old = streams.describe_stream(StreamArn=old_arn)["StreamDescription"]
    assert old["StreamStatus"] == "DISABLED"
    assert all("EndingSequenceNumber" in s["SequenceNumberRange"] for s in old["Shards"])
    assert [x["dynamodb"]["Keys"]["pk"]["S"] for x in read_all(streams, old_arn)] == ["one", "two"]
    assert [x["dynamodb"]["Keys"]["pk"]["S"] for x in read_all(streams, new_arn)] == ["three"]
    assert sorted(s["StreamArn"] for s in streams.list_streams(TableName=name)["Streams"]) == \
        sorted([old_arn, new_arn])
    assert ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"] == new_arn


def test_deleted_table_stream_stays_readable(ddb, streams):
    name, arn = stream_table(ddb, "NEW_AND_OLD_IMAGES")
    ddb.put_item(TableName=name, Item=pk("x"))
    ddb.delete_table(TableName=name)
    d = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert d["StreamStatus"] == "DISABLED"
    assert [x["eventName"] for x in read_all(streams, arn)] == ["INSERT"]
    # a new table of the same name starts from nothing
    name2, arn2 = stream_table(ddb, "KEYS_ONLY", name=name)
    assert arn2 != arn and read_all(streams, arn2) == []


# --- rollover, trimming and expiry (clusters of their own) ---------------------------------

def test_rollover_lineage_exactly_once(new_cluster):
    c = new_cluster(in_memory=True, gateway_args=["--regiond-arg=--stream-shard-rollover-records=7",
                                                  "--regiond-arg=--stream-shard-rollover-ms=400"])
    ddb, streams = c.client(), streams_client(c.endpoint)
    name, arn = stream_table(ddb, "NEW_IMAGE")
    written, seen = [], []
    positions = {}                                   # shard -> next iterator (None: exhausted)

    def poll():
        for s in shards_of(streams, arn):
            sid = s["ShardId"]
            parent = s.get("ParentShardId")
            if parent and positions.get(parent, "unread") is not None:
                continue                             # children only after their parent
            if sid not in positions:
                positions[sid] = streams.get_shard_iterator(StreamArn=arn, ShardId=sid,
                                                            ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            while positions[sid]:
                r = streams.get_records(ShardIterator=positions[sid], Limit=3)
                seen.extend(x["dynamodb"]["NewImage"]["n"]["N"] for x in r["Records"])
                positions[sid] = r.get("NextShardIterator")
                if not r["Records"]:
                    break

    for burst in range(8):
        for i in range(6):
            n = str(burst * 6 + i)
            ddb.put_item(TableName=name, Item={**pk("k" + n), "n": {"N": n}})
            written.append(n)
        poll()
        time.sleep(0.25)
    wait_until(lambda: (poll(), len(seen) >= len(written))[1], timeout=10, what="every record")
    assert seen == written                           # all, once each, in order
    shards = shards_of(streams, arn)
    assert len(shards) >= 4
    by_id = {s["ShardId"]: s for s in shards}
    for s in shards[1:]:
        parent = by_id[s["ParentShardId"]]
        end = int(parent["SequenceNumberRange"]["EndingSequenceNumber"])
        assert int(s["SequenceNumberRange"]["StartingSequenceNumber"]) == end + 1
    assert sum(1 for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]) == 1


def test_trimmed_and_expired(new_cluster):
    c = new_cluster(in_memory=True, gateway_args=["--regiond-arg=--stream-retention-ms=1000",
                                                  "--regiond-arg=--stream-iterator-ttl-ms=4000"])
    ddb, streams = c.client(), streams_client(c.endpoint)
    name, arn = stream_table(ddb, "KEYS_ONLY")
    ddb.put_item(TableName=name, Item=pk("old"))
    shard = shards_of(streams, arn)[0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    seq = read_shard(streams, arn, shard)[0]["dynamodb"]["SequenceNumber"]
    time.sleep(2.5)                                  # past the retention: trimmed by the periodic work
    with raises_ddb("TrimmedDataAccessException"):
        streams.get_records(ShardIterator=it)
    with raises_ddb("TrimmedDataAccessException"):
        streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
                                   SequenceNumber=seq)
    fresh = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    assert streams.get_records(ShardIterator=fresh["ShardIterator"])["Records"] == []
    ddb.put_item(TableName=name, Item=pk("new"))
    assert [x["dynamodb"]["Keys"]["pk"]["S"] for x in read_shard(streams, arn, shard)] == ["new"]
    time.sleep(2)                                    # the first iterator is now 4.5 s old
    with raises_ddb("ExpiredIteratorException"):
        streams.get_records(ShardIterator=it)
