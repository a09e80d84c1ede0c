/* rd_op_item: the single-item operations, PutItem, GetItem and DeleteItem, as
 * handlers for the command table. */
#ifndef RD_OP_ITEM_H
#define RD_OP_ITEM_H

#include "rd_dispatch.h"

/* Each returns 0 with the reply in req->out, or -1 with req->err set. */
int rd_op_put_item(rd_req_t *req);
int rd_op_get_item(rd_req_t *req);
int rd_op_delete_item(rd_req_t *req);

#endif
