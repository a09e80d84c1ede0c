/* rd_op_admin: questions the gateway asks a regiond about itself (service ADMIN). */
#ifndef RD_OP_ADMIN_H
#define RD_OP_ADMIN_H

#include "rd_dispatch.h"

/* "Status": {"region":..,"pid":..,"tables":[{"account","name","status","items","bytes"}],
 * ..,"disk":{"full","refused_writes"}} over every account. Returns 0. */
int rd_op_admin_status(rd_req_t *req);

/* "SetLinkFaults": replaces the chaos link-fault table with the body (rd_link_set).
 * 0, or -1 with a ValidationException. */
int rd_op_admin_set_link_faults(rd_req_t *req);

/* "SetDiskFull" {"full": true|false}: turns the chaos disk-full switch (rd_vfs) on or
 * off; answers {"full":..}. -1 with a ValidationException for a malformed body, or
 * to turn it on for an in-memory database (it has no file to fill). */
int rd_op_admin_set_disk_full(rd_req_t *req);

#endif
