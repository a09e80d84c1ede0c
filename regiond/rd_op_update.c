/* rd_op_update: UpdateItem. The update (UpdateExpression, or legacy AttributeUpdates
 * written as an expression over placeholders of its own) is applied copy-on-write to
 * the stored item, or to the bare key when there is none (an update creates the
 * item), after the condition passed; the old and new items give the return values. */
#include "rd_op_update.h"

#include <stdio.h>
#include <string.h>

#include "ddb_expr.h"
#include "rd_cond.h"
#include "rd_item.h"
#include "rd_json.h"

#define ENVELOPE "1 validation error detected: "
#define INVALID "One or more parameter values were invalid: "

/* ---- AttributeUpdates ---- */

/* The four clauses an AttributeUpdates map turns into. */
typedef struct s_clauses {
    ddb_buf_t set, remove, add, del;
} s_clauses_t;

static void s_clause_add(ddb_buf_t *clause, const char *fmt, const char *a, const char *b, const char *c)
{
    if (clause->len)
        ddb_buf_puts(clause, ", ");
    ddb_buf_printf(clause, fmt, a, b, c);
}

/* Checks one entry's Action and Value the service's way; *action gets the action
 * (PUT when absent), *value the converted Value or NULL. */
static int s_update_entry(rd_req_t *req, const cJSON *entry, const char **action, const ddb_value_t **value)
{
    const cJSON *v;
    *value = NULL;
    if (rd_json_expect_object(entry, req->err) != 0 || rd_json_string(entry, "Action", action, req->err) != 0 ||
        rd_json_object(entry, "Value", &v, req->err) != 0)
        return -1;
    if (!*action)
        *action = "PUT";
    if (strcmp(*action, "PUT") != 0 && strcmp(*action, "ADD") != 0 && strcmp(*action, "DELETE") != 0)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           ENVELOPE "Value '%s' at 'attributeUpdates.%s.member.action' failed to satisfy constraint: "
                           "Member must satisfy enum value set: [ADD, PUT, DELETE]", *action, entry->string);
    if (v && !(*value = ddb_value_from_json(v, req->arena, req->err)))
        return -1;
    /* unconfirmed: whether these three carry the "1 validation error detected" envelope */
    if (!*value && strcmp(*action, "DELETE") != 0)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           INVALID "Only DELETE action is allowed when no attribute value is specified");
    ddb_type_t t = *value ? (*value)->type : DDB_T_NULL;
    bool is_set = t == DDB_T_SS || t == DDB_T_NS || t == DDB_T_BS;
    if (*value && strcmp(*action, "DELETE") == 0 && !is_set)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           INVALID "DELETE action with value is not supported for the type %s", ddb_type_name(t));
    if (strcmp(*action, "ADD") == 0 && !is_set && t != DDB_T_N && t != DDB_T_L)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, INVALID "ADD action is not supported for the type %s",
                           ddb_type_name(t));
    return 0;
}

/* Writes one entry into the clauses: PUT sets, DELETE removes (or deletes from a
 * set), ADD adds numbers and sets and, for lists, appends. */
static int s_update_emit(rd_req_t *req, ddb_expr_ctx_t *ctx, int n, const char *attr, const char *action,
                         const ddb_value_t *value, s_clauses_t *c)
{
    const char *name = rd_cond_legacy_name(req, ctx, "u", n, attr);
    const char *val = name && value ? rd_cond_legacy_value(req, ctx, "u", n, value) : NULL;
    if (!name || (value && !val))
        return -1;
    if (strcmp(action, "PUT") == 0) {
        s_clause_add(&c->set, "%s = %s%s", name, val, "");
    } else if (strcmp(action, "DELETE") == 0) {
        if (val)
            s_clause_add(&c->del, "%s %s%s", name, val, "");
        else
            s_clause_add(&c->remove, "%s%s%s", name, "", "");
    } else if (value->type == DDB_T_L) {
        ddb_value_t *empty = ddb_arena_calloc(req->arena, 1, sizeof(*empty));
        empty->type = DDB_T_L;
        const char *none = rd_cond_legacy_value(req, ctx, "u_empty", n, empty);
        if (!none)
            return -1;
        ddb_buf_t expr = DDB_BUF_INIT;
        ddb_buf_printf(&expr, "list_append(if_not_exists(%s, %s), %s)", name, none, val);
        s_clause_add(&c->set, "%s = %s%s", name, expr.data, "");
        ddb_buf_free(&expr);
    } else {
        s_clause_add(&c->add, "%s %s%s", name, val, "");
    }
    return 0;
}

/* AttributeUpdates as an update expression; *out NULL when the map is empty. */
static int s_attribute_updates(rd_req_t *req, ddb_expr_ctx_t *ctx, const cJSON *updates, ddb_expr_update_t **out)
{
    s_clauses_t c = { DDB_BUF_INIT, DDB_BUF_INIT, DDB_BUF_INIT, DDB_BUF_INIT };
    ddb_buf_t text = DDB_BUF_INIT;
    int n = 0, rc = 0;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, updates) {
        const char *action;
        const ddb_value_t *value;
        if (s_update_entry(req, entry, &action, &value) != 0 ||
            s_update_emit(req, ctx, n++, entry->string, action, value, &c) != 0) {
            rc = -1;
            break;
        }
    }
    const char *words[] = { "SET", "REMOVE", "ADD", "DELETE" };
    ddb_buf_t *bufs[] = { &c.set, &c.remove, &c.add, &c.del };
    for (int i = 0; i < 4; i++) {
        if (bufs[i]->len)
            ddb_buf_printf(&text, "%s%s %s", text.len ? " " : "", words[i], bufs[i]->data);
        ddb_buf_free(bufs[i]);
    }
    if (rc == 0 && text.len)
        rc = (*out = ddb_expr_parse_update(ctx, text.data, text.len, req->err)) ? 0 : -1;
    ddb_buf_free(&text);
    return rc;
}

/* ---- the update and its checks ---- */

/* UpdateExpression, or AttributeUpdates; *update NULL when the request has neither
 * (an UpdateItem that only makes sure the item exists). */
static int s_parse_update(rd_req_t *req, ddb_expr_ctx_t *ctx, ddb_expr_update_t **update)
{
    const char *text;
    const cJSON *legacy;
    *update = NULL;
    if (rd_json_string(req->body, "UpdateExpression", &text, req->err) != 0 ||
        rd_json_object(req->body, "AttributeUpdates", &legacy, req->err) != 0)
        return -1;
    if (text) {
        *update = ddb_expr_parse_update(ctx, text, strlen(text), req->err);
        return *update ? 0 : -1;
    }
    return legacy ? s_attribute_updates(req, ctx, legacy, update) : 0;
}

int rd_update_check_keys(rd_req_t *req, const ddb_expr_update_t *update)
{
    size_t count = 0;
    const ddb_expr_path_t *paths = update ? ddb_expr_update_paths(update, &count) : NULL;
    for (size_t i = 0; i < count; i++) {
        const ddb_str_t *top = &paths[i].elems[0].name;
        if (!paths[i].elems[0].is_index && rd_table_key_attr(req->table, top->ptr, top->len))
            return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                               INVALID "Cannot update attribute %.*s. This attribute is part of the key",
                               (int)top->len, top->ptr);
    }
    return 0;
}

/* The Attributes the ReturnValues asked for (NULL: none). */
static const ddb_value_t *s_returned(rd_req_t *req, const rd_item_opts_t *opts, const ddb_expr_update_t *update,
                                     const ddb_value_t *old, const ddb_value_t *new_item)
{
    size_t count = 0;
    const ddb_expr_path_t *paths = update ? ddb_expr_update_paths(update, &count) : NULL;
    switch (opts->return_values) {
    case RD_RV_ALL_OLD: return old;
    case RD_RV_ALL_NEW: return new_item;
    case RD_RV_UPDATED_OLD: return count ? ddb_expr_project(old, paths, count, req->arena) : NULL;
    case RD_RV_UPDATED_NEW: return count ? ddb_expr_project(new_item, paths, count, req->arena) : NULL;
    default: return NULL;
    }
}

/* AttributeUpdates that meet an attribute of another type say so in their own
 * words (the service's legacy message, as dynalite's suite records it). */
static int s_legacy_apply_error(rd_req_t *req)
{
    if (rd_json_has(req->body, "AttributeUpdates") &&
        strcmp(req->err->message, "An operand in the update expression has an incorrect data type") == 0)
        ddb_err_set(req->err, DDB_ERR_VALIDATION, "Type mismatch for attribute to update");
    return -1;
}

/* ---- the pieces UpdateItem shares with TransactWriteItems ---- */

int rd_update_parse(rd_req_t *req, const cJSON **key_json, ddb_value_t **key_map, ddb_expr_update_t **update,
                    ddb_expr_cond_t **cond)
{
    static const char *const exprs[] = { "UpdateExpression", "ConditionExpression", NULL };
    static const char *const legacy[] = { "AttributeUpdates", "Expected", NULL };
    ddb_expr_ctx_t *ctx;
    if (rd_cond_check_params(req, exprs, legacy) != 0 ||
        !(*key_map = ddb_item_from_json(*key_json, req->arena, req->err)) || rd_cond_context(req, &ctx) != 0 ||
        s_parse_update(req, ctx, update) != 0 || rd_cond_parse(req, ctx, cond) != 0)
        return -1;
    return ddb_expr_ctx_check_unused(ctx, req->err);
}

int rd_update_apply(rd_req_t *req, const ddb_expr_update_t *update, const rd_item_key_t *key, ddb_value_t *old,
                    ddb_value_t **new_item)
{
    /* An absent item is created: the update applies to its bare key. */
    *new_item = old ? old : key->map;
    if (update && !(*new_item = ddb_expr_apply_update(update, *new_item, req->arena, req->err)))
        return s_legacy_apply_error(req);
    return ddb_item_check_depth(*new_item, req->err);
}

/* ---- UpdateItem ---- */

/* Everything UpdateItem checks before it looks at the table: enum members, the
 * expression/legacy mix, the Key's values, the update, the condition, and the
 * names and values no expression used. */
static int s_validate(rd_req_t *req, rd_item_opts_t *opts, ddb_value_t **key_map, ddb_expr_update_t **update,
                      ddb_expr_cond_t **cond)
{
    unsigned members = RD_ITEM_HAS_RETURN_VALUES | RD_ITEM_HAS_CONDITIONS | RD_ITEM_HAS_COLLECTION;
    const cJSON *key_json;
    if (rd_item_read_opts(req, members, "Key", opts, &key_json) != 0)
        return -1;
    return rd_update_parse(req, &key_json, key_map, update, cond);
}

int rd_op_update_item(rd_req_t *req)
{
    rd_item_opts_t opts;
    ddb_value_t *key_map, *old, *new_item;
    ddb_expr_update_t *update;
    ddb_expr_cond_t *cond;
    if (s_validate(req, &opts, &key_map, &update, &cond) != 0 || rd_req_table(req) != 0)
        return -1;
    rd_item_key_t key;
    rd_item_text_t old_text;
    if (rd_item_key_of_arg(req, key_map, &key) != 0 || rd_update_check_keys(req, update) != 0 ||
        rd_item_load(req, &key, &old_text, &old) != 0 ||
        rd_cond_check(req, cond, old, &old_text, opts.old_on_failure) != 0 ||
        rd_update_apply(req, update, &key, old, &new_item) != 0 ||
        rd_item_store(req, &key, new_item, &old_text, RD_UPDATE_SIZE_EXCEEDED) != 0)
        return -1;
    rd_item_units_t units = { 0, NULL };
    if (opts.capacity != RD_RCC_NONE)
        rd_item_units_add(req, &units, &old_text, old, new_item, 1);
    rd_item_attrs_t attrs = { s_returned(req, &opts, update, old, new_item), NULL, true };
    return rd_item_write_answer(req, &attrs, &opts, &units, &key);
}
