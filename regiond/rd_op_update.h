/* rd_op_update: UpdateItem (UpdateExpression or legacy AttributeUpdates, with a
 * condition and return values), as a handler for the command table. */
#ifndef RD_OP_UPDATE_H
#define RD_OP_UPDATE_H

#include "rd_dispatch.h"

/* Returns 0 with the reply in req->out, or -1 with req->err set. */
int rd_op_update_item(rd_req_t *req);

#endif
