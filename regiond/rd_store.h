/* rd_store: the region's SQLite database. A catalog of tables (cached in memory,
 * sorted by account and name), one items_<n> table and one change log log_<n> per
 * DynamoDB table, prepared statements cached per table, and the transaction calls
 * the loop uses to run a batch of requests as one transaction with a savepoint
 * per request. Every item write goes through rd_store_write_item, which keeps the
 * item, the change log and the table's counters in step. */
#ifndef RD_STORE_H
#define RD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ddb_arena.h"
#include "ddb_err.h"
#include "ddb_value.h"
#include "rd_table.h"

typedef struct rd_store rd_store_t;

/* Change-log event kinds (DynamoDB Streams' eventName). */
enum { RD_EVENT_INSERT = 1, RD_EVENT_MODIFY = 2, RD_EVENT_REMOVE = 3 };

/* What a committed write survives (--durability). Both run SQLite in WAL mode. */
typedef enum rd_durability {
    RD_DURABILITY_PROCESS = 0,   /* synchronous=NORMAL: a process crash (the default) */
    RD_DURABILITY_FULL,          /* synchronous=FULL: an fsync per commit group, power loss */
} rd_durability_t;

/* "process" / "full" into *out. 0, or -1 for an unknown name. */
int rd_durability_parse(const char *name, rd_durability_t *out);
/* The mode's name, a static string. */
const char *rd_durability_name(rd_durability_t mode);

/* Opens (creating if needed) the database at path, or an in-memory one when path is
 * NULL, in WAL mode with the synchronous level of mode, and loads the catalog. region
 * is the origin written into the change log. Returns NULL (logged) on failure. */
rd_store_t *rd_store_open(const char *path, const char *region, rd_durability_t mode);
/* Finalises every statement and closes the database; safe on NULL, nulls *p. */
void rd_store_close(rd_store_t **p);

/* Group execution: one transaction per batch, one savepoint per request. Each
 * returns 0 / -1 (logged). rd_store_commit rolls back on failure; a rollback that
 * undoes a table creation, change or deletion reloads the catalog cache. */
int rd_store_begin(rd_store_t *s);
/* Begins a transaction that takes no lock until it writes (for requests that only
 * read: they wait for no writer and hold no writer back). 0 / -1. */
int rd_store_begin_read(rd_store_t *s);
int rd_store_commit(rd_store_t *s);
void rd_store_rollback(rd_store_t *s);
int rd_store_savepoint(rd_store_t *s);
void rd_store_release(rd_store_t *s);
void rd_store_rollback_to(rd_store_t *s);

/* The cached table, or NULL. Borrowed: valid until the next catalog change. */
rd_table_t *rd_store_find(rd_store_t *s, const char *account, const char *name);
/* Creates t's storage and catalog row; assigns t's physical id and TableId (and
 * CreationDateTime unless set); takes ownership of *t (nulled) on success. */
int rd_store_create_table(rd_store_t *s, rd_table_t **t, ddb_err_t *err);
/* Rewrites t's stored definition after the caller changed it in place. */
int rd_store_update_table(rd_store_t *s, rd_table_t *t, ddb_err_t *err);
/* Drops t's items and log and its catalog row, and frees *t (nulled). */
int rd_store_drop_table(rd_store_t *s, rd_table_t **t, ddb_err_t *err);
/* The table's live ItemCount and TableSizeBytes. */
int rd_store_table_counts(rd_store_t *s, const rd_table_t *t, int64_t *items, int64_t *bytes, ddb_err_t *err);
/* Fills out[] with up to max tables of account in ascending name order, names
 * greater than after (NULL: from the start). Returns how many; *more says whether
 * further tables follow. */
size_t rd_store_list(rd_store_t *s, const char *account, const char *after, size_t max, const rd_table_t **out,
                     bool *more);
/* Every cached table, all accounts: count and i-th. */
size_t rd_store_table_total(const rd_store_t *s);
const rd_table_t *rd_store_table_at(const rd_store_t *s, size_t i);

/* An item's canonical JSON text as stored. */
typedef struct rd_item_text {
    const char *json;   /* NULL when there is no item; arena-owned otherwise */
    size_t len;
    int64_t size;       /* its size as the service counts it */
} rd_item_text_t;

/* A table's encoded primary key (ddb_key encodings; sk empty without a sort key). */
typedef struct rd_key_bytes {
    const unsigned char *pk;
    size_t pk_len;
    const unsigned char *sk;
    size_t sk_len;
} rd_key_bytes_t;

/* Reads the item with this key into the arena (out->json NULL when absent). */
int rd_store_item_get(rd_store_t *s, rd_table_t *t, const rd_key_bytes_t *key, ddb_arena_t *a, rd_item_text_t *out,
                      ddb_err_t *err);

/* One item write: a put (new_json set) or a delete (new_json NULL). */
typedef struct rd_write {
    rd_key_bytes_t key;             /* the item's encoded key */
    const char *keys_json;          /* the key attributes as JSON, for the change log */
    const ddb_value_t *new_value;   /* the new item (put) */
    const char *new_json;           /* its canonical JSON, or NULL to delete */
    size_t new_len;
    int64_t new_size;               /* its size as the service counts it */
    const rd_item_text_t *old;      /* the current item if the caller already read it
                                       in this transaction (conditions), else NULL */
    bool by_ttl;                    /* a deletion by Time to Live: the change log marks
                                       it (Streams names the service as its author) */
    const char *origin;             /* a replicated write: the region it came from (the
                                       change log records it); NULL: a local write */
    uint64_t hlc;                   /* a replicated write: its version; else unused */
} rd_write_t;

/* Called by rd_store_write_item after it logged a local write (origin NULL) as
 * change-log record seq with version hlc, in the same transaction; -1 fails the
 * write. Global tables (rd_repl) version the item and schedule its publication. */
typedef int (*rd_store_write_hook_t)(void *ctx, rd_table_t *t, const rd_write_t *w, uint64_t hlc, int64_t seq);
void rd_store_set_write_hook(rd_store_t *s, rd_store_write_hook_t hook, void *ctx);
/* The region's clock: a replicated version observed makes later local writes newer. */
void rd_store_hlc_observe(rd_store_t *s, uint64_t hlc);
/* This store's region (the origin of its local writes). Borrowed. */
const char *rd_store_region(const rd_store_t *s);
/* The durability mode the store was opened with. */
rd_durability_t rd_store_durability(const rd_store_t *s);

/* Applies w: stores or deletes the item, appends a change-log record when the item
 * changed (none for a delete of an absent item or a put of an identical one), and
 * updates ItemCount/TableSizeBytes, all in the current transaction. *old receives
 * the previous item (arena-owned text, json NULL when there was none): w->old when
 * the caller passed it, else read here. */
int rd_store_write_item(rd_store_t *s, rd_table_t *t, const rd_write_t *w, ddb_arena_t *a, rd_item_text_t *old,
                        ddb_err_t *err);

/* Reads up to max items of t in key order, strictly after *after (NULL or an empty
 * pk: from the start), calling fn for each with its key and text (arena-owned,
 * valid until the arena is reset); fn returns 0 to go on, non-zero to stop. Returns
 * how many items were read, or -1 (err set). For sweeps that resume where they
 * stopped, like the Time to Live sweeper. */
typedef int (*rd_store_item_fn)(void *ctx, const rd_key_bytes_t *key, const rd_item_text_t *item);
int rd_store_scan(rd_store_t *s, rd_table_t *t, const rd_key_bytes_t *after, size_t max, ddb_arena_t *a,
                  rd_store_item_fn fn, void *ctx, ddb_err_t *err);

/* The database handle, for modules that keep a small table of their own (e.g. the
 * transaction tokens); they run inside the current transaction. Borrowed. */
struct sqlite3 *rd_store_db(rd_store_t *s);

#endif
