// A DynamoDB Streams consumer written with the AWS SDK for JavaScript v3, against a
// Meridian endpoint whose regionds roll shards over quickly: it writes a workload in
// bursts (inserts, updates, deletes, a no-op) while following the stream's shards by
// ParentShardId lineage, and checks that it saw every change exactly once, in order.
// Then the same on a REPLICA region of a global table: the table is created in
// us-east-1, a replica added in eu-west-1, the workload written in both regions, and
// the replica's stream must show every record (local and replicated) exactly once,
// each key's changes in order.
// Usage: node streams_consumer.mjs ENDPOINT   (exit status 0: passed)
import { strict as assert } from "node:assert";
import {
  CreateTableCommand, DeleteItemCommand, DescribeTableCommand, DynamoDBClient, PutItemCommand,
  UpdateItemCommand, UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand,
} from "@aws-sdk/client-dynamodb-streams";

const endpoint = process.argv[2];
if (!endpoint) {
  console.error("usage: node streams_consumer.mjs ENDPOINT");
  process.exit(2);
}
const config = {
  endpoint, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "AKIDMERIDIANJS", secretAccessKey: "secret" },
};
const ddb = new DynamoDBClient(config);
const streams = new DynamoDBStreamsClient(config);
const REPLICA = "eu-west-1";
const ddbReplica = new DynamoDBClient({ ...config, region: REPLICA });
const streamsReplica = new DynamoDBStreamsClient({ ...config, region: REPLICA });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Follows every shard of the stream: a child is read only once its parent is exhausted.
class Consumer {
  constructor(arn, client = streams) {
    this.arn = arn;
    this.client = client;
    this.iterators = new Map();   // shardId -> next iterator, null once exhausted
    this.seen = [];               // [eventName, pk, n] in the order read
    this.shards = [];
  }

  async describe() {
    const shards = [];
    let start;
    do {
      const { StreamDescription: d } = await this.client.send(new DescribeStreamCommand({
        StreamArn: this.arn, Limit: 3, ExclusiveStartShardId: start,
      }));
      shards.push(...d.Shards);
      start = d.LastEvaluatedShardId;
    } while (start);
    this.shards = shards;
    return shards;
  }

  async poll() {
    for (const shard of await this.describe()) {
      const id = shard.ShardId;
      const parent = shard.ParentShardId;
      if (parent && this.iterators.get(parent) !== null && this.shards.some((s) => s.ShardId === parent))
        continue;   // the parent is not finished yet
      if (!this.iterators.has(id)) {
        const r = await this.client.send(new GetShardIteratorCommand({
          StreamArn: this.arn, ShardId: id, ShardIteratorType: "TRIM_HORIZON",
        }));
        this.iterators.set(id, r.ShardIterator);
      }
      while (this.iterators.get(id)) {
        const r = await this.client.send(new GetRecordsCommand({ ShardIterator: this.iterators.get(id), Limit: 4 }));
        for (const rec of r.Records) {
          const img = rec.dynamodb.NewImage ?? rec.dynamodb.OldImage;
          this.seen.push([rec.eventName, rec.dynamodb.Keys.pk.S, img?.n?.N ?? null]);
        }
        this.iterators.set(id, r.NextShardIterator ?? null);
        if (r.Records.length === 0) break;
      }
    }
  }
}

// The lineage of a stream's shards: each child starts right after its parent ends.
function checkLineage(shards) {
  assert.ok(shards.length >= 3, `expected a rollover, got ${shards.length} shard(s)`);
  const byId = new Map(shards.map((s) => [s.ShardId, s]));
  for (const s of shards.slice(1)) {
    const parent = byId.get(s.ParentShardId);
    assert.ok(parent, `shard ${s.ShardId} has no parent in the stream`);
    assert.equal(BigInt(s.SequenceNumberRange.StartingSequenceNumber),
      BigInt(parent.SequenceNumberRange.EndingSequenceNumber) + 1n);
  }
}

// One burst of the workload on client c with keys prefixed by p; returns its records.
async function burst(c, table, p, b) {
  const out = [];
  for (let i = 0; i < 4; i++) {
    const k = `${p}${b}_${i}`;
    await c.send(new PutItemCommand({ TableName: table, Item: { pk: { S: k }, n: { N: "0" } } }));
    out.push(["INSERT", k, "0"]);
  }
  const k = `${p}${b}_0`;
  await c.send(new UpdateItemCommand({
    TableName: table, Key: { pk: { S: k } }, UpdateExpression: "SET n = :n",
    ExpressionAttributeValues: { ":n": { N: String(b + 1) } },
  }));
  out.push(["MODIFY", k, String(b + 1)]);
  await c.send(new PutItemCommand({ TableName: table, Item: { pk: { S: k }, n: { N: String(b + 1) } } }));
  await c.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: `${p}${b}_1` } } }));
  out.push(["REMOVE", `${p}${b}_1`, "0"]);
  return out;
}

async function waitActive(c, table) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const { Table } = await c.send(new DescribeTableCommand({ TableName: table }));
    const replicasActive = (Table.Replicas ?? []).every((r) => r.ReplicaStatus === "ACTIVE");
    if (Table.TableStatus === "ACTIVE" && replicasActive) return Table;
    assert.ok(Date.now() < deadline, `${table} not ACTIVE: ${Table.TableStatus}`);
    await sleep(100);
  }
}

// Per key, the records in the order seen: exactly once each, and in order per key.
function byKey(records) {
  const m = new Map();
  for (const r of records) {
    if (!m.has(r[1])) m.set(r[1], []);
    m.get(r[1]).push(r);
  }
  return m;
}

async function replicaCase() {
  const table = `js_global_${Date.now()}`;
  await ddb.send(new CreateTableCommand({
    TableName: table, BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
  }));
  await waitActive(ddb, table);
  await ddb.send(new UpdateTableCommand({ TableName: table, ReplicaUpdates: [{ Create: { RegionName: REPLICA } }] }));
  await waitActive(ddb, table);
  const Table = await waitActive(ddbReplica, table);
  assert.equal(Table.GlobalTableVersion, "2019.11.21");
  assert.ok(Table.LatestStreamArn.includes(`:${REPLICA}:`), Table.LatestStreamArn);
  const consumer = new Consumer(Table.LatestStreamArn, streamsReplica);

  const expected = [];
  for (let b = 0; b < 6; b++) {
    expected.push(...await burst(ddbReplica, table, "r", b));   // local at the replica
    expected.push(...await burst(ddb, table, "o", b));          // replicated from the owner
    await consumer.poll();
    await sleep(100);
  }
  const deadline = Date.now() + 15000;
  while (consumer.seen.length < expected.length && Date.now() < deadline) {
    await consumer.poll();
    await sleep(100);
  }
  await sleep(300);
  await consumer.poll();
  assert.equal(consumer.seen.length, expected.length, "every record exactly once");
  assert.deepEqual(byKey(consumer.seen), byKey(expected));
  checkLineage(consumer.shards);
  console.log(`ok: replica ${REPLICA}: ${expected.length} records (local and replicated) exactly once across ` +
    `${consumer.shards.length} shards`);
}

async function main() {
  await singleRegionCase();
  await replicaCase();
}

async function singleRegionCase() {
  const table = `js_streams_${Date.now()}`;
  await ddb.send(new CreateTableCommand({
    TableName: table, BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
  }));
  const { Table } = await ddb.send(new DescribeTableCommand({ TableName: table }));
  assert.equal(Table.StreamSpecification.StreamViewType, "NEW_AND_OLD_IMAGES");
  const consumer = new Consumer(Table.LatestStreamArn);

  const expected = [];
  for (let burst = 0; burst < 10; burst++) {
    for (let i = 0; i < 5; i++) {
      const k = `k${burst}_${i}`;
      await ddb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: k }, n: { N: "0" } } }));
      expected.push(["INSERT", k, "0"]);
    }
    const k = `k${burst}_0`;
    await ddb.send(new UpdateItemCommand({
      TableName: table, Key: { pk: { S: k } }, UpdateExpression: "SET n = :n",
      ExpressionAttributeValues: { ":n": { N: String(burst + 1) } },
    }));
    expected.push(["MODIFY", k, String(burst + 1)]);
    await ddb.send(new PutItemCommand({   // identical: no record
      TableName: table, Item: { pk: { S: k }, n: { N: String(burst + 1) } },
    }));
    await ddb.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: `k${burst}_1` } } }));
    expected.push(["REMOVE", `k${burst}_1`, "0"]);
    await consumer.poll();
    await sleep(150);
  }
  const deadline = Date.now() + 10000;
  while (consumer.seen.length < expected.length && Date.now() < deadline) {
    await consumer.poll();
    await sleep(100);
  }
  assert.deepEqual(consumer.seen, expected);
  const shards = consumer.shards;
  checkLineage(shards);
  console.log(`ok: ${expected.length} records exactly once across ${shards.length} shards`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
