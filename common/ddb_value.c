/* ddb_value: JSON AttributeValues <-> the arena tree of ddb_value_t, equality and
 * the service's item-size count. Decoding takes two passes, like the service: JSON
 * shapes and base64 first (SerializationException, which wins over anything else),
 * then validation and construction (ValidationException). */
#include "ddb_value.h"

#include <stdlib.h>
#include <string.h>

#define DDB_MAX_DEPTH DDB_VALUE_MAX_DEPTH   /* nested M/L levels the service accepts */
#define SMALL_COUNT 16     /* up to this many: pairwise compares instead of sorting */

/* ValidationException texts. */
#define MSG_INVALID "One or more parameter values were invalid: "
#define MSG_EMPTY_AV "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
#define MSG_MULTI_AV \
    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
#define MSG_NULL_FALSE MSG_INVALID "Null attribute value types must have the value of true"
#define MSG_SS_EMPTY MSG_INVALID "An string set  may not be empty"   /* sic, two spaces */
#define MSG_NS_EMPTY MSG_INVALID "An number set  may not be empty"
#define MSG_BS_EMPTY MSG_INVALID "Binary sets should not be empty"
#define MSG_NS_DUP "Input collection contains duplicates"
#define MSG_DEPTH "Nesting Levels have exceeded supported limits"
/* Attribute names (map keys at any level) are 1..65535 bytes; the service's words,
 * 65536 included, for PutItem, nested keys and UpdateItem alike. */
#define MAX_NAME_BYTES 65535
#define MSG_NAME_TOO_LARGE "1 validation error detected: Attribute name is too large, must be less than 65536 bytes"
/* Not confirmed against the service (null members of a set). */
#define MSG_SS_NULL MSG_INVALID "An string set may not have a null string as a member"
#define MSG_NS_NULL "The parameter cannot be converted to a numeric value"
#define MSG_BS_NULL MSG_INVALID "Binary sets may not contain null or empty values"

/* SerializationException texts (the front end's JSON deserializer). */
#define NS_AV "com.amazonaws.dynamodb.v20120810.AttributeValue"
#define SER_VALUE_TYPE "Unexpected value type in payload"
#define SER_AV_LIST "Unrecognized collection type class " NS_AV
#define SER_FIELD_TYPE "Unexpected field type"
#define SER_MAP_FOUND "Start of structure or map found where not expected"
#define SER_MAP_LIST "Unrecognized collection type java.util.Map<java.lang.String, " NS_AV ">"

static const char *const s_type_names[] = {
    [DDB_T_S] = "S", [DDB_T_N] = "N", [DDB_T_B] = "B", [DDB_T_BOOL] = "BOOL",
    [DDB_T_NULL] = "NULL", [DDB_T_M] = "M", [DDB_T_L] = "L", [DDB_T_SS] = "SS",
    [DDB_T_NS] = "NS", [DDB_T_BS] = "BS",
};

const char *ddb_type_name(ddb_type_t t)
{
    if ((unsigned)t > DDB_T_BS)
        return "?";
    return s_type_names[t];
}

int ddb_type_parse(const char *name, ddb_type_t *out)
{
    if (!name)
        return -1;
    switch (name[0]) {
    case 'S':
        if (!name[1]) { *out = DDB_T_S; return 0; }
        if (name[1] == 'S' && !name[2]) { *out = DDB_T_SS; return 0; }
        return -1;
    case 'N':
        if (!name[1]) { *out = DDB_T_N; return 0; }
        if (name[1] == 'S' && !name[2]) { *out = DDB_T_NS; return 0; }
        if (strcmp(name, "NULL") == 0) { *out = DDB_T_NULL; return 0; }
        return -1;
    case 'B':
        if (!name[1]) { *out = DDB_T_B; return 0; }
        if (name[1] == 'S' && !name[2]) { *out = DDB_T_BS; return 0; }
        if (strcmp(name, "BOOL") == 0) { *out = DDB_T_BOOL; return 0; }
        return -1;
    case 'M':
        if (!name[1]) { *out = DDB_T_M; return 0; }
        return -1;
    case 'L':
        if (!name[1]) { *out = DDB_T_L; return 0; }
        return -1;
    default:
        return -1;
    }
}

/* ---- pass 1: JSON shapes (SerializationException) ---- */

static int s_ser(ddb_err_t *err, const char *msg)
{
    return ddb_err_set(err, DDB_ERR_SERIALIZATION, "%s", msg);
}

/* The deserializer's token name for a JSON number: integral values are
 * NUMBER_VALUE, anything else DECIMAL_VALUE. cJSON keeps no token text, so "1e3"
 * counts as integral here while the service would call it a decimal. */
static const char *s_number_token(const cJSON *v)
{
    double d = v->valuedouble;
    if (d >= -9.2e18 && d <= 9.2e18 && (double)(long long)d == d)
        return "NUMBER_VALUE";
    return "DECIMAL_VALUE";
}

static int s_check_string(const cJSON *v, ddb_err_t *err)
{
    if (cJSON_IsString(v) || cJSON_IsNull(v))
        return 0;
    if (cJSON_IsTrue(v))
        return s_ser(err, "TRUE_VALUE cannot be converted to String");
    if (cJSON_IsFalse(v))
        return s_ser(err, "FALSE_VALUE cannot be converted to String");
    if (cJSON_IsNumber(v))
        return ddb_err_set(err, DDB_ERR_SERIALIZATION, "%s cannot be converted to String", s_number_token(v));
    if (cJSON_IsArray(v))
        return s_ser(err, "Unrecognized collection type class java.lang.String");
    return s_ser(err, SER_MAP_FOUND);
}

/* The service accepts only canonical standard base64: padded to a multiple of 4,
 * with the unused bits of the last character zero. */
static int s_check_base64(const char *s, size_t len, ddb_err_t *err)
{
    if (len % 4)
        return ddb_err_set(err, DDB_ERR_SERIALIZATION,
                           "Base64 encoded length is expected a multiple of 4 bytes but found: %zu", len);
    size_t pad = 0;
    while (pad < len && pad < 3 && s[len - 1 - pad] == '=')
        pad++;
    if (pad) {
        int last = pad < len ? ddb_base64_digit((unsigned char)s[len - 1 - pad]) : -1;
        if (pad > 2 || last < 0 || (pad == 1 && (last & 3)) || (pad == 2 && (last & 15)))
            return s_ser(err, "Invalid last non-pad Base64 character dectected");   /* sic */
    }
    for (size_t i = 0; i < len - pad; i++)
        if (ddb_base64_digit((unsigned char)s[i]) < 0)   /* wording not confirmed */
            return ddb_err_set(err, DDB_ERR_SERIALIZATION, "Invalid Base64 character: '%c'", s[i]);
    return 0;
}

static int s_check_blob(const cJSON *v, ddb_err_t *err)
{
    if (cJSON_IsNull(v))
        return 0;
    if (cJSON_IsString(v))
        return s_check_base64(v->valuestring, strlen(v->valuestring), err);
    if (cJSON_IsBool(v) || cJSON_IsNumber(v))
        return s_ser(err, "only base-64-encoded strings are convertible to bytes");
    if (cJSON_IsArray(v))
        return s_ser(err, "Unrecognized collection type class java.nio.ByteBuffer");
    return s_ser(err, SER_MAP_FOUND);
}

static int s_check_bool(const cJSON *v, ddb_err_t *err)
{
    if (cJSON_IsBool(v) || cJSON_IsNull(v))
        return 0;
    if (cJSON_IsString(v))
        return s_ser(err, "Unexpected token received from parser");
    if (cJSON_IsNumber(v))
        return ddb_err_set(err, DDB_ERR_SERIALIZATION, "%s cannot be converted to Boolean", s_number_token(v));
    if (cJSON_IsArray(v))
        return s_ser(err, "Unrecognized collection type class java.lang.Boolean");
    return s_ser(err, SER_MAP_FOUND);
}

static int s_check_av(const cJSON *av, ddb_err_t *err);

static int s_check_member(ddb_type_t t, const cJSON *v, ddb_err_t *err)
{
    switch (t) {
    case DDB_T_S:
    case DDB_T_N:
        return s_check_string(v, err);
    case DDB_T_B:
        return s_check_blob(v, err);
    case DDB_T_BOOL:
    case DDB_T_NULL:
        return s_check_bool(v, err);
    case DDB_T_M:
        if (cJSON_IsArray(v))
            return s_ser(err, SER_MAP_LIST);
        if (!cJSON_IsObject(v))
            return s_ser(err, SER_FIELD_TYPE);
        for (const cJSON *c = v->child; c; c = c->next)
            if (s_check_av(c, err) != 0)
                return -1;
        return 0;
    case DDB_T_L:
    case DDB_T_SS:
    case DDB_T_NS:
    case DDB_T_BS:
        if (cJSON_IsObject(v))
            return s_ser(err, SER_MAP_FOUND);
        if (!cJSON_IsArray(v))
            return s_ser(err, SER_FIELD_TYPE);
        for (const cJSON *c = v->child; c; c = c->next) {
            int rc = t == DDB_T_L ? s_check_av(c, err) : t == DDB_T_BS ? s_check_blob(c, err) : s_check_string(c, err);
            if (rc != 0)
                return -1;
        }
        return 0;
    }
    return 0;
}

/* One AttributeValue in a map or list (the deserializer's "value struct"). Unknown
 * members and null members are dropped by the deserializer, so they are ignored. */
static int s_check_av(const cJSON *av, ddb_err_t *err)
{
    if (!av || cJSON_IsNull(av))
        return 0;
    if (cJSON_IsArray(av))
        return s_ser(err, SER_AV_LIST);
    if (!cJSON_IsObject(av))
        return s_ser(err, SER_VALUE_TYPE);
    for (const cJSON *m = av->child; m; m = m->next) {
        ddb_type_t t;
        if (cJSON_IsNull(m) || ddb_type_parse(m->string, &t) != 0)
            continue;
        if (s_check_member(t, m, err) != 0)
            return -1;
    }
    return 0;
}

/* ---- pass 2: validation and construction (ValidationException) ---- */

static int s_str_cmp(const ddb_str_t *a, const ddb_str_t *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->ptr, b->ptr, n) : 0;
    if (c)
        return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

static int s_str_eq(const ddb_str_t *a, const ddb_str_t *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0);
}

/* qsort comparator over arrays of const ddb_str_t * (also ddb_attr_t *, whose first
 * member is its name); ties keep array position, so sorts are deterministic. */
static int s_cmp_str_ptr(const void *x, const void *y)
{
    const ddb_str_t *a = *(const ddb_str_t *const *)x, *b = *(const ddb_str_t *const *)y;
    int c = s_str_cmp(a, b);
    if (c)
        return c;
    return a < b ? -1 : a > b;
}

/* Whether members holds two equal byte strings: pairwise for small sets, sorted
 * pointers (in the arena) for large ones. */
static bool s_has_duplicates(const ddb_str_t *members, size_t n, ddb_arena_t *a)
{
    if (n <= SMALL_COUNT) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                if (s_str_eq(&members[i], &members[j]))
                    return true;
        return false;
    }
    const ddb_str_t **sorted = ddb_arena_alloc(a, n * sizeof(*sorted));
    for (size_t i = 0; i < n; i++)
        sorted[i] = &members[i];
    qsort(sorted, n, sizeof(*sorted), s_cmp_str_ptr);
    for (size_t i = 1; i < n; i++)
        if (s_str_eq(sorted[i - 1], sorted[i]))
            return true;
    return false;
}

/* "One or more ... Input collection [a, b, a]<suffix>" listing the members as sent. */
static void s_dup_error(const cJSON *arr, const char *suffix, ddb_err_t *err)
{
    ddb_buf_t msg = DDB_BUF_INIT;
    ddb_buf_puts(&msg, MSG_INVALID "Input collection [");
    for (const cJSON *c = arr->child; c && msg.len < sizeof(err->message); c = c->next) {
        if (c != arr->child)
            ddb_buf_puts(&msg, ", ");
        ddb_buf_puts(&msg, cJSON_IsString(c) ? c->valuestring : "null");
    }
    ddb_buf_putc(&msg, ']');
    ddb_buf_puts(&msg, suffix);
    ddb_err_set(err, DDB_ERR_VALIDATION, "%s", msg.data);
    ddb_buf_free(&msg);
}

static ddb_value_t *s_new_value(ddb_arena_t *a, ddb_type_t type)
{
    ddb_value_t *v = ddb_arena_alloc(a, sizeof(*v));
    memset(v, 0, sizeof(*v));
    v->type = type;
    return v;
}

static ddb_str_t s_copy(ddb_arena_t *a, const char *s, size_t len)
{
    ddb_str_t out = { ddb_arena_strndup(a, s, len), len };
    return out;
}

/* Canonical text of a number (validated) into the arena. */
static int s_number_text(const char *s, ddb_arena_t *a, ddb_str_t *out, ddb_err_t *err)
{
    ddb_num_t n;
    if (ddb_num_parse(s, strlen(s), &n, err) != 0)
        return -1;
    char text[DDB_NUM_TEXT_MAX];
    size_t len = ddb_num_format(&n, text);
    *out = s_copy(a, text, len);
    return 0;
}

/* Decoded bytes of a base64 string already checked by pass 1. */
static ddb_str_t s_blob(const char *s, ddb_arena_t *a)
{
    size_t len = strlen(s);
    unsigned char *bytes = ddb_arena_alloc(a, len / 4 * 3 + 4);
    long n = ddb_base64_decode(s, len, bytes);
    ddb_str_t out = { (const char *)bytes, n > 0 ? (size_t)n : 0 };
    return out;
}

static ddb_value_t *s_build(const cJSON *av, ddb_arena_t *a, int depth, ddb_err_t *err);

static ddb_value_t *s_build_set(ddb_type_t t, const cJSON *arr, ddb_arena_t *a, ddb_err_t *err)
{
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n == 0) {
        ddb_err_set(err, DDB_ERR_VALIDATION, "%s",
                    t == DDB_T_SS ? MSG_SS_EMPTY : t == DDB_T_NS ? MSG_NS_EMPTY : MSG_BS_EMPTY);
        return NULL;
    }
    ddb_value_t *v = s_new_value(a, t);
    ddb_str_t *members = ddb_arena_alloc(a, n * sizeof(*members));
    size_t i = 0;
    for (const cJSON *c = arr->child; c; c = c->next, i++) {
        if (!cJSON_IsString(c)) {
            ddb_err_set(err, DDB_ERR_VALIDATION, "%s",
                        t == DDB_T_SS ? MSG_SS_NULL : t == DDB_T_NS ? MSG_NS_NULL : MSG_BS_NULL);
            return NULL;
        }
        if (t == DDB_T_SS)
            members[i] = s_copy(a, c->valuestring, strlen(c->valuestring));
        else if (t == DDB_T_BS)
            members[i] = s_blob(c->valuestring, a);
        else if (s_number_text(c->valuestring, a, &members[i], err) != 0)
            return NULL;
    }
    /* number texts are canonical now, so byte equality is numeric equality */
    if (s_has_duplicates(members, n, a)) {
        if (t == DDB_T_NS)
            ddb_err_set(err, DDB_ERR_VALIDATION, MSG_NS_DUP);
        else
            s_dup_error(arr, t == DDB_T_SS ? " contains duplicates." : "of type BS contains duplicates.", err);
        return NULL;
    }
    v->u.set.members = members;
    v->u.set.count = n;
    return v;
}

/* Drops earlier occurrences of a repeated name, keeping the last value at the
 * first position (a JSON object read into a map: the last member wins). */
static void s_map_dedupe(ddb_value_t *map, ddb_arena_t *a)
{
    ddb_attr_t *attrs = map->u.map.attrs;
    size_t n = map->u.map.count;
    if (n < 2)
        return;
    bool *drop = NULL;
    if (n <= SMALL_COUNT) {
        for (size_t i = 0; i < n; i++) {
            if (drop && drop[i])
                continue;
            for (size_t j = i + 1; j < n; j++) {
                if (!s_str_eq(&attrs[i].name, &attrs[j].name))
                    continue;
                if (!drop)
                    drop = ddb_arena_calloc(a, n, sizeof(*drop));
                attrs[i].value = attrs[j].value;
                drop[j] = true;
            }
        }
    } else {
        ddb_attr_t **sorted = ddb_arena_alloc(a, n * sizeof(*sorted));
        for (size_t i = 0; i < n; i++)
            sorted[i] = &attrs[i];
        qsort(sorted, n, sizeof(*sorted), s_cmp_str_ptr);
        for (size_t i = 0; i + 1 < n; i++) {
            size_t j = i;
            while (j + 1 < n && s_str_eq(&sorted[i]->name, &sorted[j + 1]->name))
                j++;
            if (j == i)
                continue;
            if (!drop)
                drop = ddb_arena_calloc(a, n, sizeof(*drop));
            sorted[i]->value = sorted[j]->value;
            for (size_t k = i + 1; k <= j; k++)
                drop[sorted[k] - attrs] = true;
            i = j;
        }
    }
    if (!drop)
        return;
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        if (!drop[i])
            attrs[o++] = attrs[i];
    map->u.map.count = o;
}

/* Builds the members of a JSON object as a DDB_T_M value at the given depth. */
static ddb_value_t *s_build_map(const cJSON *obj, ddb_arena_t *a, int depth, ddb_err_t *err)
{
    size_t n = (size_t)cJSON_GetArraySize(obj);
    ddb_value_t *map = ddb_value_new_map(a, n);
    for (const cJSON *c = obj->child; c; c = c->next) {
        size_t name_len = strlen(c->string);
        if (name_len > MAX_NAME_BYTES) {
            ddb_err_set(err, DDB_ERR_VALIDATION, MSG_NAME_TOO_LARGE);
            return NULL;
        }
        ddb_value_t *child = s_build(c, a, depth, err);
        if (!child)
            return NULL;
        ddb_map_put(map, s_copy(a, c->string, name_len), child);
    }
    s_map_dedupe(map, a);
    return map;
}

static ddb_value_t *s_build_member(ddb_type_t t, const cJSON *m, ddb_arena_t *a, int depth, ddb_err_t *err)
{
    ddb_value_t *v;
    switch (t) {
    case DDB_T_S:
        v = s_new_value(a, t);
        v->u.str = s_copy(a, m->valuestring, strlen(m->valuestring));
        return v;
    case DDB_T_N:
        v = s_new_value(a, t);
        return s_number_text(m->valuestring, a, &v->u.str, err) == 0 ? v : NULL;
    case DDB_T_B:
        v = s_new_value(a, t);
        v->u.str = s_blob(m->valuestring, a);
        return v;
    case DDB_T_BOOL:
        return ddb_value_new_bool(a, cJSON_IsTrue(m));
    case DDB_T_NULL:
        if (!cJSON_IsTrue(m)) {
            ddb_err_set(err, DDB_ERR_VALIDATION, MSG_NULL_FALSE);
            return NULL;
        }
        return ddb_value_new_null(a);
    case DDB_T_SS:
    case DDB_T_NS:
    case DDB_T_BS:
        return s_build_set(t, m, a, err);
    case DDB_T_M:
        if (depth > DDB_MAX_DEPTH) {
            ddb_err_set(err, DDB_ERR_VALIDATION, MSG_DEPTH);
            return NULL;
        }
        return s_build_map(m, a, depth + 1, err);
    case DDB_T_L: {
        if (depth > DDB_MAX_DEPTH) {
            ddb_err_set(err, DDB_ERR_VALIDATION, MSG_DEPTH);
            return NULL;
        }
        size_t n = (size_t)cJSON_GetArraySize(m), i = 0;
        v = s_new_value(a, t);
        v->u.list.items = ddb_arena_alloc(a, (n ? n : 1) * sizeof(ddb_value_t *));
        for (const cJSON *c = m->child; c; c = c->next) {
            ddb_value_t *item = s_build(c, a, depth + 1, err);
            if (!item)
                return NULL;
            v->u.list.items[i++] = item;
        }
        v->u.list.count = i;
        return v;
    }
    }
    return NULL;
}

/* One AttributeValue whose JSON shapes pass 1 accepted. Each datatype present is
 * validated first, then the count, as the service orders its messages. */
static ddb_value_t *s_build(const cJSON *av, ddb_arena_t *a, int depth, ddb_err_t *err)
{
    ddb_value_t *result = NULL;
    unsigned seen = 0;
    if (av && cJSON_IsObject(av)) {
        for (const cJSON *m = av->child; m; m = m->next) {
            ddb_type_t t;
            if (cJSON_IsNull(m) || ddb_type_parse(m->string, &t) != 0)
                continue;
            ddb_value_t *v = s_build_member(t, m, a, depth, err);
            if (!v)
                return NULL;
            if (!result || result->type == t)
                result = v;
            seen |= 1u << t;
        }
    }
    if (!seen) {
        ddb_err_set(err, DDB_ERR_VALIDATION, MSG_EMPTY_AV);
        return NULL;
    }
    if (seen & (seen - 1)) {
        ddb_err_set(err, DDB_ERR_VALIDATION, MSG_MULTI_AV);
        return NULL;
    }
    return result;
}

ddb_value_t *ddb_value_from_json(const cJSON *av, ddb_arena_t *a, ddb_err_t *err)
{
    if (s_check_av(av, err) != 0)
        return NULL;
    return s_build(av, a, 1, err);
}

ddb_value_t *ddb_item_from_json(const cJSON *obj, ddb_arena_t *a, ddb_err_t *err)
{
    if (!obj || cJSON_IsNull(obj))
        return ddb_value_new_map(a, 0);
    if (cJSON_IsArray(obj)) {
        s_ser(err, SER_MAP_LIST);
        return NULL;
    }
    if (!cJSON_IsObject(obj)) {
        s_ser(err, SER_FIELD_TYPE);
        return NULL;
    }
    for (const cJSON *c = obj->child; c; c = c->next)
        if (s_check_av(c, err) != 0)
            return NULL;
    return s_build_map(obj, a, 1, err);
}

/* ---- output ---- */

void ddb_value_to_json(const ddb_value_t *v, ddb_buf_t *out)
{
    ddb_buf_puts(out, "{\"");
    ddb_buf_puts(out, ddb_type_name(v->type));
    ddb_buf_puts(out, "\":");
    switch (v->type) {
    case DDB_T_S:
        ddb_buf_json_str(out, v->u.str.ptr, v->u.str.len);
        break;
    case DDB_T_N:
        ddb_buf_putc(out, '"');
        ddb_buf_append(out, v->u.str.ptr, v->u.str.len);
        ddb_buf_putc(out, '"');
        break;
    case DDB_T_B:
        ddb_buf_putc(out, '"');
        ddb_buf_base64(out, (const unsigned char *)v->u.str.ptr, v->u.str.len);
        ddb_buf_putc(out, '"');
        break;
    case DDB_T_BOOL:
        ddb_buf_puts(out, v->u.boolean ? "true" : "false");
        break;
    case DDB_T_NULL:
        ddb_buf_puts(out, "true");
        break;
    case DDB_T_M:
        ddb_item_to_json(v, out);
        break;
    case DDB_T_L:
        ddb_buf_putc(out, '[');
        for (size_t i = 0; i < v->u.list.count; i++) {
            if (i)
                ddb_buf_putc(out, ',');
            ddb_value_to_json(v->u.list.items[i], out);
        }
        ddb_buf_putc(out, ']');
        break;
    case DDB_T_SS:
    case DDB_T_NS:
    case DDB_T_BS:
        ddb_buf_putc(out, '[');
        for (size_t i = 0; i < v->u.set.count; i++) {
            const ddb_str_t *m = &v->u.set.members[i];
            if (i)
                ddb_buf_putc(out, ',');
            if (v->type == DDB_T_SS) {
                ddb_buf_json_str(out, m->ptr, m->len);
            } else {
                ddb_buf_putc(out, '"');
                if (v->type == DDB_T_NS)
                    ddb_buf_append(out, m->ptr, m->len);
                else
                    ddb_buf_base64(out, (const unsigned char *)m->ptr, m->len);
                ddb_buf_putc(out, '"');
            }
        }
        ddb_buf_putc(out, ']');
        break;
    }
    ddb_buf_putc(out, '}');
}

void ddb_item_to_json(const ddb_value_t *item, ddb_buf_t *out)
{
    ddb_buf_putc(out, '{');
    for (size_t i = 0; i < item->u.map.count; i++) {
        const ddb_attr_t *at = &item->u.map.attrs[i];
        if (i)
            ddb_buf_putc(out, ',');
        ddb_buf_json_str(out, at->name.ptr, at->name.len);
        ddb_buf_putc(out, ':');
        ddb_value_to_json(at->value, out);
    }
    ddb_buf_putc(out, '}');
}

/* ---- lookup, equality, size ---- */

ddb_value_t *ddb_item_get(const ddb_value_t *item, const char *name, size_t name_len)
{
    if (!item || item->type != DDB_T_M)
        return NULL;
    for (size_t i = 0; i < item->u.map.count; i++) {
        const ddb_attr_t *at = &item->u.map.attrs[i];
        if (at->name.len == name_len && memcmp(at->name.ptr, name, name_len) == 0)
            return at->value;
    }
    return NULL;
}

/* Numeric equality of two N texts: equal canonical texts, else compare parsed. */
static bool s_num_text_equal(const ddb_str_t *a, const ddb_str_t *b)
{
    if (s_str_eq(a, b))
        return true;
    ddb_num_t x, y;
    if (ddb_num_parse(a->ptr, a->len, &x, NULL) != 0 || ddb_num_parse(b->ptr, b->len, &y, NULL) != 0)
        return false;
    return ddb_num_cmp(&x, &y) == 0;
}

static bool s_member_equal(ddb_type_t t, const ddb_str_t *a, const ddb_str_t *b)
{
    return t == DDB_T_NS ? s_num_text_equal(a, b) : s_str_eq(a, b);
}

/* Sorted copy of n pointers to ddb_str_t (or ddb_attr_t) with stride bytes
 * between elements; the caller frees it. */
static const ddb_str_t **s_sorted_ptrs(const void *base, size_t n, size_t stride)
{
    const ddb_str_t **p = malloc(n * sizeof(*p));
    if (!p)
        abort();
    for (size_t i = 0; i < n; i++)
        p[i] = (const ddb_str_t *)((const char *)base + i * stride);
    qsort(p, n, sizeof(*p), s_cmp_str_ptr);
    return p;
}

static bool s_set_equal(const ddb_value_t *a, const ddb_value_t *b)
{
    size_t n = a->u.set.count;
    if (n != b->u.set.count)
        return false;
    if (n <= SMALL_COUNT) {
        for (size_t i = 0; i < n; i++) {
            bool found = false;
            for (size_t j = 0; j < n && !found; j++)
                found = s_member_equal(a->type, &a->u.set.members[i], &b->u.set.members[j]);
            if (!found)
                return false;
        }
        return true;
    }
    /* large sets: both sides are deduplicated and, for NS, canonical texts */
    const ddb_str_t **x = s_sorted_ptrs(a->u.set.members, n, sizeof(ddb_str_t));
    const ddb_str_t **y = s_sorted_ptrs(b->u.set.members, n, sizeof(ddb_str_t));
    bool eq = true;
    for (size_t i = 0; i < n && eq; i++)
        eq = s_member_equal(a->type, x[i], y[i]);
    free(x);
    free(y);
    return eq;
}

static bool s_map_equal(const ddb_value_t *a, const ddb_value_t *b)
{
    size_t n = a->u.map.count;
    if (n != b->u.map.count)
        return false;
    if (n <= SMALL_COUNT) {
        for (size_t i = 0; i < n; i++) {
            const ddb_attr_t *at = &a->u.map.attrs[i];
            const ddb_value_t *other = ddb_item_get(b, at->name.ptr, at->name.len);
            if (!other || !ddb_value_equal(at->value, other))
                return false;
        }
        return true;
    }
    const ddb_str_t **x = s_sorted_ptrs(a->u.map.attrs, n, sizeof(ddb_attr_t));
    const ddb_str_t **y = s_sorted_ptrs(b->u.map.attrs, n, sizeof(ddb_attr_t));
    bool eq = true;
    for (size_t i = 0; i < n && eq; i++)
        eq = s_str_eq(x[i], y[i]) &&
             ddb_value_equal(((const ddb_attr_t *)x[i])->value, ((const ddb_attr_t *)y[i])->value);
    free(x);
    free(y);
    return eq;
}

bool ddb_value_equal(const ddb_value_t *a, const ddb_value_t *b)
{
    if (a == b)
        return true;
    if (!a || !b || a->type != b->type)
        return false;
    switch (a->type) {
    case DDB_T_S:
    case DDB_T_B:
        return s_str_eq(&a->u.str, &b->u.str);
    case DDB_T_N:
        return s_num_text_equal(&a->u.str, &b->u.str);
    case DDB_T_BOOL:
        return a->u.boolean == b->u.boolean;
    case DDB_T_NULL:
        return true;
    case DDB_T_M:
        return s_map_equal(a, b);
    case DDB_T_L:
        if (a->u.list.count != b->u.list.count)
            return false;
        for (size_t i = 0; i < a->u.list.count; i++)
            if (!ddb_value_equal(a->u.list.items[i], b->u.list.items[i]))
                return false;
        return true;
    case DDB_T_SS:
    case DDB_T_NS:
    case DDB_T_BS:
        return s_set_equal(a, b);
    }
    return false;
}

static size_t s_num_text_size(const ddb_str_t *text)
{
    ddb_num_t n;
    if (ddb_num_parse(text->ptr, text->len, &n, NULL) != 0)
        return text->len;   /* not produced by this module; count its text */
    return ddb_num_size(&n);
}

/* Sizes per the developer guide's "Item sizes and formats": strings and names in
 * UTF-8 bytes, binaries in raw bytes, numbers per ddb_num_size, BOOL and NULL one
 * byte, a List or Map 3 bytes plus 1 byte per element plus the elements (and, in a
 * map, their names), a set the sum of its members. */
size_t ddb_value_size(const ddb_value_t *v)
{
    size_t size = 0;
    switch (v->type) {
    case DDB_T_S:
    case DDB_T_B:
        return v->u.str.len;
    case DDB_T_N:
        return s_num_text_size(&v->u.str);
    case DDB_T_BOOL:
    case DDB_T_NULL:
        return 1;
    case DDB_T_M:
        return 3 + v->u.map.count + ddb_item_size(v);
    case DDB_T_L:
        size = 3 + v->u.list.count;
        for (size_t i = 0; i < v->u.list.count; i++)
            size += ddb_value_size(v->u.list.items[i]);
        return size;
    case DDB_T_SS:
    case DDB_T_BS:
        for (size_t i = 0; i < v->u.set.count; i++)
            size += v->u.set.members[i].len;
        return size;
    case DDB_T_NS:
        for (size_t i = 0; i < v->u.set.count; i++)
            size += s_num_text_size(&v->u.set.members[i]);
        return size;
    }
    return 0;
}

size_t ddb_item_size(const ddb_value_t *item)
{
    size_t size = 0;
    for (size_t i = 0; i < item->u.map.count; i++)
        size += item->u.map.attrs[i].name.len + ddb_value_size(item->u.map.attrs[i].value);
    return size;
}

/* ---- constructors ---- */

ddb_value_t *ddb_value_new_map(ddb_arena_t *a, size_t capacity)
{
    ddb_value_t *v = s_new_value(a, DDB_T_M);
    v->u.map.attrs = ddb_arena_alloc(a, (capacity ? capacity : 1) * sizeof(ddb_attr_t));
    v->u.map.count = 0;
    return v;
}

void ddb_map_put(ddb_value_t *map, ddb_str_t name, ddb_value_t *value)
{
    ddb_attr_t *at = &map->u.map.attrs[map->u.map.count++];
    at->name = name;
    at->value = value;
}

ddb_value_t *ddb_value_new_str(ddb_arena_t *a, ddb_type_t type, const char *ptr, size_t len)
{
    ddb_value_t *v = s_new_value(a, type);
    v->u.str = s_copy(a, ptr, len);
    return v;
}

ddb_value_t *ddb_value_new_num(ddb_arena_t *a, const ddb_num_t *n)
{
    char text[DDB_NUM_TEXT_MAX];
    size_t len = ddb_num_format(n, text);
    return ddb_value_new_str(a, DDB_T_N, text, len);
}

ddb_value_t *ddb_value_new_bool(ddb_arena_t *a, bool b)
{
    ddb_value_t *v = s_new_value(a, DDB_T_BOOL);
    v->u.boolean = b;
    return v;
}

ddb_value_t *ddb_value_new_null(ddb_arena_t *a)
{
    ddb_value_t *v = s_new_value(a, DDB_T_NULL);
    v->u.boolean = true;
    return v;
}

int ddb_value_get_num(const ddb_value_t *v, ddb_num_t *out, ddb_err_t *err)
{
    if (!v || v->type != DDB_T_N)
        return ddb_err_set(err, DDB_ERR_VALIDATION, MSG_NS_NULL);
    return ddb_num_parse(v->u.str.ptr, v->u.str.len, out, err);
}

size_t ddb_value_depth(const ddb_value_t *v)
{
    size_t deepest = 0;
    if (v->type == DDB_T_M) {
        for (size_t i = 0; i < v->u.map.count; i++) {
            size_t d = ddb_value_depth(v->u.map.attrs[i].value);
            deepest = d > deepest ? d : deepest;
        }
        return deepest + 1;
    }
    if (v->type == DDB_T_L) {
        for (size_t i = 0; i < v->u.list.count; i++) {
            size_t d = ddb_value_depth(v->u.list.items[i]);
            deepest = d > deepest ? d : deepest;
        }
        return deepest + 1;
    }
    return 0;
}

int ddb_item_check_depth(const ddb_value_t *item, ddb_err_t *err)
{
    for (size_t i = 0; i < item->u.map.count; i++)
        if (ddb_value_depth(item->u.map.attrs[i].value) > DDB_MAX_DEPTH)
            return ddb_err_set(err, DDB_ERR_VALIDATION, MSG_DEPTH);
    return 0;
}
