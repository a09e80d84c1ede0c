/* rd_op_batch: BatchGetItem and BatchWriteItem, as handlers for the command table. */
#ifndef RD_OP_BATCH_H
#define RD_OP_BATCH_H

#include "rd_dispatch.h"

/* Each returns 0 with the reply in req->out, or -1 with req->err set. */
int rd_op_batch_get_item(rd_req_t *req);
int rd_op_batch_write_item(rd_req_t *req);

#endif
