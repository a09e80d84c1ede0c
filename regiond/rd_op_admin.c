/* rd_op_admin: the regiond's answers to the gateway's own questions (service ADMIN):
 * "Status" lists every table of every account with its live counters, for the
 * launcher's status command and the admin API. */
#include "rd_op_admin.h"

#include <string.h>
#include <unistd.h>

int rd_op_admin_status(rd_req_t *req)
{
    ddb_buf_t *out = req->out;
    ddb_buf_puts(out, "{\"region\":");
    ddb_buf_json_str(out, req->region, strlen(req->region));
    ddb_buf_printf(out, ",\"pid\":%d,\"tables\":[", (int)getpid());
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
        ddb_buf_printf(out, ",\"status\":\"%s\",\"items\":%lld,\"bytes\":%lld}", t->status, (long long)items,
                       (long long)bytes);
    }
    ddb_buf_puts(out, "]}");
    return 0;
}
