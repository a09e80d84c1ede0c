/* bench_workload: the named workloads, the DynamoDB operations they send, the JSON
 * bodies of those requests, and the few facts read back from replies (error type,
 * Count, Item present, LastEvaluatedKey). Keys are deterministic functions of an
 * item index, so a preload and the measured phase agree without shared state. */
#ifndef BENCH_WORKLOAD_H
#define BENCH_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "bench_buf.h"
#include "bench_rand.h"

typedef enum {
    BENCH_WL_PUT,          /* PutItem, uniform keys over --items */
    BENCH_WL_GET,          /* GetItem of preloaded items, uniform */
    BENCH_WL_QUERY,        /* Query one partition of 10 items, uniform */
    BENCH_WL_MIXED,        /* YCSB-A: 50% GetItem / 50% update, zipfian keys */
    BENCH_WL_BATCH_WRITE,  /* BatchWriteItem of 25 puts */
    BENCH_WL_SCAN,         /* Scan pages of --scan-limit, each connection walking the table */
    BENCH_WL_REPL_LAG,     /* PutItem in region A, then GetItem in region B until visible */
    BENCH_WL_SCALE,        /* several runs (bench_scale): a big and a 1,000-item table compared */
    BENCH_WL_COUNT
} bench_workload_t;

typedef enum {
    BENCH_OP_PUT,
    BENCH_OP_GET,
    BENCH_OP_UPDATE,
    BENCH_OP_QUERY,
    BENCH_OP_BATCH_WRITE,
    BENCH_OP_SCAN,
    BENCH_OP_COUNT
} bench_op_t;

#define BENCH_BATCH_ITEMS 25      /* BatchWriteItem's limit */
#define BENCH_QUERY_ITEMS 10      /* items per partition of the query table */

/* The table and key space every request body is built from. */
typedef struct bench_keyspace {
    char table[256];
    int composite;           /* 1: pk (S, HASH) + sk (S, RANGE); 0: pk only */
    uint64_t items;          /* item indexes are 0..items-1 */
    size_t value_size;       /* bytes in attribute "v" */
    char *values;            /* random letters, 2 * value_size + 1 bytes: "v" is a window */
} bench_keyspace_t;

const char *bench_workload_name(bench_workload_t wl);
/* 0 and *wl set, or -1 for an unknown name. */
int bench_workload_parse(const char *name, bench_workload_t *wl);
/* Does the workload read items it must preload first? */
int bench_workload_needs_preload(bench_workload_t wl);
/* The X-Amz-Target operation name of an op ("PutItem"). */
const char *bench_op_name(bench_op_t op);

/* Fills ks->values from seed. 0, or -1 on out-of-memory. bench_keyspace_free frees. */
int bench_keyspace_init(bench_keyspace_t *ks, const char *table, int composite, uint64_t items, size_t value_size,
                        uint64_t seed);
void bench_keyspace_free(bench_keyspace_t *ks);

/* Request bodies; each clears b first. Item index i maps to pk "user%010" (or, for a
 * composite table, pk "part%08" i/10 and sk "item%04" i%10). */
void bench_body_create_table(bench_buf_t *b, const bench_keyspace_t *ks, int streams);
void bench_body_table(bench_buf_t *b, const bench_keyspace_t *ks);   /* {"TableName":..}: Describe/Delete */
void bench_body_add_replica(bench_buf_t *b, const bench_keyspace_t *ks, const char *region);
void bench_body_put(bench_buf_t *b, const bench_keyspace_t *ks, uint64_t i, bench_rand_t *r);
void bench_body_get(bench_buf_t *b, const bench_keyspace_t *ks, uint64_t i);
void bench_body_update(bench_buf_t *b, const bench_keyspace_t *ks, uint64_t i, bench_rand_t *r);
/* count puts of items first, first+1, .. (mod items): distinct keys in one batch. */
void bench_body_batch_write(bench_buf_t *b, const bench_keyspace_t *ks, uint64_t first, unsigned count,
                            bench_rand_t *r);
void bench_body_query(bench_buf_t *b, const bench_keyspace_t *ks, uint64_t partition);
/* start_key: the previous page's LastEvaluatedKey JSON object, or NULL. */
void bench_body_scan(bench_buf_t *b, const bench_keyspace_t *ks, unsigned limit, const char *start_key);

/* The error's short type (after the '#' of "__type"), or "HTTP<status>". */
void bench_reply_error_type(int status, const char *body, size_t len, char *out, size_t out_size);
/* The reply's "Count", or -1 if it has none. */
long bench_reply_count(const char *body, size_t len);
/* Does a GetItem reply hold an item? */
int bench_reply_has_item(const char *body, size_t len);
/* Copies the JSON object of "LastEvaluatedKey" into out. 0, or -1 if there is none. */
int bench_reply_last_key(const char *body, size_t len, bench_buf_t *out);
/* Does a non-empty "UnprocessedItems" map appear in a BatchWriteItem reply? */
int bench_reply_has_unprocessed(const char *body, size_t len);

#endif
