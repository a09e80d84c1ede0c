/* rd_item: the plumbing the single-item handlers share, so that each handler reads
 * like its operation's documentation: enum members checked the service's way, keys
 * matched to the schema and encoded, the stored item parsed into a value, every
 * write through rd_store_write_item, and capacity units in the answer. */
#include "rd_item.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ddb_expr.h"
#include "ddb_key.h"
#include "rd_cond.h"
#include "rd_index.h"
#include "rd_json.h"

#define HASH_KEY_MAX_BYTES RD_ITEM_HASH_KEY_MAX_BYTES
#define RANGE_KEY_MAX_BYTES RD_ITEM_RANGE_KEY_MAX_BYTES

static const char s_invalid[] = "One or more parameter values were invalid: ";

/* ---- enum members ---- */

typedef struct s_enum {
    const char *field;     /* request member */
    const char *path;      /* its name in constraint messages */
    const char *allowed;   /* the service's enum list, in its order */
} s_enum_t;

/* Records a violation when the member is present and not in the list; *index gets
 * its position in `values` (or 0 when absent). */
static int s_enum(rd_req_t *req, const s_enum_t *e, const char *const *values, int *index, rd_verrs_t *v)
{
    const char *s;
    *index = 0;
    if (rd_json_string(req->body, e->field, &s, req->err) != 0)
        return -1;
    if (!s)
        return 0;
    for (int i = 0; values[i]; i++)
        if (strcmp(values[i], s) == 0) {
            *index = i;
            return 0;
        }
    char constraint[160];
    snprintf(constraint, sizeof(constraint), "Member must satisfy enum value set: [%s]", e->allowed);
    rd_verr_value(v, s, e->path, constraint);
    return 0;
}

int rd_item_read_opts(rd_req_t *req, unsigned members, const char *map_field, rd_item_opts_t *opts,
                      const cJSON **map)
{
    static const s_enum_t rcc = { "ReturnConsumedCapacity", "returnConsumedCapacity", "INDEXES, TOTAL, NONE" };
    static const s_enum_t ricm = { "ReturnItemCollectionMetrics", "returnItemCollectionMetrics", "SIZE, NONE" };
    static const s_enum_t rv = { "ReturnValues", "returnValues", "ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW" };
    static const s_enum_t cop = { "ConditionalOperator", "conditionalOperator", "OR, AND" };
    /* unconfirmed: the order of this list in the service's message */
    static const s_enum_t rvf = { "ReturnValuesOnConditionCheckFailure", "returnValuesOnConditionCheckFailure",
                                  "ALL_OLD, NONE" };
    static const char *const rcc_values[] = { "NONE", "TOTAL", "INDEXES", NULL };
    static const char *const ricm_values[] = { "NONE", "SIZE", NULL };
    static const char *const rv_values[] = { "NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW", NULL };
    static const char *const cop_values[] = { "AND", "OR", NULL };
    static const char *const rvf_values[] = { "NONE", "ALL_OLD", NULL };
    rd_verrs_t v = RD_VERRS_INIT;
    int idx;
    memset(opts, 0, sizeof(*opts));
    *map = NULL;
    if (s_enum(req, &rcc, rcc_values, &idx, &v) != 0)
        return -1;
    opts->capacity = (rd_capacity_mode_t)idx;
    if ((members & RD_ITEM_HAS_COLLECTION) && s_enum(req, &ricm, ricm_values, &idx, &v) != 0)
        return -1;
    opts->collection_size = (members & RD_ITEM_HAS_COLLECTION) && idx == 1;
    if (members & RD_ITEM_HAS_RETURN_VALUES) {
        if (s_enum(req, &rv, rv_values, &idx, &v) != 0)
            return -1;
        opts->return_values = (rd_return_values_t)idx;
    }
    if (members & RD_ITEM_HAS_CONDITIONS) {
        if (s_enum(req, &cop, cop_values, &idx, &v) != 0 || s_enum(req, &rvf, rvf_values, &idx, &v) != 0)
            return -1;
        opts->old_on_failure = idx == 1;
    }
    if (map_field && rd_json_object(req->body, map_field, map, req->err) != 0)
        return -1;
    if (map_field && !*map)
        rd_verr_value(&v, NULL, strcmp(map_field, "Item") == 0 ? "item" : "key", "Member must not be null");
    return rd_verr_finish(&v, req->err);
}

/* ---- keys ---- */

static int s_key_not_empty(rd_req_t *req, const rd_attr_def_t *attr, const ddb_value_t *v)
{
    if (v->u.str.len > 0)
        return 0;
    return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                       "One or more parameter values are not valid. The AttributeValue for a key attribute cannot "
                       "contain an empty %s value. Key: %s", v->type == DDB_T_B ? "binary" : "string", attr->name);
}

/* Encodes the key attributes of a checked map (which holds them, rightly typed). */
static int s_encode_key(rd_req_t *req, const ddb_value_t *map, rd_item_key_t *key)
{
    const rd_table_t *t = req->table;
    const rd_attr_def_t *attrs[2] = { &t->hash_key, t->range_key.name ? &t->range_key : NULL };
    memset(key, 0, sizeof(*key));
    key->map = ddb_value_new_map(req->arena, 2);
    for (int i = 0; i < 2 && attrs[i]; i++) {
        ddb_value_t *v = ddb_item_get(map, attrs[i]->name, strlen(attrs[i]->name));
        if (s_key_not_empty(req, attrs[i], v) != 0)
            return -1;
        size_t size = ddb_value_size(v);
        if (i == 0 && size > HASH_KEY_MAX_BYTES)
            return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                               "%sSize of hashkey has exceeded the maximum size limit of%d bytes", s_invalid,
                               HASH_KEY_MAX_BYTES);
        if (i == 1 && size > RANGE_KEY_MAX_BYTES)
            return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                               "%sAggregated size of all range keys has exceeded the size limit of %d bytes", s_invalid,
                               RANGE_KEY_MAX_BYTES);
        ddb_buf_t enc = DDB_BUF_INIT;
        if (ddb_key_encode(v, &enc, req->err) != 0) {
            ddb_buf_free(&enc);
            return -1;
        }
        unsigned char *copy = ddb_arena_alloc(req->arena, enc.len + 1);
        memcpy(copy, enc.data ? enc.data : "", enc.len);
        if (i == 0)
            key->bytes.pk = copy, key->bytes.pk_len = enc.len;
        else
            key->bytes.sk = copy, key->bytes.sk_len = enc.len;
        ddb_buf_free(&enc);
        ddb_str_t name = { attrs[i]->name, strlen(attrs[i]->name) };
        ddb_map_put(key->map, name, v);
    }
    ddb_buf_t json = DDB_BUF_INIT;
    ddb_item_to_json(key->map, &json);
    key->json = ddb_arena_strndup(req->arena, json.data ? json.data : "{}", json.len);
    ddb_buf_free(&json);
    return 0;
}

int rd_item_key_of_item(rd_req_t *req, const ddb_value_t *item, rd_item_key_t *key)
{
    const rd_table_t *t = req->table;
    const rd_attr_def_t *attrs[2] = { &t->hash_key, t->range_key.name ? &t->range_key : NULL };
    for (int i = 0; i < 2 && attrs[i]; i++) {
        const ddb_value_t *v = ddb_item_get(item, attrs[i]->name, strlen(attrs[i]->name));
        if (!v)
            return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%sMissing the key %s in the item", s_invalid,
                               attrs[i]->name);
        if (v->type != attrs[i]->type)
            return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%sType mismatch for key %s expected: %s actual: %s",
                               s_invalid, attrs[i]->name, ddb_type_name(attrs[i]->type), ddb_type_name(v->type));
    }
    return s_encode_key(req, item, key);
}

int rd_item_key_of_arg(rd_req_t *req, const ddb_value_t *key_map, rd_item_key_t *key)
{
    const rd_table_t *t = req->table;
    size_t want = t->range_key.name ? 2 : 1;
    bool ok = key_map->u.map.count == want;
    for (size_t i = 0; ok && i < key_map->u.map.count; i++) {
        const ddb_attr_t *a = &key_map->u.map.attrs[i];
        const rd_attr_def_t *def = rd_table_key_attr(t, a->name.ptr, a->name.len);
        ok = def && def->type == a->value->type;
    }
    if (!ok)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "The provided key element does not match the schema");
    return s_encode_key(req, key_map, key);
}

/* ---- projections ---- */

/* Legacy AttributesToGet: top-level names, each at most once. */
static int s_attributes_to_get(rd_req_t *req, const cJSON *list, rd_item_projection_t *p)
{
    int n = cJSON_GetArraySize(list);
    if (n == 0)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: "
                           "Member must have length greater than or equal to 1");
    ddb_expr_path_t *paths = ddb_arena_calloc(req->arena, (size_t)n, sizeof(*paths));
    const cJSON *e;
    cJSON_ArrayForEach(e, list) {
        if (rd_json_expect_string(e, req->err) != 0)
            return -1;
        for (size_t i = 0; i < p->count; i++)
            if (strcmp(paths[i].elems[0].name.ptr, e->valuestring) == 0)
                return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                                   "One or more parameter values were invalid: Duplicate value in attribute name: %s",
                                   e->valuestring);
        ddb_expr_path_elem_t *elem = ddb_arena_calloc(req->arena, 1, sizeof(*elem));
        elem->name.ptr = e->valuestring;
        elem->name.len = strlen(e->valuestring);
        paths[p->count].elems = elem;
        paths[p->count].count = 1;
        p->count++;
    }
    p->paths = paths;
    return 0;
}

int rd_item_projection(rd_req_t *req, rd_item_projection_t *p)
{
    static const char *const exprs[] = { "ProjectionExpression", NULL };
    static const char *const legacy[] = { "AttributesToGet", NULL };
    const char *text;
    const cJSON *attrs;
    ddb_expr_ctx_t *ctx;
    memset(p, 0, sizeof(*p));
    if (rd_json_string(req->body, "ProjectionExpression", &text, req->err) != 0 ||
        rd_json_list(req->body, "AttributesToGet", &attrs, req->err) != 0 ||
        rd_cond_check_params(req, exprs, legacy) != 0)
        return -1;
    if (attrs)
        return s_attributes_to_get(req, attrs, p);
    if (!text)
        return 0;
    const cJSON *names;
    ctx = ddb_expr_ctx_new(req->arena);
    if (rd_json_object(req->body, "ExpressionAttributeNames", &names, req->err) != 0 ||
        ddb_expr_ctx_load_json(ctx, names, NULL, req->err) != 0)
        return -1;
    ddb_expr_projection_t *parsed = ddb_expr_parse_projection(ctx, text, strlen(text), req->err);
    if (!parsed || ddb_expr_ctx_check_unused(ctx, req->err) != 0)
        return -1;
    p->paths = parsed->paths;
    p->count = parsed->count;
    return 0;
}

bool rd_item_key_equal(const rd_key_bytes_t *a, const rd_key_bytes_t *b)
{
    return a->pk_len == b->pk_len && a->sk_len == b->sk_len && memcmp(a->pk, b->pk, a->pk_len) == 0 &&
           (a->sk_len == 0 || memcmp(a->sk, b->sk, a->sk_len) == 0);
}

rd_req_t rd_item_subreq(const rd_req_t *req, const cJSON *body)
{
    rd_req_t sub = *req;
    sub.body = body;
    sub.table_name = NULL;
    sub.table = NULL;
    sub.flags = 0;
    return sub;
}

/* ---- stored items ---- */

/* The stored text parsed into the request's arena; NULL when it does not parse. */
static ddb_value_t *s_parse_stored(rd_req_t *req, const rd_item_text_t *text)
{
    cJSON *parsed = cJSON_ParseWithLength(text->json, text->len);
    ddb_err_t ignored = DDB_ERR_INIT;
    ddb_value_t *value = parsed ? ddb_item_from_json(parsed, req->arena, &ignored) : NULL;
    cJSON_Delete(parsed);
    ddb_err_clear(&ignored);
    return value;
}

int rd_item_load(rd_req_t *req, const rd_item_key_t *key, rd_item_text_t *text, ddb_value_t **value)
{
    if (value)
        *value = NULL;
    if (rd_store_item_get(req->store, req->table, &key->bytes, req->arena, text, req->err) != 0)
        return -1;
    if (!text->json || !value)
        return 0;
    if (!(*value = s_parse_stored(req, text)))
        return ddb_err_set(req->err, DDB_ERR_INTERNAL, "Internal server error");
    return 0;
}

int rd_item_store(rd_req_t *req, const rd_item_key_t *key, const ddb_value_t *item, const rd_item_text_t *old,
                  const char *size_message)
{
    rd_write_t w = { key->bytes, key->json, NULL, NULL, 0, 0, old, false, NULL, 0 };
    ddb_buf_t json = DDB_BUF_INIT;
    if (item) {
        size_t size = ddb_item_size(item);
        if (size > DDB_ITEM_MAX_SIZE)
            return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%s", size_message);
        ddb_item_to_json(item, &json);
        w.new_value = item;
        w.new_json = json.data ? json.data : "{}";
        w.new_len = json.len;
        w.new_size = (int64_t)size;
    }
    rd_item_text_t replaced;
    int rc = rd_store_write_item(req->store, req->table, &w, req->arena, &replaced, req->err);
    ddb_buf_free(&json);
    return rc;
}

/* ---- capacity ---- */

double rd_item_write_units(int64_t old_size, int64_t new_size)
{
    int64_t size = old_size > new_size ? old_size : new_size;
    int64_t units = (size + 1023) / 1024;
    return units < 1 ? 1.0 : (double)units;
}

double rd_item_read_units(int64_t size, bool consistent)
{
    int64_t units = (size + 4095) / 4096;
    if (units < 1)
        units = 1;
    return consistent ? (double)units : (double)units / 2.0;
}

/* "CapacityUnits":1.0 (units are whole or halves, so one decimal is exact). */
static void s_units(ddb_buf_t *out, double units)
{
    ddb_buf_printf(out, "\"CapacityUnits\":%.1f", units);
}

void rd_item_capacity_json(ddb_buf_t *out, const char *table_name, double units, rd_capacity_mode_t capacity)
{
    /* The aggregate only, no Read/WriteCapacityUnits split (characterised against
     * the service for the single-item operations), plus Table under INDEXES. */
    ddb_buf_puts(out, "{\"TableName\":");
    ddb_buf_json_str(out, table_name, strlen(table_name));
    ddb_buf_putc(out, ',');
    s_units(out, units);
    if (capacity == RD_RCC_INDEXES) {
        ddb_buf_puts(out, ",\"Table\":{");
        s_units(out, units);
        ddb_buf_putc(out, '}');
    }
    ddb_buf_putc(out, '}');
}

void rd_item_units_add(rd_req_t *req, rd_item_units_t *u, const rd_item_text_t *old_text, const ddb_value_t *old,
                       const ddb_value_t *new_item, double scale)
{
    const rd_table_t *t = req->table;
    int64_t old_size = old_text->json ? old_text->size : 0;
    u->table += scale * rd_item_write_units(old_size, new_item ? (int64_t)ddb_item_size(new_item) : 0);
    size_t n = t->ix ? t->ix->count : 0;
    if (n == 0)
        return;
    if (!old && old_text->json)
        old = s_parse_stored(req, old_text);
    if (!u->index)
        u->index = ddb_arena_calloc(req->arena, n, sizeof(*u->index));
    rd_index_change_t *changes = ddb_arena_calloc(req->arena, n, sizeof(*changes));
    rd_index_changes(t, old, new_item, req->arena, changes);
    for (size_t i = 0; i < n; i++) {
        const rd_index_change_t *c = &changes[i];
        if (c->in_place)
            u->index[i] += scale * rd_item_write_units(c->old_size, c->new_size);
        else {
            if (c->old_size >= 0)
                u->index[i] += scale * rd_item_write_units(c->old_size, 0);
            if (c->new_size >= 0)
                u->index[i] += scale * rd_item_write_units(0, c->new_size);
        }
    }
}

/* ,"LocalSecondaryIndexes":{"name":{"CapacityUnits":1.0},...} for the indexes of
 * one kind that consumed units; nothing when none did. */
static void s_index_units_json(ddb_buf_t *out, const rd_table_t *t, const rd_item_units_t *u, bool global)
{
    bool any = false;
    for (size_t i = 0; u->index && i < t->ix->count; i++) {
        const rd_index_t *ix = &t->ix->list[i];
        if (ix->global != global || u->index[i] <= 0)
            continue;
        ddb_buf_puts(out, any ? "," : global ? ",\"GlobalSecondaryIndexes\":{" : ",\"LocalSecondaryIndexes\":{");
        any = true;
        ddb_buf_json_str(out, ix->name, strlen(ix->name));
        ddb_buf_puts(out, ":{");
        s_units(out, u->index[i]);
        ddb_buf_putc(out, '}');
    }
    if (any)
        ddb_buf_putc(out, '}');
}

void rd_item_write_capacity_json(ddb_buf_t *out, const rd_table_t *t, const rd_item_units_t *u,
                                 rd_capacity_mode_t capacity)
{
    double total = u->table;
    for (size_t i = 0; u->index && i < t->ix->count; i++)
        total += u->index[i];
    ddb_buf_puts(out, "{\"TableName\":");
    ddb_buf_json_str(out, t->name, strlen(t->name));
    ddb_buf_putc(out, ',');
    s_units(out, total);
    if (capacity == RD_RCC_INDEXES) {
        ddb_buf_puts(out, ",\"Table\":{");
        s_units(out, u->table);
        ddb_buf_putc(out, '}');
        s_index_units_json(out, t, u, false);
        s_index_units_json(out, t, u, true);
    }
    ddb_buf_putc(out, '}');
}

/* ---- item collections ---- */

int rd_item_collection_json(rd_req_t *req, const rd_item_key_t *key, ddb_buf_t *out)
{
    const rd_table_t *t = req->table;
    int64_t bytes;
    if (rd_index_collection_size(req->store, t, &key->bytes, &bytes, req->err) != 0)
        return -1;
    /* The service gives a coarse estimate in whole GB: [0.0, 1.0] under 1 GB. */
    double lower = (double)(bytes / (1024LL * 1024 * 1024));
    ddb_buf_puts(out, "{\"ItemCollectionKey\":{");
    ddb_buf_json_str(out, t->hash_key.name, strlen(t->hash_key.name));
    ddb_buf_putc(out, ':');
    ddb_value_to_json(ddb_item_get(key->map, t->hash_key.name, strlen(t->hash_key.name)), out);
    ddb_buf_printf(out, "},\"SizeEstimateRangeGB\":[%.1f,%.1f]}", lower, lower + 1.0);
    return 0;
}

/* ---- answers ---- */

/* Appends "<member>":<attrs> when there is something to return; true if it did. */
static bool s_attrs_json(ddb_buf_t *out, const char *member, const rd_item_attrs_t *attrs)
{
    if (attrs->value && !(attrs->omit_empty && attrs->value->u.map.count == 0)) {
        ddb_buf_printf(out, "\"%s\":", member);
        ddb_item_to_json(attrs->value, out);
        return true;
    }
    if (!attrs->value && attrs->text && attrs->text->json) {
        ddb_buf_printf(out, "\"%s\":", member);
        ddb_buf_append(out, attrs->text->json, attrs->text->len);
        return true;
    }
    return false;
}

void rd_item_answer(rd_req_t *req, const char *member, const rd_item_attrs_t *attrs, rd_capacity_mode_t capacity,
                    double units)
{
    ddb_buf_putc(req->out, '{');
    bool comma = s_attrs_json(req->out, member, attrs);
    if (capacity != RD_RCC_NONE) {
        ddb_buf_puts(req->out, comma ? ",\"ConsumedCapacity\":" : "\"ConsumedCapacity\":");
        rd_item_capacity_json(req->out, req->table->name, units, capacity);
    }
    ddb_buf_putc(req->out, '}');
}

int rd_item_write_answer(rd_req_t *req, const rd_item_attrs_t *attrs, const rd_item_opts_t *opts,
                         const rd_item_units_t *units, const rd_item_key_t *key)
{
    ddb_buf_t collection = DDB_BUF_INIT;   /* measured first: a failure answers nothing */
    if (opts->collection_size && rd_index_has_lsi(req->table) && rd_item_collection_json(req, key, &collection) != 0) {
        ddb_buf_free(&collection);
        return -1;
    }
    ddb_buf_putc(req->out, '{');
    bool comma = s_attrs_json(req->out, "Attributes", attrs);
    if (opts->capacity != RD_RCC_NONE) {
        ddb_buf_puts(req->out, comma ? ",\"ConsumedCapacity\":" : "\"ConsumedCapacity\":");
        rd_item_write_capacity_json(req->out, req->table, units, opts->capacity);
        comma = true;
    }
    if (collection.len) {
        ddb_buf_puts(req->out, comma ? ",\"ItemCollectionMetrics\":" : "\"ItemCollectionMetrics\":");
        ddb_buf_append(req->out, collection.data, collection.len);
    }
    ddb_buf_putc(req->out, '}');
    ddb_buf_free(&collection);
    return 0;
}
