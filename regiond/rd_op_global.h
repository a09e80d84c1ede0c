/* rd_op_global: the legacy global-table operations (version 2017.11.29), answered as
 * the service answers them for tables made today: version 2019.11.21 tables are
 * global through UpdateTable ReplicaUpdates, and the legacy API neither creates nor
 * sees them. */
#ifndef RD_OP_GLOBAL_H
#define RD_OP_GLOBAL_H

#include "rd_dispatch.h"

int rd_op_create_global_table(rd_req_t *req);
int rd_op_update_global_table(rd_req_t *req);
int rd_op_describe_global_table(rd_req_t *req);
int rd_op_describe_global_table_settings(rd_req_t *req);
int rd_op_update_global_table_settings(rd_req_t *req);
int rd_op_list_global_tables(rd_req_t *req);

#endif
