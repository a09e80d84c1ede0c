/* rd_op_admin: questions the gateway asks a regiond about itself (service ADMIN). */
#ifndef RD_OP_ADMIN_H
#define RD_OP_ADMIN_H

#include "rd_dispatch.h"

/* "Status": {"region":..,"pid":..,"tables":[{"account","name","status","items","bytes"}]}
 * over every account. Returns 0. */
int rd_op_admin_status(rd_req_t *req);

/* "SetLinkFaults": replaces the chaos link-fault table with the body (rd_link_set).
 * 0, or -1 with a ValidationException. */
int rd_op_admin_set_link_faults(rd_req_t *req);

#endif
