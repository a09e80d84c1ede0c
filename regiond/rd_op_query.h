/* rd_op_query: Query and Scan, on tables and secondary indexes, as handlers for the
 * command table. */
#ifndef RD_OP_QUERY_H
#define RD_OP_QUERY_H

#include "rd_dispatch.h"

/* Each returns 0 with the reply in req->out, or -1 with req->err set. */
int rd_op_query(rd_req_t *req);
int rd_op_scan(rd_req_t *req);

#endif
