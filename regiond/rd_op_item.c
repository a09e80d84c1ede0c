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
    if (rd_cond_read(req, &cond) != 0 || rd_req_table(req) != 0)
        return -1;
    rd_item_key_t key;
    rd_item_text_t old_text;
    if (rd_item_key_of_item(req, item, &key) != 0 || rd_item_load(req, &key, &old_text, cond ? &old : NULL) != 0 ||
        rd_cond_check(req, cond, old, &old_text, opts.old_on_failure) != 0 ||
        rd_item_store(req, &key, item, &old_text, SIZE_EXCEEDED) != 0)
        return -1;
    rd_item_units_t units = { 0, NULL };
    if (opts.capacity != RD_RCC_NONE)
        rd_item_units_add(req, &units, &old_text, old, item, 1);
    rd_item_attrs_t attrs = { NULL, opts.return_values == RD_RV_ALL_OLD ? &old_text : NULL, false };
    return rd_item_write_answer(req, &attrs, &opts, &units, &key);
}

/* ---- DeleteItem ---- */

int rd_op_delete_item(rd_req_t *req)
{
    rd_item_opts_t opts;
    ddb_value_t *key_map, *old = NULL;
    ddb_expr_cond_t *cond;
    if (!(key_map = s_request_map(req, "Key", &opts)) || s_old_only(req, &opts) != 0 ||
        rd_cond_read(req, &cond) != 0 || rd_req_table(req) != 0)
        return -1;
    rd_item_key_t key;
    rd_item_text_t old_text;
    if (rd_item_key_of_arg(req, key_map, &key) != 0 ||
        rd_item_load(req, &key, &old_text, cond ? &old : NULL) != 0 ||
        rd_cond_check(req, cond, old, &old_text, opts.old_on_failure) != 0 ||
        rd_item_store(req, &key, NULL, &old_text, SIZE_EXCEEDED) != 0)
        return -1;
    rd_item_units_t units = { 0, NULL };
    if (opts.capacity != RD_RCC_NONE)
        rd_item_units_add(req, &units, &old_text, old, NULL, 1);
    rd_item_attrs_t attrs = { NULL, opts.return_values == RD_RV_ALL_OLD ? &old_text : NULL, false };
    return rd_item_write_answer(req, &attrs, &opts, &units, &key);
}

/* ---- GetItem ---- */

int rd_op_get_item(rd_req_t *req)
{
    rd_item_opts_t opts;
    rd_item_projection_t projection;
    bool present, consistent;
    const cJSON *key_json;
    ddb_value_t *key_map, *item = NULL;
    if (rd_item_read_opts(req, 0, "Key", &opts, &key_json) != 0 ||
        rd_json_bool(req->body, "ConsistentRead", &present, &consistent, req->err) != 0 ||
        rd_item_projection(req, &projection) != 0 || !(key_map = ddb_item_from_json(key_json, req->arena, req->err)) ||
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
