/* fuzz_value: libFuzzer target for the attribute-value model (common/ddb_value.c,
 * ddb_num.c, ddb_key.c). JSON text -> cJSON -> ddb_item_from_json and
 * ddb_value_from_json; whatever converts must survive to_json -> parse -> from_json
 * equal, the same size and in the same canonical text; scalar key attributes must
 * survive the order-preserving key encoding, whose byte order must agree with the
 * value order for the numbers and strings of each set. Aborts on any mismatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_key.h"
#include "ddb_value.h"

static ddb_arena_t *g_arena;

static void s_die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_value: %s: %s\n", what, detail ? detail : "");
    abort();
}

static char *s_text(const ddb_value_t *v, bool item)
{
    ddb_buf_t b = DDB_BUF_INIT;
    if (item)
        ddb_item_to_json(v, &b);
    else
        ddb_value_to_json(v, &b);
    char *text = ddb_buf_steal(&b, NULL);
    return text ? text : strdup("");
}

/* A conversion failure must carry one of the two error kinds the service uses. */
static void s_check_error(const ddb_err_t *err)
{
    if (err->kind != DDB_ERR_VALIDATION && err->kind != DDB_ERR_SERIALIZATION)
        s_die("conversion failed with an unexpected error kind", err->message);
}

static int s_sign(int x)
{
    return (x > 0) - (x < 0);
}

static int s_bytes_cmp(const ddb_buf_t *x, const ddb_buf_t *y)
{
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->data, y->data, n) : 0;
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int s_str_cmp(const ddb_str_t *x, const ddb_str_t *y)
{
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->ptr, y->ptr, n) : 0;
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Key encoding of one scalar: decodes back to an equal value. */
static void s_check_key(const ddb_value_t *v, ddb_buf_t *enc)
{
    ddb_err_t err = DDB_ERR_INIT;
    ddb_buf_clear(enc);
    if (ddb_key_encode(v, enc, &err) != 0)
        s_die("key encoding of a scalar failed", err.message);
    ddb_value_t *back = ddb_key_decode(v->type, (const unsigned char *)enc->data, enc->len, g_arena);
    if (!back || !ddb_value_equal(v, back))
        s_die("key encoding does not decode to the same value", v->u.str.ptr);
}

/* Members of a set, pairwise: encoding order == value order. */
static void s_check_set_order(const ddb_value_t *set)
{
    ddb_type_t t = set->type == DDB_T_SS ? DDB_T_S : set->type == DDB_T_NS ? DDB_T_N : DDB_T_B;
    ddb_buf_t ex = DDB_BUF_INIT, ey = DDB_BUF_INIT;
    size_t n = set->u.set.count < 8 ? set->u.set.count : 8;
    for (size_t i = 0; i < n; i++) {
        ddb_value_t x = { .type = t, .u.str = set->u.set.members[i] };
        s_check_key(&x, &ex);
        for (size_t j = i + 1; j < n; j++) {
            ddb_value_t y = { .type = t, .u.str = set->u.set.members[j] };
            s_check_key(&y, &ey);
            int want;
            if (t == DDB_T_N) {
                ddb_num_t nx, ny;
                ddb_err_t err = DDB_ERR_INIT;
                if (ddb_value_get_num(&x, &nx, &err) || ddb_value_get_num(&y, &ny, &err))
                    s_die("a canonical number does not parse", err.message);
                want = ddb_num_cmp(&nx, &ny);
            } else {
                want = s_str_cmp(&x.u.str, &y.u.str);
            }
            if (want == 0)
                s_die("a set holds two equal members", x.u.str.ptr);
            if (s_sign(s_bytes_cmp(&ex, &ey)) != s_sign(want))
                s_die("key encoding order differs from value order", x.u.str.ptr);
        }
    }
    ddb_buf_free(&ex);
    ddb_buf_free(&ey);
}

/* Walks a converted value: numbers are canonical (format(parse(text)) == text),
 * scalars survive key encoding, set members are ordered consistently. */
static void s_walk(const ddb_value_t *v, int depth)
{
    ddb_buf_t enc = DDB_BUF_INIT;
    switch (v->type) {
    case DDB_T_N: {
        ddb_num_t n;
        ddb_err_t err = DDB_ERR_INIT;
        char canon[DDB_NUM_TEXT_MAX];
        if (ddb_value_get_num(v, &n, &err) != 0)
            s_die("a converted number does not parse", err.message);
        size_t len = ddb_num_format(&n, canon);
        if (len != v->u.str.len || memcmp(canon, v->u.str.ptr, len) != 0)
            s_die("a converted number is not canonical", v->u.str.ptr);
        s_check_key(v, &enc);
        break;
    }
    case DDB_T_S:
    case DDB_T_B:
        s_check_key(v, &enc);
        break;
    case DDB_T_M:
        for (size_t i = 0; i < v->u.map.count; i++)
            s_walk(v->u.map.attrs[i].value, depth + 1);
        break;
    case DDB_T_L:
        for (size_t i = 0; i < v->u.list.count; i++)
            s_walk(v->u.list.items[i], depth + 1);
        break;
    case DDB_T_SS:
    case DDB_T_NS:
    case DDB_T_BS:
        if (v->u.set.count == 0)
            s_die("an empty set was accepted", NULL);
        s_check_set_order(v);
        break;
    default:
        break;
    }
    ddb_buf_free(&enc);
}

/* The round-trip property for one converted value (item: an attribute map). */
static void s_round_trip(const ddb_value_t *v, bool item)
{
    char *text = s_text(v, item);
    cJSON *j = cJSON_Parse(text);
    if (!j)
        s_die("to_json produced invalid JSON", text);
    ddb_err_t err = DDB_ERR_INIT;
    ddb_value_t *back = item ? ddb_item_from_json(j, g_arena, &err) : ddb_value_from_json(j, g_arena, &err);
    cJSON_Delete(j);
    if (!back)
        s_die("to_json output does not convert back", err.message);
    if (!ddb_value_equal(v, back) || !ddb_value_equal(back, v))
        s_die("round trip changed the value", text);
    size_t size = item ? ddb_item_size(v) : ddb_value_size(v);
    size_t size_back = item ? ddb_item_size(back) : ddb_value_size(back);
    if (size != size_back)
        s_die("round trip changed the size", text);
    char *again = s_text(back, item);
    if (strcmp(text, again) != 0)
        s_die("to_json is not canonical (second round differs)", again);
    free(again);
    free(text);
    s_walk(v, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_arena)
        g_arena = ddb_arena_new(64 * 1024);
    ddb_arena_reset(g_arena);
    cJSON *root = cJSON_ParseWithLength((const char *)data, size);
    if (!root)
        return 0;
    ddb_err_t err = DDB_ERR_INIT;
    ddb_value_t *v = ddb_item_from_json(root, g_arena, &err);
    if (v)
        s_round_trip(v, true);
    else
        s_check_error(&err);
    err = (ddb_err_t)DDB_ERR_INIT;
    v = ddb_value_from_json(root, g_arena, &err);
    if (v)
        s_round_trip(v, false);
    else
        s_check_error(&err);
    /* and every member of a top-level object as one AttributeValue */
    if (cJSON_IsObject(root)) {
        for (const cJSON *it = root->child; it; it = it->next) {
            err = (ddb_err_t)DDB_ERR_INIT;
            v = ddb_value_from_json(it, g_arena, &err);
            if (v)
                s_round_trip(v, false);
            else
                s_check_error(&err);
        }
    }
    cJSON_Delete(root);
    return 0;
}
