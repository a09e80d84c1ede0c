/* rd_op_item: PutItem, GetItem and DeleteItem. Each validates its request (enum
 * members, expressions or their legacy forms), finds the table and the stored item,
 * checks the condition against it, writes through the one write path, and answers
 * with the return values and consumed capacity the request asked for. */
#include "rd_op_item.h"

#include <string.h>

#include "ddb_expr.h"
#include "rd_cond.h"
#include "rd_item.h"
#include "rd_json.h"

#define SIZE_EXCEEDED "Item size has exceeded the maximum allowed size"

static const char *const s_condition_exprs[] = { "ConditionExpression", NULL };
static const char *const s_condition_legacy[] = { "Expected", NULL };

/* PutItem and DeleteItem return nothing but the old item. */
static int s_old_only(rd_req_t *req, const rd_item_opts_t *opts)
{
    if (opts->return_values == RD_RV_NONE || opts->return_values == RD_RV_ALL_OLD)
        return 0;
    return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                       "1 validation error detected: ReturnValues can only be ALL_OLD or NONE");
}

/* The request's condition (ConditionExpression or Expected), fully validated. */
static int s_condition(rd_req_t *req, ddb_expr_cond_t **cond)
{
    ddb_expr_ctx_t *ctx;
    if (rd_cond_context(req, &ctx) != 0 || rd_cond_parse(req, ctx, cond) != 0)
        return -1;
    return ddb_expr_ctx_check_unused(ctx, req->err);
}

/* The enum members, the expression/legacy mix, then the Item or Key itself. */
static ddb_value_t *s_request_map(rd_req_t *req, const char *field, rd_item_opts_t *opts)
{
    unsigned members = RD_ITEM_HAS_RETURN_VALUES | RD_ITEM_HAS_CONDITIONS | RD_ITEM_HAS_COLLECTION;
    const cJSON *json;
    if (rd_item_read_opts(req, members, field, opts, &json) != 0 ||
        rd_cond_check_params(req, s_condition_exprs, s_condition_legacy) != 0)
        return NULL;
    return ddb_item_from_json(json, req->arena, req->err);
}

/* ---- PutItem ---- */

int rd_op_put_item(rd_req_t *req)
{
    rd_item_opts_t opts;
    ddb_value_t *item, *old = NULL;
    ddb_expr_cond_t *cond;
    if (!(item = s_request_map(req, "Item", &opts)) || s_old_only(req, &opts) != 0)
        return -1;
    if (ddb_item_size(item) > DDB_ITEM_MAX_SIZE)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, SIZE_EXCEEDED);
    if (s_condition(req, &cond) != 0 || rd_req_table(req) != 0)
        return -1;
    rd_item_key_t key;
    rd_item_text_t old_text;
    if (rd_item_key_of_item(req, item, &key) != 0 || rd_item_load(req, &key, &old_text, cond ? &old : NULL) != 0 ||
        rd_cond_check(req, cond, old, &old_text, opts.old_on_failure) != 0 ||
        rd_item_store(req, &key, item, &old_text, SIZE_EXCEEDED) != 0)
        return -1;
    double units = rd_item_write_units(old_text.json ? old_text.size : 0, (int64_t)ddb_item_size(item));
    rd_item_attrs_t attrs = { NULL, opts.return_values == RD_RV_ALL_OLD ? &old_text : NULL, false };
    rd_item_answer(req, "Attributes", &attrs, opts.capacity, units);
    return 0;
}

/* ---- DeleteItem ---- */

int rd_op_delete_item(rd_req_t *req)
{
    rd_item_opts_t opts;
    ddb_value_t *key_map, *old = NULL;
    ddb_expr_cond_t *cond;
    if (!(key_map = s_request_map(req, "Key", &opts)) || s_old_only(req, &opts) != 0 ||
        s_condition(req, &cond) != 0 || rd_req_table(req) != 0)
        return -1;
    rd_item_key_t key;
    rd_item_text_t old_text;
    if (rd_item_key_of_arg(req, key_map, &key) != 0 ||
        rd_item_load(req, &key, &old_text, cond ? &old : NULL) != 0 ||
        rd_cond_check(req, cond, old, &old_text, opts.old_on_failure) != 0 ||
        rd_item_store(req, &key, NULL, &old_text, SIZE_EXCEEDED) != 0)
        return -1;
    double units = rd_item_write_units(old_text.json ? old_text.size : 0, 0);
    rd_item_attrs_t attrs = { NULL, opts.return_values == RD_RV_ALL_OLD ? &old_text : NULL, false };
    rd_item_answer(req, "Attributes", &attrs, opts.capacity, units);
    return 0;
}

/* ---- GetItem ---- */

/* The document paths a GetItem asks for; count 0 with paths NULL: the whole item. */
typedef struct s_projection {
    const ddb_expr_path_t *paths;
    size_t count;
} s_projection_t;

/* Legacy AttributesToGet: top-level names, each at most once. */
static int s_attributes_to_get(rd_req_t *req, const cJSON *list, s_projection_t *p)
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

/* ProjectionExpression (nested paths, list elements, #names) or AttributesToGet. */
static int s_projection(rd_req_t *req, s_projection_t *p)
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

int rd_op_get_item(rd_req_t *req)
{
    rd_item_opts_t opts;
    s_projection_t projection;
    bool present, consistent;
    const cJSON *key_json;
    ddb_value_t *key_map, *item = NULL;
    if (rd_item_read_opts(req, 0, "Key", &opts, &key_json) != 0 ||
        rd_json_bool(req->body, "ConsistentRead", &present, &consistent, req->err) != 0 ||
        s_projection(req, &projection) != 0 || !(key_map = ddb_item_from_json(key_json, req->arena, req->err)) ||
        rd_req_table(req) != 0)
        return -1;
    rd_item_key_t key;
    rd_item_text_t text;
    /* Without a projection the stored text is spliced into the answer unparsed. */
    if (rd_item_key_of_arg(req, key_map, &key) != 0 ||
        rd_item_load(req, &key, &text, projection.paths ? &item : NULL) != 0)
        return -1;
    rd_item_attrs_t attrs = { NULL, &text, false };
    if (projection.paths && item)
        attrs.value = ddb_expr_project(item, projection.paths, projection.count, req->arena);
    /* Every read here is strongly consistent; an eventually consistent one is
     * charged as the service charges it. */
    double units = rd_item_read_units(text.json ? text.size : 0, consistent);
    rd_item_answer(req, "Item", &attrs, opts.capacity, units);
    return 0;
}
