/* rd_op_admin: the regiond's answers to the gateway's own questions (service ADMIN):
 * "Status" lists every table of every account with its live counters, for the
 * launcher's status command and the admin API; "SetLinkFaults" and "SetDiskFull"
 * carry the chaos faults the regiond applies itself. */
#include "rd_op_admin.h"

#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "rd_link.h"
#include "rd_repl.h"
#include "rd_vfs.h"

int rd_op_admin_status(rd_req_t *req)
{
    ddb_buf_t *out = req->out;
    ddb_buf_puts(out, "{\"region\":");
    ddb_buf_json_str(out, req->region, strlen(req->region));
    ddb_buf_printf(out, ",\"pid\":%d,\"durability\":\"%s\",\"tables\":[", (int)getpid(),
                   rd_durability_name(rd_store_durability(req->store)));
    size_t n = rd_store_table_total(req->store);
    for (size_t i = 0; i < n; i++) {
        const rd_table_t *t = rd_store_table_at(req->store, i);
        int64_t items, bytes;
        if (rd_store_table_counts(req->store, t, &items, &bytes, req->err) != 0)
            return -1;
        ddb_buf_puts(out, i ? ",{\"account\":" : "{\"account\":");
        ddb_buf_json_str(out, t->account, strlen(t->account));
        ddb_buf_puts(out, ",\"name\":");
        ddb_buf_json_str(out, t->name, strlen(t->name));
        ddb_buf_printf(out, ",\"status\":\"%s\",\"items\":%lld,\"bytes\":%lld", t->status, (long long)items,
                       (long long)bytes);
        rd_rset_t set;
        if (rd_rset_load(req->store, t->account, t->name, &set) == 1) {   /* a global table */
            ddb_buf_puts(out, ",\"global\":{\"owner\":");
            ddb_buf_json_str(out, set.owner, strlen(set.owner));
            ddb_buf_printf(out, ",\"epoch\":%lld,\"tombstones\":%lld,\"replicas\":{", (long long)set.epoch,
                           (long long)rd_repl_tombstones(req->store, t));
            for (int m = 0; m < set.n; m++) {
                ddb_buf_puts(out, m ? "," : "");
                ddb_buf_json_str(out, set.m[m].region, strlen(set.m[m].region));
                ddb_buf_printf(out, ":\"%s\"", set.m[m].status);
            }
            ddb_buf_puts(out, "}}");
        }
        ddb_buf_putc(out, '}');
    }
    ddb_buf_puts(out, "]");
    const rd_repl_t *r = rd_repl_current();
    if (r) {
        const rd_repl_stats_t *st = rd_repl_stats(r);
        ddb_buf_printf(out, ",\"replication\":{\"published\":%llu,\"applied\":%llu,\"conflicts\":%llu,"
                            "\"catchups\":%llu,\"dropped\":%llu}",
                       (unsigned long long)st->published, (unsigned long long)st->applied,
                       (unsigned long long)st->conflicts, (unsigned long long)st->catchups,
                       (unsigned long long)st->dropped);
        ddb_buf_puts(out, ",\"links\":");   /* lag per link into this region */
        rd_repl_links_json((rd_repl_t *)r, out);
    }
    ddb_buf_puts(out, ",\"link_faults\":");
    rd_link_to_json(out);
    ddb_buf_printf(out, ",\"disk\":{\"full\":%s,\"refused_writes\":%llu}}", rd_vfs_disk_full() ? "true" : "false",
                   (unsigned long long)rd_vfs_refused_writes());
    return 0;
}

int rd_op_admin_set_link_faults(rd_req_t *req)
{
    char *text = cJSON_PrintUnformatted(req->body);
    char msg[200];
    int rc = text ? rd_link_set(req->region, text, strlen(text), msg, sizeof(msg)) : -1;
    cJSON_free(text);
    if (rc != 0)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "%s", text ? msg : "out of memory");
    ddb_buf_puts(req->out, "{}");
    return 0;
}

int rd_op_admin_set_disk_full(rd_req_t *req)
{
    const cJSON *full = cJSON_GetObjectItemCaseSensitive(req->body, "full");
    if (!cJSON_IsBool(full))
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "full must be true or false");
    const char *file = sqlite3_db_filename(rd_store_db(req->store), "main");
    if (cJSON_IsTrue(full) && (!file || !*file))
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "region %s keeps its data in memory: it has no disk to fill",
                           req->region);
    rd_vfs_set_disk_full(cJSON_IsTrue(full));
    ddb_buf_printf(req->out, "{\"full\":%s}", rd_vfs_disk_full() ? "true" : "false");
    return 0;
}
