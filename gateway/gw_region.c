/* gw_region: the per-region DEALER sockets and the requests in flight on them.
 * ZMQ_FD is edge-triggered: after every send and on every fd event we read
 * ZMQ_EVENTS and receive until POLLIN clears, or replies stall. In-flight records
 * are kept in send order per region, so timeouts only look at list heads. */
#include "gw_region.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <event2/event.h>
#include <zmq.h>

#include "ddb_err.h"
#include "ddb_log.h"
#include "gw_super.h"

#define GW_ZMQ_HWM 100000          /* messages queued per socket before EAGAIN */
#define GW_ZMQ_RECONNECT_IVL_MS 10 /* retry connecting to a regiond still starting */

static void s_on_zmq_event(evutil_socket_t fd, short what, void *arg);

void gw_region_internal_error(ddb_buf_t *out)
{
    ddb_err_t err = DDB_ERR_INIT;
    ddb_err_set(&err, DDB_ERR_INTERNAL, "Internal server error");
    ddb_err_to_json(&err, out);
}

static size_t s_name_hash(const char *name, size_t len)
{
    uint32_t h = 2166136261u;   /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)name[i];
        h *= 16777619u;
    }
    return h & (GW_REGION_INDEX_SIZE - 1);
}

gw_region_t *gw_region_find(gw_t *gw, const char *name, size_t len)
{
    for (size_t i = s_name_hash(name, len);; i = (i + 1) & (GW_REGION_INDEX_SIZE - 1)) {
        gw_region_t *r = gw->region_index[i];
        if (!r)
            return NULL;
        if (r->name_len == len && memcmp(r->name, name, len) == 0)
            return r;
    }
}

static int s_setsockopt_int(void *sock, int option, int value)
{
    return zmq_setsockopt(sock, option, &value, sizeof(value));
}

/* Opens r's DEALER, connects it and hooks its fd into the event loop. */
static int s_open_socket(gw_region_t *r)
{
    gw_t *gw = r->gw;
    r->dealer = zmq_socket(gw->zmq_ctx, ZMQ_DEALER);
    if (!r->dealer) {
        DDB_ERROR("zmq_socket for %s: %s", r->name, zmq_strerror(errno));
        return -1;
    }
    int fd;
    size_t fd_len = sizeof(fd);
    if (s_setsockopt_int(r->dealer, ZMQ_LINGER, 0) != 0 || s_setsockopt_int(r->dealer, ZMQ_SNDHWM, GW_ZMQ_HWM) != 0 ||
        s_setsockopt_int(r->dealer, ZMQ_RCVHWM, GW_ZMQ_HWM) != 0 ||
        s_setsockopt_int(r->dealer, ZMQ_RECONNECT_IVL, GW_ZMQ_RECONNECT_IVL_MS) != 0 ||
        zmq_connect(r->dealer, r->endpoint) != 0 || zmq_getsockopt(r->dealer, ZMQ_FD, &fd, &fd_len) != 0) {
        DDB_ERROR("zmq DEALER to %s: %s", r->endpoint, zmq_strerror(errno));
        goto fail;
    }
    r->zmq_ev = event_new(gw->base, fd, EV_READ | EV_PERSIST, s_on_zmq_event, r);
    if (!r->zmq_ev || event_add(r->zmq_ev, NULL) != 0) {
        DDB_ERROR("event for %s's socket failed", r->name);
        goto fail;
    }
    return 0;
fail:
    if (r->zmq_ev)
        event_free(r->zmq_ev);
    r->zmq_ev = NULL;
    zmq_close(r->dealer);
    r->dealer = NULL;
    return -1;
}

static void s_close_socket(gw_region_t *r)
{
    if (r->zmq_ev)
        event_free(r->zmq_ev);
    r->zmq_ev = NULL;
    if (r->dealer)
        zmq_close(r->dealer);
    r->dealer = NULL;
}

gw_region_t *gw_region_get(gw_t *gw, const char *name, size_t len)
{
    gw_region_t *r = gw_region_find(gw, name, len);
    if (r)
        return r;
    if (gw->stopping || !gw_region_name_valid(name, len))   /* it becomes a path and an argument */
        return NULL;
    if (gw->nregions >= GW_MAX_REGIONS) {
        DDB_WARN("refusing region %.*s: %d regions in use", (int)len, name, GW_MAX_REGIONS);
        return NULL;
    }
    r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->gw = gw;
    memcpy(r->name, name, len);
    r->name[len] = '\0';
    r->name_len = len;
    r->backoff_ms = 100;
    int n1 = snprintf(r->ipc_path, sizeof(r->ipc_path), "%s/%s.ipc", gw->run_dir, r->name);
    int n2 = snprintf(r->endpoint, sizeof(r->endpoint), "ipc://%s", r->ipc_path);
    if (n1 < 0 || (size_t)n1 >= sizeof(r->ipc_path) || n2 < 0 || (size_t)n2 >= sizeof(r->endpoint)) {
        free(r);
        return NULL;
    }
    if (s_open_socket(r) != 0) {
        free(r);
        return NULL;
    }
    gw->regions[gw->nregions++] = r;
    size_t i = s_name_hash(name, len);
    while (gw->region_index[i])
        i = (i + 1) & (GW_REGION_INDEX_SIZE - 1);
    gw->region_index[i] = r;
    gw_super_spawn(r);   /* on failure a retry is already scheduled */
    return r;
}

static void s_list_append(gw_region_t *r, gw_pending_t *p)
{
    p->next = NULL;
    p->prev = r->inflight_tail;
    if (r->inflight_tail)
        r->inflight_tail->next = p;
    else
        r->inflight_head = p;
    r->inflight_tail = p;
    r->inflight++;
}

static void s_list_unlink(gw_region_t *r, gw_pending_t *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        r->inflight_head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        r->inflight_tail = p->prev;
    p->prev = p->next = NULL;
    r->inflight--;
}

int gw_region_send(gw_region_t *r, proto_request_t *req, gw_reply_fn fn, void *arg, uintptr_t tag,
                   gw_pending_t **handle)
{
    gw_t *gw = r->gw;
    if (handle)
        *handle = NULL;
    gw_pending_t *p = r->dealer ? gw_ptable_take(&gw->pending) : NULL;
    if (!p)
        return -1;
    p->id = ++gw->next_id;
    p->region = r;
    p->on_reply = fn;
    p->arg = arg;
    p->tag = tag;
    size_t rid_len = req->request_id.len < GW_REQUEST_ID_LEN ? req->request_id.len : GW_REQUEST_ID_LEN;
    memcpy(p->request_id, req->request_id.ptr, rid_len);
    p->request_id[rid_len] = '\0';

    req->id = p->id;
    req->region.ptr = r->name;
    req->region.len = r->name_len;
    msgpack_sbuffer_clear(&gw->sbuf);
    if (proto_request_encode(req, &gw->sbuf) != 0 || gw_ptable_insert(&gw->pending, p) != 0) {
        gw_ptable_recycle(&gw->pending, p);
        return -1;
    }
    if (zmq_send(r->dealer, gw->sbuf.data, gw->sbuf.size, ZMQ_DONTWAIT) < 0) {
        DDB_WARN("send to %s failed: %s", r->name, zmq_strerror(errno));
        gw_ptable_remove(&gw->pending, p);
        gw_ptable_recycle(&gw->pending, p);
        gw_region_drain(r);
        return -1;
    }
    p->deadline_ms = gw_now_ms() + gw->cfg.request_timeout_ms;
    s_list_append(r, p);
    r->sent++;
    if (handle)
        *handle = p;
    /* the send may have consumed the fd's edge: look for replies now */
    gw_region_drain(r);
    return 0;
}

/* Takes p out of the table and its region's list. */
static void s_detach(gw_pending_t *p)
{
    gw_region_t *r = p->region;
    s_list_unlink(r, p);
    gw_ptable_remove(&r->gw->pending, p);
}

void gw_region_cancel(gw_pending_t *p)
{
    gw_t *gw = p->region->gw;
    s_detach(p);
    gw_ptable_recycle(&gw->pending, p);
}

/* Hands one reply to the request it answers. */
static void s_dispatch(gw_region_t *r, const char *data, size_t len)
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
    s_detach(p);
    p->on_reply(p, (int)resp.status, resp.body.ptr, resp.body.len);
    gw_ptable_recycle(&r->gw->pending, p);
}

void gw_region_drain(gw_region_t *r)
{
    while (r->dealer) {
        int events = 0;
        size_t events_len = sizeof(events);
        if (zmq_getsockopt(r->dealer, ZMQ_EVENTS, &events, &events_len) != 0 || !(events & ZMQ_POLLIN))
            return;
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, r->dealer, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            if (errno == EINTR)
                continue;
            return;
        }
        if (!zmq_msg_more(&msg)) {
            s_dispatch(r, zmq_msg_data(&msg), zmq_msg_size(&msg));
        } else {
            /* a reply is one frame; skip whatever this is, to its last frame */
            DDB_WARN("multipart message from %s's regiond dropped", r->name);
            while (zmq_msg_more(&msg) && zmq_msg_recv(&msg, r->dealer, ZMQ_DONTWAIT) >= 0)
                ;
        }
        zmq_msg_close(&msg);
    }
}

static void s_on_zmq_event(evutil_socket_t fd, short what, void *arg)
{
    gw_region_drain(arg);
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
    if (!r->inflight_head)
        return;
    DDB_WARN("answering %zu request(s) in flight to %s with 500: %s", r->inflight, r->name, why);
    ddb_buf_t body = DDB_BUF_INIT;
    gw_region_internal_error(&body);
    /* take the whole list first: a callback may send new requests to r */
    gw_pending_t *p = r->inflight_head;
    r->inflight_head = r->inflight_tail = NULL;
    r->inflight = 0;
    while (p) {
        gw_pending_t *next = p->next;
        p->prev = p->next = NULL;
        gw_ptable_remove(&r->gw->pending, p);
        s_answer_internal_error(p, &body);
        p = next;
    }
    ddb_buf_free(&body);
}

int gw_region_reset_socket(gw_region_t *r)
{
    gw_region_drain(r);   /* answers it sent before dying are real answers */
    gw_region_fail_inflight(r, "regiond exited");
    s_close_socket(r);
    return s_open_socket(r);
}

void gw_region_check_timeouts(gw_t *gw, uint64_t now_ms)
{
    ddb_buf_t body = DDB_BUF_INIT;
    for (size_t i = 0; i < gw->nregions; i++) {
        gw_region_t *r = gw->regions[i];
        while (r->inflight_head && r->inflight_head->deadline_ms <= now_ms) {
            gw_pending_t *p = r->inflight_head;
            DDB_WARN("request %s to %s timed out after %u ms", p->request_id, r->name, gw->cfg.request_timeout_ms);
            s_detach(p);
            if (body.len == 0)
                gw_region_internal_error(&body);
            s_answer_internal_error(p, &body);
        }
    }
    ddb_buf_free(&body);
}

void gw_region_destroy_all(gw_t *gw)
{
    for (size_t i = 0; i < gw->nregions; i++) {
        gw_region_t *r = gw->regions[i];
        while (r->inflight_head)
            gw_region_cancel(r->inflight_head);
        s_close_socket(r);
        if (r->restart_ev)
            event_free(r->restart_ev);
        free(r);
        gw->regions[i] = NULL;
    }
    gw->nregions = 0;
    memset(gw->region_index, 0, sizeof(gw->region_index));
}
