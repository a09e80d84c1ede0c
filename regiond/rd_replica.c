/* rd_replica: UpdateTable ReplicaUpdates, checked in the service's order (shape,
 * the local region, the membership of the named regions, the table's state), then
 * carried out by the owner: here when this region owns the table, else forwarded to
 * it over the peer channel (the answer shows the table UPDATING either way). */
#include "rd_replica.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rd_json.h"
#include "rd_op_table.h"
#include "rd_op_ttl.h"
#include "rd_repl.h"
#include "ddb_log.h"

static const char s_invalid[] = "One or more parameter values were invalid: ";

/* An AWS region name: lowercase words joined by '-', ending in a number. */
static bool s_region_valid(const char *name)
{
    size_t len = strlen(name);
    if (len < 4 || len >= RD_REPL_REGION_MAX || name[len - 1] < '0' || name[len - 1] > '9')
        return false;
    int dashes = 0;
    for (const char *p = name; *p; p++) {
        if (*p == '-') {
            if (p == name || p[-1] == '-')
                return false;
            dashes++;
        } else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))) {
            return false;
        }
    }
    return dashes >= 2;
}

/* The replica updates of one request, by kind. */
typedef struct s_updates {
    cJSON *creates, *deletes, *updates;   /* JSON arrays of region names (owned) */
} s_updates_t;

static void s_updates_free(s_updates_t *u)
{
    cJSON_Delete(u->creates);
    cJSON_Delete(u->deletes);
    cJSON_Delete(u->updates);
}

static int s_parse(rd_req_t *req, const cJSON *list, s_updates_t *u)
{
    u->creates = cJSON_CreateArray();
    u->deletes = cJSON_CreateArray();
    u->updates = cJSON_CreateArray();
    if (cJSON_GetArraySize(list) == 0)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "1 validation error detected: Value '[]' at 'replicaUpdates' failed to satisfy constraint: "
                           "Member must have length greater than or equal to 1");
    const cJSON *e;
    cJSON_ArrayForEach(e, list) {
        if (rd_json_expect_object(e, req->err) != 0)
            return -1;
        static const char *const kinds[] = { "Create", "Delete", "Update" };
        cJSON *lists[] = { u->creates, u->deletes, u->updates };
        int given = 0;
        for (int k = 0; k < 3; k++) {
            const cJSON *action;
            if (rd_json_object(e, kinds[k], &action, req->err) != 0)
                return -1;
            if (!action)
                continue;
            given++;
            const char *region;
            if (rd_json_string(action, "RegionName", &region, req->err) != 0)
                return -1;
            if (!region)
                return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%sRegionName must be specified for %s", s_invalid,
                                   kinds[k]);
            if (k == 2 && cJSON_GetArraySize(action) == 1)
                return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                                   "%sUpdate of replica %s does not change anything: specify at least one setting "
                                   "to update", s_invalid, region);
            cJSON_AddItemToArray(lists[k], cJSON_CreateString(region));
        }
        if (given != 1)
            return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                               "%sExactly one of Create, Update or Delete must be specified in a ReplicationGroupUpdate",
                               s_invalid);
    }
    return 0;
}

/* The local region and unknown regions, in every action. */
static int s_check_regions(rd_req_t *req, const s_updates_t *u)
{
    const cJSON *lists[] = { u->creates, u->deletes, u->updates }, *e;
    for (int k = 0; k < 3; k++)
        cJSON_ArrayForEach(e, lists[k]) {
            if (strcmp(e->valuestring, req->region) == 0)
                return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                                   "Cannot add, delete, or update the local region through ReplicaUpdates. Use "
                                   "CreateTable, DeleteTable, or UpdateTable as required.");
            if (!s_region_valid(e->valuestring))
                return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%sThe region %s is not a valid AWS region",
                                   s_invalid, e->valuestring);
        }
    if (cJSON_GetArraySize(u->creates) && cJSON_GetArraySize(u->deletes))
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "%sReplicaUpdates cannot create and delete replicas in the same request", s_invalid);
    return 0;
}

/* Creates of members and deletes/updates of non-members. */
static int s_check_members(rd_req_t *req, const s_updates_t *u, rd_rset_t *set, bool global)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, u->creates) {
        if (global && rd_rset_member(set, e->valuestring))
            return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                               "Failed to create a the new replica of table with name: '%s' because one or more "
                               "replicas already existed as tables.", req->table->name);
    }
    ddb_buf_t missing = DDB_BUF_INIT;
    const cJSON *lists[] = { u->deletes, u->updates };
    for (int k = 0; k < 2; k++)
        cJSON_ArrayForEach(e, lists[k]) {
            if (global && rd_rset_member(set, e->valuestring))
                continue;
            ddb_buf_puts(&missing, missing.len ? ", " : "");
            ddb_buf_puts(&missing, e->valuestring);
        }
    int rc = 0;
    if (missing.len)
        rc = ddb_err_set(req->err, DDB_ERR_VALIDATION,
                         "Update global table operation failed because one or more replicas were not part of the "
                         "global table. Please retry the request without these replicas: [%.*s].",
                         (int)missing.len, missing.data);
    ddb_buf_free(&missing);
    return rc;
}

static bool s_busy(const rd_table_t *t, const rd_rset_t *set)
{
    if (strcmp(t->status, "ACTIVE") != 0)
        return true;
    for (int i = 0; i < set->n; i++)
        if (strcmp(set->m[i].status, "ACTIVE") != 0)
            return true;
    return false;
}

static int s_in_use(rd_req_t *req, const rd_table_t *t)
{
    return ddb_err_set(req->err, DDB_ERR_RESOURCE_IN_USE,
                       "Attempt to change a resource which is still in use: Table is being updated: %s", t->name);
}

int rd_replica_update_table(rd_req_t *req)
{
    const cJSON *list;
    if (rd_json_list(req->body, "ReplicaUpdates", &list, req->err) != 0)
        return -1;
    s_updates_t u = { 0 };
    int rc = -1;
    if (s_parse(req, list, &u) != 0 || s_check_regions(req, &u) != 0 || rd_req_table(req) != 0)
        goto out;
    rd_repl_t *r = rd_repl_current();
    if (!r) {
        ddb_err_set(req->err, DDB_ERR_VALIDATION, "%sGlobal tables need regionds started by meridian-gateway",
                    s_invalid);
        goto out;
    }
    rd_table_t *t = req->table;
    rd_rset_t set;
    int global = rd_rset_load(req->store, t->account, t->name, &set);
    if (global < 0 || s_check_members(req, &u, &set, global == 1) != 0)
        goto out;
    if (global == 1 ? s_busy(t, &set) : strcmp(t->status, "ACTIVE") != 0) {
        s_in_use(req, t);
        goto out;
    }
    if (global != 1) {   /* the table becomes global: this region owns it */
        memset(&set, 0, sizeof(set));
        snprintf(set.owner, sizeof(set.owner), "%s", req->region);
        set.n = 1;
        snprintf(set.m[0].region, sizeof(set.m[0].region), "%s", req->region);
        snprintf(set.m[0].status, sizeof(set.m[0].status), "ACTIVE");
        set.seeded = true;
    }
    if (cJSON_GetArraySize(u.creates))
        rd_repl_enable_stream(r, t);
    if (strcmp(set.owner, req->region) == 0) {
        if (rd_repl_owner_update(r, t, &set, u.creates, u.deletes, NULL) != 0) {
            ddb_err_set(req->err, DDB_ERR_INTERNAL, "Internal server error");
            goto out;
        }
    } else {
        cJSON *fwd = cJSON_CreateObject();
        cJSON_AddItemReferenceToObject(fwd, "Create", u.creates);
        cJSON_AddItemReferenceToObject(fwd, "Delete", u.deletes);
        char *text = cJSON_PrintUnformatted(fwd);
        rd_repl_send_control(r, set.owner, PROTO_MSG_REPLICA_UPDATE, t->account, t->name, 0, text);
        free(text);
        cJSON_Delete(fwd);
    }
    int64_t items = 0, bytes = 0;
    if (rd_store_table_counts(req->store, t, &items, &bytes, req->err) != 0)
        goto out;
    rd_describe_opts_t opts = { req->region, "UPDATING", items, bytes, false, req->store };
    ddb_buf_puts(req->out, "{\"TableDescription\":");
    rd_table_describe(t, &opts, req->out);
    ddb_buf_puts(req->out, "}");
    rc = 0;
out:
    s_updates_free(&u);
    return rc;
}

int rd_replica_check_update(rd_req_t *req, const rd_table_t *t, const rd_stream_spec_t *stream)
{
    rd_rset_t set;
    if (rd_rset_load(req->store, t->account, t->name, &set) != 1)
        return 0;
    if (stream->given && !stream->enabled)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "Disabling Stream is not allowed for a Global Table replica.");
    if (s_busy(t, &set))
        return s_in_use(req, t);
    return 0;
}

int rd_replica_on_delete_table(rd_req_t *req, rd_table_t *t)
{
    rd_repl_t *r = rd_repl_current();
    if (!r)
        return 0;
    if (rd_repl_leave(r, t) < 0)
        return ddb_err_set(req->err, DDB_ERR_INTERNAL, "Internal server error");
    return 0;
}

void rd_replica_describe_table(rd_store_t *s, const rd_table_t *t, const char *region, ddb_buf_t *out)
{
    rd_rset_t set;
    if (rd_rset_load(s, t->account, t->name, &set) != 1)
        return;
    ddb_buf_puts(out, ",\"Replicas\":[");
    int n = 0;
    for (int i = 0; i < set.n; i++) {
        if (strcmp(set.m[i].region, region) == 0)
            continue;
        ddb_buf_puts(out, n++ ? ",{\"RegionName\":" : "{\"RegionName\":");
        ddb_buf_json_str(out, set.m[i].region, strlen(set.m[i].region));
        ddb_buf_printf(out, ",\"ReplicaStatus\":\"%s\"", set.m[i].status);
        if (strcmp(set.m[i].status, "CREATING") == 0)
            ddb_buf_puts(out, ",\"ReplicaStatusPercentProgress\":\"0\"");
        ddb_buf_puts(out, "}");
    }
    ddb_buf_puts(out, "],\"GlobalTableVersion\":\"2019.11.21\"");
}

static bool s_applying_remote;   /* a propagated operation runs: do not propagate it again */

void rd_replica_propagate(rd_req_t *req, const rd_table_t *t)
{
    rd_repl_t *r = rd_repl_current();
    rd_rset_t set;
    if (!r || s_applying_remote || rd_rset_load(req->store, t->account, t->name, &set) != 1)
        return;
    static const char *const kept[] = { "AttributeDefinitions", "BillingMode", "ProvisionedThroughput",
                                        "GlobalSecondaryIndexUpdates", "TimeToLiveSpecification", NULL };
    cJSON *body = cJSON_CreateObject();
    int n = 0;
    for (const char *const *k = kept; *k; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(req->body, *k);
        if (v) {
            cJSON_AddItemToObject(body, *k, cJSON_Duplicate(v, 1));
            n += strcmp(*k, "AttributeDefinitions") != 0;
        }
    }
    cJSON_AddStringToObject(body, "TableName", t->name);
    char *text = n ? cJSON_PrintUnformatted(body) : NULL;
    for (int i = 0; text && i < set.n; i++)
        if (strcmp(set.m[i].region, req->region) != 0)
            rd_repl_send_table_update(r, set.m[i].region, t->account, t->name, req->op, text);
    free(text);
    cJSON_Delete(body);
}

int rd_replica_apply_update(rd_store_t *s, ddb_arena_t *a, const char *region, const char *account,
                            const char *name, const char *op, const char *body, size_t body_len)
{
    rd_handler_t handler = strcmp(op, "UpdateTable") == 0        ? rd_op_update_table
                           : strcmp(op, "UpdateTimeToLive") == 0 ? rd_op_update_time_to_live
                                                                 : NULL;
    cJSON *json = handler ? cJSON_ParseWithLength(body, body_len) : NULL;
    if (!json)
        return -1;
    ddb_err_t err = DDB_ERR_INIT;
    ddb_buf_t out = DDB_BUF_INIT;
    rd_req_t req = { .store = s, .arena = a, .region = region, .account = account, .op = op, .body = json,
                     .table_name = name, .flags = RD_OP_WRITE | RD_OP_TABLE | RD_OP_RNF_NAMED, .out = &out,
                     .err = &err };
    s_applying_remote = true;
    int rc = handler(&req);
    s_applying_remote = false;
    if (rc != 0)
        DDB_INFO("propagated %s of %s not applied here: %s", op, name, err.message);
    ddb_err_clear(&err);
    ddb_buf_free(&out);
    cJSON_Delete(json);
    return rc;
}
