/* fuzz_expr: libFuzzer target for the expression module (common/ddb_expr*.c). The
 * first input byte selects the grammar (condition, filter, update, projection, key
 * condition), the rest is the expression text, parsed against a fixed context of
 * names and values; what parses is then evaluated, applied or projected against
 * fixed items, and the results are checked (valid items, copy-on-write). After a NUL
 * byte, the input may carry one more item as JSON ({"a":{"N":"1"}}), used too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_expr.h"

/* ExpressionAttributeNames and ExpressionAttributeValues of every input. */
static const char s_names_json[] =
    "{\"#a\":\"a\",\"#b\":\"b\",\"#n\":\"num\",\"#s\":\"str\",\"#l\":\"list\",\"#m\":\"map\","
    "\"#k\":\"pk\",\"#r\":\"sk\",\"#ss\":\"ss\",\"#ns\":\"ns\",\"#bs\":\"bs\",\"#e\":\"\","
    "\"#dot\":\"a.b\",\"#br\":\"x[1]\",\"#sz\":\"size\",\"#u\":\"\\u00e9t\\u00e9\"}";
static const char s_values_json[] =
    "{\":s\":{\"S\":\"abc\"},\":s2\":{\"S\":\"ab\"},\":e\":{\"S\":\"\"},"
    "\":n\":{\"N\":\"5\"},\":n2\":{\"N\":\"-1.5E-3\"},\":big\":{\"N\":\"9.9999999999999999999999999999999999999E+125\"},"
    "\":tiny\":{\"N\":\"1E-130\"},\":neg\":{\"N\":\"-9.9999999999999999999999999999999999999E+125\"},"
    "\":b\":{\"B\":\"AAEC\"},\":eb\":{\"B\":\"\"},\":t\":{\"BOOL\":true},\":f\":{\"BOOL\":false},"
    "\":z\":{\"NULL\":true},\":l\":{\"L\":[{\"N\":\"1\"},{\"S\":\"x\"},{\"L\":[]}]},\":el\":{\"L\":[]},"
    "\":m\":{\"M\":{\"a\":{\"N\":\"1\"},\"b\":{\"M\":{\"c\":{\"S\":\"d\"}}}}},\":em\":{\"M\":{}},"
    "\":ss\":{\"SS\":[\"abc\",\"x\",\"y\"]},\":ns\":{\"NS\":[\"1\",\"2.5\",\"-3\"]},"
    "\":bs\":{\"BS\":[\"AAEC\",\"AQ==\"]},\":ss1\":{\"SS\":[\"abc\"]},\":ns1\":{\"NS\":[\"5\"]}}";

/* The items conditions run against, updates are applied to and projections cut. */
static const char *const s_items_json[] = {
    "{\"pk\":{\"S\":\"abc\"},\"sk\":{\"N\":\"5\"},\"a\":{\"M\":{\"b\":{\"L\":[{\"N\":\"1\"},"
    "{\"M\":{\"c\":{\"S\":\"x\"}}},{\"L\":[{\"N\":\"2\"}]}]},\"c\":{\"N\":\"0\"}}},"
    "\"b\":{\"N\":\"2\"},\"num\":{\"N\":\"-1.5E-3\"},\"str\":{\"S\":\"abcdef\"},"
    "\"list\":{\"L\":[{\"S\":\"abc\"},{\"N\":\"5\"},{\"NULL\":true},{\"BOOL\":false},{\"M\":{}}]},"
    "\"map\":{\"M\":{\"k\":{\"S\":\"v\"},\"a\":{\"N\":\"1\"}}},\"ss\":{\"SS\":[\"abc\",\"q\"]},"
    "\"ns\":{\"NS\":[\"5\",\"1E+3\"]},\"bs\":{\"BS\":[\"AAEC\"]},\"bin\":{\"B\":\"AAEC\"},"
    "\"t\":{\"BOOL\":true},\"z\":{\"NULL\":true},\"a.b\":{\"S\":\"dotted\"},\"size\":{\"N\":\"3\"}}",
    "{\"pk\":{\"S\":\"abc\"},\"sk\":{\"N\":\"5\"}}",
};
#define N_FIXED (sizeof(s_items_json) / sizeof(s_items_json[0]))

static ddb_arena_t *g_fixed;      /* the fixed items, for the whole run */
static ddb_value_t *g_items[N_FIXED + 1];   /* + the input's own item, if any */
static char *g_items_text[N_FIXED + 1];
static size_t g_n_items;          /* N_FIXED, or N_FIXED + 1 */
static cJSON *g_names, *g_values;
static ddb_arena_t *g_arena;      /* per input */

static void s_die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_expr: %s: %s\n", what, detail ? detail : "");
    abort();
}

static char *s_item_text(const ddb_value_t *item)
{
    ddb_buf_t b = DDB_BUF_INIT;
    ddb_item_to_json(item, &b);
    char *text = ddb_buf_steal(&b, NULL);
    return text ? text : strdup("");
}

static void s_init(void)
{
    g_fixed = ddb_arena_new(64 * 1024);
    g_arena = ddb_arena_new(64 * 1024);
    for (size_t i = 0; i < N_FIXED; i++) {
        cJSON *j = cJSON_Parse(s_items_json[i]);
        ddb_err_t err = DDB_ERR_INIT;
        g_items[i] = j ? ddb_item_from_json(j, g_fixed, &err) : NULL;
        cJSON_Delete(j);
        if (!g_items[i])
            s_die("bad fixed item", err.message);
        g_items_text[i] = s_item_text(g_items[i]);
    }
    g_names = cJSON_Parse(s_names_json);
    g_values = cJSON_Parse(s_values_json);
    if (!g_names || !g_values)
        s_die("bad fixed context", NULL);
}

/* A parse error must be a ValidationException with a message. */
static void s_check_error(const ddb_err_t *err)
{
    if (err->kind != DDB_ERR_VALIDATION || !err->message[0])
        s_die("parse failed without a ValidationException", err->message);
}

/* An item produced by an update must be storable: valid JSON that converts back to
 * an equal item of the same size. */
static void s_check_item(const ddb_value_t *item)
{
    if (item->type != DDB_T_M)
        s_die("update result is not a map", NULL);
    char *text = s_item_text(item);
    cJSON *j = cJSON_Parse(text);
    if (!j)
        s_die("update result is not valid JSON", text);
    ddb_err_t err = DDB_ERR_INIT;
    ddb_value_t *back = ddb_item_from_json(j, g_arena, &err);
    cJSON_Delete(j);
    /* Nesting can legitimately outgrow what a request may send; anything else that
     * the decoder refuses is an item the update should not have produced. */
    if (!back && !strstr(err.message, "Nesting Levels"))
        s_die("update result does not convert back", err.message);
    if (back && (!ddb_value_equal(item, back) || ddb_item_size(item) != ddb_item_size(back)))
        s_die("update result changed in a JSON round trip", text);
    free(text);
}

static void s_condition(ddb_expr_ctx_t *ctx, ddb_expr_kind_t kind, const char *text, size_t len)
{
    ddb_err_t err = DDB_ERR_INIT;
    ddb_expr_cond_t *c = ddb_expr_parse_condition(ctx, kind, text, len, &err);
    if (!c) {
        s_check_error(&err);
        return;
    }
    size_t n_paths;
    const ddb_expr_path_t *paths = ddb_expr_cond_paths(c, &n_paths);
    ddb_buf_t b = DDB_BUF_INIT;
    for (size_t i = 0; i < n_paths; i++)
        ddb_expr_path_format(&paths[i], &b);
    ddb_buf_free(&b);
    (void)ddb_expr_eval(c, NULL);
    for (size_t i = 0; i < g_n_items; i++)
        (void)ddb_expr_eval(c, g_items[i]);
    ddb_expr_ctx_check_unused(ctx, &err);
}

static void s_update(ddb_expr_ctx_t *ctx, const char *text, size_t len)
{
    ddb_err_t err = DDB_ERR_INIT;
    ddb_expr_update_t *u = ddb_expr_parse_update(ctx, text, len, &err);
    if (!u) {
        s_check_error(&err);
        return;
    }
    size_t n_paths;
    const ddb_expr_path_t *paths = ddb_expr_update_paths(u, &n_paths);
    for (size_t i = 0; i < g_n_items; i++) {
        ddb_err_t apply_err = DDB_ERR_INIT;
        ddb_value_t *after = ddb_expr_apply_update(u, g_items[i], g_arena, &apply_err);
        char *before = s_item_text(g_items[i]);
        if (strcmp(before, g_items_text[i]) != 0)
            s_die("apply_update modified its input item", before);
        free(before);
        if (!after) {
            if (apply_err.kind != DDB_ERR_VALIDATION || !apply_err.message[0])
                s_die("apply_update failed without a ValidationException", apply_err.message);
            continue;
        }
        s_check_item(after);
        /* UPDATED_OLD / UPDATED_NEW are projections on the written paths */
        s_check_item(ddb_expr_project(g_items[i], paths, n_paths, g_arena));
        s_check_item(ddb_expr_project(after, paths, n_paths, g_arena));
    }
    ddb_expr_ctx_check_unused(ctx, &err);
}

static void s_projection(ddb_expr_ctx_t *ctx, const char *text, size_t len)
{
    ddb_err_t err = DDB_ERR_INIT;
    ddb_expr_projection_t *p = ddb_expr_parse_projection(ctx, text, len, &err);
    if (!p) {
        s_check_error(&err);
        return;
    }
    if (ddb_expr_project(NULL, p->paths, p->count, g_arena) != NULL)
        s_die("projection of a missing item is not NULL", NULL);
    for (size_t i = 0; i < g_n_items; i++) {
        ddb_value_t *cut = ddb_expr_project(g_items[i], p->paths, p->count, g_arena);
        if (!cut)
            s_die("projection of an item is NULL", NULL);
        s_check_item(cut);
        if (ddb_item_size(cut) > ddb_item_size(g_items[i]))
            s_die("projection is larger than its item", NULL);
    }
    ddb_expr_ctx_check_unused(ctx, &err);
}

static void s_key_condition(ddb_expr_ctx_t *ctx, const char *text, size_t len)
{
    ddb_err_t err = DDB_ERR_INIT;
    ddb_key_conds_t *kc = ddb_expr_parse_key_condition(ctx, text, len, &err);
    if (!kc) {
        s_check_error(&err);
        return;
    }
    ddb_key_query_t q;
    ddb_err_t qerr = DDB_ERR_INIT;
    if (ddb_expr_key_query(kc, "pk", DDB_T_S, "sk", DDB_T_N, &q, &qerr) == 0 && !q.hash_value)
        s_die("key query without a hash value", NULL);
    qerr = (ddb_err_t)DDB_ERR_INIT;
    (void)ddb_expr_key_query(kc, "pk", DDB_T_S, NULL, DDB_T_S, &q, &qerr);
    qerr = (ddb_err_t)DDB_ERR_INIT;
    (void)ddb_expr_key_query(kc, "a", DDB_T_B, "b", DDB_T_S, &q, &qerr);
    ddb_expr_ctx_check_unused(ctx, &err);
}

/* Converts the input's own item (after the NUL) into g_items[N_FIXED]: 0, or -1
 * when it is not a valid item. */
static int s_input_item(const char *json, size_t len)
{
    cJSON *j = cJSON_ParseWithLength(json, len);
    ddb_err_t err = DDB_ERR_INIT;
    ddb_value_t *item = j ? ddb_item_from_json(j, g_arena, &err) : NULL;
    cJSON_Delete(j);
    free(g_items_text[N_FIXED]);
    g_items_text[N_FIXED] = NULL;
    if (!item)
        return -1;
    g_items[N_FIXED] = item;
    g_items_text[N_FIXED] = s_item_text(item);
    return 0;
}

/* The grammar a first byte selects: C(ondition), F(ilter), U(pdate), P(rojection),
 * K(ey condition); any other byte picks one of them by its value. */
static char s_grammar(uint8_t selector)
{
    static const char grammars[] = "CFUPK";
    if (strchr(grammars, selector) && selector)
        return (char)selector;
    return grammars[selector % 5];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_fixed)
        s_init();
    if (size < 1)
        return 0;
    ddb_arena_reset(g_arena);
    ddb_err_t err = DDB_ERR_INIT;
    ddb_expr_ctx_t *ctx = ddb_expr_ctx_new(g_arena);
    if (ddb_expr_ctx_load_json(ctx, g_names, g_values, &err) != 0)
        s_die("cannot load the fixed context", err.message);
    /* the text is not NUL-terminated: ASan catches a parser reading past len */
    const char *text = (const char *)data + 1;
    const char *nul = memchr(text, '\0', size - 1);
    size_t len = nul ? (size_t)(nul - text) : size - 1;
    g_n_items = N_FIXED;
    if (nul && s_input_item(nul + 1, size - 1 - len - 1) == 0)
        g_n_items = N_FIXED + 1;
    switch (s_grammar(data[0])) {
    case 'C': s_condition(ctx, DDB_EXPR_CONDITION, text, len); break;
    case 'F': s_condition(ctx, DDB_EXPR_FILTER, text, len); break;
    case 'U': s_update(ctx, text, len); break;
    case 'P': s_projection(ctx, text, len); break;
    default: s_key_condition(ctx, text, len); break;
    }
    return 0;
}
