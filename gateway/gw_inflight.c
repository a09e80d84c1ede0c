/* gw_inflight: the requests in flight to each region, whatever carries them there:
 * registration, the answer's dispatch, timeouts, cancellation and the 500s the
 * gateway makes up for a regiond that died. gw_region.c carries the bytes. */
#include <string.h>

#include "ddb_err.h"
#include "ddb_log.h"
#include "gw_region.h"

void gw_region_internal_error(ddb_buf_t *out)
{
    ddb_err_t err = DDB_ERR_INIT;
    ddb_err_set(&err, DDB_ERR_INTERNAL, "Internal server error");
    ddb_err_to_json(&err, out);
}

gw_pending_t *gw_inflight_begin(gw_region_t *r, proto_request_t *req, gw_reply_fn fn, void *arg, uintptr_t tag)
{
    gw_t *gw = r->gw;
    gw_pending_t *p = gw_ptable_take(&gw->pending);
    if (!p)
        return NULL;
    gw_pending_start(p, ++gw->next_id, r, fn, arg, tag, req->request_id.ptr, req->request_id.len);
    req->id = p->id;
    req->region.ptr = r->name;
    req->region.len = r->name_len;
    if (gw_ptable_insert(&gw->pending, p) != 0) {
        gw_ptable_recycle(&gw->pending, p);
        return NULL;
    }
    return p;
}

void gw_inflight_commit(gw_pending_t *p)
{
    gw_region_t *r = p->region;
    p->deadline_ms = gw_now_ms() + r->gw->cfg.request_timeout_ms;
    gw_plist_append(&r->inflight, p);
    r->sent++;
}

void gw_inflight_abort(gw_pending_t *p)
{
    gw_t *gw = p->region->gw;
    gw_ptable_remove(&gw->pending, p);
    gw_ptable_recycle(&gw->pending, p);
}

void gw_inflight_detach(gw_pending_t *p)
{
    gw_region_t *r = p->region;
    gw_plist_unlink(&r->inflight, p);
    gw_ptable_remove(&r->gw->pending, p);
}

void gw_region_cancel(gw_pending_t *p)
{
    gw_t *gw = p->region->gw;
    gw_inflight_detach(p);
    gw_ptable_recycle(&gw->pending, p);
}

void gw_inflight_dispatch(gw_region_t *r, const char *data, size_t len)
{
    proto_response_t resp;
    if (proto_response_decode(data, len, &resp) != 0) {
        DDB_WARN("undecodable message (%zu bytes) from %s's regiond", len, r->name);
        return;
    }
    r->answered = true;
    if (r->state == GW_REGION_STARTING)
        r->state = GW_REGION_RUNNING;
    gw_pending_t *p = gw_ptable_find(&r->gw->pending, resp.id);
    if (!p || p->region != r) {
        DDB_DEBUG("late or unknown reply %llu from %s", (unsigned long long)resp.id, r->name);
        return;
    }
    gw_inflight_detach(p);
    p->on_reply(p, (int)resp.status, resp.body.ptr, resp.body.len);
    gw_ptable_recycle(&r->gw->pending, p);
}

/* Runs p's callback with a 500 and recycles it (p is already detached). */
static void s_answer_internal_error(gw_pending_t *p, const ddb_buf_t *body)
{
    gw_t *gw = p->region->gw;
    p->on_reply(p, 500, body->data, body->len);
    gw_ptable_recycle(&gw->pending, p);
}

void gw_region_fail_inflight(gw_region_t *r, const char *why)
{
    if (!r->inflight.head)
        return;
    DDB_WARN("answering %zu request(s) in flight to %s with 500: %s", r->inflight.count, r->name, why);
    ddb_buf_t body = DDB_BUF_INIT;
    gw_region_internal_error(&body);
    /* take the whole list first: a callback may send new requests to r */
    gw_pending_t *p = r->inflight.head;
    r->inflight.head = r->inflight.tail = NULL;
    r->inflight.count = 0;
    while (p) {
        gw_pending_t *next = p->next;
        p->prev = p->next = NULL;
        gw_ptable_remove(&r->gw->pending, p);
        s_answer_internal_error(p, &body);
        p = next;
    }
    ddb_buf_free(&body);
}

void gw_region_check_timeouts(gw_t *gw, uint64_t now_ms)
{
    ddb_buf_t body = DDB_BUF_INIT;
    for (size_t i = 0; i < gw->nregions; i++) {
        gw_region_t *r = gw->regions[i];
        while (r->inflight.head && r->inflight.head->deadline_ms <= now_ms) {
            gw_pending_t *p = r->inflight.head;
            DDB_WARN("request %s to %s timed out after %u ms", p->request_id, r->name, gw->cfg.request_timeout_ms);
            gw_inflight_detach(p);
            if (body.len == 0)
                gw_region_internal_error(&body);
            s_answer_internal_error(p, &body);
        }
    }
    ddb_buf_free(&body);
}
