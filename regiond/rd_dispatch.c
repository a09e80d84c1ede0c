/* rd_dispatch: the sorted command table (bsearch) and the generic steps around a
 * handler: parse the body (SerializationException unless a JSON object), check the
 * TableName, render a failure as the service's JSON error. An operation missing from
 * the table is UnknownOperationException, never a fake success. */
#include "rd_dispatch.h"

#include <stdlib.h>
#include <string.h>

#include "ddb_log.h"
#include "rd_json.h"
#include "rd_op_admin.h"
#include "rd_op_batch.h"
#include "rd_op_global.h"
#include "rd_op_item.h"
#include "rd_op_query.h"
#include "rd_op_streams.h"
#include "rd_op_table.h"
#include "rd_op_tags.h"
#include "rd_op_ttl.h"
#include "rd_op_txn.h"
#include "rd_op_update.h"

typedef struct rd_command {
    const char *name;       /* operation name (X-Amz-Target suffix) */
    rd_handler_t handler;   /* validate, act, answer */
    unsigned flags;         /* RD_OP_* */
} rd_command_t;

/* DynamoDB_20120810 operations, sorted by name (strcmp order) for bsearch. */
static const rd_command_t s_dynamodb_commands[] = {
    { "BatchGetItem", rd_op_batch_get_item, 0 },
    { "BatchWriteItem", rd_op_batch_write_item, RD_OP_WRITE },
    { "CreateGlobalTable", rd_op_create_global_table, RD_OP_WRITE },
    { "CreateTable", rd_op_create_table, RD_OP_WRITE },
    { "DeleteItem", rd_op_delete_item, RD_OP_WRITE | RD_OP_TABLE },
    { "DeleteTable", rd_op_delete_table, RD_OP_WRITE | RD_OP_TABLE | RD_OP_RNF_NAMED },
    { "DescribeEndpoints", rd_op_describe_endpoints, 0 },
    { "DescribeGlobalTable", rd_op_describe_global_table, 0 },
    { "DescribeGlobalTableSettings", rd_op_describe_global_table_settings, 0 },
    { "DescribeLimits", rd_op_describe_limits, 0 },
    { "DescribeTable", rd_op_describe_table, RD_OP_TABLE | RD_OP_RNF_NAMED },
    { "DescribeTimeToLive", rd_op_describe_time_to_live, RD_OP_TABLE | RD_OP_RNF_NAMED },
    { "GetItem", rd_op_get_item, RD_OP_TABLE },
    { "ListGlobalTables", rd_op_list_global_tables, 0 },
    { "ListTables", rd_op_list_tables, 0 },
    { "ListTagsOfResource", rd_op_list_tags_of_resource, 0 },
    { "PutItem", rd_op_put_item, RD_OP_WRITE | RD_OP_TABLE },
    { "Query", rd_op_query, RD_OP_TABLE },
    { "Scan", rd_op_scan, RD_OP_TABLE },
    { "TagResource", rd_op_tag_resource, RD_OP_WRITE },
    { "TransactGetItems", rd_op_transact_get_items, 0 },
    { "TransactWriteItems", rd_op_transact_write_items, RD_OP_WRITE },
    { "UntagResource", rd_op_untag_resource, RD_OP_WRITE },
    { "UpdateGlobalTable", rd_op_update_global_table, RD_OP_WRITE },
    { "UpdateGlobalTableSettings", rd_op_update_global_table_settings, RD_OP_WRITE },
    { "UpdateItem", rd_op_update_item, RD_OP_WRITE | RD_OP_TABLE },
    { "UpdateTable", rd_op_update_table, RD_OP_WRITE | RD_OP_TABLE | RD_OP_RNF_NAMED },
    { "UpdateTimeToLive", rd_op_update_time_to_live, RD_OP_WRITE | RD_OP_TABLE | RD_OP_RNF_NAMED },
};

/* DynamoDBStreams_20120810 operations, sorted likewise. */
static const rd_command_t s_streams_commands[] = {
    { "DescribeStream", rd_op_describe_stream, 0 },
    { "GetRecords", rd_op_get_records, 0 },
    { "GetShardIterator", rd_op_get_shard_iterator, 0 },
    { "ListStreams", rd_op_list_streams, 0 },
};

/* The gateway's own questions (service ADMIN), sorted likewise. */
static const rd_command_t s_admin_commands[] = {
    { "SetDiskFull", rd_op_admin_set_disk_full, 0 },
    { "SetLinkFaults", rd_op_admin_set_link_faults, 0 },
    { "Status", rd_op_admin_status, 0 },
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static int s_command_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const rd_command_t *)elem)->name);
}

/* The command for (service, op), or NULL. */
static const rd_command_t *s_lookup(uint32_t service, const char *op)
{
    switch (service) {
    case PROTO_SVC_DYNAMODB:
        return bsearch(op, s_dynamodb_commands, COUNT_OF(s_dynamodb_commands), sizeof(rd_command_t), s_command_cmp);
    case PROTO_SVC_STREAMS:
        return bsearch(op, s_streams_commands, COUNT_OF(s_streams_commands), sizeof(rd_command_t), s_command_cmp);
    case PROTO_SVC_ADMIN:
        return bsearch(op, s_admin_commands, COUNT_OF(s_admin_commands), sizeof(rd_command_t), s_command_cmp);
    default:
        return NULL;
    }
}

bool rd_dispatch_is_read(uint32_t service, const char *op, size_t len)
{
    char name[64];
    if (service == PROTO_SVC_ADMIN || len >= sizeof(name))
        return false;
    memcpy(name, op, len);
    name[len] = '\0';
    const rd_command_t *cmd = s_lookup(service, name);
    return cmd && !(cmd->flags & RD_OP_WRITE);
}

int rd_req_table(rd_req_t *req)
{
    req->table = rd_store_find(req->store, req->account, req->table_name ? req->table_name : "");
    if (req->table)
        return 0;
    if (req->flags & RD_OP_RNF_NAMED)
        return ddb_err_set(req->err, DDB_ERR_RESOURCE_NOT_FOUND, "Requested resource not found: Table: %s not found",
                           req->table_name ? req->table_name : "");
    return ddb_err_set(req->err, DDB_ERR_RESOURCE_NOT_FOUND, "Requested resource not found");
}

/* True when the JSON text escapes U+0000 (a "\u0000" whose backslash is not itself
 * escaped). cJSON keeps strings NUL-terminated, so such a string would be cut short
 * and could silently alias another key; until the request decoder keeps lengths,
 * those requests are refused rather than corrupted. */
static bool s_has_nul_escape(const char *body, size_t len)
{
    for (const char *p = body; (p = memchr(p, '\\', (size_t)(body + len - p))) != NULL;) {
        size_t run = 0;
        while (p + run < body + len && p[run] == '\\')
            run++;
        p += run;
        if ((run & 1) && body + len - p >= 5 && p[0] == 'u' && memcmp(p + 1, "0000", 4) == 0)
            return true;
    }
    return false;
}

/* Parses the body into a JSON object; the service's front end rejects anything else
 * (an unparseable body gets the type alone, with no message). An empty body is {}. */
static cJSON *s_parse_body(rd_req_t *req, const char *body, size_t len)
{
    const char *text = len ? ddb_arena_strndup(req->arena, body, len) : "{}";
    cJSON *root = len && memchr(body, '\0', len) ? NULL : cJSON_ParseWithOpts(text, NULL, 1);
    if (!root) {
        ddb_err_set(req->err, DDB_ERR_SERIALIZATION, "%s", "");
        return NULL;
    }
    if (s_has_nul_escape(body, len)) {
        cJSON_Delete(root);
        ddb_err_set(req->err, DDB_ERR_VALIDATION, "Strings containing U+0000 are not supported by Meridian yet");
        return NULL;
    }
    if (rd_json_expect_object(root, req->err) != 0) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* The generic TableName check of RD_OP_TABLE operations. */
static int s_table_name(rd_req_t *req)
{
    const char *arg;
    if (rd_json_string(req->body, "TableName", &arg, req->err) != 0)
        return -1;
    rd_verrs_t v = RD_VERRS_INIT;
    rd_table_name_check(arg, false, "tableName", &v);
    if (rd_verr_finish(&v, req->err) != 0)
        return -1;
    const char *name = rd_table_name_from_arg(arg, req->region, req->account);
    req->table_name = name ? name : arg;
    return 0;
}

static int s_run(rd_req_t *req, const rd_command_t *cmd, const char *body, size_t body_len)
{
    cJSON *root = s_parse_body(req, body, body_len);
    if (!root)
        return -1;
    req->body = root;
    req->flags = cmd->flags;
    int rc = (cmd->flags & RD_OP_TABLE) ? s_table_name(req) : 0;
    if (rc == 0)
        rc = cmd->handler(req);
    cJSON_Delete(root);
    req->body = NULL;
    return rc;
}

int rd_dispatch(rd_req_t *req, uint32_t service, const char *body, size_t body_len)
{
    const rd_command_t *cmd = s_lookup(service, req->op);
    int rc = cmd ? s_run(req, cmd, body, body_len)
                 : ddb_err_set(req->err, DDB_ERR_UNKNOWN_OPERATION, "%s", "");
    if (rc == 0)
        return 200;
    if (req->err->kind == DDB_OK)
        ddb_err_set(req->err, DDB_ERR_INTERNAL, "Internal server error");
    DDB_DEBUG("%s: %s: %s", req->op, ddb_err_name(req->err->kind), req->err->message);
    ddb_buf_clear(req->out);
    ddb_err_to_json(req->err, req->out);
    int status = ddb_err_http_status(req->err->kind);
    ddb_err_clear(req->err);
    return status;
}
