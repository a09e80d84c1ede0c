/* ddb_expr: DynamoDB's expression language. One request builds one ddb_expr_ctx_t
 * (its ExpressionAttributeNames and ExpressionAttributeValues), parses each of its
 * expressions against it, then asks the context for names or values that no
 * expression used. Parsed expressions evaluate a condition against an item, apply an
 * update to an item, or project an item. Everything lives in the request's arena. */
#ifndef DDB_EXPR_H
#define DDB_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "ddb_arena.h"
#include "ddb_err.h"
#include "ddb_value.h"

/* Which request parameter an expression came from; it names the expression in
 * error messages ("Invalid UpdateExpression: ...") and selects its grammar. */
typedef enum ddb_expr_kind {
    DDB_EXPR_CONDITION = 0,   /* ConditionExpression */
    DDB_EXPR_FILTER,          /* FilterExpression */
    DDB_EXPR_KEY_CONDITION,   /* KeyConditionExpression */
    DDB_EXPR_PROJECTION,      /* ProjectionExpression */
    DDB_EXPR_UPDATE,          /* UpdateExpression */
} ddb_expr_kind_t;

#define DDB_EXPR_MAX_BYTES 4096     /* longest expression string the service takes */
#define DDB_EXPR_MAX_OPERATORS 300  /* operators and functions in one expression */
#define DDB_EXPR_MAX_IN_OPERANDS 100
#define DDB_EXPR_MAX_NESTING 256    /* parentheses and NOT; ours, to bound recursion */

/* The parameter's name: "ConditionExpression", "UpdateExpression", ... */
const char *ddb_expr_kind_name(ddb_expr_kind_t kind);

/* True if word (len bytes, any case) is one of the service's 573 reserved words. */
bool ddb_expr_is_reserved_word(const char *word, size_t len);
/* Number of reserved words in the table (for tests). */
size_t ddb_expr_reserved_word_count(void);

/* Orders two scalar values of one type (S, N or B) as conditions do: numbers
 * numerically, strings and binaries by unsigned bytes. <0, 0 or >0. (For legacy
 * conditions, whose BETWEEN bounds are checked before they are translated.) */
int ddb_expr_compare_scalars(const ddb_value_t *x, const ddb_value_t *y);

/* ---- document paths ---------------------------------------------------------- */

/* One step of a document path: a map key or a list index. */
typedef struct ddb_expr_path_elem {
    bool is_index;     /* true: list index, false: map key / attribute name */
    uint32_t index;    /* the index when is_index */
    ddb_str_t name;    /* the resolved name when !is_index (never "#x") */
} ddb_expr_path_elem_t;

/* A resolved document path such as a.b[3].c; elems[0] is a top-level attribute. */
typedef struct ddb_expr_path {
    ddb_expr_path_elem_t *elems;
    size_t count;      /* >= 1 */
} ddb_expr_path_t;

/* The value at path inside item (a DDB_T_M, may be NULL), or NULL when the path
 * does not resolve. Borrowed from item. */
const ddb_value_t *ddb_expr_path_get(const ddb_value_t *item, const ddb_expr_path_t *path);
/* Appends the service's rendering of a path, e.g. "[a, [3], b]". */
void ddb_expr_path_format(const ddb_expr_path_t *path, ddb_buf_t *out);

/* ---- context: ExpressionAttributeNames / ExpressionAttributeValues ------------ */

typedef struct ddb_expr_ctx ddb_expr_ctx_t;

/* Returns an empty context allocated in a (never NULL); it dies with the arena. */
ddb_expr_ctx_t *ddb_expr_ctx_new(ddb_arena_t *a);
/* Adds "#key" -> name. The key must match #[A-Za-z0-9_]+ or a ValidationException
 * ("ExpressionAttributeNames contains invalid key: ...") is returned. Both strings
 * are copied into the arena. Returns 0 or -1. */
int ddb_expr_ctx_add_name(ddb_expr_ctx_t *ctx, const char *key, size_t key_len,
                          const char *name, size_t name_len, ddb_err_t *err);
/* Adds ":key" -> value. The key must match :[A-Za-z0-9_]+; value is borrowed (it
 * must live in the same arena, e.g. from ddb_value_from_json). Returns 0 or -1. */
int ddb_expr_ctx_add_value(ddb_expr_ctx_t *ctx, const char *key, size_t key_len,
                           const ddb_value_t *value, ddb_err_t *err);
/* Convenience for handlers: loads the request's ExpressionAttributeNames and
 * ExpressionAttributeValues JSON objects (either may be NULL), converting values
 * with ddb_value_from_json and reporting the service's errors (empty maps, bad keys,
 * invalid values "... for key :v"). Returns 0 or -1. */
int ddb_expr_ctx_load_json(ddb_expr_ctx_t *ctx, const cJSON *names, const cJSON *values,
                           ddb_err_t *err);
/* Call after parsing every expression of the request: -1 with the service's
 * "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a}"
 * (names first, then values) if some were never referenced; otherwise 0. */
int ddb_expr_ctx_check_unused(const ddb_expr_ctx_t *ctx, ddb_err_t *err);

/* ---- conditions: ConditionExpression, FilterExpression -------------------------- */

typedef struct ddb_expr_cond ddb_expr_cond_t;

/* Parses and validates a condition (kind DDB_EXPR_CONDITION or DDB_EXPR_FILTER),
 * marking the names and values it uses in ctx. Returns the parsed condition (in the
 * context's arena) or NULL with a ValidationException "Invalid <Kind>: ...". */
ddb_expr_cond_t *ddb_expr_parse_condition(ddb_expr_ctx_t *ctx, ddb_expr_kind_t kind,
                                          const char *text, size_t len, ddb_err_t *err);
/* Evaluates the condition against item (a DDB_T_M, or NULL for a missing item). */
bool ddb_expr_eval(const ddb_expr_cond_t *cond, const ddb_value_t *item);
/* Every document path the condition reads, in textual order (e.g. for Query's rule
 * that a FilterExpression may not name key attributes). Borrowed. */
const ddb_expr_path_t *ddb_expr_cond_paths(const ddb_expr_cond_t *cond, size_t *count);

/* ---- KeyConditionExpression ------------------------------------------------------ */

typedef enum ddb_key_op {
    DDB_KEY_EQ = 0, DDB_KEY_LT, DDB_KEY_LE, DDB_KEY_GT, DDB_KEY_GE,
    DDB_KEY_BETWEEN, DDB_KEY_BEGINS_WITH,
} ddb_key_op_t;

/* One condition on one key attribute, normalised to "attr op value(s)". */
typedef struct ddb_key_cond {
    ddb_str_t attr;                 /* resolved attribute name */
    ddb_key_op_t op;
    const ddb_value_t *values[2];   /* values[1] only for BETWEEN (the upper bound) */
} ddb_key_cond_t;

typedef struct ddb_key_conds {
    ddb_key_cond_t *conds;          /* in textual order, distinct attributes */
    size_t count;
} ddb_key_conds_t;

/* Parses a KeyConditionExpression: the condition grammar restricted to ANDed
 * comparisons (= < <= > >=), BETWEEN and begins_with, each between one top-level
 * attribute and values. Does not know the key schema yet. NULL on error. */
ddb_key_conds_t *ddb_expr_parse_key_condition(ddb_expr_ctx_t *ctx, const char *text,
                                              size_t len, ddb_err_t *err);

/* A key condition matched against the key schema of the table or index queried. */
typedef struct ddb_key_query {
    const ddb_value_t *hash_value;  /* the partition key value (op is always =) */
    bool has_range;
    ddb_key_cond_t range;           /* the sort key condition when has_range */
} ddb_key_query_t;

/* Matches conds to the schema: hash_name/hash_type, and range_name/range_type
 * (range_name NULL when there is no sort key; types are DDB_T_S, N or B). Reports
 * "Query condition missed key schema element: x", "Query key condition not
 * supported", the condition count and value-type errors. Returns 0 or -1. */
int ddb_expr_key_query(const ddb_key_conds_t *conds, const char *hash_name,
                       ddb_type_t hash_type, const char *range_name, ddb_type_t range_type,
                       ddb_key_query_t *out, ddb_err_t *err);

/* ---- ProjectionExpression --------------------------------------------------------- */

typedef struct ddb_expr_projection {
    ddb_expr_path_t *paths;   /* in textual order, never overlapping */
    size_t count;
} ddb_expr_projection_t;

/* Parses a ProjectionExpression (comma-separated document paths). NULL on error. */
ddb_expr_projection_t *ddb_expr_parse_projection(ddb_expr_ctx_t *ctx, const char *text,
                                                 size_t len, ddb_err_t *err);
/* Builds the projection of item (NULL: returns NULL) on the given paths: a new map
 * holding only the requested parts, nested maps trimmed to the requested keys and
 * lists to the requested elements, compacted in index order. New containers are
 * allocated in a; leaf values are shared with item. Never NULL for a non-NULL item
 * (an empty map when nothing matches). */
ddb_value_t *ddb_expr_project(const ddb_value_t *item, const ddb_expr_path_t *paths,
                              size_t count, ddb_arena_t *a);

/* ---- UpdateExpression ------------------------------------------------------------ */

typedef struct ddb_expr_update ddb_expr_update_t;

/* Parses and validates an UpdateExpression (SET, REMOVE, ADD, DELETE clauses; each
 * at most once; no two paths overlapping or conflicting). NULL on error. */
ddb_expr_update_t *ddb_expr_parse_update(ddb_expr_ctx_t *ctx, const char *text, size_t len,
                                         ddb_err_t *err);
/* The path each action writes, in textual order (for "Cannot update attribute k.
 * This attribute is part of the key", index key checks, and UPDATED_OLD/NEW: those
 * are ddb_expr_project of the old/new item on these paths). Borrowed. */
const ddb_expr_path_t *ddb_expr_update_paths(const ddb_expr_update_t *update, size_t *count);
/* Applies the update to item (a DDB_T_M; for an item that does not exist yet pass a
 * map of its key attributes) and returns the new item. item is never modified: the
 * result shares unchanged parts with it and copies what changes into a, so the caller
 * keeps the old item for ALL_OLD/UPDATED_OLD. NULL with a ValidationException on a
 * data error ("The document path provided in the update expression is invalid for
 * update", "An operand in the update expression has an incorrect data type", ...). */
ddb_value_t *ddb_expr_apply_update(const ddb_expr_update_t *update, const ddb_value_t *item,
                                   ddb_arena_t *a, ddb_err_t *err);

#endif
