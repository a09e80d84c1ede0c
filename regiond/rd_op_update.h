/* rd_op_update: UpdateItem (UpdateExpression or legacy AttributeUpdates, with a
 * condition and return values), as a handler for the command table, and the
 * pieces of it that TransactWriteItems' Update action shares. */
#ifndef RD_OP_UPDATE_H
#define RD_OP_UPDATE_H

#include <cjson/cJSON.h>
#include "ddb_expr.h"
#include "rd_dispatch.h"
#include "rd_item.h"

#define RD_UPDATE_SIZE_EXCEEDED "Item size to update has exceeded the maximum allowed size"

/* Returns 0 with the reply in req->out, or -1 with req->err set. */
int rd_op_update_item(rd_req_t *req);

/* An update's request members in req->body: the expression/legacy mix, the Key
 * (*key_json, converted into *key_map), UpdateExpression or AttributeUpdates
 * (*update NULL with neither), the condition (*cond NULL without one), and no
 * unused names or values. 0 or -1. */
int rd_update_parse(rd_req_t *req, const cJSON **key_json, ddb_value_t **key_map, ddb_expr_update_t **update,
                    ddb_expr_cond_t **cond);
/* Key attributes cannot be updated (req->table set). 0 or -1. */
int rd_update_check_keys(rd_req_t *req, const ddb_expr_update_t *update);
/* The item after the update: applied copy-on-write to old, or to the bare key
 * when there is no item (an update creates it). *new_item is arena memory. 0 or -1. */
int rd_update_apply(rd_req_t *req, const ddb_expr_update_t *update, const rd_item_key_t *key, ddb_value_t *old,
                    ddb_value_t **new_item);

#endif
