/* rd_cond: the conditions of the item writes. A request's ConditionExpression, or its
 * legacy Expected map (with ConditionalOperator), becomes one ddb_expr condition, so
 * that both forms share one evaluator; the check against the stored item answers
 * ConditionalCheckFailedException as the service does. Also the rules on which
 * expression and legacy parameters may appear together. */
#ifndef RD_COND_H
#define RD_COND_H

#include <stdbool.h>
#include "ddb_expr.h"
#include "rd_dispatch.h"
#include "rd_store.h"

/* The service's rules before any expression is parsed: legacy and expression
 * parameters may not be mixed ("Can not use both expression and non-expression
 * parameters in the same request: ..."); ExpressionAttributeNames need some
 * expression, ExpressionAttributeValues some expression other than a projection.
 * Both lists end with NULL, in the order the service names them. 0 or -1. */
int rd_cond_check_params(rd_req_t *req, const char *const *expression_params, const char *const *legacy_params);

/* Builds the request's context: loads ExpressionAttributeNames/Values. *ctx never
 * NULL on success. 0 or -1. */
int rd_cond_context(rd_req_t *req, ddb_expr_ctx_t **ctx);

/* Parses ConditionExpression into ctx, or translates Expected/ConditionalOperator
 * (validated with the service's legacy messages) into a condition on placeholders
 * of its own. *out is NULL when the request has no condition. 0 or -1. */
int rd_cond_parse(rd_req_t *req, ddb_expr_ctx_t *ctx, ddb_expr_cond_t **out);

/* The request's whole condition: rd_cond_context, rd_cond_parse, then the names and
 * values no expression used ("unused" errors). *cond NULL without one. 0 or -1. */
int rd_cond_read(rd_req_t *req, ddb_expr_cond_t **cond);

/* Evaluates cond (NULL: always true) against the stored item (NULL when absent).
 * On failure: ConditionalCheckFailedException "The conditional request failed",
 * carrying "Item" (the stored item) when old_on_failure and there is one. 0 or -1. */
int rd_cond_check(rd_req_t *req, const ddb_expr_cond_t *cond, const ddb_value_t *old, const rd_item_text_t *old_text,
                  bool old_on_failure);

/* Registers a legacy placeholder in ctx: "#<prefix><n>" for an attribute name, or
 * ":<prefix><n>" for a value; returns the placeholder (arena). For translating
 * legacy parameters into expressions. */
const char *rd_cond_legacy_name(rd_req_t *req, ddb_expr_ctx_t *ctx, const char *prefix, int n, const char *name);
const char *rd_cond_legacy_value(rd_req_t *req, ddb_expr_ctx_t *ctx, const char *prefix, int n,
                                 const ddb_value_t *value);

#endif
