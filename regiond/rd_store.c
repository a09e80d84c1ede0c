/* rd_store: SQLite storage for one region. The catalog is a table plus a sorted
 * in-memory cache, reloaded when a rollback undoes a DDL change. Items are keyed by
 * order-preserving key bytes (one index range per Query, later); every change is
 * logged in the same transaction (for replication and streams, later). */
#include "rd_store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ddb_hlc.h"
#include "rd_ckpt.h"
#include "ddb_log.h"
#include "rd_index.h"
#include "rd_stream.h"
#include "rd_repl.h"

#define SCHEMA_VERSION "1"

struct rd_table_stmts {
    sqlite3_stmt *get;    /* item by key */
    sqlite3_stmt *put;    /* insert or replace an item */
    sqlite3_stmt *del;    /* delete an item by key */
    sqlite3_stmt *log;    /* append a change-log record */
};

/* Transaction control runs several times per request: its statements are prepared
 * once (s_txn) rather than parsed by sqlite3_exec each time. */
enum { RD_TXN_BEGIN, RD_TXN_BEGIN_READ, RD_TXN_COMMIT, RD_TXN_ROLLBACK, RD_TXN_SAVEPOINT, RD_TXN_RELEASE, RD_TXN_ROLLBACK_TO, RD_TXN_N };

struct rd_store {
    sqlite3 *db;
    char *region;                 /* origin of local writes */
    rd_durability_t durability;   /* the synchronous level chosen at open */
    ddb_hlc_t hlc;                /* versions of local writes */
    rd_table_t **tables;          /* catalog cache, sorted by (account, name) */
    size_t n_tables, cap_tables;
    sqlite3_stmt *counts_add;     /* item_count/size_bytes += deltas */
    sqlite3_stmt *counts_get;     /* item_count, size_bytes of a table */
    sqlite3_stmt *log_needed;     /* does a table have an enabled stream or a replica set? */
    sqlite3_stmt *txn[RD_TXN_N];  /* the transaction control statements, prepared once */
    rd_ckpt_t *ckpt;              /* WAL checkpoints on their own thread (file databases) */
    bool ddl_in_savepoint;        /* the cache changed since the last SAVEPOINT */
    bool ddl_in_txn;              /* the cache changed since BEGIN */
    rd_store_write_hook_t write_hook;   /* global tables (rd_repl), or NULL */
    void *write_hook_ctx;
};

static int s_exec(rd_store_t *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        DDB_ERROR("sqlite: %s: %s", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static sqlite3_stmt *s_prepare(rd_store_t *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        DDB_ERROR("sqlite prepare: %s: %s", sql, sqlite3_errmsg(s->db));
        return NULL;
    }
    return st;
}

/* Records a storage failure as InternalServerError. */
static int s_fail(rd_store_t *s, ddb_err_t *err, const char *what)
{
    DDB_ERROR("sqlite: %s: %s", what, sqlite3_errmsg(s->db));
    return ddb_err_set(err, DDB_ERR_INTERNAL, "Internal server error");
}

static void s_stmts_free(rd_table_t *t)
{
    rd_index_finalize(t);
    if (!t->stmts)
        return;
    sqlite3_finalize(t->stmts->get);
    sqlite3_finalize(t->stmts->put);
    sqlite3_finalize(t->stmts->del);
    sqlite3_finalize(t->stmts->log);
    free(t->stmts);
    t->stmts = NULL;
}

/* The table's statements, prepared on first use. NULL on failure (logged). */
static rd_table_stmts_t *s_stmts(rd_store_t *s, rd_table_t *t)
{
    if (t->stmts)
        return t->stmts;
    char sql[4][256];
    long long n = (long long)t->phys;
    snprintf(sql[0], sizeof(sql[0]), "SELECT item, size FROM items_%lld WHERE pk = ?1 AND sk = ?2", n);
    snprintf(sql[1], sizeof(sql[1]), "INSERT OR REPLACE INTO items_%lld (pk, sk, item, size) VALUES (?1, ?2, ?3, ?4)", n);
    snprintf(sql[2], sizeof(sql[2]), "DELETE FROM items_%lld WHERE pk = ?1 AND sk = ?2", n);
    snprintf(sql[3], sizeof(sql[3]),
             "INSERT INTO log_%lld (hlc, origin, event, keys, old_image, new_image, ts, by_ttl) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", n);
    rd_table_stmts_t *st = calloc(1, sizeof(*st));
    if (!st)
        abort();
    st->get = s_prepare(s, sql[0]);
    st->put = s_prepare(s, sql[1]);
    st->del = s_prepare(s, sql[2]);
    st->log = s_prepare(s, sql[3]);
    t->stmts = st;
    if (!st->get || !st->put || !st->del || !st->log) {
        s_stmts_free(t);
        return NULL;
    }
    return st;
}

/* ---- catalog cache ---- */

static int s_cmp_key(const char *account, const char *name, const rd_table_t *t)
{
    int c = strcmp(account, t->account);
    return c ? c : strcmp(name, t->name);
}

/* Index of (account, name) in the cache, or of where it would go; *found says which. */
static size_t s_search(const rd_store_t *s, const char *account, const char *name, bool *found)
{
    size_t lo = 0, hi = s->n_tables;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = s_cmp_key(account, name, s->tables[mid]);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    *found = false;
    return lo;
}

static void s_cache_insert(rd_store_t *s, rd_table_t *t)
{
    bool found;
    size_t at = s_search(s, t->account, t->name, &found);
    if (s->n_tables == s->cap_tables) {
        s->cap_tables = s->cap_tables ? s->cap_tables * 2 : 16;
        s->tables = realloc(s->tables, s->cap_tables * sizeof(*s->tables));
        if (!s->tables)
            abort();
    }
    memmove(s->tables + at + 1, s->tables + at, (s->n_tables - at) * sizeof(*s->tables));
    s->tables[at] = t;
    s->n_tables++;
}

static void s_cache_clear(rd_store_t *s)
{
    for (size_t i = 0; i < s->n_tables; i++) {
        s_stmts_free(s->tables[i]);
        rd_table_destroy(&s->tables[i]);
    }
    s->n_tables = 0;
}

static int s_cache_load(rd_store_t *s)
{
    s_cache_clear(s);
    sqlite3_stmt *st = s_prepare(s, "SELECT account, name, table_id, phys, status, created, def FROM catalog");
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rd_table_t *t = rd_table_from_row((const char *)sqlite3_column_text(st, 0),
                                          (const char *)sqlite3_column_text(st, 1),
                                          (const char *)sqlite3_column_text(st, 2), sqlite3_column_int64(st, 3),
                                          (const char *)sqlite3_column_text(st, 4), sqlite3_column_double(st, 5),
                                          (const char *)sqlite3_column_text(st, 6));
        if (!t) {
            DDB_ERROR("catalog: corrupt definition of table %s", sqlite3_column_text(st, 1));
            continue;
        }
        s_cache_insert(s, t);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        DDB_ERROR("catalog load: %s", sqlite3_errmsg(s->db));
        return -1;
    }
    return 0;
}

/* Adds by_ttl to the change logs of databases written before it existed. */
static int s_migrate_logs(rd_store_t *s)
{
    for (size_t i = 0; i < s->n_tables; i++) {
        char sql[256];
        snprintf(sql, sizeof(sql), "SELECT 1 FROM pragma_table_info('log_%lld') WHERE name = 'by_ttl'",
                 (long long)s->tables[i]->phys);
        sqlite3_stmt *st = s_prepare(s, sql);
        if (!st)
            return -1;
        bool has = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
        snprintf(sql, sizeof(sql), "ALTER TABLE log_%lld ADD COLUMN by_ttl INTEGER NOT NULL DEFAULT 0",
                 (long long)s->tables[i]->phys);
        if (!has && s_exec(s, sql) != 0)
            return -1;
    }
    return 0;
}

/* ---- open / close ---- */

static int s_schema(rd_store_t *s)
{
    if (s_exec(s, "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)") ||
        s_exec(s, "CREATE TABLE IF NOT EXISTS catalog ("
                  " account TEXT NOT NULL, name TEXT NOT NULL,"
                  " table_id TEXT NOT NULL UNIQUE, phys INTEGER NOT NULL UNIQUE,"
                  " status TEXT NOT NULL, created REAL NOT NULL, def TEXT NOT NULL,"
                  " item_count INTEGER NOT NULL DEFAULT 0, size_bytes INTEGER NOT NULL DEFAULT 0,"
                  " PRIMARY KEY (account, name)) WITHOUT ROWID") ||
        s_exec(s, "INSERT OR IGNORE INTO meta VALUES ('schema_version', '" SCHEMA_VERSION "')") ||
        s_exec(s, "INSERT OR IGNORE INTO meta VALUES ('next_phys', '1')"))
        return -1;
    return 0;
}

static const char *const s_durability_names[] = { "process", "full" };

int rd_durability_parse(const char *name, rd_durability_t *out)
{
    for (int i = 0; i < 2; i++)
        if (strcmp(name, s_durability_names[i]) == 0) {
            *out = (rd_durability_t)i;
            return 0;
        }
    return -1;
}

const char *rd_durability_name(rd_durability_t mode)
{
    return s_durability_names[mode == RD_DURABILITY_FULL ? 1 : 0];
}

rd_store_t *rd_store_open(const char *path, const char *region, rd_durability_t mode)
{
    rd_store_t *s = calloc(1, sizeof(*s));
    if (!s)
        abort();
    s->region = strdup(region);
    s->durability = mode;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path ? path : ":memory:", &s->db, flags, NULL) != SQLITE_OK) {
        DDB_ERROR("cannot open %s: %s", path ? path : ":memory:", s->db ? sqlite3_errmsg(s->db) : "out of memory");
        rd_store_close(&s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, 5000);
    const char *sync_sql = mode == RD_DURABILITY_FULL ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
    if (s_exec(s, "PRAGMA journal_mode=WAL") || s_exec(s, sync_sql) ||
        s_exec(s, "PRAGMA journal_size_limit=67108864") ||   /* a WAL started over shrinks back to 64 MB */
        s_exec(s, "PRAGMA foreign_keys=OFF") || s_schema(s) || s_cache_load(s) || s_migrate_logs(s) ||
        rd_stream_schema(s) != 0 || rd_repl_schema(s) != 0) {
        rd_store_close(&s);
        return NULL;
    }
    s->counts_add = s_prepare(s, "UPDATE catalog SET item_count = item_count + ?1, size_bytes = size_bytes + ?2"
                                 " WHERE account = ?3 AND name = ?4");
    s->counts_get = s_prepare(s, "SELECT item_count, size_bytes FROM catalog WHERE account = ?1 AND name = ?2");
    s->log_needed = s_prepare(s, "SELECT EXISTS (SELECT 1 FROM streams WHERE phys = ?1 AND status = 'ENABLED')"
                                 " OR EXISTS (SELECT 1 FROM repl_sets WHERE account = ?2 AND name = ?3)");
    if (!s->counts_add || !s->counts_get || !s->log_needed) {
        rd_store_close(&s);
        return NULL;
    }
    if (path && !getenv("TMP_CKPT_INLINE"))
        s->ckpt = rd_ckpt_start(s->db, path);
    DDB_INFO("database %s open, %zu tables, durability %s", path ? path : "(in memory)", s->n_tables,
             rd_durability_name(mode));
    return s;
}

void rd_store_close(rd_store_t **p)
{
    if (!p || !*p)
        return;
    rd_store_t *s = *p;
    s_cache_clear(s);
    free(s->tables);
    sqlite3_finalize(s->counts_add);
    sqlite3_finalize(s->counts_get);
    sqlite3_finalize(s->log_needed);
    for (int i = 0; i < RD_TXN_N; i++)
        sqlite3_finalize(s->txn[i]);
    rd_ckpt_stop(&s->ckpt, s->db);
    if (s->db && sqlite3_close(s->db) != SQLITE_OK)
        DDB_ERROR("sqlite close: %s", sqlite3_errmsg(s->db));
    free(s->region);
    free(s);
    *p = NULL;
}

/* ---- transactions ---- */

/* Runs transaction control statement which (RD_TXN_*). 0, or -1 (logged). */
static int s_txn(rd_store_t *s, int which)
{
    static const char *const sql[RD_TXN_N] = {
        [RD_TXN_BEGIN] = "BEGIN IMMEDIATE",   [RD_TXN_BEGIN_READ] = "BEGIN",
        [RD_TXN_COMMIT] = "COMMIT",
        [RD_TXN_ROLLBACK] = "ROLLBACK",       [RD_TXN_SAVEPOINT] = "SAVEPOINT req",
        [RD_TXN_RELEASE] = "RELEASE req",     [RD_TXN_ROLLBACK_TO] = "ROLLBACK TO req",
    };
    if (!s->txn[which] && !(s->txn[which] = s_prepare(s, sql[which])))
        return -1;
    int rc = sqlite3_step(s->txn[which]);
    sqlite3_reset(s->txn[which]);
    if (rc != SQLITE_DONE) {
        DDB_ERROR("sqlite: %s: %s", sql[which], sqlite3_errmsg(s->db));
        return -1;
    }
    return 0;
}

int rd_store_begin(rd_store_t *s)
{
    s->ddl_in_txn = false;
    return s_txn(s, RD_TXN_BEGIN);
}

int rd_store_begin_read(rd_store_t *s)
{
    s->ddl_in_txn = false;
    return s_txn(s, RD_TXN_BEGIN_READ);
}

int rd_store_commit(rd_store_t *s)
{
    if (s_txn(s, RD_TXN_COMMIT) == 0)
        return 0;
    rd_store_rollback(s);
    return -1;
}

void rd_store_rollback(rd_store_t *s)
{
    if (!sqlite3_get_autocommit(s->db))
        s_txn(s, RD_TXN_ROLLBACK);
    if (s->ddl_in_txn)
        s_cache_load(s);
    s->ddl_in_txn = false;
}

int rd_store_savepoint(rd_store_t *s)
{
    s->ddl_in_savepoint = false;
    if (sqlite3_get_autocommit(s->db)) {   /* SQLite rolled the batch's transaction back (SQLITE_FULL...) */
        DDB_WARN("the batch's transaction is gone: refusing the rest of the batch");
        return -1;
    }
    return s_txn(s, RD_TXN_SAVEPOINT);
}

void rd_store_release(rd_store_t *s)
{
    s_txn(s, RD_TXN_RELEASE);
}

void rd_store_rollback_to(rd_store_t *s)
{
    s_txn(s, RD_TXN_ROLLBACK_TO);
    s_txn(s, RD_TXN_RELEASE);
    if (s->ddl_in_savepoint)
        s_cache_load(s);
    s->ddl_in_savepoint = false;
}

static void s_mark_ddl(rd_store_t *s)
{
    s->ddl_in_savepoint = true;
    s->ddl_in_txn = true;
}

/* ---- catalog ---- */

rd_table_t *rd_store_find(rd_store_t *s, const char *account, const char *name)
{
    bool found;
    size_t at = s_search(s, account, name, &found);
    return found ? s->tables[at] : NULL;
}

/* A version 4 UUID, as TableId. */
static void s_uuid(char out[40])
{
    unsigned char b[16];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
        uint64_t x = ddb_wall_ms() ^ (uint64_t)(uintptr_t)out;
        for (int i = 0; i < 16; i++, x = x * 6364136223846793005ULL + 1442695040888963407ULL)
            b[i] = (unsigned char)(x >> 56);
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
             b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* Takes the next physical id from meta (never reused, even after a drop). */
static int64_t s_next_phys(rd_store_t *s)
{
    sqlite3_stmt *st = s_prepare(s, "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'next_phys'"
                                    " RETURNING CAST(value AS INTEGER) - 1");
    int64_t phys = -1;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        phys = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return phys;
}

static int s_create_storage(rd_store_t *s, int64_t phys)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE items_%lld (pk BLOB NOT NULL, sk BLOB NOT NULL, item TEXT NOT NULL,"
             " size INTEGER NOT NULL, PRIMARY KEY (pk, sk)) WITHOUT ROWID", (long long)phys);
    if (s_exec(s, sql))
        return -1;
    snprintf(sql, sizeof(sql),
             "CREATE TABLE log_%lld (seq INTEGER PRIMARY KEY AUTOINCREMENT, hlc INTEGER NOT NULL,"
             " origin TEXT NOT NULL, event INTEGER NOT NULL, keys TEXT NOT NULL, old_image TEXT,"
             " new_image TEXT, ts INTEGER NOT NULL, by_ttl INTEGER NOT NULL DEFAULT 0)", (long long)phys);
    return s_exec(s, sql);
}

int rd_store_create_table(rd_store_t *s, rd_table_t **tp, ddb_err_t *err)
{
    rd_table_t *t = *tp;
    t->phys = s_next_phys(s);
    if (t->phys < 0 || s_create_storage(s, t->phys) != 0)
        return s_fail(s, err, "create table storage");
    if (rd_index_create_storage(s, t, err) != 0)
        return -1;
    s_uuid(t->table_id);
    if (t->created <= 0)
        t->created = rd_now_seconds();
    char *def = rd_table_def_json(t);
    sqlite3_stmt *st = s_prepare(s, "INSERT INTO catalog (account, name, table_id, phys, status, created, def)"
                                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    int rc = SQLITE_ERROR;
    if (st) {
        sqlite3_bind_text(st, 1, t->account, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, t->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, t->table_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, t->phys);
        sqlite3_bind_text(st, 5, t->status, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 6, t->created);
        sqlite3_bind_text(st, 7, def, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    free(def);
    if (rc != SQLITE_DONE)
        return s_fail(s, err, "insert catalog row");
    s_mark_ddl(s);
    s_cache_insert(s, t);
    *tp = NULL;
    return 0;
}

int rd_store_update_table(rd_store_t *s, rd_table_t *t, ddb_err_t *err)
{
    char *def = rd_table_def_json(t);
    sqlite3_stmt *st = s_prepare(s, "UPDATE catalog SET def = ?1, status = ?2 WHERE account = ?3 AND name = ?4");
    int rc = SQLITE_ERROR;
    if (st) {
        sqlite3_bind_text(st, 1, def, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, t->status, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, t->account, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, t->name, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    free(def);
    s_mark_ddl(s);   /* the in-memory definition already changed */
    if (rc != SQLITE_DONE)
        return s_fail(s, err, "update catalog row");
    return 0;
}

int rd_store_drop_table(rd_store_t *s, rd_table_t **tp, ddb_err_t *err)
{
    rd_table_t *t = *tp;
    s_stmts_free(t);
    if (rd_index_drop_storage(s, t, err) != 0)
        return -1;
    char sql[256];
    snprintf(sql, sizeof(sql), "DROP TABLE items_%lld", (long long)t->phys);
    if (s_exec(s, sql))
        return s_fail(s, err, "drop items");
    snprintf(sql, sizeof(sql), "DROP TABLE log_%lld", (long long)t->phys);
    if (!rd_stream_table_dropped(s, t) && s_exec(s, sql))   /* a stream still reads it: rd_stream drops it later */
        return s_fail(s, err, "drop log");
    sqlite3_stmt *st = s_prepare(s, "DELETE FROM catalog WHERE account = ?1 AND name = ?2");
    int rc = SQLITE_ERROR;
    if (st) {
        sqlite3_bind_text(st, 1, t->account, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, t->name, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return s_fail(s, err, "delete catalog row");
    s_mark_ddl(s);
    bool found;
    size_t at = s_search(s, t->account, t->name, &found);
    if (found) {
        memmove(s->tables + at, s->tables + at + 1, (s->n_tables - at - 1) * sizeof(*s->tables));
        s->n_tables--;
    }
    rd_table_destroy(tp);
    return 0;
}

int rd_store_table_counts(rd_store_t *s, const rd_table_t *t, int64_t *items, int64_t *bytes, ddb_err_t *err)
{
    sqlite3_stmt *st = s->counts_get;
    sqlite3_bind_text(st, 1, t->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, t->name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *items = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    *bytes = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return s_fail(s, err, "read counters");
    return 0;
}

size_t rd_store_list(rd_store_t *s, const char *account, const char *after, size_t max, const rd_table_t **out,
                     bool *more)
{
    bool found;
    size_t at = s_search(s, account, after ? after : "", &found);
    if (found)
        at++;
    size_t n = 0;
    while (at < s->n_tables && strcmp(s->tables[at]->account, account) == 0 && n < max)
        out[n++] = s->tables[at++];
    *more = at < s->n_tables && strcmp(s->tables[at]->account, account) == 0;
    return n;
}

size_t rd_store_table_total(const rd_store_t *s)
{
    return s->n_tables;
}

const rd_table_t *rd_store_table_at(const rd_store_t *s, size_t i)
{
    return i < s->n_tables ? s->tables[i] : NULL;
}

/* ---- items ---- */

static void s_bind_key(sqlite3_stmt *st, const rd_key_bytes_t *key)
{
    sqlite3_bind_blob(st, 1, key->pk, (int)key->pk_len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, key->sk_len ? (const void *)key->sk : "", (int)key->sk_len, SQLITE_STATIC);
}

int rd_store_item_get(rd_store_t *s, rd_table_t *t, const rd_key_bytes_t *key, ddb_arena_t *a, rd_item_text_t *out,
                      ddb_err_t *err)
{
    memset(out, 0, sizeof(*out));
    rd_table_stmts_t *st = s_stmts(s, t);
    if (!st)
        return s_fail(s, err, "prepare item statements");
    s_bind_key(st->get, key);
    int rc = sqlite3_step(st->get);
    if (rc == SQLITE_ROW) {
        out->len = (size_t)sqlite3_column_bytes(st->get, 0);
        out->json = ddb_arena_strndup(a, (const char *)sqlite3_column_text(st->get, 0), out->len);
        out->size = sqlite3_column_int64(st->get, 1);
    }
    sqlite3_reset(st->get);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return s_fail(s, err, "read item");
    return 0;
}

/* Whether a put of new over old changes anything (DynamoDB Streams writes no record
 * for a write that changes nothing). */
static bool s_changed(const rd_item_text_t *old, const rd_write_t *w, ddb_arena_t *a)
{
    if (!old->json || !w->new_json)
        return true;
    if (old->len == w->new_len && memcmp(old->json, w->new_json, old->len) == 0)
        return false;
    if (!w->new_value)
        return true;
    cJSON *parsed = cJSON_ParseWithLength(old->json, old->len);
    ddb_err_t ignored = DDB_ERR_INIT;
    ddb_value_t *old_value = parsed ? ddb_item_from_json(parsed, a, &ignored) : NULL;
    bool changed = !old_value || !ddb_value_equal(old_value, w->new_value);
    cJSON_Delete(parsed);
    ddb_err_clear(&ignored);
    return changed;
}

static int s_log_append(rd_store_t *s, rd_table_stmts_t *st, int event, const rd_write_t *w,
                        const rd_item_text_t *old, uint64_t hlc)
{
    sqlite3_stmt *q = st->log;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)hlc);
    sqlite3_bind_text(q, 2, w->origin ? w->origin : s->region, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, event);
    sqlite3_bind_text(q, 4, w->keys_json, -1, SQLITE_STATIC);
    if (old->json)
        sqlite3_bind_text(q, 5, old->json, (int)old->len, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, 5);
    if (w->new_json)
        sqlite3_bind_text(q, 6, w->new_json, (int)w->new_len, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, 6);
    sqlite3_bind_int64(q, 7, (sqlite3_int64)ddb_wall_ms());
    sqlite3_bind_int(q, 8, w->by_ttl ? 1 : 0);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Does a write to t need a change-log record? Only a stream that is enabled now and
 * replication read the log (a stream enabled later starts after the log's current
 * end; a table that becomes global is seeded from a snapshot). Asked at each write,
 * inside the write's transaction, so that it can never disagree with a stream or a
 * replica set that this transaction (or a rolled-back one) changed. On an error it
 * says yes. */
static bool s_log_needed(rd_store_t *s, const rd_table_t *t)
{
    sqlite3_stmt *q = s->log_needed;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)t->phys);
    sqlite3_bind_text(q, 2, t->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, t->name, -1, SQLITE_STATIC);
    bool needed = sqlite3_step(q) != SQLITE_ROW || sqlite3_column_int(q, 0) != 0;
    sqlite3_reset(q);
    return needed;
}

static int s_counts_add(rd_store_t *s, const rd_table_t *t, int64_t d_items, int64_t d_bytes)
{
    if (d_items == 0 && d_bytes == 0)
        return 0;
    sqlite3_stmt *q = s->counts_add;
    sqlite3_bind_int64(q, 1, d_items);
    sqlite3_bind_int64(q, 2, d_bytes);
    sqlite3_bind_text(q, 3, t->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, t->name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Stores or deletes the row itself. */
static int s_apply_row(rd_table_stmts_t *st, const rd_write_t *w)
{
    sqlite3_stmt *q = w->new_json ? st->put : st->del;
    s_bind_key(q, &w->key);
    if (w->new_json) {
        sqlite3_bind_text(q, 3, w->new_json, (int)w->new_len, SQLITE_STATIC);
        sqlite3_bind_int64(q, 4, w->new_size);
    }
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : -1;
}

int rd_store_write_item(rd_store_t *s, rd_table_t *t, const rd_write_t *w, ddb_arena_t *a, rd_item_text_t *old,
                        ddb_err_t *err)
{
    if (w->old)
        *old = *w->old;
    else if (rd_store_item_get(s, t, &w->key, a, old, err) != 0)
        return -1;
    if (!old->json && !w->new_json)
        return 0;   /* deleting an absent item changes nothing and logs nothing */
    rd_table_stmts_t *st = s_stmts(s, t);
    if (!st || s_apply_row(st, w) != 0)
        return s_fail(s, err, "write item");
    if (t->ix && t->ix->count && rd_index_write(s, t, w, a, err) != 0)
        return -1;
    if (!s_changed(old, w, a))
        return 0;
    int event = !w->new_json ? RD_EVENT_REMOVE : old->json ? RD_EVENT_MODIFY : RD_EVENT_INSERT;
    uint64_t hlc = w->origin ? w->hlc : ddb_hlc_now(&s->hlc);
    if ((w->origin || s_log_needed(s, t)) && s_log_append(s, st, event, w, old, hlc) != 0)
        return s_fail(s, err, "append change log");
    if (!w->origin && s->write_hook &&
        s->write_hook(s->write_hook_ctx, t, w, hlc, (int64_t)sqlite3_last_insert_rowid(s->db)) != 0)
        return s_fail(s, err, "version a replicated item");
    int64_t d_items = event == RD_EVENT_INSERT ? 1 : event == RD_EVENT_REMOVE ? -1 : 0;
    int64_t d_bytes = (w->new_json ? w->new_size : 0) - (old->json ? old->size : 0);
    if (s_counts_add(s, t, d_items, d_bytes) != 0)
        return s_fail(s, err, "update counters");
    return 0;
}

/* ---- sweeps ---- */

static const unsigned char *s_arena_blob(ddb_arena_t *a, const void *blob, size_t len)
{
    unsigned char *copy = ddb_arena_alloc(a, len + 1);
    if (len)
        memcpy(copy, blob, len);
    return copy;
}

int rd_store_scan(rd_store_t *s, rd_table_t *t, const rd_key_bytes_t *after, size_t max, ddb_arena_t *a,
                  rd_store_item_fn fn, void *ctx, ddb_err_t *err)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT pk, sk, item, size FROM items_%lld WHERE pk > ?1 OR (pk = ?1 AND sk > ?2)"
             " ORDER BY pk, sk LIMIT ?3", (long long)t->phys);
    sqlite3_stmt *st = s_prepare(s, sql);
    if (!st)
        return s_fail(s, err, "prepare scan");
    rd_key_bytes_t from = { (const unsigned char *)"", 0, NULL, 0 };
    s_bind_key(st, after && after->pk_len ? after : &from);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rd_key_bytes_t key;
        rd_item_text_t item;
        key.pk_len = (size_t)sqlite3_column_bytes(st, 0);
        key.pk = s_arena_blob(a, sqlite3_column_blob(st, 0), key.pk_len);
        key.sk_len = (size_t)sqlite3_column_bytes(st, 1);
        key.sk = s_arena_blob(a, sqlite3_column_blob(st, 1), key.sk_len);
        item.len = (size_t)sqlite3_column_bytes(st, 2);
        item.json = ddb_arena_strndup(a, (const char *)sqlite3_column_text(st, 2), item.len);
        item.size = sqlite3_column_int64(st, 3);
        n++;
        if (fn(ctx, &key, &item) != 0)
            break;
    }
    bool failed = rc != SQLITE_ROW && rc != SQLITE_DONE;
    sqlite3_finalize(st);
    if (failed)
        return s_fail(s, err, "scan items");
    return n;
}

sqlite3 *rd_store_db(rd_store_t *s)
{
    return s->db;
}

void rd_store_set_write_hook(rd_store_t *s, rd_store_write_hook_t hook, void *ctx)
{
    s->write_hook = hook;
    s->write_hook_ctx = ctx;
}

void rd_store_hlc_observe(rd_store_t *s, uint64_t hlc)
{
    ddb_hlc_observe(&s->hlc, hlc);
}

const char *rd_store_region(const rd_store_t *s)
{
    return s->region;
}

rd_durability_t rd_store_durability(const rd_store_t *s)
{
    return s->durability;
}
