/* test_stream: rd_stream and the Streams operations against an in-memory store,
 * driven through rd_dispatch as the loop does: shards roll over by record count with
 * contiguous sequence ranges, GetRecords follows NextShardIterator to the end of a
 * closed shard, trimming makes old positions TrimmedDataAccessException, a deleted
 * table's stream stays readable, and an iterator past its age has expired. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "rd_dispatch.h"
#include "rd_store.h"
#include "rd_stream.h"
#include "unit.h"

static rd_store_t *s_store;
static ddb_arena_t *s_arena;

/* Runs one request in a transaction of its own; returns the HTTP status and the
 * parsed reply (caller deletes). */
static int s_call(uint32_t service, const char *op, const char *body, cJSON **reply)
{
    ddb_buf_t out = DDB_BUF_INIT;
    ddb_err_t err = DDB_ERR_INIT;
    rd_req_t req = { .store = s_store, .arena = s_arena, .region = "us-east-1", .account = "000000000000",
                     .op = op, .out = &out, .err = &err };
    rd_store_begin(s_store);
    int status = rd_dispatch(&req, service, body, strlen(body));
    if (status == 200)
        rd_store_commit(s_store);
    else
        rd_store_rollback(s_store);
    *reply = cJSON_Parse(out.data ? out.data : "{}");
    ddb_buf_free(&out);
    ddb_arena_reset(s_arena);
    return status;
}

static int s_ddb(const char *op, const char *body)
{
    cJSON *reply;
    int status = s_call(PROTO_SVC_DYNAMODB, op, body, &reply);
    cJSON_Delete(reply);
    return status;
}

static const char *s_str(const cJSON *obj, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    const cJSON *at = obj;
    for (char *part = strtok(buf, "."); part && at; part = strtok(NULL, "."))
        at = cJSON_GetObjectItemCaseSensitive(at, part);
    return cJSON_IsString(at) ? at->valuestring : NULL;
}

static void s_put(const char *table, int n)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"TableName\":\"%s\",\"Item\":{\"pk\":{\"S\":\"k%d\"},\"n\":{\"N\":\"%d\"}}}",
             table, n, n);
    CHECK(s_ddb("PutItem", body) == 200);
}

static char *s_iterator(const char *arn, const char *shard, const char *type, const char *seq)
{
    char body[1024];
    snprintf(body, sizeof(body), "{\"StreamArn\":\"%s\",\"ShardId\":\"%s\",\"ShardIteratorType\":\"%s\"%s%s%s}", arn,
             shard, type, seq ? ",\"SequenceNumber\":\"" : "", seq ? seq : "", seq ? "\"" : "");
    cJSON *reply;
    int status = s_call(PROTO_SVC_STREAMS, "GetShardIterator", body, &reply);
    const char *it = s_str(reply, "ShardIterator");
    char *copy = status == 200 && it ? strdup(it) : NULL;
    cJSON_Delete(reply);
    return copy;
}

/* Reads a shard from iterator `it` to its end; returns how many records, appending
 * their "n" values to seen (and the error type into *error on a failure). */
static int s_drain(char *it, int *seen, int max, const char **error)
{
    int count = 0;
    *error = NULL;
    while (it) {
        char body[2048];
        snprintf(body, sizeof(body), "{\"ShardIterator\":\"%s\",\"Limit\":2}", it);
        free(it);
        it = NULL;
        cJSON *reply;
        int status = s_call(PROTO_SVC_STREAMS, "GetRecords", body, &reply);
        if (status != 200) {
            const char *type = s_str(reply, "__type");
            *error = type && strchr(type, '#') ? strchr(type, '#') + 1 : "?";
            *error = strcmp(*error, "TrimmedDataAccessException") == 0 ? "TrimmedDataAccessException"
                     : strcmp(*error, "ExpiredIteratorException") == 0 ? "ExpiredIteratorException"
                                                                         : "other";
            cJSON_Delete(reply);
            return count;
        }
        const cJSON *rec;
        int in_page = 0;
        cJSON_ArrayForEach(rec, cJSON_GetObjectItem(reply, "Records")) {
            const char *n = s_str(rec, "dynamodb.NewImage.n.N");
            if (count < max)
                seen[count] = n ? atoi(n) : -1;
            count++;
            in_page++;
        }
        const char *next = s_str(reply, "NextShardIterator");
        it = next && in_page ? strdup(next) : NULL;
        cJSON_Delete(reply);
    }
    return count;
}

static void test_rollover_and_lineage(void)
{
    CHECK(s_ddb("CreateTable", "{\"TableName\":\"roll\",\"BillingMode\":\"PAY_PER_REQUEST\","
                               "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],"
                               "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
                               "\"StreamSpecification\":{\"StreamEnabled\":true,\"StreamViewType\":\"NEW_IMAGE\"}}") == 200);
    cJSON *reply;
    CHECK(s_call(PROTO_SVC_DYNAMODB, "DescribeTable", "{\"TableName\":\"roll\"}", &reply) == 200);
    char arn[512];
    snprintf(arn, sizeof(arn), "%s", s_str(reply, "Table.LatestStreamArn") ? s_str(reply, "Table.LatestStreamArn") : "");
    CHECK(strncmp(arn, "arn:aws:dynamodb:us-east-1:000000000000:table/roll/stream/", 58) == 0);
    cJSON_Delete(reply);

    for (int i = 0; i < 7; i++) {   /* three records a shard: 3 + 3 + 1 */
        s_put("roll", i);
        char body[600];
        snprintf(body, sizeof(body), "{\"StreamArn\":\"%s\"}", arn);
        CHECK(s_call(PROTO_SVC_STREAMS, "DescribeStream", body, &reply) == 200);
        cJSON_Delete(reply);
    }
    char body[600];
    snprintf(body, sizeof(body), "{\"StreamArn\":\"%s\"}", arn);
    CHECK(s_call(PROTO_SVC_STREAMS, "DescribeStream", body, &reply) == 200);
    const cJSON *shards = cJSON_GetObjectItem(cJSON_GetObjectItem(reply, "StreamDescription"), "Shards");
    CHECK_INT(cJSON_GetArraySize(shards), 3);
    int seen[16], total = 0;
    const char *prev_id = NULL, *prev_end = NULL, *error;
    const cJSON *shard;
    cJSON_ArrayForEach(shard, shards) {
        const char *id = s_str(shard, "ShardId");
        CHECK_STR(s_str(shard, "ParentShardId"), prev_id);
        if (prev_end)
            CHECK(atoll(s_str(shard, "SequenceNumberRange.StartingSequenceNumber")) == atoll(prev_end) + 1);
        total += s_drain(s_iterator(arn, id, "TRIM_HORIZON", NULL), seen + total, 16 - total, &error);
        CHECK(error == NULL);
        prev_id = id;
        prev_end = s_str(shard, "SequenceNumberRange.EndingSequenceNumber");
    }
    CHECK(prev_end == NULL);   /* the last shard is open */
    CHECK_INT(total, 7);
    for (int i = 0; i < total && i < 7; i++)
        CHECK_INT(seen[i], i);
    cJSON_Delete(reply);
}

static void test_trim_expiry_and_delete(void)
{
    CHECK(s_ddb("CreateTable", "{\"TableName\":\"trim\",\"BillingMode\":\"PAY_PER_REQUEST\","
                               "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],"
                               "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
                               "\"StreamSpecification\":{\"StreamEnabled\":true,\"StreamViewType\":\"NEW_IMAGE\"}}") == 200);
    cJSON *reply;
    CHECK(s_call(PROTO_SVC_DYNAMODB, "DescribeTable", "{\"TableName\":\"trim\"}", &reply) == 200);
    char arn[512], body[600], shard[80], seq[40];
    snprintf(arn, sizeof(arn), "%s", s_str(reply, "Table.LatestStreamArn"));
    cJSON_Delete(reply);
    s_put("trim", 1);
    snprintf(body, sizeof(body), "{\"StreamArn\":\"%s\"}", arn);
    CHECK(s_call(PROTO_SVC_STREAMS, "DescribeStream", body, &reply) == 200);
    const cJSON *first = cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(reply, "StreamDescription"), "Shards"), 0);
    snprintf(shard, sizeof(shard), "%s", s_str(first, "ShardId"));
    snprintf(seq, sizeof(seq), "%s", s_str(first, "SequenceNumberRange.StartingSequenceNumber"));
    cJSON_Delete(reply);
    char *old = s_iterator(arn, shard, "AT_SEQUENCE_NUMBER", seq);
    CHECK(old != NULL);

    rd_stream_config_t cfg = *rd_stream_config();
    cfg.retention_ms = 0;   /* everything written so far is past the retention */
    rd_stream_configure(&cfg);
    struct timespec pause = { 0, 5 * 1000 * 1000 };
    nanosleep(&pause, NULL);   /* the records' millisecond is over */
    rd_stream_tick(s_store);
    int seen[4];
    const char *error;
    s_drain(old, seen, 4, &error);
    CHECK_STR(error, "TrimmedDataAccessException");
    CHECK(s_iterator(arn, shard, "AT_SEQUENCE_NUMBER", seq) == NULL);
    cfg.retention_ms = RD_STREAM_DEFAULT_RETENTION_MS;
    rd_stream_configure(&cfg);

    s_put("trim", 2);
    CHECK(s_ddb("DeleteTable", "{\"TableName\":\"trim\"}") == 200);
    CHECK(s_call(PROTO_SVC_STREAMS, "DescribeStream", body, &reply) == 200);
    CHECK_STR(s_str(reply, "StreamDescription.StreamStatus"), "DISABLED");
    cJSON_Delete(reply);
    CHECK_INT(s_drain(s_iterator(arn, shard, "TRIM_HORIZON", NULL), seen, 4, &error), 1);
    CHECK(error == NULL && seen[0] == 2);

    cfg.iterator_ttl_ms = 0;
    rd_stream_configure(&cfg);
    char *it = s_iterator(arn, shard, "TRIM_HORIZON", NULL);
    nanosleep(&pause, NULL);
    s_drain(it, seen, 4, &error);
    CHECK_STR(error, "ExpiredIteratorException");
}

int main(void)
{
    rd_stream_config_t cfg = { 0, 3, RD_STREAM_DEFAULT_RETENTION_MS, RD_STREAM_DEFAULT_ITERATOR_TTL_MS };
    rd_stream_configure(&cfg);
    s_store = rd_store_open(NULL, "us-east-1", RD_DURABILITY_PROCESS);
    s_arena = ddb_arena_new(64 * 1024);
    CHECK(s_store != NULL);
    if (s_store) {
        test_rollover_and_lineage();
        test_trim_expiry_and_delete();
    }
    rd_store_close(&s_store);
    ddb_arena_destroy(&s_arena);
    return UNIT_DONE("test_stream");
}
