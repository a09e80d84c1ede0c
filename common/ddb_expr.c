/* ddb_expr: the request-wide context of the expression module (ExpressionAttributeNames
 * and ExpressionAttributeValues, which of them were used), document-path helpers, value
 * ordering shared by the evaluator, and the match of a parsed KeyConditionExpression
 * against a table's key schema. Parsing lives in ddb_expr_parse.c. */
#include "ddb_expr_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ddb_expr_kind_name(ddb_expr_kind_t kind)
{
    switch (kind) {
    case DDB_EXPR_CONDITION: return "ConditionExpression";
    case DDB_EXPR_FILTER: return "FilterExpression";
    case DDB_EXPR_KEY_CONDITION: return "KeyConditionExpression";
    case DDB_EXPR_PROJECTION: return "ProjectionExpression";
    case DDB_EXPR_UPDATE: return "UpdateExpression";
    }
    return "Expression";
}

int ddb_expr_fail(ddb_err_t *err, ddb_expr_kind_t kind, const char *fmt, ...)
{
    char msg[960];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return ddb_err_set(err, DDB_ERR_VALIDATION, "Invalid %s: %s", ddb_expr_kind_name(kind), msg);
}

/* ---- context ------------------------------------------------------------------- */

ddb_expr_ctx_t *ddb_expr_ctx_new(ddb_arena_t *a)
{
    ddb_expr_ctx_t *ctx = ddb_arena_calloc(a, 1, sizeof(*ctx));
    ctx->arena = a;
    return ctx;
}

static bool s_key_is_valid(const char *key, size_t len, char sigil)
{
    if (len < 2 || key[0] != sigil)
        return false;
    for (size_t i = 1; i < len; i++) {
        char c = key[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_';
        if (!ok)
            return false;
    }
    return true;
}

/* Limits on the substitution maps (the service's "Expression parameters"
 * constraints): a placeholder is at most 255 bytes, an attribute name at most
 * 65535, and each map, keys and values together, at most 2 MB. */
#define S_MAX_KEY_BYTES 255
#define S_MAX_NAME_BYTES 65535
#define S_MAX_MAP_BYTES (2 * 1024 * 1024)
#define S_NAME_TOO_LARGE "1 validation error detected: Attribute name is too large, must be less than 65536 bytes"

/* A placeholder of map (sigil '#': ExpressionAttributeNames, ':': ...Values):
 * its length first, then its syntax, as the service checks them. */
static int s_check_key(const char *key, size_t len, char sigil, ddb_err_t *err)
{
    const char *map = sigil == '#' ? "ExpressionAttributeNames" : "ExpressionAttributeValues";
    if (len > S_MAX_KEY_BYTES)
        return ddb_err_set(err, DDB_ERR_VALIDATION,
                           "%s contains invalid key: The expression attribute map contains a key that is too long; "
                           "size of key: %zu", map, len);
    if (!s_key_is_valid(key, len, sigil))
        return ddb_err_set(err, DDB_ERR_VALIDATION, "%s contains invalid key: Syntax error; key: \"%.*s\"", map,
                           (int)len, key);
    return 0;
}

static ddb_expr_entry_t *s_table_push(ddb_arena_t *a, ddb_expr_table_t *t)
{
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        ddb_expr_entry_t *grown = ddb_arena_calloc(a, cap, sizeof(*grown));
        if (t->count)
            memcpy(grown, t->entries, t->count * sizeof(*grown));
        t->entries = grown;
        t->cap = cap;
    }
    ddb_expr_entry_t *e = &t->entries[t->count];
    memset(e, 0, sizeof(*e));
    e->order = t->count;
    t->count++;
    t->sorted = false;
    return e;
}

static int s_str_cmp(const ddb_str_t *x, const ddb_str_t *y)
{
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->ptr, y->ptr, n) : 0;
    if (c)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

static int s_entry_cmp(const void *pa, const void *pb)
{
    const ddb_expr_entry_t *x = pa, *y = pb;
    int c = s_str_cmp(&x->key, &y->key);
    if (c)
        return c;
    return (x->order > y->order) - (x->order < y->order);
}

ddb_expr_entry_t *ddb_expr_table_find(ddb_expr_table_t *t, const char *key, size_t len)
{
    if (!t->count)
        return NULL;
    if (!t->sorted) {
        qsort(t->entries, t->count, sizeof(t->entries[0]), s_entry_cmp);
        t->sorted = true;
    }
    ddb_str_t want = { key, len };
    size_t lo = 0, hi = t->count;
    while (lo < hi) {   /* first entry >= want */
        size_t mid = lo + (hi - lo) / 2;
        if (s_str_cmp(&t->entries[mid].key, &want) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == t->count || s_str_cmp(&t->entries[lo].key, &want) != 0)
        return NULL;
    /* A key given twice: every copy counts as used, the last one given wins. */
    size_t last = lo;
    while (last + 1 < t->count && s_str_cmp(&t->entries[last + 1].key, &want) == 0)
        last++;
    for (size_t i = lo; i <= last; i++)
        t->entries[i].used = true;
    return &t->entries[last];
}

int ddb_expr_ctx_add_name(ddb_expr_ctx_t *ctx, const char *key, size_t key_len,
                          const char *name, size_t name_len, ddb_err_t *err)
{
    if (s_check_key(key, key_len, '#', err) != 0)
        return -1;
    if (name_len > S_MAX_NAME_BYTES)
        return ddb_err_set(err, DDB_ERR_VALIDATION, S_NAME_TOO_LARGE);
    ddb_expr_entry_t *e = s_table_push(ctx->arena, &ctx->names);
    e->key.ptr = ddb_arena_strndup(ctx->arena, key, key_len);
    e->key.len = key_len;
    e->name.ptr = ddb_arena_strndup(ctx->arena, name, name_len);
    e->name.len = name_len;
    return 0;
}

int ddb_expr_ctx_add_value(ddb_expr_ctx_t *ctx, const char *key, size_t key_len,
                           const ddb_value_t *value, ddb_err_t *err)
{
    if (s_check_key(key, key_len, ':', err) != 0)
        return -1;
    ddb_expr_entry_t *e = s_table_push(ctx->arena, &ctx->values);
    e->key.ptr = ddb_arena_strndup(ctx->arena, key, key_len);
    e->key.len = key_len;
    e->value = value;
    return 0;
}

int ddb_expr_ctx_load_json(ddb_expr_ctx_t *ctx, const cJSON *names, const cJSON *values,
                           ddb_err_t *err)
{
    const cJSON *it;
    if (names) {
        if (!cJSON_IsObject(names))
            return ddb_err_set(err, DDB_ERR_SERIALIZATION, "Unexpected value type in payload");
        if (!names->child)
            return ddb_err_set(err, DDB_ERR_VALIDATION, "ExpressionAttributeNames must not be empty");
        size_t total = 0;
        for (it = names->child; it; it = it->next)
            total += strlen(it->string) + (cJSON_IsString(it) ? strlen(it->valuestring) : 0);
        if (total > S_MAX_MAP_BYTES)
            return ddb_err_set(err, DDB_ERR_VALIDATION, "ExpressionAttributeNames exceeds max size");
        for (it = names->child; it; it = it->next) {
            if (!cJSON_IsString(it))
                return ddb_err_set(err, DDB_ERR_SERIALIZATION, "Unexpected value type in payload");
            if (ddb_expr_ctx_add_name(ctx, it->string, strlen(it->string), it->valuestring,
                                      strlen(it->valuestring), err) < 0)
                return -1;
        }
    }
    if (values) {
        if (!cJSON_IsObject(values))
            return ddb_err_set(err, DDB_ERR_SERIALIZATION, "Unexpected value type in payload");
        if (!values->child)
            return ddb_err_set(err, DDB_ERR_VALIDATION, "ExpressionAttributeValues must not be empty");
        /* The service checks every key before it looks at any value. */
        for (it = values->child; it; it = it->next)
            if (s_check_key(it->string, strlen(it->string), ':', err) != 0)
                return -1;
        size_t total = 0;
        for (it = values->child; it; it = it->next) {
            ddb_err_t inner = DDB_ERR_INIT;
            ddb_value_t *v = ddb_value_from_json(it, ctx->arena, &inner);
            if (!v && strcmp(inner.message, S_NAME_TOO_LARGE) == 0) {   /* the service does not wrap this one */
                ddb_err_clear(&inner);
                return ddb_err_set(err, DDB_ERR_VALIDATION, S_NAME_TOO_LARGE);
            }
            if (!v) {
                int rc = ddb_err_set(err, inner.kind == DDB_OK ? DDB_ERR_VALIDATION : inner.kind,
                                     "ExpressionAttributeValues contains invalid value: %s for key %s",
                                     inner.message, it->string);
                ddb_err_clear(&inner);
                return rc;
            }
            if (ddb_expr_ctx_add_value(ctx, it->string, strlen(it->string), v, err) < 0)
                return -1;
            total += strlen(it->string) + ddb_value_size(v);
        }
        if (total > S_MAX_MAP_BYTES)
            return ddb_err_set(err, DDB_ERR_VALIDATION, "ExpressionAttributeValues exceeds max size");
    }
    return 0;
}

/* Reports the unused keys of one table, in the order the request gave them. */
static int s_report_unused(const ddb_expr_table_t *t, const char *what, ddb_err_t *err)
{
    size_t unused = 0;
    for (size_t i = 0; i < t->count; i++)
        if (!t->entries[i].used)
            unused++;
    if (!unused)
        return 0;
    const ddb_expr_entry_t **list = malloc(unused * sizeof(*list));
    if (!list)
        abort();
    size_t n = 0;
    for (size_t i = 0; i < t->count; i++)
        if (!t->entries[i].used)
            list[n++] = &t->entries[i];
    for (size_t i = 1; i < n; i++) {   /* insertion sort by request order */
        const ddb_expr_entry_t *e = list[i];
        size_t j = i;
        while (j > 0 && list[j - 1]->order > e->order) {
            list[j] = list[j - 1];
            j--;
        }
        list[j] = e;
    }
    ddb_buf_t keys = DDB_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (i)
            ddb_buf_puts(&keys, ", ");
        ddb_buf_append(&keys, list[i]->key.ptr, list[i]->key.len);
    }
    ddb_err_set(err, DDB_ERR_VALIDATION,
                "Value provided in %s unused in expressions: keys: {%s}", what, keys.data);
    ddb_buf_free(&keys);
    free(list);
    return -1;
}

int ddb_expr_ctx_check_unused(const ddb_expr_ctx_t *ctx, ddb_err_t *err)
{
    if (s_report_unused(&ctx->names, "ExpressionAttributeNames", err) < 0)
        return -1;
    return s_report_unused(&ctx->values, "ExpressionAttributeValues", err);
}

/* ---- paths ------------------------------------------------------------------------ */

const ddb_value_t *ddb_expr_path_get(const ddb_value_t *item, const ddb_expr_path_t *path)
{
    const ddb_value_t *cur = item;
    for (size_t i = 0; cur && i < path->count; i++) {
        const ddb_expr_path_elem_t *e = &path->elems[i];
        if (e->is_index) {
            if (cur->type != DDB_T_L || e->index >= cur->u.list.count)
                return NULL;
            cur = cur->u.list.items[e->index];
        } else {
            if (cur->type != DDB_T_M)
                return NULL;
            cur = ddb_item_get(cur, e->name.ptr, e->name.len);
        }
    }
    return cur;
}

void ddb_expr_path_format(const ddb_expr_path_t *path, ddb_buf_t *out)
{
    ddb_buf_putc(out, '[');
    for (size_t i = 0; i < path->count; i++) {
        if (i)
            ddb_buf_puts(out, ", ");
        if (path->elems[i].is_index)
            ddb_buf_printf(out, "[%u]", path->elems[i].index);
        else
            ddb_buf_append(out, path->elems[i].name.ptr, path->elems[i].name.len);
    }
    ddb_buf_putc(out, ']');
}

/* ---- value helpers ------------------------------------------------------------------ */

int ddb_expr_num_cmp(const ddb_str_t *x, const ddb_str_t *y)
{
    ddb_num_t nx, ny;
    ddb_err_t ignored = DDB_ERR_INIT;
    if (ddb_num_parse(x->ptr, x->len, &nx, &ignored) < 0 ||
        ddb_num_parse(y->ptr, y->len, &ny, &ignored) < 0) {
        ddb_err_clear(&ignored);
        return s_str_cmp(x, y);   /* not numbers: keep some total order */
    }
    return ddb_num_cmp(&nx, &ny);
}

int ddb_expr_scalar_cmp(const ddb_value_t *x, const ddb_value_t *y)
{
    if (x->type == DDB_T_N)
        return ddb_expr_num_cmp(&x->u.str, &y->u.str);
    /* S and B: unsigned bytes, then length (UTF-8 order is code point order). */
    return s_str_cmp(&x->u.str, &y->u.str);
}

int ddb_expr_compare_scalars(const ddb_value_t *x, const ddb_value_t *y)
{
    return ddb_expr_scalar_cmp(x, y);
}

bool ddb_expr_set_has(const ddb_value_t *set, const ddb_str_t *m)
{
    for (size_t i = 0; i < set->u.set.count; i++) {
        const ddb_str_t *s = &set->u.set.members[i];
        if (set->type == DDB_T_NS ? ddb_expr_num_cmp(s, m) == 0 : s_str_cmp(s, m) == 0)
            return true;
    }
    return false;
}

/* ---- KeyConditionExpression against the key schema ---------------------------------- */

static bool s_attr_is(const ddb_str_t *attr, const char *name)
{
    return name && attr->len == strlen(name) && memcmp(attr->ptr, name, attr->len) == 0;
}

static int s_check_key_types(const ddb_key_cond_t *c, ddb_type_t want, ddb_err_t *err)
{
    size_t n = c->op == DDB_KEY_BETWEEN ? 2 : 1;
    for (size_t i = 0; i < n; i++)
        if (c->values[i]->type != want)
            return ddb_err_set(err, DDB_ERR_VALIDATION,
                               "One or more parameter values were invalid: "
                               "Condition parameter type does not match schema type");
    return 0;
}

int ddb_expr_key_query(const ddb_key_conds_t *conds, const char *hash_name,
                       ddb_type_t hash_type, const char *range_name, ddb_type_t range_type,
                       ddb_key_query_t *out, ddb_err_t *err)
{
    size_t nkeys = range_name ? 2 : 1;
    memset(out, 0, sizeof(*out));
    if (conds->count > nkeys)
        return ddb_err_set(err, DDB_ERR_VALIDATION,
                           "The number of query conditions (%zu) exceeds the number of key "
                           "attributes defined in the schema (%zu)", conds->count, nkeys);
    const ddb_key_cond_t *hash = NULL, *range = NULL;
    for (size_t i = 0; i < conds->count; i++) {
        const ddb_key_cond_t *c = &conds->conds[i];
        if (s_attr_is(&c->attr, hash_name))
            hash = c;
        else if (s_attr_is(&c->attr, range_name))
            range = c;
    }
    if (!hash)
        return ddb_err_set(err, DDB_ERR_VALIDATION,
                           "Query condition missed key schema element: %s", hash_name);
    if (hash->op != DDB_KEY_EQ)
        return ddb_err_set(err, DDB_ERR_VALIDATION, "Query key condition not supported");
    if (conds->count == 2 && !range)
        return ddb_err_set(err, DDB_ERR_VALIDATION,
                           "Query condition missed key schema element: %s", range_name);
    if (s_check_key_types(hash, hash_type, err) < 0)
        return -1;
    if (range && s_check_key_types(range, range_type, err) < 0)
        return -1;
    out->hash_value = hash->values[0];
    if (range) {
        out->has_range = true;
        out->range = *range;
    }
    return 0;
}
