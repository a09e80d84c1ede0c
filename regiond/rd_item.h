/* rd_item: what the single-item operations (PutItem, GetItem, DeleteItem, UpdateItem)
 * share: their enum members (ReturnValues, ReturnConsumedCapacity, ...), the item's
 * key checked against the table's schema, the stored item as a value, the one write
 * path, capacity units computed the service's way, and the JSON answer. */
#ifndef RD_ITEM_H
#define RD_ITEM_H

#include <stdbool.h>
#include <stdint.h>
#include "ddb_expr.h"
#include "ddb_value.h"
#include "rd_dispatch.h"

/* The service's key size limits, for table keys and index keys alike. */
#define RD_ITEM_HASH_KEY_MAX_BYTES 2048
#define RD_ITEM_RANGE_KEY_MAX_BYTES 1024

typedef enum rd_return_values {
    RD_RV_NONE = 0,
    RD_RV_ALL_OLD,
    RD_RV_UPDATED_OLD,
    RD_RV_ALL_NEW,
    RD_RV_UPDATED_NEW,
} rd_return_values_t;

typedef enum rd_capacity_mode {
    RD_RCC_NONE = 0,
    RD_RCC_TOTAL,
    RD_RCC_INDEXES,
} rd_capacity_mode_t;

/* Which optional members an operation has (they are ignored elsewhere, as the
 * service ignores members that are not in an operation's shape). */
enum {
    RD_ITEM_HAS_RETURN_VALUES = 1 << 0,  /* ReturnValues */
    RD_ITEM_HAS_CONDITIONS = 1 << 1,     /* ConditionalOperator, ReturnValuesOnConditionCheckFailure */
    RD_ITEM_HAS_COLLECTION = 1 << 2,     /* ReturnItemCollectionMetrics */
};

typedef struct rd_item_opts {
    rd_return_values_t return_values;   /* ReturnValues as given (checked per op later) */
    rd_capacity_mode_t capacity;        /* ReturnConsumedCapacity */
    bool old_on_failure;                /* ReturnValuesOnConditionCheckFailure ALL_OLD */
    bool collection_size;               /* ReturnItemCollectionMetrics SIZE */
} rd_item_opts_t;

/* Validates the operation's enum members and that map_field ("Item" or "Key"; NULL
 * for none) is a present JSON object, reporting every violation at once as the service does ("2
 * validation errors detected: ..."). *map borrows the member from the body; the
 * caller converts it (ddb_item_from_json) once its other request checks passed.
 * 0 or -1. */
int rd_item_read_opts(rd_req_t *req, unsigned members, const char *map_field, rd_item_opts_t *opts,
                      const cJSON **map);

/* The item's encoded key and the key attributes as JSON (for the change log). */
typedef struct rd_item_key {
    rd_key_bytes_t bytes;   /* encoded pk / sk, arena */
    const char *json;       /* e.g. {"id":{"S":"x"}}, arena */
    ddb_value_t *map;       /* the key attributes as a map, arena */
} rd_item_key_t;

/* PutItem's Item must hold every key attribute, rightly typed and not empty. */
int rd_item_key_of_item(rd_req_t *req, const ddb_value_t *item, rd_item_key_t *key);
/* A Key member must hold exactly the key attributes ("The provided key element does
 * not match the schema"), rightly typed and not empty. */
int rd_item_key_of_arg(rd_req_t *req, const ddb_value_t *key_map, rd_item_key_t *key);

/* True when both encode the same primary key (of one table). */
bool rd_item_key_equal(const rd_key_bytes_t *a, const rd_key_bytes_t *b);

/* A request for one element of a batch or transaction: req with body set to the
 * element's own object (Put, Delete, KeysAndAttributes, ...), no table yet, so that
 * the single-item functions here and in rd_cond work on it as on a whole request. */
rd_req_t rd_item_subreq(const rd_req_t *req, const cJSON *body);

/* The document paths a read asks for; count 0 with paths NULL: the whole item. */
typedef struct rd_item_projection {
    const ddb_expr_path_t *paths;   /* arena */
    size_t count;
} rd_item_projection_t;

/* The request's ProjectionExpression (nested paths, list elements, #names from
 * ExpressionAttributeNames) or legacy AttributesToGet, checked the service's way
 * (one or the other, no unused names). 0 or -1. */
int rd_item_projection(rd_req_t *req, rd_item_projection_t *p);

/* The stored item with this key: its text (json NULL when absent) and, when value
 * is not NULL and the item is present, its parsed value (arena; *value NULL when
 * absent). Handlers that only hand the stored text back pass value NULL and skip
 * the parse. 0 or -1. */
int rd_item_load(rd_req_t *req, const rd_item_key_t *key, rd_item_text_t *text, ddb_value_t **value);

/* Stores item (NULL: deletes the item) under key through rd_store_write_item,
 * given the current item the caller loaded in this transaction. Refuses an item
 * over 400 KB with size_message. 0 or -1. */
int rd_item_store(rd_req_t *req, const rd_item_key_t *key, const ddb_value_t *item, const rd_item_text_t *old,
                  const char *size_message);

/* Capacity units the service charges: writes are ceil(size / 1 KB) of the larger
 * of the old and new item, reads ceil(size / 4 KB), halved when eventually
 * consistent; never less than one unit (half a unit for such a read). */
double rd_item_write_units(int64_t old_size, int64_t new_size);
double rd_item_read_units(int64_t size, bool consistent);

/* Appends one ConsumedCapacity object: {"TableName":..,"CapacityUnits":..} and,
 * under INDEXES, "Table":{"CapacityUnits":..}. */
void rd_item_capacity_json(ddb_buf_t *out, const char *table_name, double units, rd_capacity_mode_t capacity);

/* The write capacity one request consumed on one table: the table's own units and
 * each secondary index's. Zero-initialise; rd_item_units_add fills it. */
typedef struct rd_item_units {
    double table;     /* the table's units */
    double *index;    /* each index's, in the table's index order (arena); NULL: none yet */
} rd_item_units_t;

/* Adds one item write on req->table, from old (its stored text old_text, its value
 * old when the caller parsed it, else parsed here when the table has indexes) to
 * new_item (NULL: a delete), each unit multiplied by scale (2 in a transaction):
 * the table's units from the larger item, and per index one write of the entry
 * put or removed, two when the item moves between index keys, one when projected
 * attributes change in place, none when the index holds the item neither before
 * nor after or its entry does not change, each in 1 KB units of the entry. */
void rd_item_units_add(rd_req_t *req, rd_item_units_t *u, const rd_item_text_t *old_text, const ddb_value_t *old,
                       const ddb_value_t *new_item, double scale);

/* Appends one write's ConsumedCapacity object for table t: CapacityUnits the total
 * of table and indexes, and under INDEXES "Table" and the LocalSecondaryIndexes /
 * GlobalSecondaryIndexes maps of the indexes the writes touched. */
void rd_item_write_capacity_json(ddb_buf_t *out, const rd_table_t *t, const rd_item_units_t *u,
                                 rd_capacity_mode_t capacity);

/* Appends key's ItemCollectionMetrics: {"ItemCollectionKey":{<partition key>},
 * "SizeEstimateRangeGB":[lower,upper]}, the range in whole GB around the size of
 * the item collection (items and LSI entries of the partition key). Only for a
 * table with an LSI (rd_index_has_lsi). 0 or -1. */
int rd_item_collection_json(rd_req_t *req, const rd_item_key_t *key, ddb_buf_t *out);

/* What an answer returns under "Item" or "Attributes": a value, or the stored text
 * as it is (no re-serialisation); neither: the member is left out. */
typedef struct rd_item_attrs {
    const ddb_value_t *value;     /* rendered when set */
    const rd_item_text_t *text;   /* else spliced when set and text->json not NULL */
    bool omit_empty;              /* leave an empty map out (UPDATED_* with nothing) */
} rd_item_attrs_t;

/* Appends the operation's answer: {"<member>":<attrs>, "ConsumedCapacity":{...}},
 * ConsumedCapacity only when asked for. */
void rd_item_answer(rd_req_t *req, const char *member, const rd_item_attrs_t *attrs, rd_capacity_mode_t capacity,
                    double units);
/* Appends a single-item write's answer: {"Attributes":<attrs>}, ConsumedCapacity
 * (write units with the indexes') and, when asked for on a table with an LSI,
 * the ItemCollectionMetrics of key's collection. 0 or -1. */
int rd_item_write_answer(rd_req_t *req, const rd_item_attrs_t *attrs, const rd_item_opts_t *opts,
                         const rd_item_units_t *units, const rd_item_key_t *key);

#endif
