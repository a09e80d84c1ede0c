/* rd_replica: UpdateTable ReplicaUpdates, checked in the service's order (shape,
 * the local region, the membership of the named regions, the table's state), then
 * carried out by the owner: here when this region owns the table, else forwarded to
 * it over the peer channel (the answer shows the table UPDATING either way). Also
 * the replicas' own settings (overrides), and the table settings that every replica
 * shares: propagated as operations, versioned, and reconciled when a copy is behind. */
#include "rd_replica.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "ddb_hlc.h"
#include "rd_index.h"
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
    cJSON *overrides;                     /* region -> its Create/Update settings (owned) */
} s_updates_t;

static void s_updates_free(s_updates_t *u)
{
    cJSON_Delete(u->creates);
    cJSON_Delete(u->deletes);
    cJSON_Delete(u->updates);
    cJSON_Delete(u->overrides);
}

static int s_parse(rd_req_t *req, const cJSON *list, s_updates_t *u)
{
    u->creates = cJSON_CreateArray();
    u->deletes = cJSON_CreateArray();
    u->updates = cJSON_CreateArray();
    u->overrides = cJSON_CreateObject();
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
            if (k != 1 && cJSON_GetArraySize(action) > 1 && !cJSON_GetObjectItemCaseSensitive(u->overrides, region))
                cJSON_AddItemToObject(u->overrides, region, cJSON_Duplicate(action, 1));
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

/* ---- replica-specific settings (ReplicaUpdates Create/Update overrides) ---- */

static const rd_index_t *s_gsi(const rd_table_t *t, const char *name)
{
    for (size_t i = 0; t->ix && i < t->ix->count; i++)
        if (t->ix->list[i].global && !t->ix->list[i].deleting && strcmp(t->ix->list[i].name, name) == 0)
            return &t->ix->list[i];
    return NULL;
}

/* A ProvisionedThroughputOverride / OnDemandThroughputOverride object of `where`
 * (copied into out when valid). */
static int s_check_capacity(rd_req_t *req, const rd_table_t *t, const cJSON *holder, const char *where, cJSON *out)
{
    static const char *const kinds[2][3] = {
        { "ProvisionedThroughputOverride", "ReadCapacityUnits", "PAY_PER_REQUEST" },
        { "OnDemandThroughputOverride", "MaxReadRequestUnits", "PROVISIONED" } };
    for (int k = 0; k < 2; k++) {
        const cJSON *o;
        if (rd_json_object(holder, kinds[k][0], &o, req->err) != 0)
            return -1;
        if (!o)
            continue;
        bool present = false;
        int64_t units = 0;
        if (rd_json_long(o, kinds[k][1], &present, &units, req->err) != 0)
            return -1;
        if (!present)
            return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%s%s: %s must be specified in %s", s_invalid, where,
                               kinds[k][1], kinds[k][0]);
        if (k == 0 ? units < 1 : (units < 1 && units != -1))
            return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%s%s: %s must be greater than or equal to 1",
                               s_invalid, where, kinds[k][1]);
        bool on_demand = t->billing == RD_BILLING_PAY_PER_REQUEST;
        if (on_demand == (k == 0))
            return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                               "%s%s: %s cannot be specified when the table's BillingMode is %s", s_invalid, where,
                               kinds[k][0], kinds[k][2]);
        cJSON *copy = cJSON_AddObjectToObject(out, kinds[k][0]);
        cJSON_AddNumberToObject(copy, kinds[k][1], (double)units);
    }
    return 0;
}

/* Validates one replica's Create/Update settings against t; *out: the settings kept
 * (owned), as DescribeTable shows them. */
static int s_check_overrides(rd_req_t *req, const rd_table_t *t, const char *region, const cJSON *action,
                             cJSON **out)
{
    cJSON *o = cJSON_CreateObject();
    *out = o;
    if (s_check_capacity(req, t, action, region, o) != 0)
        return -1;
    const cJSON *gsis;
    if (rd_json_list(action, "GlobalSecondaryIndexes", &gsis, req->err) != 0)
        return -1;
    if (gsis && cJSON_GetArraySize(gsis) == 0)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "1 validation error detected: Value '[]' at 'globalSecondaryIndexes' failed to satisfy "
                           "constraint: Member must have length greater than or equal to 1");
    const cJSON *g;
    cJSON *kept = gsis ? cJSON_AddArrayToObject(o, "GlobalSecondaryIndexes") : NULL;
    cJSON_ArrayForEach(g, gsis) {
        const char *name;
        if (rd_json_expect_object(g, req->err) != 0 || rd_json_string(g, "IndexName", &name, req->err) != 0)
            return -1;
        if (!name)
            return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%sIndexName must be specified for every replica "
                               "global secondary index", s_invalid);
        if (!s_gsi(t, name))
            return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                               "%sReplica global secondary index %s is not a global secondary index of table %s",
                               s_invalid, name, t->name);
        cJSON *entry = cJSON_CreateObject();
        cJSON_AddItemToArray(kept, entry);
        cJSON_AddStringToObject(entry, "IndexName", name);
        if (s_check_capacity(req, t, g, name, entry) != 0)
            return -1;
    }
    const char *cls, *kms;
    if (rd_json_string(action, "TableClassOverride", &cls, req->err) != 0 ||
        rd_json_string(action, "KMSMasterKeyId", &kms, req->err) != 0)
        return -1;
    if (cls && strcmp(cls, "STANDARD") != 0 && strcmp(cls, "STANDARD_INFREQUENT_ACCESS") != 0)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "1 validation error detected: Value '%s' at 'tableClassOverride' failed to satisfy "
                           "constraint: Member must satisfy enum value set: [STANDARD_INFREQUENT_ACCESS, STANDARD]",
                           cls);
    if (cls)
        cJSON_AddStringToObject(o, "TableClassOverride", cls);
    if (kms && !*kms)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%sKMSMasterKeyId must not be empty", s_invalid);
    if (kms)
        cJSON_AddStringToObject(o, "KMSMasterKeyId", kms);
    char *text = cJSON_PrintUnformatted(o);
    size_t len = strlen(text);
    free(text);
    if (len >= sizeof(((rd_member_t *)0)->overrides))
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%sToo many replica settings for %s", s_invalid, region);
    return 0;
}

/* Replaces u->overrides' raw actions by their validated settings. */
static int s_check_all_overrides(rd_req_t *req, const rd_table_t *t, s_updates_t *u)
{
    cJSON *checked = cJSON_CreateObject();
    const cJSON *e;
    int rc = 0;
    cJSON_ArrayForEach(e, u->overrides) {
        cJSON *o = NULL;
        rc = s_check_overrides(req, t, e->string, e, &o);
        if (rc == 0 && cJSON_GetArraySize(o) > 0)
            cJSON_AddItemToObject(checked, e->string, o);
        else
            cJSON_Delete(o);
        if (rc != 0)
            break;
    }
    cJSON_Delete(u->overrides);
    u->overrides = checked;
    return rc;
}

int rd_replica_save_overrides(rd_store_t *s, const char *account, const char *name, const cJSON *overrides)
{
    rd_rset_t set;
    if (cJSON_GetArraySize(overrides) == 0 || rd_rset_load(s, account, name, &set) != 1)
        return 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, overrides) {
        rd_member_t *m = e->string ? rd_rset_member(&set, e->string) : NULL;
        if (!m || !cJSON_IsObject(e))
            continue;
        cJSON *merged = m->overrides[0] ? cJSON_Parse(m->overrides) : NULL;
        if (!merged)
            merged = cJSON_CreateObject();
        const cJSON *f;
        cJSON_ArrayForEach(f, e) {   /* an Update changes the settings it names */
            cJSON_DeleteItemFromObjectCaseSensitive(merged, f->string);
            cJSON_AddItemToObject(merged, f->string, cJSON_Duplicate(f, 1));
        }
        char *text = cJSON_PrintUnformatted(merged);
        if (strlen(text) < sizeof(m->overrides))
            snprintf(m->overrides, sizeof(m->overrides), "%s", text);
        free(text);
        cJSON_Delete(merged);
    }
    set.epoch++;
    return rd_rset_save(s, account, name, &set);
}

/* The read capacity o (a replica's or one of its GSIs' settings) overrides, or 0. */
static int64_t s_override_rcu(const cJSON *o)
{
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(o, "ProvisionedThroughputOverride");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(pt, "ReadCapacityUnits");
    return cJSON_IsNumber(n) ? (int64_t)n->valuedouble : 0;
}

static const cJSON *s_override_gsi(const cJSON *o, const char *ix_name)
{
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(o, "GlobalSecondaryIndexes")) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(g, "IndexName");
        if (cJSON_IsString(n) && strcmp(n->valuestring, ix_name) == 0)
            return g;
    }
    return NULL;
}

/* This region's overrides in its table's set, parsed (owned), or NULL. */
static cJSON *s_own_overrides(rd_store_t *s, const rd_table_t *t, const char *region)
{
    rd_rset_t set;
    if (rd_rset_load(s, t->account, t->name, &set) != 1)
        return NULL;
    rd_member_t *me = rd_rset_member(&set, region);
    return me && me->overrides[0] ? cJSON_Parse(me->overrides) : NULL;
}

void rd_replica_apply_own_overrides(rd_store_t *s, rd_table_t *t, const char *region)
{
    cJSON *o = s_own_overrides(s, t, region);
    if (!o)
        return;
    bool changed = false;
    int64_t rcu = s_override_rcu(o);
    if (rcu > 0 && t->billing == RD_BILLING_PROVISIONED && t->rcu != rcu) {
        t->rcu = rcu;
        changed = true;
    }
    for (size_t i = 0; t->ix && i < t->ix->count; i++) {
        const cJSON *g = t->ix->list[i].global ? s_override_gsi(o, t->ix->list[i].name) : NULL;
        int64_t ircu = g ? s_override_rcu(g) : 0;
        if (ircu > 0 && t->billing == RD_BILLING_PROVISIONED && t->ix->list[i].rcu != ircu) {
            t->ix->list[i].rcu = ircu;
            changed = true;
        }
    }
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(o, "TableClassOverride");
    if (cJSON_IsString(cls) && (!t->table_class || strcmp(t->table_class, cls->valuestring) != 0)) {
        char *copy = strdup(cls->valuestring);
        if (!copy)
            abort();
        free(t->table_class);
        t->table_class = copy;
        t->table_class_updated = (double)ddb_wall_ms() / 1000.0;
        changed = true;
    }
    cJSON_Delete(o);
    ddb_err_t err = DDB_ERR_INIT;
    if (changed && rd_store_update_table(s, t, &err) != 0)
        DDB_WARN("replica settings of %s not applied: %s", t->name, err.message);
    ddb_err_clear(&err);
}

/* A peer's definition as this replica should hold it: its read capacities overridden. */
static void s_def_with_own_overrides(rd_store_t *s, const rd_table_t *t, const char *region, cJSON *def)
{
    cJSON *o = s_own_overrides(s, t, region);
    if (!o)
        return;
    int64_t rcu = s_override_rcu(o);
    if (rcu > 0)
        cJSON_ReplaceItemInObjectCaseSensitive(def, "ReadCapacityUnits", cJSON_CreateNumber((double)rcu));
    cJSON *ix;
    cJSON_ArrayForEach(ix, cJSON_GetObjectItemCaseSensitive(def, "Indexes")) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(ix, "Name");
        const cJSON *g = cJSON_IsString(n) ? s_override_gsi(o, n->valuestring) : NULL;
        int64_t ircu = g ? s_override_rcu(g) : 0;
        if (ircu > 0)
            cJSON_ReplaceItemInObjectCaseSensitive(ix, "RCU", cJSON_CreateNumber((double)ircu));
    }
    cJSON_Delete(o);
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
    if (global < 0 || s_check_members(req, &u, &set, global == 1) != 0 ||
        s_check_all_overrides(req, t, &u) != 0)
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
        if (rd_repl_owner_update(r, t, &set, u.creates, u.deletes, NULL) != 0 ||
            rd_replica_save_overrides(req->store, t->account, t->name, u.overrides) != 0) {
            ddb_err_set(req->err, DDB_ERR_INTERNAL, "Internal server error");
            goto out;
        }
    } else {
        cJSON *fwd = cJSON_CreateObject();
        cJSON_AddItemReferenceToObject(fwd, "Create", u.creates);
        cJSON_AddItemReferenceToObject(fwd, "Delete", u.deletes);
        cJSON_AddItemReferenceToObject(fwd, "Overrides", u.overrides);
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
    return rd_replica_check_settings(req, t);
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

/* Appends a member's settings as its ReplicaDescription shows them. */
static void s_describe_overrides(const rd_table_t *t, const char *text, ddb_buf_t *out)
{
    cJSON *o = text[0] ? cJSON_Parse(text) : NULL;
    static const char *const fields[] = { "ProvisionedThroughputOverride", "OnDemandThroughputOverride",
                                          "KMSMasterKeyId", NULL };
    for (const char *const *f = fields; *f; f++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, *f);
        if (!v)
            continue;
        char *json = cJSON_PrintUnformatted(v);
        ddb_buf_printf(out, ",\"%s\":%s", *f, json);
        free(json);
    }
    int n = 0;
    for (size_t i = 0; t->ix && i < t->ix->count; i++) {   /* every GSI, with its settings */
        const rd_index_t *ix = &t->ix->list[i];
        if (!ix->global || ix->deleting)
            continue;
        ddb_buf_puts(out, n++ ? ",{\"IndexName\":" : ",\"GlobalSecondaryIndexes\":[{\"IndexName\":");
        ddb_buf_json_str(out, ix->name, strlen(ix->name));
        const cJSON *g = s_override_gsi(o, ix->name);
        for (int k = 0; g && k < 2; k++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(g, fields[k]);
            char *json = v ? cJSON_PrintUnformatted(v) : NULL;
            if (json)
                ddb_buf_printf(out, ",\"%s\":%s", fields[k], json);
            free(json);
        }
        ddb_buf_putc(out, '}');
    }
    if (n)
        ddb_buf_putc(out, ']');
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(o, "TableClassOverride");
    if (cJSON_IsString(cls))
        ddb_buf_printf(out, ",\"ReplicaTableClassSummary\":{\"TableClass\":\"%s\"}", cls->valuestring);
    cJSON_Delete(o);
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
        s_describe_overrides(t, set.m[i].overrides, out);
        ddb_buf_puts(out, "}");
    }
    ddb_buf_puts(out, "],\"GlobalTableVersion\":\"2019.11.21\"");
}

static bool s_applying_remote;   /* a propagated operation runs: do not propagate it again */

/* ---- settings versions: (ver, origin) in repl_settings, compared ver first ---- */

int rd_replica_settings_version(rd_store_t *s, const char *account, const char *name, rd_settings_ver_t *out)
{
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(rd_store_db(s), "SELECT ver, origin FROM repl_settings WHERE account = ?1 AND name = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        out->ver = sqlite3_column_int64(st, 0);
        snprintf(out->origin, sizeof(out->origin), "%s", (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    return 0;
}

static int s_ver_put(rd_store_t *s, const char *account, const char *name, const rd_settings_ver_t *v)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(rd_store_db(s), "INSERT OR REPLACE INTO repl_settings (account, name, ver, origin)"
                                            " VALUES (?1, ?2, ?3, ?4)", -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, v->ver);
    sqlite3_bind_text(st, 4, v->origin, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return rc;
}

/* <0, 0, >0 as a is older than, the same as, newer than b. */
static int s_ver_cmp(const rd_settings_ver_t *a, const rd_settings_ver_t *b)
{
    if (a->ver != b->ver)
        return a->ver < b->ver ? -1 : 1;
    return strcmp(a->origin, b->origin);
}

static uint64_t s_settings_asked_ms;   /* one settings request in flight at a time */

/* The newest settings version a peer's heartbeat showed, per table (this process). */
typedef struct s_seen_ver {
    char account[16], name[256];
    int64_t phys;                  /* the table's storage id: a table made again starts over */
    rd_settings_ver_t ver;
} s_seen_ver_t;
static s_seen_ver_t s_seen[256];
static int s_n_seen;

static s_seen_ver_t *s_seen_find(const char *account, const char *name, bool add)
{
    for (int i = 0; i < s_n_seen; i++)
        if (strcmp(s_seen[i].name, name) == 0 && strcmp(s_seen[i].account, account) == 0)
            return &s_seen[i];
    if (!add)
        return NULL;
    s_seen_ver_t *e = &s_seen[s_n_seen < 256 ? s_n_seen++ : (int)(ddb_wall_ms() % 256)];
    memset(e, 0, sizeof(*e));
    snprintf(e->account, sizeof(e->account), "%s", account);
    snprintf(e->name, sizeof(e->name), "%s", name);
    return e;
}

int rd_replica_check_settings(rd_req_t *req, const rd_table_t *t)
{
    rd_settings_ver_t mine;
    const s_seen_ver_t *seen = s_seen_find(t->account, t->name, false);
    if (s_applying_remote || !seen || seen->phys != t->phys ||
        rd_replica_settings_version(req->store, t->account, t->name, &mine) != 0 ||
        s_ver_cmp(&seen->ver, &mine) <= 0)
        return 0;
    return ddb_err_set(req->err, DDB_ERR_RESOURCE_IN_USE,
                       "Attempt to change a resource which is still in use: Table is being updated: %s", t->name);
}

void rd_replica_on_peer_version(rd_store_t *s, const char *from, const char *account, const char *name,
                                const rd_settings_ver_t *theirs)
{
    rd_repl_t *r = rd_repl_current();
    rd_settings_ver_t mine;
    rd_rset_t set;
    uint64_t now = ddb_wall_ms();
    const rd_table_t *t = rd_store_find(s, account, name);
    s_seen_ver_t *seen = t && theirs->ver > 0 ? s_seen_find(account, name, true) : NULL;
    if (seen && seen->phys != t->phys) {
        memset(&seen->ver, 0, sizeof(seen->ver));
        seen->phys = t->phys;
    }
    if (seen && s_ver_cmp(theirs, &seen->ver) > 0)
        seen->ver = *theirs;
    if (!r || theirs->ver <= 0 || now - s_settings_asked_ms < RD_SETTINGS_ASK_MS ||
        rd_rset_load(s, account, name, &set) != 1 || !set.seeded || !rd_rset_member(&set, from) ||
        rd_replica_settings_version(s, account, name, &mine) != 0 || s_ver_cmp(theirs, &mine) <= 0)
        return;
    s_settings_asked_ms = now;
    rd_repl_send_table_update(r, from, account, name, "SettingsReq", 0, "{}");
}

/* ---- reconciling a copy with a peer's definition, one operation at a time ---- */

static const cJSON *s_def_index(const cJSON *def, const char *name)
{
    const cJSON *ix;
    cJSON_ArrayForEach(ix, cJSON_GetObjectItemCaseSensitive(def, "Indexes")) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(ix, "Name");
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ix, "Global")) && cJSON_IsString(n) &&
            strcmp(n->valuestring, name) == 0)
            return ix;
    }
    return NULL;
}

static int64_t s_def_num(const cJSON *o, const char *field)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, field);
    return cJSON_IsNumber(n) ? (int64_t)n->valuedouble : 0;
}

static const char *s_def_str(const cJSON *o, const char *field)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, field);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static cJSON *s_throughput(int64_t rcu, int64_t wcu)
{
    cJSON *pt = cJSON_CreateObject();
    cJSON_AddNumberToObject(pt, "ReadCapacityUnits", (double)rcu);
    cJSON_AddNumberToObject(pt, "WriteCapacityUnits", (double)wcu);
    return pt;
}

static void s_add_attr_def(cJSON *defs, const char *name, const char *type)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "AttributeName", name);
    cJSON_AddStringToObject(d, "AttributeType", type);
    cJSON_AddItemToArray(defs, d);
}

/* The GSI Create of index ix (an entry of a definition's Indexes) into body. */
static void s_gsi_create(cJSON *body, const cJSON *ix, bool provisioned)
{
    cJSON *defs = cJSON_AddArrayToObject(body, "AttributeDefinitions");
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "IndexName", s_def_str(ix, "Name"));
    cJSON *ks = cJSON_AddArrayToObject(c, "KeySchema");
    static const char *const parts[2][3] = { { "Hash", "HashType", "HASH" }, { "Range", "RangeType", "RANGE" } };
    for (int k = 0; k < 2; k++) {
        const char *attr = s_def_str(ix, parts[k][0]), *type = s_def_str(ix, parts[k][1]);
        if (!attr || !type)
            continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "AttributeName", attr);
        cJSON_AddStringToObject(e, "KeyType", parts[k][2]);
        cJSON_AddItemToArray(ks, e);
        s_add_attr_def(defs, attr, type);
    }
    cJSON *proj = cJSON_AddObjectToObject(c, "Projection");
    cJSON_AddStringToObject(proj, "ProjectionType", s_def_str(ix, "Projection") ? s_def_str(ix, "Projection") : "ALL");
    const cJSON *nk = cJSON_GetObjectItemCaseSensitive(ix, "NonKey");
    if (cJSON_GetArraySize(nk) > 0)
        cJSON_AddItemToObject(proj, "NonKeyAttributes", cJSON_Duplicate(nk, 1));
    if (provisioned)
        cJSON_AddItemToObject(c, "ProvisionedThroughput", s_throughput(s_def_num(ix, "RCU"), s_def_num(ix, "WCU")));
    cJSON *updates = cJSON_AddArrayToObject(body, "GlobalSecondaryIndexUpdates");
    cJSON *u = cJSON_CreateObject();
    cJSON_AddItemToObject(u, "Create", c);
    cJSON_AddItemToArray(updates, u);
}

/* The first difference between t's settings (billing, throughput, GSIs, TTL) and
 * def's, as the operation that removes it (*op and the returned body, owned), or
 * NULL when they agree. */
static cJSON *s_next_difference(const rd_table_t *t, const cJSON *def, const char **op)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "TableName", t->name);
    *op = "UpdateTable";
    const char *billing = s_def_str(def, "BillingMode");
    bool provisioned = billing && strcmp(billing, "PROVISIONED") == 0;
    int64_t rcu = s_def_num(def, "ReadCapacityUnits"), wcu = s_def_num(def, "WriteCapacityUnits");
    if (billing && (provisioned != (t->billing == RD_BILLING_PROVISIONED) ||
                    (provisioned && (rcu != t->rcu || wcu != t->wcu)))) {
        cJSON_AddStringToObject(body, "BillingMode", billing);
        if (provisioned) {
            cJSON_AddItemToObject(body, "ProvisionedThroughput", s_throughput(rcu, wcu));
            cJSON *updates = NULL;
            for (size_t i = 0; t->ix && i < t->ix->count; i++) {
                const cJSON *ix = t->ix->list[i].global ? s_def_index(def, t->ix->list[i].name) : NULL;
                if (!ix || t->billing == RD_BILLING_PROVISIONED)
                    continue;
                if (!updates)
                    updates = cJSON_AddArrayToObject(body, "GlobalSecondaryIndexUpdates");
                cJSON *u = cJSON_CreateObject(), *g = cJSON_AddObjectToObject(u, "Update");
                cJSON_AddStringToObject(g, "IndexName", t->ix->list[i].name);
                cJSON_AddItemToObject(g, "ProvisionedThroughput",
                                      s_throughput(s_def_num(ix, "RCU"), s_def_num(ix, "WCU")));
                cJSON_AddItemToArray(updates, u);
            }
        }
        return body;
    }
    for (size_t i = 0; t->ix && i < t->ix->count; i++) {   /* indexes the peer dropped */
        const rd_index_t *ix = &t->ix->list[i];
        if (!ix->global || ix->deleting || s_def_index(def, ix->name))
            continue;
        cJSON *u = cJSON_CreateObject(), *d = cJSON_AddObjectToObject(u, "Delete");
        cJSON_AddStringToObject(d, "IndexName", ix->name);
        cJSON_AddItemToArray(cJSON_AddArrayToObject(body, "GlobalSecondaryIndexUpdates"), u);
        return body;
    }
    const cJSON *ixj;
    cJSON_ArrayForEach(ixj, cJSON_GetObjectItemCaseSensitive(def, "Indexes")) {   /* added, or resized */
        const char *name = s_def_str(ixj, "Name");
        if (!name || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ixj, "Global")))
            continue;
        const rd_index_t *mine = NULL;
        for (size_t i = 0; t->ix && i < t->ix->count; i++)
            if (strcmp(t->ix->list[i].name, name) == 0)
                mine = &t->ix->list[i];
        if (!mine) {
            s_gsi_create(body, ixj, provisioned);
            return body;
        }
        if (provisioned && (mine->rcu != s_def_num(ixj, "RCU") || mine->wcu != s_def_num(ixj, "WCU"))) {
            cJSON *u = cJSON_CreateObject(), *g = cJSON_AddObjectToObject(u, "Update");
            cJSON_AddStringToObject(g, "IndexName", name);
            cJSON_AddItemToObject(g, "ProvisionedThroughput",
                                  s_throughput(s_def_num(ixj, "RCU"), s_def_num(ixj, "WCU")));
            cJSON_AddItemToArray(cJSON_AddArrayToObject(body, "GlobalSecondaryIndexUpdates"), u);
            return body;
        }
    }
    bool ttl_on = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(def, "TimeToLiveEnabled"));
    const char *ttl_attr = s_def_str(def, "TimeToLiveAttribute");
    if (ttl_on != t->ttl_enabled || (ttl_on && (!t->ttl_attr || !ttl_attr || strcmp(ttl_attr, t->ttl_attr) != 0))) {
        const char *attr = ttl_on ? ttl_attr : t->ttl_attr;
        if (attr) {
            *op = "UpdateTimeToLive";
            cJSON *spec = cJSON_AddObjectToObject(body, "TimeToLiveSpecification");
            cJSON_AddBoolToObject(spec, "Enabled", ttl_on);
            cJSON_AddStringToObject(spec, "AttributeName", attr);
            return body;
        }
    }
    cJSON_Delete(body);
    return NULL;
}

/* A peer's current definition with its version: when newer than ours, takes the next
 * step towards it; the version is ours once nothing differs any more (a refused step
 * is retried at a later heartbeat). */
static int s_on_settings(rd_store_t *s, ddb_arena_t *a, const char *region, const char *account, const char *name,
                         const char *body, size_t body_len)
{
    cJSON *j = cJSON_ParseWithLength(body, body_len);
    const cJSON *def = cJSON_GetObjectItemCaseSensitive(j, "def");
    rd_settings_ver_t theirs = { 0 }, mine;
    theirs.ver = s_def_num(j, "ver");
    const char *origin = s_def_str(j, "vo");
    rd_table_t *t = rd_store_find(s, account, name);
    int rc = 0;
    if (!t || !cJSON_IsObject(def) || !origin || rd_replica_settings_version(s, account, name, &mine) != 0)
        goto out;
    snprintf(theirs.origin, sizeof(theirs.origin), "%s", origin);
    if (s_ver_cmp(&theirs, &mine) <= 0)
        goto out;
    s_def_with_own_overrides(s, t, region, (cJSON *)def);
    const char *op = NULL;
    cJSON *step = s_next_difference(t, def, &op);
    if (!step) {
        rc = s_ver_put(s, account, name, &theirs);
        DDB_INFO("settings of %s at version %lld (%s)", name, (long long)theirs.ver, theirs.origin);
        goto out;
    }
    char *text = cJSON_PrintUnformatted(step);
    DDB_INFO("settings of %s behind version %lld: %s %s", name, (long long)theirs.ver, op, text);
    rd_replica_apply_update(s, a, region, account, name, op, text, strlen(text));
    s_settings_asked_ms = 0;   /* ask again at the next heartbeat for the next step */
    free(text);
    cJSON_Delete(step);
out:
    cJSON_Delete(j);
    return rc;
}

int rd_replica_on_table_update(rd_store_t *s, ddb_arena_t *a, const char *region, const char *from,
                               const char *account, const char *name, const char *op, uint64_t ver,
                               const char *body, size_t body_len)
{
    rd_table_t *t = rd_store_find(s, account, name);
    rd_repl_t *r = rd_repl_current();
    rd_settings_ver_t mine;
    if (!t || rd_replica_settings_version(s, account, name, &mine) != 0)
        return 0;
    if (strcmp(op, "SettingsReq") == 0) {
        if (!r)
            return 0;
        char *def = rd_table_def_json(t);
        ddb_buf_t answer = DDB_BUF_INIT;
        ddb_buf_printf(&answer, "{\"ver\":%lld,\"vo\":", (long long)mine.ver);
        ddb_buf_json_str(&answer, mine.origin, strlen(mine.origin));
        ddb_buf_printf(&answer, ",\"def\":%s}", def);
        ddb_buf_putc(&answer, '\0');
        rd_repl_send_table_update(r, from, account, name, "Settings", (uint64_t)mine.ver, answer.data);
        ddb_buf_free(&answer);
        free(def);
        return 0;
    }
    if (strcmp(op, "Settings") == 0)
        return s_on_settings(s, a, region, account, name, body, body_len);
    rd_settings_ver_t theirs = { .ver = (int64_t)ver };
    snprintf(theirs.origin, sizeof(theirs.origin), "%s", from);
    if (ver > 0 && (s_ver_cmp(&theirs, &mine) <= 0 || theirs.ver != mine.ver + 1))
        return 0;   /* old, or after one we missed: the heartbeats bring the whole definition */
    int rc = rd_replica_apply_update(s, a, region, account, name, op, body, body_len);
    if (rc == 0 && ver > 0)
        rc = s_ver_put(s, account, name, &theirs);
    return rc;
}

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
    rd_settings_ver_t ver = { 0 };
    if (text && rd_replica_settings_version(req->store, t->account, t->name, &ver) == 0) {
        ver.ver++;
        snprintf(ver.origin, sizeof(ver.origin), "%s", req->region);
        if (s_ver_put(req->store, t->account, t->name, &ver) != 0)
            DDB_WARN("cannot keep the settings version of %s", t->name);
    }
    for (int i = 0; text && i < set.n; i++)
        if (strcmp(set.m[i].region, req->region) != 0)
            rd_repl_send_table_update(r, set.m[i].region, t->account, t->name, req->op, (uint64_t)ver.ver, text);
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
    rd_table_t *t = rc == 0 ? rd_store_find(s, account, name) : NULL;
    if (t)   /* the table's capacities came with the operation: this replica's own stay */
        rd_replica_apply_own_overrides(s, t, region);
    if (rc != 0)
        DDB_INFO("propagated %s of %s not applied here: %s", op, name, err.message);
    ddb_err_clear(&err);
    ddb_buf_free(&out);
    cJSON_Delete(json);
    return rc;
}
