/* rd_cond: conditions on item writes. ConditionExpression goes straight to the
 * expression module; a legacy Expected map is validated with the service's legacy
 * messages and then written as an expression over placeholders of its own (#e0,
 * :e0_0, ...), so one parser and one evaluator serve both forms. */
#include "rd_cond.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rd_json.h"

#define ENVELOPE "1 validation error detected: "
#define INVALID "One or more parameter values were invalid: "

/* ---- which parameters may appear together ---- */

/* Appends the members of names present in the request, comma-separated; returns
 * how many. */
static int s_present(rd_req_t *req, const char *const *names, ddb_buf_t *out)
{
    int n = 0;
    for (const char *const *p = names; p && *p; p++) {
        if (!rd_json_has(req->body, *p))
            continue;
        if (n++)
            ddb_buf_puts(out, ", ");
        ddb_buf_puts(out, *p);
    }
    return n;
}

int rd_cond_check_params(rd_req_t *req, const char *const *expression_params, const char *const *legacy_params)
{
    ddb_buf_t exprs = DDB_BUF_INIT, legacy = DDB_BUF_INIT;
    int n_expr = s_present(req, expression_params, &exprs);
    int n_legacy = s_present(req, legacy_params, &legacy);
    bool value_exprs = false;   /* an expression that can use values: not ProjectionExpression */
    for (const char *const *p = expression_params; *p; p++)
        value_exprs = value_exprs || (strcmp(*p, "ProjectionExpression") != 0 && rd_json_has(req->body, *p));
    bool takes_values = false;
    for (const char *const *p = expression_params; *p; p++)
        takes_values = takes_values || strcmp(*p, "ProjectionExpression") != 0;
    int rc = 0;
    if (n_expr && n_legacy)
        rc = ddb_err_set(req->err, DDB_ERR_VALIDATION,
                         "Can not use both expression and non-expression parameters in the same request: "
                         "Non-expression parameters: {%s} Expression parameters: {%s}", legacy.data, exprs.data);
    else if (!n_expr && rd_json_has(req->body, "ExpressionAttributeNames"))
        rc = ddb_err_set(req->err, DDB_ERR_VALIDATION,
                         ENVELOPE "ExpressionAttributeNames can only be specified when using expressions");
    else if (takes_values && !value_exprs && rd_json_has(req->body, "ExpressionAttributeValues"))
        rc = ddb_err_set(req->err, DDB_ERR_VALIDATION,
                         ENVELOPE "ExpressionAttributeValues can only be specified when using expressions");
    ddb_buf_free(&exprs);
    ddb_buf_free(&legacy);
    return rc;
}

int rd_cond_context(rd_req_t *req, ddb_expr_ctx_t **ctx)
{
    const cJSON *names, *values;
    *ctx = ddb_expr_ctx_new(req->arena);
    if (rd_json_object(req->body, "ExpressionAttributeNames", &names, req->err) != 0 ||
        rd_json_object(req->body, "ExpressionAttributeValues", &values, req->err) != 0)
        return -1;
    return ddb_expr_ctx_load_json(*ctx, names, values, req->err);
}

/* ---- legacy placeholders ---- */

const char *rd_cond_legacy_name(rd_req_t *req, ddb_expr_ctx_t *ctx, const char *prefix, int n, const char *name)
{
    const char *key = ddb_arena_printf(req->arena, "#%s%d", prefix, n);
    if (ddb_expr_ctx_add_name(ctx, key, strlen(key), name, strlen(name), req->err) != 0)
        return NULL;
    return key;
}

const char *rd_cond_legacy_value(rd_req_t *req, ddb_expr_ctx_t *ctx, const char *prefix, int n,
                                 const ddb_value_t *value)
{
    const char *key = ddb_arena_printf(req->arena, ":%s%d", prefix, n);
    if (ddb_expr_ctx_add_value(ctx, key, strlen(key), value, req->err) != 0)
        return NULL;
    return key;
}

/* ---- Expected ---- */

typedef enum s_cmp_op {
    S_OP_EQ = 0, S_OP_NE, S_OP_LE, S_OP_LT, S_OP_GE, S_OP_GT, S_OP_NOT_NULL, S_OP_NULL, S_OP_CONTAINS,
    S_OP_NOT_CONTAINS, S_OP_BEGINS_WITH, S_OP_IN, S_OP_BETWEEN, S_OP__COUNT
} s_cmp_op_t;

static const char *const s_op_names[S_OP__COUNT] = {
    "EQ", "NE", "LE", "LT", "GE", "GT", "NOT_NULL", "NULL", "CONTAINS", "NOT_CONTAINS", "BEGINS_WITH", "IN", "BETWEEN",
};

/* One Expected entry as given. */
typedef struct s_expected {
    const char *attr;                /* the attribute it is about */
    const cJSON *value;              /* Value */
    const cJSON *list;               /* AttributeValueList */
    const char *op_text;             /* ComparisonOperator */
    s_cmp_op_t op;
    bool has_exists, exists;         /* Exists */
    const ddb_value_t *values[128];  /* converted arguments */
    int nvalues;
} s_expected_t;

/* A legacy validation error, in the envelope the service puts it in. */
static int s_legacy_fail(rd_req_t *req, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int s_legacy_fail(rd_req_t *req, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return ddb_err_set(req->err, DDB_ERR_VALIDATION, ENVELOPE INVALID "%s", msg);
}

/* Reads the members of one entry, with the JSON type and enum checks. */
static int s_expected_read(rd_req_t *req, const cJSON *entry, s_expected_t *e)
{
    memset(e, 0, sizeof(*e));
    e->attr = entry->string;
    if (rd_json_expect_object(entry, req->err) != 0 || rd_json_object(entry, "Value", &e->value, req->err) != 0 ||
        rd_json_list(entry, "AttributeValueList", &e->list, req->err) != 0 ||
        rd_json_string(entry, "ComparisonOperator", &e->op_text, req->err) != 0 ||
        rd_json_bool(entry, "Exists", &e->has_exists, &e->exists, req->err) != 0)
        return -1;
    if (!e->op_text)
        return 0;
    for (int i = 0; i < S_OP__COUNT; i++)
        if (strcmp(s_op_names[i], e->op_text) == 0) {
            e->op = (s_cmp_op_t)i;
            return 0;
        }
    return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                       ENVELOPE "Value '%s' at 'expected.%s.member.comparisonOperator' failed to satisfy constraint: "
                       "Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, "
                       "NE, LE, BEGINS_WITH, GE, CONTAINS]", e->op_text, e->attr);
}

/* Converts Value / AttributeValueList into e->values. */
static int s_expected_values(rd_req_t *req, s_expected_t *e)
{
    if (e->value) {
        const ddb_value_t *v = ddb_value_from_json(e->value, req->arena, req->err);
        if (!v)
            return -1;
        e->values[e->nvalues++] = v;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, e->list) {
        if (e->nvalues == (int)(sizeof(e->values) / sizeof(e->values[0])))
            return s_legacy_fail(req, "Invalid number of argument(s) for the %s ComparisonOperator", e->op_text);
        if (rd_json_expect_object(it, req->err) != 0)
            return -1;
        const ddb_value_t *v = ddb_value_from_json(it, req->arena, req->err);
        if (!v)
            return -1;
        e->values[e->nvalues++] = v;
    }
    return 0;
}

static bool s_arg_count_ok(s_cmp_op_t op, int n)
{
    switch (op) {
    case S_OP_NOT_NULL:
    case S_OP_NULL: return n == 0;
    case S_OP_IN: return n > 0;
    case S_OP_BETWEEN: return n == 2;
    default: return n == 1;
    }
}

/* The argument types each operator takes (EQ and NE take every type). */
static bool s_arg_type_ok(s_cmp_op_t op, ddb_type_t t)
{
    bool scalar = t == DDB_T_S || t == DDB_T_N || t == DDB_T_B;
    switch (op) {
    case S_OP_EQ:
    case S_OP_NE: return true;
    case S_OP_BEGINS_WITH: return t == DDB_T_S || t == DDB_T_B;
    default: return scalar;
    }
}

/* The service's checks of one entry, in its order. */
static int s_expected_check(rd_req_t *req, s_expected_t *e)
{
    if (e->list && e->value)
        return s_legacy_fail(req, "Value and AttributeValueList cannot be used together for Attribute: %s", e->attr);
    if (!e->op_text) {
        if (e->list)
            return s_legacy_fail(req, "AttributeValueList can only be used with a ComparisonOperator for Attribute: %s",
                                 e->attr);
        bool exists = !e->has_exists || e->exists;
        if (exists && !e->value)
            return s_legacy_fail(req, "Value must be provided when Exists is %s for Attribute: %s",
                                 e->has_exists ? "true" : "null", e->attr);
        if (!exists && e->value)
            return s_legacy_fail(req, "Value cannot be used when Exists is false for Attribute: %s", e->attr);
        return s_expected_values(req, e);
    }
    if (e->has_exists)
        return s_legacy_fail(req, "Exists and ComparisonOperator cannot be used together for Attribute: %s", e->attr);
    if (e->op != S_OP_NULL && e->op != S_OP_NOT_NULL && !e->list && !e->value)
        return s_legacy_fail(req, "Value or AttributeValueList must be used with ComparisonOperator: %s for Attribute: %s",
                             e->op_text, e->attr);
    if (s_expected_values(req, e) != 0)
        return -1;
    if (!s_arg_count_ok(e->op, e->nvalues))
        return s_legacy_fail(req, "Invalid number of argument(s) for the %s ComparisonOperator", e->op_text);
    for (int i = 1; i < e->nvalues; i++)
        if (e->values[i]->type != e->values[0]->type)
            return s_legacy_fail(req, "AttributeValues inside AttributeValueList must be of same type");
    for (int i = 0; i < e->nvalues; i++)
        if (!s_arg_type_ok(e->op, e->values[i]->type))
            return s_legacy_fail(req, "ComparisonOperator %s is not valid for %s AttributeValue type", e->op_text,
                                 ddb_type_name(e->values[i]->type));
    if (e->op == S_OP_BETWEEN && ddb_expr_compare_scalars(e->values[0], e->values[1]) > 0)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           ENVELOPE "The BETWEEN condition was provided a range where the lower bound is greater "
                           "than the upper bound");
    return 0;
}

/* Appends the entry's condition over its placeholders. */
static int s_expected_emit(rd_req_t *req, ddb_expr_ctx_t *ctx, const s_expected_t *e, int n, ddb_buf_t *text)
{
    const char *name = rd_cond_legacy_name(req, ctx, "e", n, e->attr);
    const char *v[128];
    char prefix[16];
    snprintf(prefix, sizeof(prefix), "e%d_", n);
    for (int i = 0; i < e->nvalues; i++)
        if (!name || !(v[i] = rd_cond_legacy_value(req, ctx, prefix, i, e->values[i])))
            return -1;
    if (!name)
        return -1;
    if (!e->op_text) {   /* Value / Exists */
        if (e->nvalues)
            ddb_buf_printf(text, "%s = %s", name, v[0]);
        else
            ddb_buf_printf(text, "attribute_not_exists(%s)", name);
        return 0;
    }
    static const char *const cmp[] = { "=", "<>", "<=", "<", ">=", ">" };
    switch (e->op) {
    case S_OP_NOT_NULL: ddb_buf_printf(text, "attribute_exists(%s)", name); break;
    case S_OP_NULL: ddb_buf_printf(text, "attribute_not_exists(%s)", name); break;
    case S_OP_CONTAINS: ddb_buf_printf(text, "contains(%s, %s)", name, v[0]); break;
    case S_OP_NOT_CONTAINS: ddb_buf_printf(text, "NOT contains(%s, %s)", name, v[0]); break;
    case S_OP_BEGINS_WITH: ddb_buf_printf(text, "begins_with(%s, %s)", name, v[0]); break;
    case S_OP_BETWEEN: ddb_buf_printf(text, "%s BETWEEN %s AND %s", name, v[0], v[1]); break;
    case S_OP_IN:
        ddb_buf_printf(text, "%s IN (", name);
        for (int i = 0; i < e->nvalues; i++)
            ddb_buf_printf(text, "%s%s", i ? ", " : "", v[i]);
        ddb_buf_putc(text, ')');
        break;
    default: ddb_buf_printf(text, "%s %s %s", name, cmp[e->op], v[0]); break;
    }
    return 0;
}

/* Expected (with ConditionalOperator) as one condition; *out NULL when empty. */
static int s_expected(rd_req_t *req, ddb_expr_ctx_t *ctx, const cJSON *expected, ddb_expr_cond_t **out)
{
    const char *op;
    if (rd_json_string(req->body, "ConditionalOperator", &op, req->err) != 0)
        return -1;
    const char *joiner = op && strcmp(op, "OR") == 0 ? " OR " : " AND ";
    ddb_buf_t text = DDB_BUF_INIT;
    int n = 0, rc = 0;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, expected) {
        s_expected_t e;
        if (s_expected_read(req, entry, &e) != 0 || s_expected_check(req, &e) != 0) {
            rc = -1;
            break;
        }
        if (n)
            ddb_buf_puts(&text, joiner);
        if (s_expected_emit(req, ctx, &e, n++, &text) != 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && n > 0)
        rc = (*out = ddb_expr_parse_condition(ctx, DDB_EXPR_CONDITION, text.data, text.len, req->err)) ? 0 : -1;
    ddb_buf_free(&text);
    return rc;
}

int rd_cond_parse(rd_req_t *req, ddb_expr_ctx_t *ctx, ddb_expr_cond_t **out)
{
    const char *expr;
    const cJSON *expected;
    *out = NULL;
    if (rd_json_string(req->body, "ConditionExpression", &expr, req->err) != 0 ||
        rd_json_object(req->body, "Expected", &expected, req->err) != 0)
        return -1;
    if (expr) {
        *out = ddb_expr_parse_condition(ctx, DDB_EXPR_CONDITION, expr, strlen(expr), req->err);
        return *out ? 0 : -1;
    }
    return expected ? s_expected(req, ctx, expected, out) : 0;
}

int rd_cond_read(rd_req_t *req, ddb_expr_cond_t **cond)
{
    ddb_expr_ctx_t *ctx;
    if (rd_cond_context(req, &ctx) != 0 || rd_cond_parse(req, ctx, cond) != 0)
        return -1;
    return ddb_expr_ctx_check_unused(ctx, req->err);
}

int rd_cond_check(rd_req_t *req, const ddb_expr_cond_t *cond, const ddb_value_t *old, const rd_item_text_t *old_text,
                  bool old_on_failure)
{
    if (!cond || ddb_expr_eval(cond, old))
        return 0;
    ddb_err_set(req->err, DDB_ERR_CONDITIONAL_CHECK_FAILED, "The conditional request failed");
    if (old_on_failure && old_text->json) {
        size_t len = strlen("\"Item\":") + old_text->len + 1;
        char *extra = malloc(len);
        if (extra) {
            snprintf(extra, len, "\"Item\":%.*s", (int)old_text->len, old_text->json);
            req->err->extra_json = extra;
        }
    }
    return -1;
}
