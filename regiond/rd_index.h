/* rd_index: secondary indexes. A table's LocalSecondaryIndexes and
 * GlobalSecondaryIndexes as the regiond keeps them (key schema, projection,
 * throughput), their JSON form in the catalog definition, their description, and
 * their storage: each index is its own SQLite table ix_<phys>_<id>(ipk, isk, pk, sk,
 * item, size) ordered by (ipk, isk, pk, sk), kept in step with the base table inside
 * rd_store_write_item's transaction. Also the read statements Query and Scan use,
 * prepared once per table or index and variant. */
#ifndef RD_INDEX_H
#define RD_INDEX_H

#include <stdbool.h>
#include <stdint.h>
#include <sqlite3.h>
#include <cjson/cJSON.h>
#include "ddb_buf.h"
#include "ddb_err.h"
#include "rd_dispatch.h"
#include "rd_store.h"
#include "rd_table.h"

#define RD_INDEX_MAX_LSI 5
#define RD_INDEX_MAX_GSI 20
#define RD_INDEX_MAX_NON_KEY 100          /* NonKeyAttributes over all indexes of a table */

/* Read statement variants (bits): bound operators, start key, direction, scan. */
enum {
    RD_READ_LO_GT = 1,        /* range > ?2 */
    RD_READ_LO_GE = 2,        /* range >= ?2 */
    RD_READ_HI_LT = 4,        /* range < ?3 */
    RD_READ_HI_LE = 8,        /* range <= ?3 */
    RD_READ_START = 16,       /* after the exclusive start key ?4.. */
    RD_READ_DESC = 32,        /* descending order */
    RD_READ_SCAN = 64,        /* every partition (Scan), not one (Query) */
    RD_READ_SEGMENT = 128,    /* parallel scan: rd_segment(first key column, ?9) = ?8 */
    RD_READ_VARIANTS = 256,
};

typedef enum rd_projection {
    RD_PROJ_KEYS_ONLY = 0,
    RD_PROJ_INCLUDE,
    RD_PROJ_ALL,
} rd_projection_t;

typedef struct rd_index {
    char *name;                       /* IndexName (heap) */
    bool global;                      /* GSI (else LSI) */
    int64_t id;                       /* storage id: ix_<phys>_<id> */
    rd_attr_def_t hash_key;           /* index partition key */
    rd_attr_def_t range_key;          /* index sort key; name NULL when none */
    rd_projection_t projection;
    char **non_key;                   /* NonKeyAttributes (INCLUDE) */
    size_t n_non_key;
    int64_t rcu, wcu;                 /* GSI ProvisionedThroughput (0 on demand) */
    double created;                   /* when created (GSI added by UpdateTable shows CREATING once) */
    bool backfilling;                 /* answer of the UpdateTable that created it */
    bool deleting;                    /* dropped by this UpdateTable: its answer shows
                                         DELETING, rd_index_settle removes it */
    sqlite3_stmt *put, *del;          /* entry insert; delete by base key */
    sqlite3_stmt *reads[RD_READ_VARIANTS];   /* page reads, prepared on demand */
} rd_index_t;

/* What rd_table_t->ix points at: the indexes and the base table's read statements. */
typedef struct rd_table_ix {
    rd_index_t *list;                 /* LSIs and GSIs, in creation order */
    size_t count;
    int64_t next_id;                  /* next storage id */
    sqlite3_stmt *reads[RD_READ_VARIANTS];   /* base table page reads */
} rd_table_ix_t;

/* ---- definitions ---- */

/* Reads and validates CreateTable's LocalSecondaryIndexes and GlobalSecondaryIndexes
 * into t (built from the request), with AttributeDefinitions required to define
 * exactly the table's and indexes' key attributes. 0 or -1 (req->err). */
int rd_index_parse_create(rd_req_t *req, rd_table_t *t);
/* UpdateTable's GlobalSecondaryIndexUpdates (Create backfills synchronously,
 * Delete drops, Update changes throughput), applied to req->table. 0 or -1. */
int rd_index_update_table(rd_req_t *req);

/* Ends the CREATING/Backfilling state the UpdateTable answer showed and removes
 * the indexes it showed DELETING (their storage is dropped already). */
void rd_index_settle(rd_table_t *t);

/* Catalog JSON: adds "Indexes" to def / reads it back. */
void rd_index_save(const rd_table_t *t, cJSON *def);
int rd_index_load(rd_table_t *t, const cJSON *def);
/* Frees t's index definitions (statements already finalised). */
void rd_index_free(rd_table_t *t);
/* Finalises every statement cached for t and its indexes. */
void rd_index_finalize(rd_table_t *t);

/* The index named name, or NULL. */
rd_index_t *rd_index_find(const rd_table_t *t, const char *name);
/* Appends ,"LocalSecondaryIndexes":[...],"GlobalSecondaryIndexes":[...] (when any). */
void rd_index_describe(const rd_table_t *t, rd_store_t *s, const char *region, bool is_create, ddb_buf_t *out);

/* ---- storage ---- */

/* Creates the SQLite tables of every index of t (CreateTable). */
int rd_index_create_storage(rd_store_t *s, rd_table_t *t, ddb_err_t *err);
/* Drops them (DeleteTable). */
int rd_index_drop_storage(rd_store_t *s, rd_table_t *t, ddb_err_t *err);
/* Keeps every index in step with one item write (old entry out, new entry in),
 * refusing an index key of the wrong type, empty, or over the key size limits
 * (partition key 2048 bytes, sort key 1024). 0 or -1. */
int rd_index_write(rd_store_t *s, rd_table_t *t, const rd_write_t *w, ddb_arena_t *a, ddb_err_t *err);

/* What one item write does to one index, for its write capacity: the entry taken
 * out and the entry put in (a move between index keys is both), or one entry
 * rewritten in place when the index key stays and a projected attribute changes.
 * Nothing when the item is in the index neither before nor after (sparse) or its
 * entry is unchanged. */
typedef struct rd_index_change {
    int64_t old_size;   /* size of the entry removed or rewritten; -1: none */
    int64_t new_size;   /* size of the entry put; -1: none */
    bool in_place;      /* one entry rewritten: one write of the larger size */
} rd_index_change_t;

/* Fills changes[i] for t->ix->list[i] (every index of t) for an item going from
 * old_item to new_item (either NULL: absent). Temporary values go to a. */
void rd_index_changes(const rd_table_t *t, const ddb_value_t *old_item, const ddb_value_t *new_item, ddb_arena_t *a,
                      rd_index_change_t *changes);

/* True when t has a local secondary index (its writes report ItemCollectionMetrics). */
bool rd_index_has_lsi(const rd_table_t *t);
/* The size of the item collection of key's partition key: its items plus their
 * entries in every LSI, in bytes. 0 or -1 (err). */
int rd_index_collection_size(rd_store_t *s, const rd_table_t *t, const rd_key_bytes_t *key, int64_t *bytes,
                             ddb_err_t *err);

/* The page-read statement of t (ix NULL) or of index ix for a variant (RD_READ_*
 * bits), prepared on first use and cached. Parameters: ?1 partition key, ?2 lower
 * bound, ?3 upper bound, ?4..?7 exclusive start key columns, ?8 segment, ?9 total
 * segments, ?10 limit. Columns: ipk, isk (indexes only), pk, sk, item, size. */
sqlite3_stmt *rd_index_read_stmt(rd_store_t *s, rd_table_t *t, rd_index_t *ix, unsigned variant);

/* The parallel-scan segment (0..total-1) of an encoded partition key: a hash, so
 * every item is in exactly one segment, the same on every page. */
int64_t rd_index_segment(const void *key, size_t len, int64_t total);

#endif
