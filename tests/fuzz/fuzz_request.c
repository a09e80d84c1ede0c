/* fuzz_request: libFuzzer target for the regiond request path without ZeroMQ:
 * rd_dispatch (JSON parsing, the command table, every handler, rd_store on an
 * in-memory SQLite database) run the way rd_loop runs a batch: one transaction, a
 * savepoint per request, released on 200 and rolled back otherwise. Each input is
 * up to RQ_MAX requests separated by "\n%%\n"; a request's first byte picks the
 * operation (see s_ops), the rest is its JSON body. The transaction is rolled back
 * after every input, so each one starts from the same tables and items.
 * Checked: every reply is a JSON object, an error reply has a __type, the status is
 * 200, 400 or 413 (a 500 on client input is a bug), and the items a reply carries
 * are valid items. */
#define _GNU_SOURCE   /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_log.h"
#include "rd_dispatch.h"
#include "rd_store.h"

#define RQ_MAX 8
#define RQ_SEP "\n%%\n"
#define RQ_REGION "us-east-1"
#define RQ_ACCOUNT "000000000000"

typedef struct rq_op {
    const char *name;
    uint32_t service;
} rq_op_t;

/* Selected by the request's first byte: 0-9 and a-v are indexes 0..31, any other
 * byte picks by its value modulo 32. Names the regiond does not know must answer
 * UnknownOperationException; the others are fuzzed through their handlers. */
static const rq_op_t s_ops[32] = {
    { "PutItem", PROTO_SVC_DYNAMODB },            /* 0 */
    { "GetItem", PROTO_SVC_DYNAMODB },            /* 1 */
    { "DeleteItem", PROTO_SVC_DYNAMODB },         /* 2 */
    { "UpdateItem", PROTO_SVC_DYNAMODB },         /* 3 */
    { "CreateTable", PROTO_SVC_DYNAMODB },        /* 4 */
    { "DescribeTable", PROTO_SVC_DYNAMODB },      /* 5 */
    { "UpdateTable", PROTO_SVC_DYNAMODB },        /* 6 */
    { "DeleteTable", PROTO_SVC_DYNAMODB },        /* 7 */
    { "ListTables", PROTO_SVC_DYNAMODB },         /* 8 */
    { "Query", PROTO_SVC_DYNAMODB },              /* 9 */
    { "Scan", PROTO_SVC_DYNAMODB },               /* a */
    { "BatchWriteItem", PROTO_SVC_DYNAMODB },     /* b */
    { "BatchGetItem", PROTO_SVC_DYNAMODB },       /* c */
    { "TransactWriteItems", PROTO_SVC_DYNAMODB }, /* d */
    { "Status", PROTO_SVC_ADMIN },                /* e: the gateway's question */
    { "NoSuchOperation", PROTO_SVC_DYNAMODB },    /* f */
    { "TransactGetItems", PROTO_SVC_DYNAMODB },   /* g */
    { "TagResource", PROTO_SVC_DYNAMODB },        /* h */
    { "UntagResource", PROTO_SVC_DYNAMODB },      /* i */
    { "ListTagsOfResource", PROTO_SVC_DYNAMODB }, /* j */
    { "UpdateTimeToLive", PROTO_SVC_DYNAMODB },   /* k */
    { "DescribeTimeToLive", PROTO_SVC_DYNAMODB }, /* l */
    { "DescribeLimits", PROTO_SVC_DYNAMODB },     /* m */
    { "DescribeEndpoints", PROTO_SVC_DYNAMODB },  /* n */
    { "ListStreams", PROTO_SVC_STREAMS },         /* o */
    { "DescribeStream", PROTO_SVC_STREAMS },      /* p */
    { "GetShardIterator", PROTO_SVC_STREAMS },    /* q */
    { "GetRecords", PROTO_SVC_STREAMS },          /* r */
    { "ExecuteStatement", PROTO_SVC_DYNAMODB },   /* s: PartiQL */
    { "DescribeContinuousBackups", PROTO_SVC_DYNAMODB }, /* t */
    { "PutItem", PROTO_SVC_STREAMS },             /* u: an operation of the other service */
    { "", PROTO_SVC_DYNAMODB },                   /* v: no operation name */
};

/* Committed once at start-up: the tables and items every input starts from. */
static const char *const s_setup[][2] = {
    { "CreateTable", "{\"TableName\":\"items\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
      "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
      "\"BillingMode\":\"PAY_PER_REQUEST\"}" },
    { "CreateTable", "{\"TableName\":\"ranged\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
      "\"AttributeType\":\"S\"},{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}],\"KeySchema\":"
      "[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
      "\"ProvisionedThroughput\":{\"ReadCapacityUnits\":5,\"WriteCapacityUnits\":5}}" },
    { "CreateTable", "{\"TableName\":\"binary\",\"AttributeDefinitions\":[{\"AttributeName\":\"id\","
      "\"AttributeType\":\"B\"}],\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}],"
      "\"BillingMode\":\"PAY_PER_REQUEST\"}" },
    { "PutItem", "{\"TableName\":\"items\",\"Item\":{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1\"},"
      "\"s\":{\"S\":\"abc\"},\"l\":{\"L\":[{\"N\":\"1\"},{\"M\":{\"x\":{\"S\":\"y\"}}}]},"
      "\"m\":{\"M\":{\"a\":{\"N\":\"1\"},\"b\":{\"SS\":[\"p\",\"q\"]}}},\"ns\":{\"NS\":[\"1\",\"2\"]}}}" },
    { "PutItem", "{\"TableName\":\"items\",\"Item\":{\"pk\":{\"S\":\"b\"},\"bin\":{\"B\":\"AAEC\"}}}" },
    { "PutItem", "{\"TableName\":\"ranged\",\"Item\":{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"1\"},"
      "\"v\":{\"S\":\"one\"}}}" },
    { "PutItem", "{\"TableName\":\"ranged\",\"Item\":{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"-2.5\"}}}" },
    { "PutItem", "{\"TableName\":\"binary\",\"Item\":{\"id\":{\"B\":\"AQID\"},\"v\":{\"BOOL\":true}}}" },
};

/* Set-up steps that may fail while the features they use are being written. */
static const char *const s_setup_optional[][2] = {
    { "CreateTable", "{\"TableName\":\"streamed\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
      "\"AttributeType\":\"S\"},{\"AttributeName\":\"g\",\"AttributeType\":\"N\"}],\"KeySchema\":"
      "[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\","
      "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"byg\",\"KeySchema\":[{\"AttributeName\":\"g\","
      "\"KeyType\":\"HASH\"}],\"Projection\":{\"ProjectionType\":\"ALL\"}}],"
      "\"StreamSpecification\":{\"StreamEnabled\":true,\"StreamViewType\":\"NEW_AND_OLD_IMAGES\"}}" },
    { "PutItem", "{\"TableName\":\"streamed\",\"Item\":{\"pk\":{\"S\":\"a\"},\"g\":{\"N\":\"1\"}}}" },
    { "UpdateTimeToLive", "{\"TableName\":\"streamed\",\"TimeToLiveSpecification\":{\"Enabled\":true,"
      "\"AttributeName\":\"ttl\"}}" },
};

static rd_store_t *g_store;
static ddb_arena_t *g_arena;
static ddb_buf_t g_out = DDB_BUF_INIT;
static bool g_verbose;   /* FUZZ_REQUEST_VERBOSE=1: print every reply (to study a crash) */

static void s_die(const char *what, const char *op, const char *detail)
{
    fprintf(stderr, "fuzz_request: %s: %s: %s\n", what, op, detail ? detail : "");
    abort();
}

/* Items a reply carries (Item, Attributes, Items[], and the item of a failed
 * condition's ALL_OLD) must be valid items as a client would send them back. */
static void s_check_reply_items(const cJSON *reply, const char *op, const char *text)
{
    static const char *const members[] = { "Item", "Attributes" };
    for (size_t i = 0; i < 2; i++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(reply, members[i]);
        if (!item)
            continue;
        ddb_err_t err = DDB_ERR_INIT;
        if (!ddb_item_from_json(item, g_arena, &err))
            s_die("a reply carries an invalid item", op, text);
    }
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(reply, "Items");
    const cJSON *it;
    cJSON_ArrayForEach(it, items) {
        ddb_err_t err = DDB_ERR_INIT;
        if (!ddb_item_from_json(it, g_arena, &err))
            s_die("a reply carries an invalid item in Items", op, text);
    }
}

/* One request in its own savepoint, like rd_loop's s_execute. Returns the status. */
static int s_execute(const char *op, uint32_t service, const char *body, size_t len)
{
    ddb_err_t err = DDB_ERR_INIT;
    rd_req_t req = {
        .store = g_store,
        .arena = g_arena,
        .region = RQ_REGION,
        .account = RQ_ACCOUNT,
        .op = op,
        .out = &g_out,
        .err = &err,
    };
    ddb_buf_clear(&g_out);
    if (rd_store_savepoint(g_store) != 0)
        s_die("savepoint failed", op, NULL);
    int status = rd_dispatch(&req, service, body, len);
    if (status == 200)
        rd_store_release(g_store);
    else
        rd_store_rollback_to(g_store);
    if (err.extra_json)
        s_die("rd_dispatch left an error's extra_json behind", op, err.extra_json);

    const char *reply = g_out.data ? g_out.data : "";
    if (g_verbose)
        fprintf(stderr, "fuzz_request: %s -> %d %s\n", op, status, reply);
    cJSON *json = cJSON_ParseWithLength(reply, g_out.len);
    if (!json || !cJSON_IsObject(json))
        s_die("reply is not a JSON object", op, reply);
    if (status != 200 && status != 400 && status != 413)
        s_die("unexpected HTTP status (500 on client input is a bug)", op, reply);
    if (status != 200 && !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(json, "__type")))
        s_die("error reply without __type", op, reply);
    s_check_reply_items(json, op, reply);
    cJSON_Delete(json);
    ddb_arena_reset(g_arena);
    return status;
}

static void s_init(void)
{
    ddb_log_init("fuzz_request", DDB_LOG_ERROR);
    g_verbose = getenv("FUZZ_REQUEST_VERBOSE") != NULL;
    g_arena = ddb_arena_new(64 * 1024);
    g_store = rd_store_open(NULL, RQ_REGION, RD_DURABILITY_PROCESS);
    if (!g_store)
        s_die("cannot open the in-memory store", "", NULL);
    if (rd_store_begin(g_store) != 0)
        s_die("begin failed", "", NULL);
    for (size_t i = 0; i < sizeof(s_setup) / sizeof(s_setup[0]); i++)
        if (s_execute(s_setup[i][0], PROTO_SVC_DYNAMODB, s_setup[i][1], strlen(s_setup[i][1])) != 200)
            s_die("set-up request failed", s_setup[i][0], g_out.data);
    for (size_t i = 0; i < sizeof(s_setup_optional) / sizeof(s_setup_optional[0]); i++)
        s_execute(s_setup_optional[i][0], PROTO_SVC_DYNAMODB, s_setup_optional[i][1],
                  strlen(s_setup_optional[i][1]));
    if (rd_store_commit(g_store) != 0)
        s_die("commit failed", "", NULL);
}

static const rq_op_t *s_op_of(uint8_t selector)
{
    if (selector >= '0' && selector <= '9')
        return &s_ops[selector - '0'];
    if (selector >= 'a' && selector <= 'v')
        return &s_ops[selector - 'a' + 10];
    return &s_ops[selector % 32];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_store)
        s_init();
    if (rd_store_begin(g_store) != 0)
        s_die("begin failed", "", NULL);
    const char *p = (const char *)data, *end = p + size;
    for (int n = 0; n < RQ_MAX && p < end; n++) {
        const char *sep = memmem(p, (size_t)(end - p), RQ_SEP, strlen(RQ_SEP));
        const char *stop = sep ? sep : end;
        if (stop == p) {   /* an empty record: no operation byte */
            p = sep ? sep + strlen(RQ_SEP) : end;
            continue;
        }
        const rq_op_t *op = s_op_of((uint8_t)*p);
        /* the body gets its own exact-size heap copy so ASan sees any over-read */
        size_t len = (size_t)(stop - p - 1);
        char *body = malloc(len ? len : 1);
        memcpy(body, p + 1, len);
        s_execute(op->name, op->service, body, len);
        free(body);
        p = sep ? sep + strlen(RQ_SEP) : end;
    }
    rd_store_rollback(g_store);   /* every input starts from the set-up state */
    return 0;
}
