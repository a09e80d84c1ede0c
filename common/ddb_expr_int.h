/* ddb_expr_int: what the files of the expression module share and nobody else sees:
 * the context's tables, the syntax tree the parser builds and the evaluator and the
 * update code walk, and the error helpers. */
#ifndef DDB_EXPR_INT_H
#define DDB_EXPR_INT_H

#include "ddb_expr.h"
#include "ddb_num.h"

/* ---- context ---- */

typedef struct ddb_expr_entry {
    ddb_str_t key;              /* "#a" or ":v", NUL-terminated */
    ddb_str_t name;             /* names: the attribute name */
    const ddb_value_t *value;   /* values: the value */
    size_t order;               /* position in the request, for messages */
    bool used;                  /* referenced by some expression */
} ddb_expr_entry_t;

typedef struct ddb_expr_table {
    ddb_expr_entry_t *entries;
    size_t count;
    size_t cap;
    bool sorted;                /* entries sorted by key (sorted lazily on lookup) */
} ddb_expr_table_t;

struct ddb_expr_ctx {
    ddb_arena_t *arena;
    ddb_expr_table_t names;
    ddb_expr_table_t values;
};

/* Finds key in a table (sorting it first if needed); NULL if absent. */
ddb_expr_entry_t *ddb_expr_table_find(ddb_expr_table_t *t, const char *key, size_t len);

/* ---- syntax tree ---- */

typedef enum ddb_expr_node_kind {
    DDB_XN_PATH = 0,   /* document path */
    DDB_XN_VALUE,      /* :value */
    DDB_XN_CALL,       /* function(args) */
    DDB_XN_CMP,        /* l op r, op one of the comparator tokens */
    DDB_XN_BETWEEN,    /* args[0] BETWEEN args[1] AND args[2] */
    DDB_XN_IN,         /* args[0] IN (args[1..]) */
    DDB_XN_AND,
    DDB_XN_OR,
    DDB_XN_NOT,
    DDB_XN_ARITH,      /* update: args[0] + args[1] / args[0] - args[1] */
} ddb_expr_node_kind_t;

typedef enum ddb_expr_func {
    DDB_XF_UNKNOWN = 0,
    DDB_XF_ATTRIBUTE_EXISTS,
    DDB_XF_ATTRIBUTE_NOT_EXISTS,
    DDB_XF_ATTRIBUTE_TYPE,
    DDB_XF_BEGINS_WITH,
    DDB_XF_CONTAINS,
    DDB_XF_SIZE,
    DDB_XF_IF_NOT_EXISTS,
    DDB_XF_LIST_APPEND,
} ddb_expr_func_t;

typedef enum ddb_expr_cmp {
    DDB_XC_EQ = 0, DDB_XC_NE, DDB_XC_LT, DDB_XC_LE, DDB_XC_GT, DDB_XC_GE,
} ddb_expr_cmp_t;

/* One written step of a path, before names are resolved. */
typedef struct ddb_expr_raw_elem {
    uint8_t kind;     /* DDB_XR_IDENT, DDB_XR_NAME_REF or DDB_XR_INDEX */
    uint32_t pos;     /* source offset of the token */
    uint32_t len;     /* token length */
    uint32_t index;   /* DDB_XR_INDEX: the index */
} ddb_expr_raw_elem_t;

#define DDB_XR_IDENT 0
#define DDB_XR_NAME_REF 1
#define DDB_XR_INDEX 2

typedef struct ddb_expr_node ddb_expr_node_t;
struct ddb_expr_node {
    ddb_expr_node_kind_t kind;
    uint32_t pos, len;               /* source span of the operator / name token */
    bool parenthesized;              /* written inside ( ) */
    int op;                          /* CMP: ddb_expr_cmp_t; ARITH: '+' or '-' */
    ddb_expr_func_t func;            /* CALL */
    ddb_expr_node_t **args;          /* children */
    size_t nargs;
    ddb_expr_raw_elem_t *raw;        /* PATH: written steps */
    size_t nraw;
    ddb_expr_path_t path;            /* PATH: resolved (after validation) */
    const ddb_value_t *value;        /* VALUE: resolved (after validation) */
};

/* ---- parsed expressions ---- */

struct ddb_expr_cond {
    ddb_expr_node_t *root;
    ddb_expr_path_t *paths;   /* every path read, textual order */
    size_t npaths;
};

typedef enum ddb_expr_action_kind {
    DDB_XA_SET = 0, DDB_XA_REMOVE, DDB_XA_ADD, DDB_XA_DELETE,
} ddb_expr_action_kind_t;

typedef struct ddb_expr_action {
    ddb_expr_action_kind_t kind;
    ddb_expr_node_t *target;   /* PATH node written to */
    ddb_expr_node_t *operand;  /* SET: value expression; ADD/DELETE: VALUE node */
} ddb_expr_action_t;

struct ddb_expr_update {
    ddb_expr_action_t *actions;   /* textual order */
    size_t count;
    ddb_expr_path_t *paths;       /* actions[i].target->path, contiguous */
};

/* ---- helpers shared across files ---- */

/* Records "Invalid <Kind>: <message>" as a ValidationException; returns -1. */
int ddb_expr_fail(ddb_err_t *err, ddb_expr_kind_t kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Numeric order of two canonical N texts (<0, 0, >0). Unparsable sorts as 0. */
int ddb_expr_num_cmp(const ddb_str_t *x, const ddb_str_t *y);
/* Orders two scalar values of one type (S, N, B) as the service does: numbers
 * numerically, strings and binaries by unsigned bytes. */
int ddb_expr_scalar_cmp(const ddb_value_t *x, const ddb_value_t *y);
/* Whether a set (SS/NS/BS) holds member m. */
bool ddb_expr_set_has(const ddb_value_t *set, const ddb_str_t *m);

#endif
