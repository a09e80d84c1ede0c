/* ddb_value: the attribute-value model. A request's JSON AttributeValues become a
 * tree of ddb_value_t allocated in the request's arena; values are validated and
 * normalised on the way in (numbers canonical, binary decoded) so that everything
 * downstream compares and serialises one form. */
#ifndef DDB_VALUE_H
#define DDB_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include "ddb_arena.h"
#include "ddb_buf.h"
#include "ddb_err.h"
#include "ddb_num.h"

typedef enum ddb_type {
    DDB_T_S = 0,   /* string (UTF-8) */
    DDB_T_N,       /* number (canonical text) */
    DDB_T_B,       /* binary (decoded bytes) */
    DDB_T_BOOL,
    DDB_T_NULL,
    DDB_T_M,       /* map; an item is a map too */
    DDB_T_L,       /* list */
    DDB_T_SS,      /* string set */
    DDB_T_NS,      /* number set (canonical texts) */
    DDB_T_BS,      /* binary set (decoded bytes) */
} ddb_type_t;

typedef struct ddb_str {
    const char *ptr;   /* not NUL-terminated for B; S and N are NUL-terminated */
    size_t len;
} ddb_str_t;

typedef struct ddb_value ddb_value_t;

typedef struct ddb_attr {
    ddb_str_t name;        /* attribute name */
    ddb_value_t *value;
} ddb_attr_t;

struct ddb_value {
    ddb_type_t type;
    union {
        ddb_str_t str;                                   /* S, N, B */
        bool boolean;                                    /* BOOL (NULL: always true) */
        struct { ddb_attr_t *attrs; size_t count; } map; /* M, in input order */
        struct { ddb_value_t **items; size_t count; } list; /* L */
        struct { ddb_str_t *members; size_t count; } set;   /* SS, NS, BS */
    } u;
};

/* The type's wire name: "S", "N", ... "BS". */
const char *ddb_type_name(ddb_type_t t);
/* Parses a wire name; returns 0 or -1 if unknown. */
int ddb_type_parse(const char *name, ddb_type_t *out);

/* Converts one AttributeValue ({"S":"x"}, {"M":{...}}, ...) into the arena.
 * Validates as the service does (exactly one type, well-formed numbers and base64,
 * non-empty sets without duplicates, nesting depth) and returns NULL with a
 * ValidationException (or SerializationException for wrong JSON types). */
ddb_value_t *ddb_value_from_json(const cJSON *av, ddb_arena_t *a, ddb_err_t *err);
/* Converts an attribute map ({"name": AttributeValue, ...}), e.g. Item or Key,
 * into a DDB_T_M value. */
ddb_value_t *ddb_item_from_json(const cJSON *obj, ddb_arena_t *a, ddb_err_t *err);
/* Appends the AttributeValue JSON ({"S":"x"}) in canonical form. */
void ddb_value_to_json(const ddb_value_t *v, ddb_buf_t *out);
/* Appends an attribute map as JSON ({"a":{"S":"x"},...}). */
void ddb_item_to_json(const ddb_value_t *item, ddb_buf_t *out);

/* Looks up a top-level attribute of a map; NULL when absent. */
ddb_value_t *ddb_item_get(const ddb_value_t *item, const char *name, size_t name_len);
/* Deep equality (sets compare as sets, numbers numerically). */
bool ddb_value_equal(const ddb_value_t *a, const ddb_value_t *b);
/* The value's size in bytes as the service counts it (without the name). */
size_t ddb_value_size(const ddb_value_t *v);
/* The item's size: sum over attributes of name bytes + value size. */
size_t ddb_item_size(const ddb_value_t *item);
#define DDB_ITEM_MAX_SIZE (400 * 1024)

/* Levels of nested maps and lists in v: 0 for a scalar or a set, 1 + the deepest
 * member for M and L. The service accepts at most DDB_VALUE_MAX_DEPTH. */
#define DDB_VALUE_MAX_DEPTH 32
size_t ddb_value_depth(const ddb_value_t *v);
/* 0 when every attribute of item nests at most DDB_VALUE_MAX_DEPTH levels, else -1
 * with the service's ValidationException (what an update may produce is checked
 * against the same limit as what a PutItem may send). */
int ddb_item_check_depth(const ddb_value_t *item, ddb_err_t *err);

/* Constructors (arena-owned). */
ddb_value_t *ddb_value_new_map(ddb_arena_t *a, size_t capacity);
/* Appends name=value to a map made by ddb_value_new_map (capacity must allow it). */
void ddb_map_put(ddb_value_t *map, ddb_str_t name, ddb_value_t *value);
/* An S, N or B value holding a NUL-terminated arena copy of len bytes at ptr (an N
 * text must already be canonical: prefer ddb_value_new_num). */
ddb_value_t *ddb_value_new_str(ddb_arena_t *a, ddb_type_t type, const char *ptr, size_t len);
/* An N value with n's canonical text. */
ddb_value_t *ddb_value_new_num(ddb_arena_t *a, const ddb_num_t *n);
ddb_value_t *ddb_value_new_bool(ddb_arena_t *a, bool b);
ddb_value_t *ddb_value_new_null(ddb_arena_t *a);
/* Parses an N value's text into out. 0, or -1 with a ValidationException. */
int ddb_value_get_num(const ddb_value_t *v, ddb_num_t *out, ddb_err_t *err);

#endif
