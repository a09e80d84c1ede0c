/* rd_op_txn: TransactWriteItems and TransactGetItems, as handlers for the command
 * table. A transaction is atomic within the region's regiond. */
#ifndef RD_OP_TXN_H
#define RD_OP_TXN_H

#include "rd_dispatch.h"

/* Each returns 0 with the reply in req->out, or -1 with req->err set
 * (TransactionCanceledException carries CancellationReasons in err->extra_json). */
int rd_op_transact_write_items(rd_req_t *req);
int rd_op_transact_get_items(rd_req_t *req);

#endif
