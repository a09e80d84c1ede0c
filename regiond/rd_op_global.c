/* rd_op_global: CreateGlobalTable is refused (new legacy global tables cannot be
 * made); the other legacy operations find no legacy global table, since none can
 * exist here: GlobalTableNotFoundException, and an empty ListGlobalTables. Member
 * checks come first, as in the service. */
#include "rd_op_global.h"

#include "rd_json.h"
#include "rd_table.h"

/* GlobalTableName: present and a valid table name. */
static int s_name(rd_req_t *req, const char **name)
{
    if (rd_json_string(req->body, "GlobalTableName", name, req->err) != 0)
        return -1;
    rd_verrs_t v = RD_VERRS_INIT;
    rd_table_name_check(*name, true, "globalTableName", &v);
    return rd_verr_finish(&v, req->err);
}

static int s_not_found(rd_req_t *req, const char *name)
{
    return ddb_err_set(req->err, DDB_ERR_GLOBAL_TABLE_NOT_FOUND,
                       "Global table not found: Global table with name: '%s' does not exist.", name);
}

int rd_op_create_global_table(rd_req_t *req)
{
    const char *name;
    const cJSON *group;
    if (s_name(req, &name) != 0 || rd_json_list(req->body, "ReplicationGroup", &group, req->err) != 0)
        return -1;
    if (!group)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "1 validation error detected: Value null at 'replicationGroup' failed to satisfy "
                           "constraint: Member must not be null");
    return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                       "Global tables version 2017.11.29 (Legacy) can no longer be created. Use UpdateTable with "
                       "ReplicaUpdates to make '%s' a global table of version 2019.11.21 (Current).", name);
}

int rd_op_update_global_table(rd_req_t *req)
{
    const char *name;
    if (s_name(req, &name) != 0)
        return -1;
    return s_not_found(req, name);
}

int rd_op_describe_global_table(rd_req_t *req)
{
    return rd_op_update_global_table(req);
}

int rd_op_describe_global_table_settings(rd_req_t *req)
{
    return rd_op_update_global_table(req);
}

int rd_op_update_global_table_settings(rd_req_t *req)
{
    return rd_op_update_global_table(req);
}

int rd_op_list_global_tables(rd_req_t *req)
{
    ddb_buf_puts(req->out, "{\"GlobalTables\":[]}");
    return 0;
}
