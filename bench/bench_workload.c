/* bench_workload: request bodies and reply facts (see bench_workload.h). Bodies are
 * printed straight into the connection's reusable buffer; replies are scanned with
 * memmem instead of parsed, to keep the load generator's cost per request small. */
#define _GNU_SOURCE   /* memmem */
#include "bench_workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_workload_names[BENCH_WL_COUNT] = {
    "put", "get", "query", "mixed", "batch-write", "scan", "replication-lag", "scale",
};

static const char *const s_op_names[BENCH_OP_COUNT] = {
    "PutItem", "GetItem", "UpdateItem", "Query", "BatchWriteItem", "Scan",
};

const char *bench_workload_name(bench_workload_t wl)
{
    return wl < BENCH_WL_COUNT ? s_workload_names[wl] : "?";
}

int bench_workload_parse(const char *name, bench_workload_t *wl)
{
    for (int i = 0; i < BENCH_WL_COUNT; i++) {
        if (strcmp(name, s_workload_names[i]) == 0) {
            *wl = (bench_workload_t)i;
            return 0;
        }
    }
    if (strcmp(name, "batch") == 0 || strcmp(name, "batch_write") == 0) {
        *wl = BENCH_WL_BATCH_WRITE;
        return 0;
    }
    if (strcmp(name, "lag") == 0 || strcmp(name, "replication_lag") == 0) {
        *wl = BENCH_WL_REPL_LAG;
        return 0;
    }
    return -1;
}

int bench_workload_needs_preload(bench_workload_t wl)
{
    return wl == BENCH_WL_GET || wl == BENCH_WL_QUERY || wl == BENCH_WL_MIXED || wl == BENCH_WL_SCAN;
}

const char *bench_op_name(bench_op_t op)
{
    return op < BENCH_OP_COUNT ? s_op_names[op] : "?";
}

int bench_keyspace_init(bench_keyspace_t *ks, const char *table, int composite, uint64_t items, size_t value_size,
                        uint64_t seed)
{
    static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    memset(ks, 0, sizeof(*ks));
    snprintf(ks->table, sizeof(ks->table), "%s", table);
    ks->composite = composite;
    ks->items = items ? items : 1;
    ks->value_size = value_size;
    ks->values = malloc(2 * value_size + 1);
    if (!ks->values)
        return -1;
    bench_rand_t r;
    bench_rand_seed(&r, seed, UINT64_C(0xBEEF));
    for (size_t i = 0; i < 2 * value_size; i++)
        ks->values[i] = letters[bench_rand_below(&r, sizeof(letters) - 1)];
    ks->values[2 * value_size] = '\0';
    return 0;
}

void bench_keyspace_free(bench_keyspace_t *ks)
{
    free(ks->values);
    ks->values = NULL;
}

/* "pk":{"S":..}[,"sk":{"S":..}] for item i. */
static void s_key_attrs(bench_buf_t *b, const bench_keyspace_t *ks, uint64_t i)
{
    if (ks->composite)
        bench_buf_printf(b, "\"pk\":{\"S\":\"part%08llu\"},\"sk\":{\"S\":\"item%04u\"}",
                         (unsigned long long)(i / BENCH_QUERY_ITEMS), (unsigned)(i % BENCH_QUERY_ITEMS));
    else
        bench_buf_printf(b, "\"pk\":{\"S\":\"user%010llu\"}", (unsigned long long)i);
}

/* A value_size window of the random letters: items differ, no per-request work. */
static void s_value(bench_buf_t *b, const bench_keyspace_t *ks, bench_rand_t *r)
{
    size_t offset = ks->value_size ? (size_t)bench_rand_below(r, ks->value_size) : 0;
    bench_buf_append(b, "{\"S\":\"", 6);
    bench_buf_append(b, ks->values + offset, ks->value_size);
    bench_buf_append(b, "\"}", 2);
}

static void s_item(bench_buf_t *b, const bench_keyspace_t *ks, uint64_t i, bench_rand_t *r)
{
    bench_buf_append(b, "{", 1);
    s_key_attrs(b, ks, i);
    if (ks->value_size) {
        bench_buf_puts(b, ",\"v\":");
        s_value(b, ks, r);
    }
    bench_buf_append(b, "}", 1);
}

static void s_table_name(bench_buf_t *b, const bench_keyspace_t *ks)
{
    bench_buf_puts(b, "{\"TableName\":");
    bench_buf_json_str(b, ks->table);
}

void bench_body_create_table(bench_buf_t *b, const bench_keyspace_t *ks, int streams)
{
    bench_buf_clear(b);
    s_table_name(b, ks);
    if (ks->composite)
        bench_buf_puts(b, ",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
                          "{\"AttributeName\":\"sk\",\"AttributeType\":\"S\"}],"
                          "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
                          "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}]");
    else
        bench_buf_puts(b, ",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],"
                          "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}]");
    bench_buf_puts(b, ",\"BillingMode\":\"PAY_PER_REQUEST\"");
    if (streams)
        bench_buf_puts(b, ",\"StreamSpecification\":{\"StreamEnabled\":true,\"StreamViewType\":\"NEW_AND_OLD_IMAGES\"}");
    bench_buf_puts(b, "}");
}

void bench_body_table(bench_buf_t *b, const bench_keyspace_t *ks)
{
    bench_buf_clear(b);
    s_table_name(b, ks);
    bench_buf_puts(b, "}");
}

void bench_body_add_replica(bench_buf_t *b, const bench_keyspace_t *ks, const char *region)
{
    bench_buf_clear(b);
    s_table_name(b, ks);
    bench_buf_puts(b, ",\"ReplicaUpdates\":[{\"Create\":{\"RegionName\":");
    bench_buf_json_str(b, region);
    bench_buf_puts(b, "}}]}");
}

void bench_body_put(bench_buf_t *b, const bench_keyspace_t *ks, uint64_t i, bench_rand_t *r)
{
    bench_buf_clear(b);
    s_table_name(b, ks);
    bench_buf_puts(b, ",\"Item\":");
    s_item(b, ks, i, r);
    bench_buf_puts(b, "}");
}

void bench_body_get(bench_buf_t *b, const bench_keyspace_t *ks, uint64_t i)
{
    bench_buf_clear(b);
    s_table_name(b, ks);
    bench_buf_puts(b, ",\"Key\":{");
    s_key_attrs(b, ks, i);
    bench_buf_puts(b, "}}");
}

void bench_body_update(bench_buf_t *b, const bench_keyspace_t *ks, uint64_t i, bench_rand_t *r)
{
    bench_buf_clear(b);
    s_table_name(b, ks);
    bench_buf_puts(b, ",\"Key\":{");
    s_key_attrs(b, ks, i);
    bench_buf_puts(b, "},\"UpdateExpression\":\"SET v = :v\",\"ExpressionAttributeValues\":{\":v\":");
    s_value(b, ks, r);
    bench_buf_puts(b, "}}");
}

void bench_body_batch_write(bench_buf_t *b, const bench_keyspace_t *ks, uint64_t first, unsigned count,
                            bench_rand_t *r)
{
    bench_buf_clear(b);
    bench_buf_puts(b, "{\"RequestItems\":{");
    bench_buf_json_str(b, ks->table);
    bench_buf_puts(b, ":[");
    for (unsigned k = 0; k < count; k++) {
        bench_buf_puts(b, k ? ",{\"PutRequest\":{\"Item\":" : "{\"PutRequest\":{\"Item\":");
        s_item(b, ks, (first + k) % ks->items, r);
        bench_buf_puts(b, "}}");
    }
    bench_buf_puts(b, "]}}");
}

void bench_body_query(bench_buf_t *b, const bench_keyspace_t *ks, uint64_t partition)
{
    bench_buf_clear(b);
    s_table_name(b, ks);
    bench_buf_printf(b,
                     ",\"KeyConditionExpression\":\"pk = :p\","
                     "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"part%08llu\"}}}",
                     (unsigned long long)partition);
}

void bench_body_scan(bench_buf_t *b, const bench_keyspace_t *ks, unsigned limit, const char *start_key)
{
    bench_buf_clear(b);
    s_table_name(b, ks);
    bench_buf_printf(b, ",\"Limit\":%u", limit);
    if (start_key && *start_key) {
        bench_buf_puts(b, ",\"ExclusiveStartKey\":");
        bench_buf_puts(b, start_key);
    }
    bench_buf_puts(b, "}");
}

void bench_reply_error_type(int status, const char *body, size_t len, char *out, size_t out_size)
{
    const char *t = body ? memmem(body, len, "\"__type\"", 8) : NULL;
    if (t) {
        const char *end = body + len;
        const char *q = memchr(t + 8, '"', (size_t)(end - t - 8));   /* opening quote of the value */
        const char *close = q ? memchr(q + 1, '"', (size_t)(end - q - 1)) : NULL;
        if (close) {
            const char *name = q + 1;
            const char *hash = memchr(name, '#', (size_t)(close - name));
            if (hash)
                name = hash + 1;
            size_t n = (size_t)(close - name);
            if (n >= out_size)
                n = out_size - 1;
            memcpy(out, name, n);
            out[n] = '\0';
            if (n)
                return;
        }
    }
    snprintf(out, out_size, "HTTP%d", status);
}

long bench_reply_count(const char *body, size_t len)
{
    const char *c = memmem(body, len, "\"Count\":", 8);
    if (!c)
        return -1;
    c += 8;
    while (c < body + len && *c == ' ')
        c++;
    return strtol(c, NULL, 10);
}

int bench_reply_has_item(const char *body, size_t len)
{
    return memmem(body, len, "\"Item\"", 6) != NULL;
}

int bench_reply_last_key(const char *body, size_t len, bench_buf_t *out)
{
    const char *k = memmem(body, len, "\"LastEvaluatedKey\"", 18);
    if (!k)
        return -1;
    const char *end = body + len;
    const char *p = memchr(k, '{', (size_t)(end - k));
    if (!p)
        return -1;
    int depth = 0, in_string = 0;
    for (const char *q = p; q < end; q++) {
        if (in_string) {
            if (*q == '\\')
                q++;
            else if (*q == '"')
                in_string = 0;
        } else if (*q == '"') {
            in_string = 1;
        } else if (*q == '{') {
            depth++;
        } else if (*q == '}' && --depth == 0) {
            bench_buf_clear(out);
            bench_buf_append(out, p, (size_t)(q - p + 1));
            return 0;
        }
    }
    return -1;
}

int bench_reply_has_unprocessed(const char *body, size_t len)
{
    const char *u = memmem(body, len, "\"UnprocessedItems\"", 18);
    if (!u)
        return 0;
    const char *end = body + len;
    const char *p = memchr(u, '{', (size_t)(end - u));
    if (!p)
        return 0;
    for (p++; p < end && (*p == ' ' || *p == '\n'); p++)
        ;
    return p < end && *p != '}';
}
