/* rd_op_table: the table operations, CreateTable, DescribeTable, ListTables,
 * UpdateTable and DeleteTable, as handlers for the command table. */
#ifndef RD_OP_TABLE_H
#define RD_OP_TABLE_H

#include "rd_dispatch.h"

/* Each returns 0 with the reply in req->out, or -1 with req->err set. */
int rd_op_create_table(rd_req_t *req);
int rd_op_describe_table(rd_req_t *req);
int rd_op_list_tables(rd_req_t *req);
int rd_op_update_table(rd_req_t *req);
int rd_op_delete_table(rd_req_t *req);

#endif
