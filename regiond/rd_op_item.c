/* rd_op_item: PutItem, GetItem and DeleteItem. Items are validated by the value model,
 * keyed by order-preserving key bytes and stored as canonical JSON, which a GetItem
 * without projection splices into its answer. Conditions and update expressions come
 * with a later issue: requests using them are refused, never half-honoured. */
#include "rd_op_item.h"

#include <stdio.h>
#include <string.h>

#include "ddb_key.h"
#include "ddb_value.h"
#include "rd_json.h"

#define HASH_KEY_MAX_BYTES 2048
#define RANGE_KEY_MAX_BYTES 1024

static const char s_invalid[] = "One or more parameter values were invalid: ";

/* ---- request checks shared by the item operations ---- */

/* ReturnValues of PutItem and DeleteItem: NONE or ALL_OLD. *all_old says which. */
static int s_return_values(rd_req_t *req, bool *all_old)
{
    static const char *const known[] = { "NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW", NULL };
    const char *rv;
    *all_old = false;
    if (rd_json_string(req->body, "ReturnValues", &rv, req->err) != 0)
        return -1;
    if (!rv || strcmp(rv, "NONE") == 0)
        return 0;
    if (strcmp(rv, "ALL_OLD") == 0) {
        *all_old = true;
        return 0;
    }
    const char *const *k = known;
    while (*k && strcmp(*k, rv) != 0)
        k++;
    if (!*k)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "1 validation error detected: Value '%s' at 'returnValues' failed to satisfy constraint: "
                           "Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
                           rv);
    return ddb_err_set(req->err, DDB_ERR_VALIDATION, "1 validation error detected: ReturnValues can only be ALL_OLD or NONE");
}

/* Conditions (ConditionExpression, legacy Expected) arrive with the expressions
 * issue; expression attribute maps without any expression are the service's error. */
static int s_refuse_conditions(rd_req_t *req)
{
    static const char *const later[] = { "ConditionExpression", "Expected", "ConditionalOperator",
                                         "ReturnValuesOnConditionCheckFailure", NULL };
    for (const char *const *m = later; *m; m++)
        if (rd_json_has(req->body, *m))
            return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%s%s is not supported by Meridian yet", s_invalid, *m);
    if (rd_json_has(req->body, "ExpressionAttributeNames"))
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "1 validation error detected: ExpressionAttributeNames can only be specified when using "
                           "expressions");
    if (rd_json_has(req->body, "ExpressionAttributeValues"))
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "1 validation error detected: ExpressionAttributeValues can only be specified when using "
                           "expressions");
    return 0;
}

/* The attribute map in member `field` (Item or Key), converted by the value model. */
static ddb_value_t *s_attr_map(rd_req_t *req, const char *field, const char *path)
{
    const cJSON *obj;
    if (rd_json_object(req->body, field, &obj, req->err) != 0)
        return NULL;
    if (!obj) {
        ddb_err_set(req->err, DDB_ERR_VALIDATION,
                    "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be "
                    "null", path);
        return NULL;
    }
    return ddb_item_from_json(obj, req->arena, req->err);
}

/* ---- keys ---- */

/* A key attribute's value must not be empty. */
static int s_key_not_empty(rd_req_t *req, const rd_attr_def_t *attr, const ddb_value_t *v)
{
    if (v->u.str.len > 0)
        return 0;
    return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                       "One or more parameter values are not valid. The AttributeValue for a key attribute cannot "
                       "contain an empty %s value. Key: %s", v->type == DDB_T_B ? "binary" : "string", attr->name);
}

/* The item's (or key's) key bytes and key JSON, in the arena. */
typedef struct s_item_key {
    rd_key_bytes_t bytes;    /* encoded pk / sk */
    const char *json;        /* the key attributes, e.g. {"id":{"S":"x"}} */
} s_item_key_t;

/* Encodes the key attributes of a checked map (which holds them, rightly typed). */
static int s_encode_key(rd_req_t *req, const rd_table_t *t, const ddb_value_t *map, s_item_key_t *key)
{
    const rd_attr_def_t *attrs[2] = { &t->hash_key, t->range_key.name ? &t->range_key : NULL };
    ddb_value_t *key_map = ddb_value_new_map(req->arena, 2);
    memset(key, 0, sizeof(*key));
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
        ddb_map_put(key_map, name, v);
    }
    ddb_buf_t json = DDB_BUF_INIT;
    ddb_item_to_json(key_map, &json);
    key->json = ddb_arena_strndup(req->arena, json.data ? json.data : "{}", json.len);
    ddb_buf_free(&json);
    return 0;
}

/* PutItem's Item must hold every key attribute, rightly typed. */
static int s_item_key(rd_req_t *req, const rd_table_t *t, const ddb_value_t *item, s_item_key_t *key)
{
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
    return s_encode_key(req, t, item, key);
}

/* GetItem's and DeleteItem's Key must hold exactly the key attributes, rightly typed. */
static int s_key_arg(rd_req_t *req, const rd_table_t *t, const ddb_value_t *key_map, s_item_key_t *key)
{
    size_t want = t->range_key.name ? 2 : 1;
    bool ok = key_map->u.map.count == want;
    for (size_t i = 0; ok && i < key_map->u.map.count; i++) {
        const ddb_attr_t *a = &key_map->u.map.attrs[i];
        const rd_attr_def_t *def = rd_table_key_attr(t, a->name.ptr, a->name.len);
        ok = def && def->type == a->value->type;
    }
    if (!ok)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "The provided key element does not match the schema");
    return s_encode_key(req, t, key_map, key);
}

/* {"Attributes":<old>} for ALL_OLD when there was an item, else {}. */
static void s_answer_old(rd_req_t *req, bool all_old, const rd_item_text_t *old)
{
    if (!all_old || !old->json) {
        ddb_buf_puts(req->out, "{}");
        return;
    }
    ddb_buf_puts(req->out, "{\"Attributes\":");
    ddb_buf_append(req->out, old->json, old->len);
    ddb_buf_puts(req->out, "}");
}

/* ---- PutItem ---- */

int rd_op_put_item(rd_req_t *req)
{
    bool all_old;
    ddb_value_t *item = s_attr_map(req, "Item", "item");
    if (!item || s_return_values(req, &all_old) != 0 || s_refuse_conditions(req) != 0 || rd_req_table(req) != 0)
        return -1;
    s_item_key_t key;
    if (s_item_key(req, req->table, item, &key) != 0)
        return -1;
    size_t size = ddb_item_size(item);
    if (size > DDB_ITEM_MAX_SIZE)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "Item size has exceeded the maximum allowed size");
    ddb_buf_t json = DDB_BUF_INIT;
    ddb_item_to_json(item, &json);
    rd_write_t w = { key.bytes, key.json, item, json.data, json.len, (int64_t)size };
    rd_item_text_t old;
    int rc = rd_store_write_item(req->store, req->table, &w, req->arena, &old, req->err);
    ddb_buf_free(&json);
    if (rc != 0)
        return -1;
    s_answer_old(req, all_old, &old);
    return 0;
}

/* ---- DeleteItem ---- */

int rd_op_delete_item(rd_req_t *req)
{
    bool all_old;
    ddb_value_t *key_map = s_attr_map(req, "Key", "key");
    if (!key_map || s_return_values(req, &all_old) != 0 || s_refuse_conditions(req) != 0 || rd_req_table(req) != 0)
        return -1;
    s_item_key_t key;
    if (s_key_arg(req, req->table, key_map, &key) != 0)
        return -1;
    rd_write_t w = { key.bytes, key.json, NULL, NULL, 0, 0 };
    rd_item_text_t old;
    if (rd_store_write_item(req->store, req->table, &w, req->arena, &old, req->err) != 0)
        return -1;
    s_answer_old(req, all_old, &old);
    return 0;
}

/* ---- GetItem ---- */

/* The top-level attribute names a GetItem asks for. */
typedef struct s_projection {
    const char **names;   /* arena array of attribute names */
    size_t count;         /* 0 with names NULL: the whole item */
} s_projection_t;

static bool s_is_name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool s_is_name_char(char c)
{
    return s_is_name_start(c) || (c >= '0' && c <= '9') || c == '_';
}

/* Adds a resolved name, rejecting a repeat as the service does. */
static int s_projection_add(rd_req_t *req, s_projection_t *p, const char *name, const char *expr_kind)
{
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->names[i], name) == 0) {
            if (strcmp(expr_kind, "AttributesToGet") == 0)
                return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%sDuplicate value in attribute name: %s", s_invalid,
                                   name);
            return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                               "Invalid ProjectionExpression: Two document paths overlap with each other; must remove "
                               "or rewrite one of these paths; path one: [%s], path two: [%s]", name, name);
        }
    p->names[p->count++] = name;
    return 0;
}

/* Marks #name used in names_used (parallel to the ExpressionAttributeNames members). */
static const char *s_substitute(rd_req_t *req, const cJSON *names, bool *names_used, const char *token)
{
    int i = 0;
    const cJSON *n;
    cJSON_ArrayForEach(n, names) {
        if (strcmp(n->string, token) == 0) {
            names_used[i] = true;
            return n->valuestring;
        }
        i++;
    }
    ddb_err_set(req->err, DDB_ERR_VALIDATION,
                "Invalid ProjectionExpression: An expression attribute name used in the document path is not "
                "defined; attribute name: %s", token);
    return NULL;
}

/* One comma-separated element of a ProjectionExpression: name, #name; nested paths
 * (a.b, a[0]) come with the expressions issue. */
static int s_projection_element(rd_req_t *req, const char *start, size_t len, const cJSON *names, bool *names_used,
                                s_projection_t *p)
{
    char *token = ddb_arena_strndup(req->arena, start, len);
    size_t i = token[0] == '#' ? 1 : 0;
    if (len == i || (i == 0 && !s_is_name_start(token[0])))
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "Invalid ProjectionExpression: Syntax error; token: \"%.1s\", near: \"%.2s\"",
                           len ? token : ",", len ? token : ",");
    while (i < len && s_is_name_char(token[i]))
        i++;
    if (i < len && (token[i] == '.' || token[i] == '['))
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "Invalid ProjectionExpression: nested document paths are not supported by Meridian yet; "
                           "path: %s", token);
    if (i < len)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "Invalid ProjectionExpression: Syntax error; token: \"%.1s\", near: \"%.*s\"", token + i,
                           (int)(len - i < 2 ? len - i : 2), token + i);
    const char *name = token[0] == '#' ? s_substitute(req, names, names_used, token) : token;
    return name ? s_projection_add(req, p, name, "ProjectionExpression") : -1;
}

/* Every ExpressionAttributeNames entry must be used. */
static int s_names_all_used(rd_req_t *req, const cJSON *names, const bool *names_used)
{
    char unused[512];
    size_t len = 0;
    int i = 0;
    const cJSON *n;
    cJSON_ArrayForEach(n, names) {
        if (!names_used[i++] && len < sizeof(unused)) {
            int w = snprintf(unused + len, sizeof(unused) - len, "%s%s", len ? ", " : "", n->string);
            len += w > 0 ? (size_t)w : 0;
        }
    }
    if (len == 0)
        return 0;
    return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                       "Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", unused);
}

/* ExpressionAttributeNames: non-empty, keys #name, string values. */
static int s_check_names(rd_req_t *req, const cJSON *names)
{
    if (!names->child)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "ExpressionAttributeNames must not be empty");
    const cJSON *n;
    cJSON_ArrayForEach(n, names) {
        if (rd_json_expect_string(n, req->err) != 0)
            return -1;
        bool ok = n->string[0] == '#' && n->string[1] != '\0';
        for (const char *c = n->string + 1; ok && *c; c++)
            ok = s_is_name_char(*c);
        if (!ok)
            return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                               "ExpressionAttributeNames contains invalid key: Syntax error; key: \"%s\"", n->string);
    }
    return 0;
}

static int s_projection_expression(rd_req_t *req, const char *expr, const cJSON *names, s_projection_t *p)
{
    if (names && s_check_names(req, names) != 0)
        return -1;
    size_t n_names = names ? (size_t)cJSON_GetArraySize(names) : 0;
    bool *names_used = ddb_arena_calloc(req->arena, n_names + 1, sizeof(bool));
    size_t elements = 1;
    for (const char *c = expr; *c; c++)
        elements += *c == ',';
    p->names = ddb_arena_calloc(req->arena, elements, sizeof(char *));
    const char *c = expr;
    bool blank = true;
    for (const char *q = expr; *q; q++)
        blank = blank && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r');
    if (blank)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "Invalid ProjectionExpression: The expression can not be empty;");
    for (;;) {
        while (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r')
            c++;
        const char *end = c;
        while (*end && *end != ',')
            end++;
        const char *last = end;
        while (last > c && (last[-1] == ' ' || last[-1] == '\t' || last[-1] == '\n' || last[-1] == '\r'))
            last--;
        if (s_projection_element(req, c, (size_t)(last - c), names, names_used, p) != 0)
            return -1;
        if (!*end)
            break;
        c = end + 1;
    }
    return names ? s_names_all_used(req, names, names_used) : 0;
}

static int s_attributes_to_get(rd_req_t *req, const cJSON *list, s_projection_t *p)
{
    int n = cJSON_GetArraySize(list);
    if (n == 0)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: "
                           "Member must have length greater than or equal to 1");
    p->names = ddb_arena_calloc(req->arena, (size_t)n, sizeof(char *));
    const cJSON *e;
    cJSON_ArrayForEach(e, list) {
        if (rd_json_expect_string(e, req->err) != 0 ||
            s_projection_add(req, p, e->valuestring, "AttributesToGet") != 0)
            return -1;
    }
    return 0;
}

/* ProjectionExpression (top-level names, #name substitution) or legacy
 * AttributesToGet; neither means the whole item. */
static int s_projection(rd_req_t *req, s_projection_t *p)
{
    memset(p, 0, sizeof(*p));
    const char *expr;
    const cJSON *names, *attrs;
    if (rd_json_string(req->body, "ProjectionExpression", &expr, req->err) != 0 ||
        rd_json_object(req->body, "ExpressionAttributeNames", &names, req->err) != 0 ||
        rd_json_list(req->body, "AttributesToGet", &attrs, req->err) != 0)
        return -1;
    if (expr && attrs)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "Can not use both expression and non-expression parameters in the same request: "
                           "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}");
    if (names && !expr)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "ExpressionAttributeNames can only be specified when using expressions");
    if (expr)
        return s_projection_expression(req, expr, names, p);
    return attrs ? s_attributes_to_get(req, attrs, p) : 0;
}

/* {"Item":{...}} holding only the projected attributes present in the item. */
static int s_answer_projected(rd_req_t *req, const rd_item_text_t *item, const s_projection_t *p)
{
    cJSON *parsed = cJSON_ParseWithLength(item->json, item->len);
    ddb_value_t *value = parsed ? ddb_item_from_json(parsed, req->arena, req->err) : NULL;
    cJSON_Delete(parsed);
    if (!value)
        return ddb_err_set(req->err, DDB_ERR_INTERNAL, "Internal server error");
    ddb_value_t *picked = ddb_value_new_map(req->arena, p->count);
    for (size_t i = 0; i < p->count; i++) {
        ddb_value_t *v = ddb_item_get(value, p->names[i], strlen(p->names[i]));
        if (v) {
            ddb_str_t name = { p->names[i], strlen(p->names[i]) };
            ddb_map_put(picked, name, v);
        }
    }
    ddb_buf_puts(req->out, "{\"Item\":");
    ddb_item_to_json(picked, req->out);
    ddb_buf_puts(req->out, "}");
    return 0;
}

int rd_op_get_item(rd_req_t *req)
{
    s_projection_t projection;
    bool present, consistent;   /* every read here is strongly consistent */
    ddb_value_t *key_map = s_attr_map(req, "Key", "key");
    if (!key_map || rd_json_bool(req->body, "ConsistentRead", &present, &consistent, req->err) != 0 ||
        s_projection(req, &projection) != 0 || rd_req_table(req) != 0)
        return -1;
    s_item_key_t key;
    rd_item_text_t item;
    if (s_key_arg(req, req->table, key_map, &key) != 0 ||
        rd_store_item_get(req->store, req->table, &key.bytes, req->arena, &item, req->err) != 0)
        return -1;
    if (!item.json) {
        ddb_buf_puts(req->out, "{}");
        return 0;
    }
    if (projection.names)
        return s_answer_projected(req, &item, &projection);
    ddb_buf_puts(req->out, "{\"Item\":");
    ddb_buf_append(req->out, item.json, item.len);
    ddb_buf_puts(req->out, "}");
    return 0;
}
