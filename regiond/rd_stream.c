/* rd_stream: streams, shards and trimming over the per-table change log. The log
 * (rd_store) is written for every change whether or not a stream is enabled; a
 * stream only exposes the log rows written while it was enabled, split into shards
 * by sequence range. Replicated writes will simply be more log rows (with their
 * origin), so every replica's stream shows local and replicated changes alike. */
#include "rd_stream.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ddb_hlc.h"
#include "ddb_log.h"
#include "rd_json.h"

#define TICK_EVERY_MS 1000   /* rd_stream_tick does its work at most this often */

static uint64_t s_next_tick_ms;   /* wall clock of rd_stream_tick's next round */
static uint64_t s_next_trim_ms;   /* ... and of its next trimming */

static rd_stream_config_t s_config = {
    RD_STREAM_DEFAULT_ROLLOVER_MS, 0, RD_STREAM_DEFAULT_RETENTION_MS, RD_STREAM_DEFAULT_ITERATOR_TTL_MS,
};

void rd_stream_configure(const rd_stream_config_t *cfg)
{
    s_config = *cfg;
}

const rd_stream_config_t *rd_stream_config(void)
{
    return &s_config;
}

/* ---- SQL helpers ---- */

static int s_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        DDB_ERROR("sqlite: %s: %s", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* A statement (not cached: stream operations are rare next to item writes). */
static sqlite3_stmt *s_prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        DDB_ERROR("sqlite prepare: %s: %s", sql, sqlite3_errmsg(db));
        return NULL;
    }
    return st;
}

static int s_fail(sqlite3 *db, ddb_err_t *err, const char *what)
{
    DDB_ERROR("streams: %s: %s", what, sqlite3_errmsg(db));
    return ddb_err_set(err, DDB_ERR_INTERNAL, "Internal server error");
}

static const char *s_col_str(sqlite3_stmt *st, int i, ddb_arena_t *a)
{
    const unsigned char *text = sqlite3_column_text(st, i);
    return text ? ddb_arena_strndup(a, (const char *)text, (size_t)sqlite3_column_bytes(st, i)) : NULL;
}

/* One integer from a query with at most one bound integer; dflt when no row/NULL. */
static int64_t s_query_int(sqlite3 *db, const char *sql, int64_t arg, int64_t dflt)
{
    sqlite3_stmt *st = s_prepare(db, sql);
    int64_t v = dflt;
    if (!st)
        return v;
    if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_int64(st, 1, arg);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

int rd_stream_schema(rd_store_t *s)
{
    sqlite3 *db = rd_store_db(s);
    return s_exec(db, "CREATE TABLE IF NOT EXISTS streams ("
                      " arn TEXT PRIMARY KEY, account TEXT NOT NULL, table_name TEXT NOT NULL,"
                      " label TEXT NOT NULL, phys INTEGER NOT NULL, view_type TEXT NOT NULL,"
                      " status TEXT NOT NULL, created_ms INTEGER NOT NULL, disabled_ms INTEGER,"
                      " key_schema TEXT NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER)") ||
                   s_exec(db, "CREATE INDEX IF NOT EXISTS streams_by_phys ON streams (phys, created_ms)") ||
                   s_exec(db, "CREATE TABLE IF NOT EXISTS stream_shards ("
                              " arn TEXT NOT NULL, ordinal INTEGER NOT NULL, shard_id TEXT NOT NULL,"
                              " parent_id TEXT, start_seq INTEGER NOT NULL, end_seq INTEGER,"
                              " created_ms INTEGER NOT NULL, closed_ms INTEGER,"
                              " PRIMARY KEY (arn, ordinal)) WITHOUT ROWID") ||
                   s_exec(db, "CREATE TABLE IF NOT EXISTS stream_logs ("
                              " phys INTEGER PRIMARY KEY, trimmed_seq INTEGER NOT NULL DEFAULT 0,"
                              " dropped INTEGER NOT NULL DEFAULT 0)")
               ? -1
               : 0;
}

/* ---- the log's sequence numbers ---- */

int64_t rd_stream_log_max(rd_store_t *s, int64_t phys)
{
    char name[64];
    snprintf(name, sizeof(name), "log_%lld", (long long)phys);
    sqlite3_stmt *st = s_prepare(rd_store_db(s), "SELECT seq FROM sqlite_sequence WHERE name = ?1");
    int64_t v = 0;
    if (!st)
        return 0;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

int64_t rd_stream_log_trimmed(rd_store_t *s, int64_t phys)
{
    return s_query_int(rd_store_db(s), "SELECT trimmed_seq FROM stream_logs WHERE phys = ?1", phys, 0);
}

/* ---- StreamSpecification ---- */

static const char *const s_view_types[] = { "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY", NULL };

int rd_stream_spec_parse(const cJSON *body, rd_stream_spec_t *spec, ddb_err_t *err)
{
    memset(spec, 0, sizeof(*spec));
    const cJSON *obj;
    if (rd_json_object(body, "StreamSpecification", &obj, err) != 0)
        return -1;
    if (!obj)
        return 0;
    spec->given = true;
    bool present;
    if (rd_json_bool(obj, "StreamEnabled", &present, &spec->enabled, err) != 0 ||
        rd_json_string(obj, "StreamViewType", &spec->view_type, err) != 0)
        return -1;
    rd_verrs_t v = RD_VERRS_INIT;
    if (!present)
        rd_verr_value(&v, NULL, "streamSpecification.streamEnabled", "Member must not be null");
    if (spec->view_type) {
        bool known = false;
        for (const char *const *p = s_view_types; *p; p++)
            known = known || strcmp(*p, spec->view_type) == 0;
        if (!known)
            rd_verr_value(&v, spec->view_type, "streamSpecification.streamViewType",
                          "Member must satisfy enum value set: [NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]");
    }
    if (rd_verr_finish(&v, err) != 0)
        return -1;
    /* unconfirmed wording: the service refuses an enabled stream without a view type */
    if (spec->enabled && !spec->view_type)
        return ddb_err_set(err, DDB_ERR_VALIDATION,
                           "One or more parameter values were invalid: StreamViewType is required when "
                           "StreamEnabled is true");
    return 0;
}

/* ---- streams of a table ---- */

/* "2026-11-26T14:00:00.000" for epoch milliseconds ms. */
static void s_label(int64_t ms, char out[32])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char date[24];
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%s.%03d", date, (int)(ms % 1000));
}

/* The table incarnation's enabled stream ARN (heap, caller frees) or NULL. */
static char *s_enabled_arn(sqlite3 *db, int64_t phys)
{
    sqlite3_stmt *st = s_prepare(db, "SELECT arn FROM streams WHERE phys = ?1 AND status = 'ENABLED'");
    char *arn = NULL;
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, phys);
    if (sqlite3_step(st) == SQLITE_ROW)
        arn = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return arn;
}

/* "shardId-<20-digit creation ms>-<8 hex digits>", the service's shape. */
static void s_shard_id(int64_t created_ms, int64_t ordinal, char out[64])
{
    snprintf(out, 64, "shardId-%020lld-%08llx", (long long)created_ms, (unsigned long long)ordinal & 0xffffffffULL);
}

static int s_open_shard(sqlite3 *db, const char *arn, int64_t ordinal, const char *parent, int64_t start_seq,
                        int64_t now_ms)
{
    char id[64];
    s_shard_id(now_ms, ordinal, id);
    sqlite3_stmt *st = s_prepare(db, "INSERT INTO stream_shards (arn, ordinal, shard_id, parent_id, start_seq,"
                                     " created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, ordinal);
    sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
    if (parent)
        sqlite3_bind_text(st, 4, parent, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, start_seq);
    sqlite3_bind_int64(st, 6, now_ms);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Closes the stream's open shard at end_seq (its last covered sequence number). */
static int s_close_shard(sqlite3 *db, const char *arn, int64_t end_seq, int64_t now_ms)
{
    sqlite3_stmt *st = s_prepare(db, "UPDATE stream_shards SET end_seq = ?2, closed_ms = ?3"
                                     " WHERE arn = ?1 AND end_seq IS NULL");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, end_seq);
    sqlite3_bind_int64(st, 3, now_ms);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static void s_key_schema(const rd_table_t *t, ddb_buf_t *out)
{
    ddb_buf_puts(out, "[{\"AttributeName\":");
    ddb_buf_json_str(out, t->hash_key.name, strlen(t->hash_key.name));
    ddb_buf_puts(out, ",\"KeyType\":\"HASH\"}");
    if (t->range_key.name) {
        ddb_buf_puts(out, ",{\"AttributeName\":");
        ddb_buf_json_str(out, t->range_key.name, strlen(t->range_key.name));
        ddb_buf_puts(out, ",\"KeyType\":\"RANGE\"}");
    }
    ddb_buf_puts(out, "]");
}

/* A new stream for t: it covers the log from the next sequence number on. */
static int s_enable(rd_store_t *s, const rd_table_t *t, const char *region, const char *view_type, ddb_err_t *err)
{
    sqlite3 *db = rd_store_db(s);
    int64_t now = (int64_t)ddb_wall_ms();
    /* ARNs are unique per table name: a re-enable (or a re-created table's stream)
     * within the same millisecond moves on */
    sqlite3_stmt *q = s_prepare(db, "SELECT max(created_ms) FROM streams WHERE account = ?1 AND table_name = ?2");
    if (q) {
        sqlite3_bind_text(q, 1, t->account, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, t->name, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL && now <= sqlite3_column_int64(q, 0))
            now = sqlite3_column_int64(q, 0) + 1;
        sqlite3_finalize(q);
    }
    char label[32];
    s_label(now, label);
    char arn[1024];
    snprintf(arn, sizeof(arn), "arn:aws:dynamodb:%s:%s:table/%s/stream/%s", region, t->account, t->name, label);
    ddb_buf_t keys = DDB_BUF_INIT;
    s_key_schema(t, &keys);
    int64_t first = rd_stream_log_max(s, t->phys) + 1;
    sqlite3_stmt *st = s_prepare(db, "INSERT INTO streams (arn, account, table_name, label, phys, view_type, status,"
                                     " created_ms, key_schema, first_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
                                     " 'ENABLED', ?7, ?8, ?9)");
    int rc = SQLITE_ERROR;
    if (st) {
        sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, t->account, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, t->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, label, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, t->phys);
        sqlite3_bind_text(st, 6, view_type, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 7, now);
        sqlite3_bind_text(st, 8, keys.data, (int)keys.len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 9, first);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    ddb_buf_free(&keys);
    if (rc != SQLITE_DONE || s_open_shard(db, arn, 1, NULL, first, now) != 0)
        return s_fail(db, err, "enable stream");
    char sql[128];
    snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO stream_logs (phys) VALUES (%lld)", (long long)t->phys);
    if (s_exec(db, sql) != 0)
        return s_fail(db, err, "enable stream");
    return 0;
}

/* Disables the stream arn: its open shard closes at the log's current end. */
static int s_disable(rd_store_t *s, const char *arn, int64_t phys)
{
    sqlite3 *db = rd_store_db(s);
    int64_t now = (int64_t)ddb_wall_ms();
    int64_t end = rd_stream_log_max(s, phys);
    if (s_close_shard(db, arn, end, now) != 0)
        return -1;
    sqlite3_stmt *st = s_prepare(db, "UPDATE streams SET status = 'DISABLED', disabled_ms = ?2, last_seq = ?3"
                                     " WHERE arn = ?1");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, end);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int rd_stream_apply_spec(rd_store_t *s, const rd_table_t *t, const char *region, const rd_stream_spec_t *spec,
                         ddb_err_t *err)
{
    if (!spec->given)
        return 0;
    char *arn = s_enabled_arn(rd_store_db(s), t->phys);
    int rc = 0;
    if (spec->enabled && arn)   /* the service's text (as Alternator reproduces it) */
        rc = ddb_err_set(err, DDB_ERR_VALIDATION, "Table already has an enabled stream: TableName: %s", t->name);
    else if (!spec->enabled && !arn)
        rc = ddb_err_set(err, DDB_ERR_VALIDATION, "Table has no stream to disable: TableName: %s", t->name);
    else if (spec->enabled)
        rc = s_enable(s, t, region, spec->view_type, err);
    else if (s_disable(s, arn, t->phys) != 0)
        rc = s_fail(rd_store_db(s), err, "disable stream");
    free(arn);
    return rc;
}

void rd_stream_describe_table(rd_store_t *s, const rd_table_t *t, ddb_buf_t *out)
{
    sqlite3_stmt *st = s_prepare(rd_store_db(s), "SELECT arn, label, view_type, status FROM streams"
                                                 " WHERE phys = ?1 ORDER BY created_ms DESC LIMIT 1");
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, t->phys);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *arn = (const char *)sqlite3_column_text(st, 0);
        const char *label = (const char *)sqlite3_column_text(st, 1);
        if (strcmp((const char *)sqlite3_column_text(st, 3), "ENABLED") == 0)
            ddb_buf_printf(out, ",\"StreamSpecification\":{\"StreamEnabled\":true,\"StreamViewType\":\"%s\"}",
                           (const char *)sqlite3_column_text(st, 2));
        ddb_buf_puts(out, ",\"LatestStreamLabel\":");
        ddb_buf_json_str(out, label, strlen(label));
        ddb_buf_puts(out, ",\"LatestStreamArn\":");
        ddb_buf_json_str(out, arn, strlen(arn));
    }
    sqlite3_finalize(st);
}

bool rd_stream_table_dropped(rd_store_t *s, const rd_table_t *t)
{
    sqlite3 *db = rd_store_db(s);
    char *arn = s_enabled_arn(db, t->phys);
    if (arn && s_disable(s, arn, t->phys) != 0)
        DDB_ERROR("streams: cannot disable %s", arn);
    free(arn);
    if (s_query_int(db, "SELECT count(*) FROM streams WHERE phys = ?1", t->phys, 0) == 0)
        return false;
    char sql[128];
    snprintf(sql, sizeof(sql), "INSERT INTO stream_logs (phys, dropped) VALUES (%lld, 1)"
                               " ON CONFLICT (phys) DO UPDATE SET dropped = 1", (long long)t->phys);
    s_exec(db, sql);
    return true;
}

/* ---- rollover ---- */

/* Closes the stream's open shard and opens its child when the shard is old or full
 * enough and holds at least one record (an empty shard stays open). */
static int s_rollover(rd_store_t *s, const char *arn, int64_t phys, int64_t now_ms)
{
    sqlite3 *db = rd_store_db(s);
    sqlite3_stmt *st = s_prepare(db, "SELECT ordinal, shard_id, start_seq, created_ms FROM stream_shards"
                                     " WHERE arn = ?1 AND end_seq IS NULL");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return 0;
    }
    int64_t ordinal = sqlite3_column_int64(st, 0);
    char parent[64];
    snprintf(parent, sizeof(parent), "%s", (const char *)sqlite3_column_text(st, 1));
    int64_t start = sqlite3_column_int64(st, 2), created = sqlite3_column_int64(st, 3);
    sqlite3_finalize(st);
    int64_t max = rd_stream_log_max(s, phys);
    int64_t records = max - start + 1;
    bool old = s_config.rollover_ms > 0 && now_ms - created >= s_config.rollover_ms;
    bool full = s_config.rollover_records > 0 && records >= s_config.rollover_records;
    if (records <= 0 || (!old && !full))
        return 0;
    if (s_close_shard(db, arn, max, now_ms) != 0 || s_open_shard(db, arn, ordinal + 1, parent, max + 1, now_ms) != 0)
        return -1;
    DDB_DEBUG("streams: %s: shard %s closed at %lld", arn, parent, (long long)max);
    return 0;
}

/* ---- lookups ---- */

#define STREAM_COLS "arn, account, table_name, label, view_type, status, key_schema, phys, created_ms"

static void s_info_row(sqlite3_stmt *st, ddb_arena_t *a, rd_stream_info_t *out)
{
    out->arn = s_col_str(st, 0, a);
    out->account = s_col_str(st, 1, a);
    out->table_name = s_col_str(st, 2, a);
    out->label = s_col_str(st, 3, a);
    out->view_type = s_col_str(st, 4, a);
    out->status = s_col_str(st, 5, a);
    out->key_schema = s_col_str(st, 6, a);
    out->phys = sqlite3_column_int64(st, 7);
    out->created_ms = sqlite3_column_int64(st, 8);
}

int rd_stream_find(rd_store_t *s, const char *arn, const char *account, ddb_arena_t *a, rd_stream_info_t *out,
                   ddb_err_t *err)
{
    sqlite3 *db = rd_store_db(s);
    sqlite3_stmt *st = s_prepare(db, "SELECT " STREAM_COLS " FROM streams WHERE arn = ?1 AND account = ?2");
    if (!st)
        return s_fail(db, err, "find stream");
    sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, account, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        s_info_row(st, a, out);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)   /* DynamoDB Local's text; the service's is alike */
        return ddb_err_set(err, DDB_ERR_RESOURCE_NOT_FOUND, "Requested resource not found: Stream: %s not found", arn);
    if (strcmp(out->status, "ENABLED") == 0 && s_rollover(s, out->arn, out->phys, (int64_t)ddb_wall_ms()) != 0)
        return s_fail(db, err, "shard rollover");
    return 0;
}

/* Steps a page query prepared with LIMIT max + 1: reads up to max rows with row(),
 * sets *more when one more exists, finalizes st. Returns the row count, or -1 (err
 * set, naming what) when SQLite fails. */
static int s_page(sqlite3 *db, sqlite3_stmt *st, int max, bool *more, const char *what, ddb_err_t *err,
                  void (*row)(sqlite3_stmt *, int, void *), void *ctx)
{
    int n = 0, rc;
    *more = false;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == max) {
            *more = true;
            break;
        }
        row(st, n++, ctx);
    }
    bool failed = rc != SQLITE_ROW && rc != SQLITE_DONE;
    sqlite3_finalize(st);
    return failed ? s_fail(db, err, what) : n;
}

typedef struct s_page_out {
    ddb_arena_t *arena;
    void *rows;   /* rd_stream_info_t[] or rd_shard_t[] */
} s_page_out_t;

static void s_info_at(sqlite3_stmt *st, int i, void *ctx)
{
    s_page_out_t *o = ctx;
    s_info_row(st, o->arena, (rd_stream_info_t *)o->rows + i);
}

static void s_shard_at(sqlite3_stmt *st, int i, void *ctx);

int rd_stream_list(rd_store_t *s, const char *account, const char *table_name, const char *after, int max,
                   ddb_arena_t *a, rd_stream_info_t *out, bool *more, ddb_err_t *err)
{
    sqlite3 *db = rd_store_db(s);
    sqlite3_stmt *st = s_prepare(db, "SELECT " STREAM_COLS " FROM streams WHERE account = ?1"
                                     " AND (?2 IS NULL OR table_name = ?2) AND arn > ?3 ORDER BY arn LIMIT ?4");
    if (!st)
        return s_fail(db, err, "list streams");
    sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
    if (table_name)
        sqlite3_bind_text(st, 2, table_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, after ? after : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, max + 1);
    s_page_out_t o = { a, out };
    return s_page(db, st, max, more, "list streams", err, s_info_at, &o);
}

#define SHARD_COLS "ordinal, shard_id, parent_id, start_seq, end_seq"

static void s_shard_row(sqlite3_stmt *st, ddb_arena_t *a, rd_shard_t *out)
{
    out->ordinal = sqlite3_column_int64(st, 0);
    out->shard_id = s_col_str(st, 1, a);
    out->parent_id = s_col_str(st, 2, a);
    out->start_seq = sqlite3_column_int64(st, 3);
    out->end_seq = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 4);
}

static void s_shard_at(sqlite3_stmt *st, int i, void *ctx)
{
    s_page_out_t *o = ctx;
    s_shard_row(st, o->arena, (rd_shard_t *)o->rows + i);
}

int rd_stream_shards(rd_store_t *s, const rd_stream_info_t *info, const char *after, int max, ddb_arena_t *a,
                     rd_shard_t *out, bool *more, ddb_err_t *err)
{
    sqlite3 *db = rd_store_db(s);
    int64_t after_ordinal = 0;
    if (after) {
        rd_shard_t from;
        int found = rd_stream_shard(s, info, after, 0, a, &from, err);
        if (found < 0)
            return -1;
        /* unconfirmed: an unknown ExclusiveStartShardId lists from the start */
        after_ordinal = found ? from.ordinal : 0;
    }
    sqlite3_stmt *st = s_prepare(db, "SELECT " SHARD_COLS " FROM stream_shards WHERE arn = ?1 AND ordinal > ?2"
                                     " ORDER BY ordinal LIMIT ?3");
    if (!st)
        return s_fail(db, err, "list shards");
    sqlite3_bind_text(st, 1, info->arn, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, after_ordinal);
    sqlite3_bind_int(st, 3, max + 1);
    s_page_out_t o = { a, out };
    return s_page(db, st, max, more, "list shards", err, s_shard_at, &o);
}

int rd_stream_shard(rd_store_t *s, const rd_stream_info_t *info, const char *shard_id, int64_t ordinal,
                    ddb_arena_t *a, rd_shard_t *out, ddb_err_t *err)
{
    sqlite3 *db = rd_store_db(s);
    sqlite3_stmt *st = s_prepare(db, shard_id ? "SELECT " SHARD_COLS " FROM stream_shards WHERE arn = ?1 AND shard_id = ?2"
                                              : "SELECT " SHARD_COLS " FROM stream_shards WHERE arn = ?1 AND ordinal = ?3");
    if (!st)
        return s_fail(db, err, "find shard");
    sqlite3_bind_text(st, 1, info->arn, -1, SQLITE_STATIC);
    if (shard_id)
        sqlite3_bind_text(st, 2, shard_id, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 3, ordinal);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        s_shard_row(st, a, out);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return s_fail(db, err, "find shard");
    return rc == SQLITE_ROW ? 1 : 0;
}

int rd_stream_read(rd_store_t *s, int64_t phys, int64_t from, int64_t to, int max, ddb_arena_t *a,
                   rd_stream_record_t *out, ddb_err_t *err)
{
    sqlite3 *db = rd_store_db(s);
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT seq, event, keys, old_image, new_image, ts, by_ttl FROM log_%lld"
             " WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3", (long long)phys);
    sqlite3_stmt *st = s_prepare(db, sql);
    if (!st)
        return s_fail(db, err, "read log");
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to < 0 ? INT64_MAX : to);
    sqlite3_bind_int(st, 3, max);
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rd_stream_record_t *r = &out[n++];
        r->seq = sqlite3_column_int64(st, 0);
        r->event = sqlite3_column_int(st, 1);
        r->keys = s_col_str(st, 2, a);
        r->old_image = s_col_str(st, 3, a);
        r->new_image = s_col_str(st, 4, a);
        r->ts_ms = sqlite3_column_int64(st, 5);
        r->by_ttl = sqlite3_column_int(st, 6) != 0;
    }
    bool failed = rc != SQLITE_DONE;
    sqlite3_finalize(st);
    return failed ? s_fail(db, err, "read log") : n;
}

/* ---- periodic work ---- */

/* Deletes log_<phys>'s leading records older than cutoff_ms and remembers how far
 * the log was trimmed. */
static void s_trim_log(rd_store_t *s, int64_t phys, int64_t cutoff_ms)
{
    sqlite3 *db = rd_store_db(s);
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT seq FROM log_%lld WHERE ts >= ?1 ORDER BY seq LIMIT 1", (long long)phys);
    int64_t keep_from = s_query_int(db, sql, cutoff_ms, -1);
    int64_t trim_to = keep_from >= 0 ? keep_from - 1 : rd_stream_log_max(s, phys);
    int64_t trimmed = rd_stream_log_trimmed(s, phys);
    if (trim_to <= trimmed)
        return;
    snprintf(sql, sizeof(sql), "DELETE FROM log_%lld WHERE seq <= %lld", (long long)phys, (long long)trim_to);
    if (s_exec(db, sql) != 0)
        return;
    snprintf(sql, sizeof(sql), "INSERT INTO stream_logs (phys, trimmed_seq) VALUES (%lld, %lld)"
                               " ON CONFLICT (phys) DO UPDATE SET trimmed_seq = excluded.trimmed_seq",
             (long long)phys, (long long)trim_to);
    s_exec(db, sql);
}

/* Rolls over the shards of every enabled stream that is due. */
static void s_rollover_all(rd_store_t *s, int64_t now_ms)
{
    sqlite3 *db = rd_store_db(s);
    sqlite3_stmt *st = s_prepare(db, "SELECT arn, phys FROM streams WHERE status = 'ENABLED'");
    if (!st)
        return;
    while (sqlite3_step(st) == SQLITE_ROW) {
        char arn[1024];
        snprintf(arn, sizeof(arn), "%s", (const char *)sqlite3_column_text(st, 0));
        s_rollover(s, arn, sqlite3_column_int64(st, 1), now_ms);
    }
    sqlite3_finalize(st);
}

/* Forgets what nobody can read any more: closed shards whose records were all
 * trimmed, disabled streams past their retention, the logs of deleted tables
 * whose streams are gone. */
static void s_forget(rd_store_t *s, int64_t cutoff_ms)
{
    sqlite3 *db = rd_store_db(s);
    char sql[512];
    snprintf(sql, sizeof(sql),
             "DELETE FROM stream_shards WHERE end_seq IS NOT NULL AND closed_ms < %lld AND end_seq <="
             " coalesce((SELECT l.trimmed_seq FROM stream_logs l JOIN streams x ON x.phys = l.phys"
             " WHERE x.arn = stream_shards.arn), 0)", (long long)cutoff_ms);
    s_exec(db, sql);
    snprintf(sql, sizeof(sql), "DELETE FROM stream_shards WHERE arn IN (SELECT arn FROM streams"
                               " WHERE status = 'DISABLED' AND disabled_ms < %lld)", (long long)cutoff_ms);
    s_exec(db, sql);
    snprintf(sql, sizeof(sql), "DELETE FROM streams WHERE status = 'DISABLED' AND disabled_ms < %lld",
             (long long)cutoff_ms);
    s_exec(db, sql);
    sqlite3_stmt *st = s_prepare(db, "SELECT phys FROM stream_logs WHERE dropped = 1 AND phys NOT IN"
                                     " (SELECT phys FROM streams)");
    if (!st)
        return;
    int64_t orphans[64];
    int n = 0;
    while (n < 64 && sqlite3_step(st) == SQLITE_ROW)
        orphans[n++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    for (int i = 0; i < n; i++) {
        snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS log_%lld; DELETE FROM stream_logs WHERE phys = %lld",
                 (long long)orphans[i], (long long)orphans[i]);
        s_exec(db, sql);
    }
}

/* How often the logs are trimmed: a quarter of the retention, within 1 s .. 1 min. */
static uint64_t s_trim_every_ms(void)
{
    int64_t every = s_config.retention_ms / 4;
    return (uint64_t)(every < TICK_EVERY_MS ? TICK_EVERY_MS : every > 60000 ? 60000 : every);
}

static void s_trim_all(rd_store_t *s, int64_t cutoff_ms)
{
    for (size_t i = 0; i < rd_store_table_total(s); i++)
        s_trim_log(s, rd_store_table_at(s, i)->phys, cutoff_ms);
    sqlite3_stmt *st = s_prepare(rd_store_db(s), "SELECT phys FROM stream_logs WHERE dropped = 1");
    int64_t dropped[64];
    int n = 0;
    while (st && n < 64 && sqlite3_step(st) == SQLITE_ROW)
        dropped[n++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    for (int i = 0; i < n; i++)
        s_trim_log(s, dropped[i], cutoff_ms);
    s_forget(s, cutoff_ms);
}

void rd_stream_tick(rd_store_t *s)
{
    uint64_t now = ddb_wall_ms();
    if (now < s_next_tick_ms)
        return;
    s_next_tick_ms = now + TICK_EVERY_MS;
    bool trim = now >= s_next_trim_ms;
    if (rd_store_begin(s) != 0)
        return;
    s_rollover_all(s, (int64_t)now);
    if (trim) {
        s_trim_all(s, (int64_t)now - s_config.retention_ms);
        s_next_trim_ms = now + s_trim_every_ms();
    }
    if (rd_store_commit(s) != 0)
        DDB_ERROR("streams: commit of the periodic work failed");
}
