// Signed calls with the AWS SDK for JavaScript v3 against a Meridian cluster with
// --auth: the right secret works (DynamoDB and DynamoDB Streams, both signed by the
// SDK), a wrong secret gets InvalidSignatureException, an unknown key
// UnrecognizedClientException.
// Usage: node auth_check.mjs ENDPOINT ACCESS_KEY SECRET   (exit status 0: passed)
import { strict as assert } from "node:assert";
import {
  CreateTableCommand, DynamoDBClient, GetItemCommand, ListTablesCommand, PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient, ListStreamsCommand } from "@aws-sdk/client-dynamodb-streams";

const [endpoint, accessKeyId, secretAccessKey] = process.argv.slice(2);
if (!secretAccessKey) {
  console.error("usage: node auth_check.mjs ENDPOINT ACCESS_KEY SECRET");
  process.exit(2);
}
const config = (id, secret) => ({
  endpoint, region: "us-east-1", maxAttempts: 1, credentials: { accessKeyId: id, secretAccessKey: secret },
});
const ddb = new DynamoDBClient(config(accessKeyId, secretAccessKey));
const table = "js-auth-" + Date.now().toString(36);

await ddb.send(new CreateTableCommand({
  TableName: table, BillingMode: "PAY_PER_REQUEST",
  AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
  KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
  StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_IMAGE" },
}));
await ddb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: "k" }, v: { S: "é ü ∑ \u00a0 spaces  inside" } } }));
const got = await ddb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: "k" } } }));
assert.equal(got.Item.v.S, "é ü ∑ \u00a0 spaces  inside");
const tables = await ddb.send(new ListTablesCommand({}));
assert.ok(tables.TableNames.includes(table));
const streams = new DynamoDBStreamsClient(config(accessKeyId, secretAccessKey));
const listed = await streams.send(new ListStreamsCommand({ TableName: table }));
assert.equal(listed.Streams.length, 1);

async function expectError(client, command, name) {
  try {
    await client.send(command);
  } catch (e) {
    assert.equal(e.name, name, `expected ${name}, got ${e.name}: ${e.message}`);
    return;
  }
  assert.fail(`expected ${name}, the call succeeded`);
}
await expectError(new DynamoDBClient(config(accessKeyId, secretAccessKey + "x")), new ListTablesCommand({}),
  "InvalidSignatureException");
await expectError(new DynamoDBStreamsClient(config(accessKeyId, secretAccessKey + "x")),
  new ListStreamsCommand({}), "InvalidSignatureException");
await expectError(new DynamoDBClient(config("AKIDNOBODYKNOWS", "x")), new ListTablesCommand({}),
  "UnrecognizedClientException");
console.log("js auth: ok");
