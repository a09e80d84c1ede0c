/* rd_loop: group execution over a ZMQ_ROUTER socket: drain up to RD_BATCH_MAX waiting
 * messages, run them in one transaction with a savepoint each (a failed request leaves
 * nothing), commit once, then send every reply (all 500 if the commit fails). One arena
 * serves every request, reset between them; reply buffers live across batches. */
#include "rd_loop.h"

#include <errno.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "ddb_arena.h"
#include "ddb_buf.h"
#include "ddb_err.h"
#include "ddb_hlc.h"
#include "ddb_log.h"
#include "proto.h"
#include "rd_dispatch.h"
#include "rd_op_ttl.h"
#include "rd_repl.h"
#include "rd_stream.h"

#define RD_BATCH_MAX 256          /* requests per transaction */
#define RD_FRAMES_MAX 4           /* routing frames kept per message, payload included */
#define RD_POLL_MS 1000           /* poll timeout without timers due sooner */
#define RD_HWM 100000             /* socket high-water marks */
#define RD_LINGER_MS 1000         /* bound on unsent replies at close */

/* One received message of the batch and its answer. */
typedef struct rd_pending {
    zmq_msg_t frames[RD_FRAMES_MAX];   /* routing frames, then the payload (last) */
    int nframes;
    bool answer;                       /* a decodable request that gets a reply */
    uint64_t id;                       /* the request's correlation id */
    int status;                        /* HTTP status of the reply */
    ddb_buf_t body;                    /* reply body */
} rd_pending_t;

typedef struct rd_loop {
    void *ctx, *sock;
    const char *region;
    rd_store_t *store;
    ddb_arena_t *arena;                /* per-request memory */
    rd_pending_t batch[RD_BATCH_MAX];
    int n;                             /* messages in the current batch */
    rd_ttl_sweeper_t *ttl;             /* the Time to Live sweeper */
    int ttl_interval_ms;               /* between sweeps; 0: never */
    uint64_t ttl_next_ms;              /* wall clock of the next sweep */
    rd_repl_t *repl;                   /* global tables' replication, or NULL */
} rd_loop_t;

static void s_frames_close(rd_pending_t *p)
{
    for (int i = 0; i < p->nframes; i++)
        zmq_msg_close(&p->frames[i]);
    p->nframes = 0;
}

/* Receives one whole multipart message without blocking: 1 when one was read, 0
 * when none is waiting, -1 on error. Frames beyond RD_FRAMES_MAX are dropped. */
static int s_recv_one(rd_loop_t *l, rd_pending_t *p)
{
    p->nframes = 0;
    for (;;) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, l->sock, p->nframes ? 0 : ZMQ_DONTWAIT) < 0) {
            int e = errno;
            zmq_msg_close(&msg);
            s_frames_close(p);
            return e == EAGAIN ? 0 : -1;
        }
        bool more = zmq_msg_more(&msg);
        if (p->nframes < RD_FRAMES_MAX)
            p->frames[p->nframes++] = msg;
        else
            zmq_msg_close(&msg);
        if (!more)
            return 1;
    }
}

/* Runs one request inside its savepoint and records its reply. */
static void s_execute(rd_loop_t *l, rd_pending_t *p)
{
    zmq_msg_t *payload = &p->frames[p->nframes - 1];
    proto_request_t in;
    p->answer = false;
    ddb_buf_clear(&p->body);
    if (proto_request_decode(zmq_msg_data(payload), zmq_msg_size(payload), &in) != 0) {
        DDB_WARN("dropping a malformed request (%zu bytes)", zmq_msg_size(payload));
        return;
    }
    p->answer = true;
    p->id = in.id;
    ddb_err_t err = DDB_ERR_INIT;
    rd_req_t req = {
        .store = l->store,
        .arena = l->arena,
        .region = l->region,
        .account = ddb_arena_strndup(l->arena, in.account.ptr, in.account.len),
        .op = ddb_arena_strndup(l->arena, in.op.ptr, in.op.len),
        .out = &p->body,
        .err = &err,
    };
    if (rd_store_savepoint(l->store) != 0) {
        ddb_err_set(&err, DDB_ERR_INTERNAL, "Internal server error");
        ddb_err_to_json(&err, &p->body);
        ddb_err_clear(&err);
        p->status = ddb_err_http_status(DDB_ERR_INTERNAL);
    } else {
        p->status = rd_dispatch(&req, in.service, in.body.ptr, in.body.len);
        if (p->status == 200)
            rd_store_release(l->store);
        else
            rd_store_rollback_to(l->store);
        DDB_DEBUG("%s %s -> %d", req.account, req.op, p->status);
    }
    ddb_arena_reset(l->arena);
}

/* Replaces every reply of the batch with 500 InternalServerError. */
static void s_fail_batch(rd_loop_t *l)
{
    ddb_err_t err = DDB_ERR_INIT;
    ddb_err_set(&err, DDB_ERR_INTERNAL, "Internal server error");
    for (int i = 0; i < l->n; i++) {
        ddb_buf_clear(&l->batch[i].body);
        ddb_err_to_json(&err, &l->batch[i].body);
        l->batch[i].status = ddb_err_http_status(err.kind);
    }
    ddb_err_clear(&err);
}

/* Sends the routing frames back, then the encoded response. */
static void s_reply(rd_loop_t *l, rd_pending_t *p)
{
    msgpack_sbuffer sbuf;
    msgpack_sbuffer_init(&sbuf);
    proto_response_t resp = { p->id, (uint32_t)p->status, { p->body.data ? p->body.data : "", p->body.len } };
    proto_response_encode(&resp, &sbuf);
    bool ok = true;
    for (int i = 0; ok && i < p->nframes - 1; i++)
        ok = zmq_msg_send(&p->frames[i], l->sock, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0;
    if (ok)
        ok = zmq_send(l->sock, sbuf.data, sbuf.size, ZMQ_DONTWAIT) >= 0;
    if (!ok)
        DDB_WARN("reply %llu not sent: %s", (unsigned long long)p->id, zmq_strerror(errno));
    msgpack_sbuffer_destroy(&sbuf);
}

/* Executes the drained batch as one transaction and answers it. */
static void s_run_batch(rd_loop_t *l)
{
    bool in_txn = rd_store_begin(l->store) == 0;
    if (in_txn) {
        for (int i = 0; i < l->n; i++)
            s_execute(l, &l->batch[i]);
        if (rd_store_commit(l->store) != 0) {
            DDB_ERROR("commit of a batch of %d failed", l->n);
            s_fail_batch(l);
        }
    } else {
        for (int i = 0; i < l->n; i++) {   /* answer what can be answered: 500 */
            rd_pending_t *p = &l->batch[i];
            zmq_msg_t *payload = &p->frames[p->nframes - 1];
            proto_request_t in;
            p->answer = proto_request_decode(zmq_msg_data(payload), zmq_msg_size(payload), &in) == 0;
            p->id = p->answer ? in.id : 0;
        }
        s_fail_batch(l);
    }
    for (int i = 0; i < l->n; i++) {
        if (l->batch[i].answer)
            s_reply(l, &l->batch[i]);
        s_frames_close(&l->batch[i]);
    }
    l->n = 0;
}

/* Reads every message already waiting, up to RD_BATCH_MAX. */
static void s_drain(rd_loop_t *l)
{
    while (l->n < RD_BATCH_MAX) {
        rd_pending_t *p = &l->batch[l->n];
        int rc = s_recv_one(l, p);
        if (rc <= 0)
            break;
        if (p->nframes >= 2)   /* routing identity + payload */
            l->n++;
        else
            s_frames_close(p);
    }
}

static int s_open_socket(rd_loop_t *l, const char *endpoint)
{
    int hwm = RD_HWM, linger = RD_LINGER_MS;
    l->ctx = zmq_ctx_new();
    l->sock = l->ctx ? zmq_socket(l->ctx, ZMQ_ROUTER) : NULL;
    if (!l->sock)
        return -1;
    zmq_setsockopt(l->sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(l->sock, ZMQ_RCVHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(l->sock, ZMQ_LINGER, &linger, sizeof(linger));
    if (zmq_bind(l->sock, endpoint) != 0) {
        DDB_ERROR("cannot bind %s: %s", endpoint, zmq_strerror(errno));
        return -1;
    }
    return 0;
}

static void s_close(rd_loop_t *l)
{
    rd_repl_destroy(&l->repl);
    if (l->sock)
        zmq_close(l->sock);
    if (l->ctx)
        zmq_ctx_term(l->ctx);
    for (int i = 0; i < RD_BATCH_MAX; i++)
        ddb_buf_free(&l->batch[i].body);
    ddb_arena_destroy(&l->arena);
    rd_ttl_sweeper_destroy(&l->ttl);
}

/* How long zmq_poll may wait: until the next sweep is due, at most RD_POLL_MS. */
static long s_poll_timeout(const rd_loop_t *l)
{
    if (l->ttl_interval_ms <= 0)
        return RD_POLL_MS;
    uint64_t now = ddb_wall_ms();
    uint64_t wait = l->ttl_next_ms > now ? l->ttl_next_ms - now : 0;
    return wait < RD_POLL_MS ? (long)wait : RD_POLL_MS;
}

/* Runs the Time to Live sweeper when it is due (between batches, in a transaction
 * of its own). */
static void s_timers(rd_loop_t *l)
{
    rd_stream_tick(l->store);   /* shard rollover and trimming; rate-limited inside */
    rd_repl_tick(l->repl);      /* heartbeats, replica control */
    if (l->ttl_interval_ms <= 0 || ddb_wall_ms() < l->ttl_next_ms)
        return;
    rd_ttl_sweep(l->ttl, l->store, l->arena, (double)ddb_wall_ms() / 1000.0);
    l->ttl_next_ms = ddb_wall_ms() + (uint64_t)l->ttl_interval_ms;
}

int rd_loop_run(const char *endpoint, const char *region, rd_store_t *store, int ttl_interval_ms,
                volatile sig_atomic_t *stop)
{
    rd_loop_t *l = calloc(1, sizeof(*l));
    if (!l)
        abort();
    l->region = region;
    l->store = store;
    l->arena = ddb_arena_new(64 * 1024);
    l->ttl = rd_ttl_sweeper_new();
    l->ttl_interval_ms = ttl_interval_ms;
    l->ttl_next_ms = ddb_wall_ms() + (uint64_t)(ttl_interval_ms > 0 ? ttl_interval_ms : 0);
    int rc = s_open_socket(l, endpoint);
    if (rc == 0) {
        DDB_INFO("listening on %s", endpoint);
        l->repl = rd_repl_new(l->ctx, store, region, endpoint);
    }
    while (rc == 0 && !*stop) {
        zmq_pollitem_t items[1 + RD_REPL_POLLITEMS] = { { l->sock, 0, ZMQ_POLLIN, 0 } };
        int n_items = 1 + rd_repl_pollitems(l->repl, items + 1);
        long timeout = s_poll_timeout(l);
        int n = zmq_poll(items, n_items, l->repl && timeout > 50 ? 50 : timeout);
        zmq_pollitem_t item = items[0];
        if (n < 0 && errno != EINTR) {
            DDB_ERROR("zmq_poll: %s", zmq_strerror(errno));
            rc = -1;
            break;
        }
        if (n > 0 && (item.revents & ZMQ_POLLIN)) {
            s_drain(l);
            if (l->n > 0) {
                s_run_batch(l);
                rd_repl_after_commit(l->repl);   /* publish only what is committed */
            }
        }
        if (n > 0 && n_items > 1)
            rd_repl_handle(l->repl);
        s_timers(l);
    }
    s_close(l);
    free(l);
    return rc;
}
