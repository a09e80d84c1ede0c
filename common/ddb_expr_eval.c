/* ddb_expr_eval: evaluates a parsed condition against an item with DynamoDB's
 * semantics (a missing attribute makes a comparison false, values of different types
 * are never equal, only S, N and B are ordered, size() counts UTF-16 code units), and
 * builds the projection of an item on a list of document paths. */
#include "ddb_expr_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An evaluated operand; size() results live in tmp, so do not copy it. */
typedef struct s_operand {
    const ddb_value_t *v;   /* NULL: no value (missing attribute, size of a number...) */
    ddb_value_t tmp;
    char text[24];
} s_operand_t;

/* size() of a string: its length in UTF-16 code units, as the service counts. */
static size_t s_utf16_length(const ddb_str_t *s)
{
    size_t units = 0;
    for (size_t i = 0; i < s->len; i++) {
        unsigned char c = (unsigned char)s->ptr[i];
        if ((c & 0xC0) == 0x80)
            continue;              /* continuation byte */
        units += c >= 0xF0 ? 2 : 1;   /* 4-byte sequences are surrogate pairs */
    }
    return units;
}

static bool s_size_of(const ddb_value_t *v, size_t *out)
{
    switch (v->type) {
    case DDB_T_S: *out = s_utf16_length(&v->u.str); return true;
    case DDB_T_B: *out = v->u.str.len; return true;
    case DDB_T_SS:
    case DDB_T_NS:
    case DDB_T_BS: *out = v->u.set.count; return true;
    case DDB_T_L: *out = v->u.list.count; return true;
    case DDB_T_M: *out = v->u.map.count; return true;
    default: return false;   /* N, BOOL and NULL have no size */
    }
}

static void s_eval_operand(const ddb_expr_node_t *n, const ddb_value_t *item, s_operand_t *out)
{
    out->v = NULL;
    switch (n->kind) {
    case DDB_XN_PATH:
        out->v = ddb_expr_path_get(item, &n->path);
        return;
    case DDB_XN_VALUE:
        out->v = n->value;
        return;
    case DDB_XN_CALL:
        if (n->func == DDB_XF_SIZE) {
            s_operand_t inner;
            size_t size;
            s_eval_operand(n->args[0], item, &inner);
            if (!inner.v || !s_size_of(inner.v, &size))
                return;
            int len = snprintf(out->text, sizeof(out->text), "%zu", size);
            memset(&out->tmp, 0, sizeof(out->tmp));
            out->tmp.type = DDB_T_N;
            out->tmp.u.str.ptr = out->text;
            out->tmp.u.str.len = (size_t)len;
            out->v = &out->tmp;
        }
        return;
    default:
        return;
    }
}

static bool s_is_scalar(const ddb_value_t *v)
{
    return v->type == DDB_T_S || v->type == DDB_T_N || v->type == DDB_T_B;
}

static bool s_equal(const ddb_value_t *x, const ddb_value_t *y)
{
    return x && y && x->type == y->type && ddb_value_equal(x, y);
}

static bool s_compare(int op, const ddb_value_t *x, const ddb_value_t *y)
{
    if (op == DDB_XC_EQ)
        return s_equal(x, y);
    if (op == DDB_XC_NE)   /* true when one side is missing or the types differ */
        return (x || y) && !s_equal(x, y);
    if (!x || !y || x->type != y->type || !s_is_scalar(x))
        return false;
    int c = ddb_expr_scalar_cmp(x, y);
    switch (op) {
    case DDB_XC_LT: return c < 0;
    case DDB_XC_LE: return c <= 0;
    case DDB_XC_GT: return c > 0;
    default: return c >= 0;
    }
}

static bool s_has_prefix(const ddb_str_t *s, const ddb_str_t *prefix)
{
    return prefix->len <= s->len && (prefix->len == 0 || memcmp(s->ptr, prefix->ptr, prefix->len) == 0);
}

static bool s_has_substring(const ddb_str_t *s, const ddb_str_t *part)
{
    if (part->len == 0)
        return true;
    if (part->len > s->len)
        return false;
    for (size_t i = 0; i + part->len <= s->len; i++)
        if (memcmp(s->ptr + i, part->ptr, part->len) == 0)
            return true;
    return false;
}

static bool s_contains(const ddb_value_t *hay, const ddb_value_t *needle)
{
    if (!hay || !needle)
        return false;
    switch (hay->type) {
    case DDB_T_S:
    case DDB_T_B:
        return needle->type == hay->type && s_has_substring(&hay->u.str, &needle->u.str);
    case DDB_T_SS:
        return needle->type == DDB_T_S && ddb_expr_set_has(hay, &needle->u.str);
    case DDB_T_NS:
        return needle->type == DDB_T_N && ddb_expr_set_has(hay, &needle->u.str);
    case DDB_T_BS:
        return needle->type == DDB_T_B && ddb_expr_set_has(hay, &needle->u.str);
    case DDB_T_L:
        for (size_t i = 0; i < hay->u.list.count; i++)
            if (s_equal(hay->u.list.items[i], needle))
                return true;
        return false;
    default:
        return false;
    }
}

static bool s_eval_call(const ddb_expr_node_t *n, const ddb_value_t *item)
{
    s_operand_t a, b;
    s_eval_operand(n->args[0], item, &a);
    switch (n->func) {
    case DDB_XF_ATTRIBUTE_EXISTS:
        return a.v != NULL;
    case DDB_XF_ATTRIBUTE_NOT_EXISTS:
        return a.v == NULL;
    case DDB_XF_ATTRIBUTE_TYPE: {
        s_eval_operand(n->args[1], item, &b);
        if (!a.v || !b.v || b.v->type != DDB_T_S)
            return false;
        const char *name = ddb_type_name(a.v->type);
        return strlen(name) == b.v->u.str.len && memcmp(name, b.v->u.str.ptr, b.v->u.str.len) == 0;
    }
    case DDB_XF_BEGINS_WITH:
        s_eval_operand(n->args[1], item, &b);
        return a.v && b.v && a.v->type == b.v->type &&
               (a.v->type == DDB_T_S || a.v->type == DDB_T_B) && s_has_prefix(&a.v->u.str, &b.v->u.str);
    case DDB_XF_CONTAINS:
        s_eval_operand(n->args[1], item, &b);
        return s_contains(a.v, b.v);
    default:
        return false;   /* size() alone is rejected by the parser */
    }
}

static bool s_eval(const ddb_expr_node_t *n, const ddb_value_t *item)
{
    s_operand_t a, b, c;
    switch (n->kind) {
    case DDB_XN_AND:
        return s_eval(n->args[0], item) && s_eval(n->args[1], item);
    case DDB_XN_OR:
        return s_eval(n->args[0], item) || s_eval(n->args[1], item);
    case DDB_XN_NOT:
        return !s_eval(n->args[0], item);
    case DDB_XN_CMP:
        s_eval_operand(n->args[0], item, &a);
        s_eval_operand(n->args[1], item, &b);
        return s_compare(n->op, a.v, b.v);
    case DDB_XN_BETWEEN:
        s_eval_operand(n->args[0], item, &a);
        s_eval_operand(n->args[1], item, &b);
        s_eval_operand(n->args[2], item, &c);
        return s_compare(DDB_XC_GE, a.v, b.v) && s_compare(DDB_XC_LE, a.v, c.v);
    case DDB_XN_IN:
        s_eval_operand(n->args[0], item, &a);
        if (!a.v)
            return false;
        for (size_t i = 1; i < n->nargs; i++) {
            s_eval_operand(n->args[i], item, &b);
            if (s_equal(a.v, b.v))
                return true;
        }
        return false;
    case DDB_XN_CALL:
        return s_eval_call(n, item);
    default:
        return false;
    }
}

bool ddb_expr_eval(const ddb_expr_cond_t *cond, const ddb_value_t *item)
{
    return cond && cond->root && s_eval(cond->root, item);
}

/* ---- projection ------------------------------------------------------------------------ */

/* A node of the projection being built: either a whole value taken from the item, or
 * a container of which only some children are taken. */
typedef struct s_pnode s_pnode_t;
typedef struct s_pchild {
    const ddb_expr_path_elem_t *key;
    s_pnode_t *node;
} s_pchild_t;

struct s_pnode {
    const ddb_value_t *src;   /* the item's value at this position */
    bool whole;               /* take src as it is */
    s_pchild_t *kids;
    size_t nkids, cap;
};

static bool s_elem_equal(const ddb_expr_path_elem_t *x, const ddb_expr_path_elem_t *y)
{
    if (x->is_index != y->is_index)
        return false;
    if (x->is_index)
        return x->index == y->index;
    return x->name.len == y->name.len && memcmp(x->name.ptr, y->name.ptr, x->name.len) == 0;
}

static s_pnode_t *s_pchild(ddb_arena_t *a, s_pnode_t *parent, const ddb_expr_path_elem_t *key,
                           const ddb_value_t *src)
{
    for (size_t i = 0; i < parent->nkids; i++)
        if (s_elem_equal(parent->kids[i].key, key))
            return parent->kids[i].node;
    if (parent->nkids == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 4;
        s_pchild_t *grown = ddb_arena_alloc(a, cap * sizeof(*grown));
        if (parent->nkids)
            memcpy(grown, parent->kids, parent->nkids * sizeof(*grown));
        parent->kids = grown;
        parent->cap = cap;
    }
    s_pnode_t *node = ddb_arena_calloc(a, 1, sizeof(*node));
    node->src = src;
    parent->kids[parent->nkids].key = key;
    parent->kids[parent->nkids].node = node;
    parent->nkids++;
    return node;
}

static int s_kid_index_cmp(const void *pa, const void *pb)
{
    const s_pchild_t *x = pa, *y = pb;
    return (x->key->index > y->key->index) - (x->key->index < y->key->index);
}

static ddb_value_t *s_pbuild(ddb_arena_t *a, s_pnode_t *node)
{
    if (node->whole)
        return (ddb_value_t *)node->src;
    if (node->src->type == DDB_T_L) {
        qsort(node->kids, node->nkids, sizeof(node->kids[0]), s_kid_index_cmp);
        ddb_value_t *list = ddb_arena_calloc(a, 1, sizeof(*list));
        list->type = DDB_T_L;
        list->u.list.items = ddb_arena_alloc(a, (node->nkids ? node->nkids : 1) * sizeof(ddb_value_t *));
        for (size_t i = 0; i < node->nkids; i++)
            list->u.list.items[i] = s_pbuild(a, node->kids[i].node);
        list->u.list.count = node->nkids;
        return list;
    }
    ddb_value_t *map = ddb_value_new_map(a, node->nkids);
    for (size_t i = 0; i < node->nkids; i++)
        ddb_map_put(map, node->kids[i].key->name, s_pbuild(a, node->kids[i].node));
    return map;
}

ddb_value_t *ddb_expr_project(const ddb_value_t *item, const ddb_expr_path_t *paths,
                              size_t count, ddb_arena_t *a)
{
    if (!item)
        return NULL;
    s_pnode_t root = { item, false, NULL, 0, 0 };
    for (size_t p = 0; p < count; p++) {
        const ddb_expr_path_t *path = &paths[p];
        if (!ddb_expr_path_get(item, path))
            continue;   /* only paths that exist are projected */
        s_pnode_t *node = &root;
        const ddb_value_t *cur = item;
        for (size_t i = 0; i < path->count && !node->whole; i++) {
            const ddb_expr_path_elem_t *e = &path->elems[i];
            cur = e->is_index ? cur->u.list.items[e->index] : ddb_item_get(cur, e->name.ptr, e->name.len);
            node = s_pchild(a, node, e, cur);
        }
        node->whole = true;
    }
    return s_pbuild(a, &root);
}
