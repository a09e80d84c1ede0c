/* rd_stream: DynamoDB Streams metadata over the change log. A stream is a row of
 * `streams` (ARN, table, view type, status, the log sequence range it covers); its
 * shards are rows of `stream_shards`, each covering a range of the same log; the
 * records are the table's change-log rows themselves (no second copy). Shards roll
 * over by age or record count; records older than the retention are trimmed. */
#ifndef RD_STREAM_H
#define RD_STREAM_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "ddb_arena.h"
#include "ddb_buf.h"
#include "ddb_err.h"
#include "rd_store.h"
#include "rd_table.h"

/* Tunables, set once at startup (regiond flags). */
typedef struct rd_stream_config {
    int64_t rollover_ms;        /* an open shard older than this is closed (0: never by age) */
    int64_t rollover_records;   /* ... or holding at least this many records (0: no limit) */
    int64_t retention_ms;       /* records older than this are trimmed */
    int64_t iterator_ttl_ms;    /* a shard iterator older than this has expired */
} rd_stream_config_t;

#define RD_STREAM_DEFAULT_ROLLOVER_MS (4LL * 3600 * 1000)
#define RD_STREAM_DEFAULT_RETENTION_MS (24LL * 3600 * 1000)
#define RD_STREAM_DEFAULT_ITERATOR_TTL_MS (15LL * 60 * 1000)

/* Replaces the process-wide configuration (defaults until called). */
void rd_stream_configure(const rd_stream_config_t *cfg);
/* The current configuration. Borrowed. */
const rd_stream_config_t *rd_stream_config(void);

/* Creates the stream tables if missing. 0 / -1 (logged). rd_store_open calls it. */
int rd_stream_schema(rd_store_t *s);

/* A StreamSpecification as given in CreateTable or UpdateTable. */
typedef struct rd_stream_spec {
    bool given;                 /* the member was present */
    bool enabled;               /* StreamEnabled */
    const char *view_type;      /* StreamViewType (borrowed from the request) or NULL */
} rd_stream_spec_t;

/* Reads and validates body's StreamSpecification. 0, or -1 with err set. */
int rd_stream_spec_parse(const cJSON *body, rd_stream_spec_t *spec, ddb_err_t *err);
/* Carries out spec on table t (enable a new stream, or disable the current one),
 * with the service's errors for enabling twice or disabling nothing. */
int rd_stream_apply_spec(rd_store_t *s, const rd_table_t *t, const char *region, const rd_stream_spec_t *spec,
                         ddb_err_t *err);
/* Appends TableDescription's stream members (",\"StreamSpecification\":..." and the
 * latest stream's ARN and label) for t; nothing when t never had a stream. */
void rd_stream_describe_table(rd_store_t *s, const rd_table_t *t, ddb_buf_t *out);
/* DeleteTable: disables t's stream. Returns true when t's change log must be kept
 * (a stream still reads it until its retention ends; rd_stream_tick drops it). */
bool rd_stream_table_dropped(rd_store_t *s, const rd_table_t *t);
/* Periodic work between batches, in a transaction of its own: rolls shards over,
 * trims records past the retention, forgets streams and shards nobody can read. */
void rd_stream_tick(rd_store_t *s);

/* ---- for the Streams operations (rd_op_streams.c) ---- */

typedef struct rd_stream_info {
    const char *arn;            /* arena-owned strings */
    const char *account;
    const char *table_name;
    const char *label;
    const char *view_type;      /* KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES */
    const char *status;         /* ENABLED or DISABLED */
    const char *key_schema;     /* KeySchema JSON array */
    int64_t phys;               /* the table's log is log_<phys> */
    int64_t created_ms;         /* CreationRequestDateTime */
} rd_stream_info_t;

typedef struct rd_shard {
    int64_t ordinal;            /* 1, 2, ... within the stream */
    const char *shard_id;       /* arena-owned */
    const char *parent_id;      /* NULL for the first shard */
    int64_t start_seq;          /* first log seq it covers */
    int64_t end_seq;            /* last log seq it covers; -1 while open */
} rd_shard_t;

/* One change-log record as a stream shows it. Texts are arena-owned. */
typedef struct rd_stream_record {
    int64_t seq;
    int event;                  /* RD_EVENT_* */
    const char *keys;           /* JSON */
    const char *old_image;      /* JSON or NULL */
    const char *new_image;      /* JSON or NULL */
    int64_t ts_ms;
    bool by_ttl;
} rd_stream_record_t;

/* Finds the stream arn visible to account (rolling its shards over if due).
 * 0, or -1 with ResourceNotFoundException. */
int rd_stream_find(rd_store_t *s, const char *arn, const char *account, ddb_arena_t *a, rd_stream_info_t *out,
                   ddb_err_t *err);
/* Up to max streams of account (of table_name unless NULL) with ARNs after
 * `after` (NULL: from the start), in ARN order; *more says whether others follow.
 * Returns how many, or -1 (err set). out holds max entries. */
int rd_stream_list(rd_store_t *s, const char *account, const char *table_name, const char *after, int max,
                   ddb_arena_t *a, rd_stream_info_t *out, bool *more, ddb_err_t *err);
/* Up to max shards of the stream after shard `after` (NULL: from the first), in
 * order; *more as above. Returns how many, or -1 (err set). */
int rd_stream_shards(rd_store_t *s, const rd_stream_info_t *st, const char *after, int max, ddb_arena_t *a,
                     rd_shard_t *out, bool *more, ddb_err_t *err);
/* The shard shard_id (or ordinal when shard_id is NULL) of the stream: 1 found,
 * 0 not found, -1 error (err set). */
int rd_stream_shard(rd_store_t *s, const rd_stream_info_t *st, const char *shard_id, int64_t ordinal,
                    ddb_arena_t *a, rd_shard_t *out, ddb_err_t *err);
/* The highest sequence number the table's log ever assigned (0: none), and the
 * highest one trimmed away (0: none). */
int64_t rd_stream_log_max(rd_store_t *s, int64_t phys);
int64_t rd_stream_log_trimmed(rd_store_t *s, int64_t phys);
/* Reads up to max records of log_<phys> with from <= seq <= to (to < 0: no bound),
 * in order. Returns how many, or -1 (err set). */
int rd_stream_read(rd_store_t *s, int64_t phys, int64_t from, int64_t to, int max, ddb_arena_t *a,
                   rd_stream_record_t *out, ddb_err_t *err);

#endif
