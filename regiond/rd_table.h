/* rd_table: a table's definition as the regiond keeps it in memory (key schema,
 * attribute definitions, billing, throughput, protection, class, tags), its JSON
 * form stored in the catalog, and the TableDescription the service returns. */
#ifndef RD_TABLE_H
#define RD_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "ddb_buf.h"
#include "ddb_err.h"
#include "ddb_value.h"
#include "rd_json.h"

typedef enum rd_billing {
    RD_BILLING_PROVISIONED = 0,
    RD_BILLING_PAY_PER_REQUEST,
} rd_billing_t;

typedef struct rd_attr_def {
    char *name;        /* attribute name (heap) */
    ddb_type_t type;   /* DDB_T_S, DDB_T_N or DDB_T_B */
} rd_attr_def_t;

typedef struct rd_table_stmts rd_table_stmts_t;   /* rd_store's per-table statements */

typedef struct rd_table {
    char *account;                 /* owning account (12 digits) */
    char *name;                    /* the user's table name */
    char table_id[40];             /* UUID shown as TableId */
    int64_t phys;                  /* physical id: SQLite objects are items_<phys>, log_<phys> */
    char status[16];               /* stored TableStatus: ACTIVE */
    double created;                /* CreationDateTime, epoch seconds */
    rd_attr_def_t hash_key;        /* partition key */
    rd_attr_def_t range_key;       /* sort key; name NULL when the table has none */
    rd_attr_def_t *attr_defs;      /* AttributeDefinitions in the order given */
    size_t n_attr_defs;
    rd_billing_t billing;          /* current billing mode */
    int64_t rcu, wcu;              /* provisioned capacity (kept while on demand) */
    double last_increase;          /* LastIncreaseDateTime, 0 when never */
    double last_decrease;          /* LastDecreaseDateTime, 0 when never */
    int64_t decrease_day;          /* UTC day (epoch days) the decreases below were counted in */
    int decreases_today;           /* NumberOfDecreasesToday for decrease_day */
    double last_update_to_ppr;     /* LastUpdateToPayPerRequestDateTime, 0 when never on demand */
    int64_t warm_read, warm_write; /* WarmThroughput: never decreases */
    bool deletion_protection;      /* DeletionProtectionEnabled */
    char *table_class;             /* TableClass as set explicitly; NULL: default, summary omitted */
    double table_class_updated;    /* TableClassSummary.LastUpdateDateTime, 0 when never updated */
    cJSON *tags;                   /* Tags as given (array), or NULL */
    char *ttl_attr;                /* Time to Live attribute (heap), NULL when never set */
    bool ttl_enabled;              /* Time to Live on: the sweeper deletes expired items */
    rd_table_stmts_t *stmts;       /* prepared statements, owned and finalised by rd_store */
    struct rd_table_ix *ix;        /* secondary indexes and read statements (rd_index.h), or NULL */
} rd_table_t;

/* Warm throughput an on-demand table gets, as the service reports it. */
#define RD_WARM_PPR_READ 12000
#define RD_WARM_PPR_WRITE 4000

/* Returns a new, empty definition (caller fills it), never NULL. */
rd_table_t *rd_table_new(const char *account, const char *name);
/* Frees t (the caller has finalised t->stmts); safe on NULL, nulls *p. */
void rd_table_destroy(rd_table_t **p);
/* Rebuilds a table from its catalog row. Returns NULL if def_json is corrupt. */
rd_table_t *rd_table_from_row(const char *account, const char *name, const char *table_id, int64_t phys,
                              const char *status, double created, const char *def_json);
/* The catalog's JSON form of the definition; the caller frees it with free(). */
char *rd_table_def_json(const rd_table_t *t);

/* How rd_table_describe renders. */
typedef struct rd_describe_opts {
    const char *region;      /* for TableArn */
    const char *status;      /* TableStatus to show (CREATING, UPDATING, ...) */
    int64_t item_count;      /* ItemCount */
    int64_t size_bytes;      /* TableSizeBytes */
    bool is_create;          /* the CreateTable response omits a few fields */
    struct rd_store *store;  /* for the indexes' ItemCount/IndexSizeBytes; may be NULL */
} rd_describe_opts_t;

/* Appends the TableDescription JSON object. */
void rd_table_describe(const rd_table_t *t, const rd_describe_opts_t *opts, ddb_buf_t *out);
/* Appends arn:aws:dynamodb:REGION:ACCOUNT:table/NAME. */
void rd_table_arn(const rd_table_t *t, const char *region, ddb_buf_t *out);

/* Records the service's constraint violations of a table name at member `path`
 * (e.g. "tableName"): CreateTable demands 3..255 characters of [a-zA-Z0-9_.-]; the
 * other operations accept 1..255 (or a table ARN up to 1024). name NULL records
 * "must not be null". */
void rd_table_name_check(const char *name, bool for_create, const char *path, rd_verrs_t *v);
/* The table name that a TableName member designates: itself, or the name in a
 * table ARN of this region and account. NULL if it is an ARN of another one. */
const char *rd_table_name_from_arg(const char *arg, const char *region, const char *account);

/* Looks up a key attribute by name: the key's rd_attr_def_t, or NULL. */
const rd_attr_def_t *rd_table_key_attr(const rd_table_t *t, const char *name, size_t len);
/* Epoch seconds with millisecond precision, now. */
double rd_now_seconds(void);

#endif
