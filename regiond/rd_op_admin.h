/* rd_op_admin: questions the gateway asks a regiond about itself (service ADMIN). */
#ifndef RD_OP_ADMIN_H
#define RD_OP_ADMIN_H

#include "rd_dispatch.h"

/* "Status": {"region":..,"pid":..,"tables":[{"account","name","status","items","bytes"}]}
 * over every account. Returns 0. */
int rd_op_admin_status(rd_req_t *req);

#endif
