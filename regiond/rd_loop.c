/* rd_loop: group execution over the gateway's stream connections. Each turn reads
 * what every connection has sent, takes up to RD_BATCH_MAX whole frames, runs them
 * in one transaction with a savepoint each (a failed request leaves nothing),
 * commits once, then queues every reply (all 500 if the commit fails) and writes each
 * connection's replies in one go. One arena serves every request, reset between
 * them; buffers live across batches. Frames are length-prefixed proto messages
 * (proto.h); the frames of a batch are read in place in the input buffers. */
#define _GNU_SOURCE   /* accept4 */
#include "rd_loop.h"

#include <errno.h>
#include <msgpack.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
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

#define RD_BATCH_MAX 256              /* requests per transaction */
#define RD_CONNS_MAX 16               /* gateway connections at once (a new gateway reconnects) */
#define RD_READ_CHUNK (256 * 1024)    /* bytes asked of one read() */
#define RD_READ_TURN (4 * 1024 * 1024) /* bytes read from one connection per turn */
#define RD_OUT_PAUSE (64 * 1024 * 1024) /* unwritten replies past which a connection is not read */
#define RD_OUT_KEEP (4 * 1024 * 1024) /* an emptied buffer larger than this is freed */
#define RD_POLL_MS 1000               /* poll timeout without timers due sooner */

/* A byte buffer with a read offset: [off, len) is unconsumed. */
typedef struct rd_bytes {
    char *data;
    size_t len, cap, off;
} rd_bytes_t;

/* One gateway connection. */
typedef struct rd_conn {
    int fd;                /* -1: the slot is free */
    rd_bytes_t in;         /* received; [off, len) not yet taken into a batch */
    msgpack_sbuffer out;   /* replies; out_off bytes of it already written */
    size_t out_off;
    bool eof;              /* the gateway closed its side: close when its frames are run */
} rd_conn_t;

/* One request of the batch and its answer. */
typedef struct rd_pending {
    int conn;              /* slot of the connection it came on */
    const char *data;      /* the message, inside that connection's input buffer */
    size_t len;
    proto_request_t req;   /* decoded from data (answer true) */
    bool answer;           /* a decodable request that gets a reply */
    bool read;             /* an operation that only reads: runs first */
    bool clean;            /* nothing in the transaction had changed when it finished */
    int status;            /* HTTP status of the reply */
    ddb_buf_t body;        /* reply body */
} rd_pending_t;

typedef struct rd_loop {
    void *ctx;                         /* ZeroMQ context of the replication sockets */
    int listen_fd;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    rd_conn_t conns[RD_CONNS_MAX];
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

/* ---- connections ---- */

static void s_conn_close(rd_conn_t *c)
{
    if (c->fd < 0)
        return;
    close(c->fd);
    c->fd = -1;
    free(c->in.data);
    memset(&c->in, 0, sizeof(c->in));
    msgpack_sbuffer_destroy(&c->out);
    msgpack_sbuffer_init(&c->out);
    c->out_off = 0;
    c->eof = false;
}

static void s_accept(rd_loop_t *l)
{
    for (;;) {
        int fd = accept4(l->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                DDB_WARN("accept on %s: %s", l->path, strerror(errno));
            return;
        }
        rd_conn_t *slot = NULL;
        for (int i = 0; i < RD_CONNS_MAX && !slot; i++)
            if (l->conns[i].fd < 0)
                slot = &l->conns[i];
        if (!slot) {
            DDB_WARN("refusing a connection: %d gateway connections open", RD_CONNS_MAX);
            close(fd);
            continue;
        }
        proto_frame_socket_buffers(fd);
        slot->fd = fd;
        DDB_DEBUG("gateway connected");
    }
}

/* Reads what c has sent, up to RD_READ_TURN bytes. */
static void s_conn_read(rd_conn_t *c)
{
    size_t turn = 0;
    while (!c->eof && turn < RD_READ_TURN) {
        rd_bytes_t *b = &c->in;
        if (b->cap - b->len < RD_READ_CHUNK) {
            size_t cap = b->cap ? b->cap : RD_READ_CHUNK;
            while (cap - b->len < RD_READ_CHUNK)
                cap *= 2;
            char *data = realloc(b->data, cap);
            if (!data)
                abort();
            b->data = data;
            b->cap = cap;
        }
        ssize_t n = read(c->fd, b->data + b->len, b->cap - b->len);
        if (n > 0) {
            b->len += (size_t)n;
            turn += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        c->eof = true;   /* closed, or an error: no more requests on it */
    }
}

/* The next whole frame of c, or NULL (*bad set if the stream is corrupt). */
static const char *s_conn_frame(rd_conn_t *c, size_t *len, bool *bad)
{
    rd_bytes_t *b = &c->in;
    if (b->len - b->off < PROTO_FRAME_HEADER)
        return NULL;
    uint32_t n = proto_frame_header_get((const unsigned char *)b->data + b->off);
    if (n > PROTO_FRAME_MAX) {
        DDB_ERROR("frame of %u bytes from the gateway: closing the connection", n);
        *bad = true;
        return NULL;
    }
    if (b->len - b->off - PROTO_FRAME_HEADER < n)
        return NULL;
    const char *data = b->data + b->off + PROTO_FRAME_HEADER;
    b->off += PROTO_FRAME_HEADER + n;
    *len = n;
    return data;
}

/* Does c hold a whole frame not yet taken? */
static bool s_conn_has_frame(const rd_conn_t *c)
{
    const rd_bytes_t *b = &c->in;
    if (c->fd < 0 || b->len - b->off < PROTO_FRAME_HEADER)
        return false;
    uint32_t n = proto_frame_header_get((const unsigned char *)b->data + b->off);
    return n > PROTO_FRAME_MAX || b->len - b->off - PROTO_FRAME_HEADER >= n;
}

/* Drops the frames already taken from c's input buffer. */
static void s_conn_compact(rd_conn_t *c)
{
    rd_bytes_t *b = &c->in;
    if (b->off == 0)
        return;
    memmove(b->data, b->data + b->off, b->len - b->off);
    b->len -= b->off;
    b->off = 0;
    if (b->len == 0 && b->cap > RD_OUT_KEEP) {   /* a large request has passed: give it back */
        free(b->data);
        memset(b, 0, sizeof(*b));
    }
}

/* Writes what c's output holds; the rest waits for POLLOUT. */
static void s_conn_flush(rd_conn_t *c)
{
    while (c->fd >= 0 && c->out_off < c->out.size) {
        ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.size - c->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        DDB_WARN("gateway connection lost while answering: %s", n < 0 ? strerror(errno) : "closed");
        s_conn_close(c);
        return;
    }
    if (c->fd >= 0 && c->out_off == c->out.size) {
        if (c->out.alloc > RD_OUT_KEEP) {
            msgpack_sbuffer_destroy(&c->out);
            msgpack_sbuffer_init(&c->out);
        }
        c->out.size = 0;
        c->out_off = 0;
    }
}

/* ---- the batch ---- */

/* Replaces p's reply with 500 InternalServerError. */
static void s_fail_one(rd_pending_t *p)
{
    ddb_err_t err = DDB_ERR_INIT;
    ddb_err_set(&err, DDB_ERR_INTERNAL, "Internal server error");
    ddb_buf_clear(&p->body);
    ddb_err_to_json(&err, &p->body);
    p->status = ddb_err_http_status(err.kind);
    ddb_err_clear(&err);
}

/* Runs one decoded request inside its savepoint and records its reply. */
static void s_execute(rd_loop_t *l, rd_pending_t *p)
{
    const proto_request_t *in = &p->req;
    ddb_buf_clear(&p->body);
    ddb_err_t err = DDB_ERR_INIT;
    rd_req_t req = {
        .store = l->store,
        .arena = l->arena,
        .region = l->region,
        .account = ddb_arena_strndup(l->arena, in->account.ptr, in->account.len),
        .op = ddb_arena_strndup(l->arena, in->op.ptr, in->op.len),
        .out = &p->body,
        .err = &err,
    };
    if (rd_store_savepoint(l->store) != 0) {
        s_fail_one(p);
    } else {
        p->status = rd_dispatch(&req, in->service, in->body.ptr, in->body.len);
        if (p->status == 200)
            rd_store_release(l->store);
        else
            rd_store_rollback_to(l->store);
        DDB_DEBUG("%s %s -> %d", req.account, req.op, p->status);
    }
    ddb_arena_reset(l->arena);
}

/* Queues p's encoded response, framed, on its connection. */
static void s_reply(rd_loop_t *l, rd_pending_t *p)
{
    rd_conn_t *c = &l->conns[p->conn];
    if (c->fd < 0 || c->eof)   /* the gateway that asked is gone */
        return;
    static const char header_room[PROTO_FRAME_HEADER];
    size_t at = c->out.size;
    msgpack_sbuffer_write(&c->out, header_room, sizeof(header_room));
    proto_response_t resp = { p->req.id, (uint32_t)p->status, { p->body.data ? p->body.data : "", p->body.len } };
    proto_response_encode(&resp, &c->out);
    proto_frame_header_put((unsigned char *)c->out.data + at, (uint32_t)(c->out.size - at - PROTO_FRAME_HEADER));
}

static void s_flush_all(rd_loop_t *l);

/* Runs the batch's reads (reads true) or its other requests as one transaction: a
 * read transaction takes no lock, a write transaction holds the writer's lock to its
 * commit. If the commit fails, the requests that ran after something had changed
 * get 500 (a read that ran before any change saw only committed data). */
static void s_run_group(rd_loop_t *l, bool reads)
{
    bool any = false;
    for (int i = 0; i < l->n && !any; i++)
        any = l->batch[i].answer && l->batch[i].read == reads;
    if (!any)
        return;
    bool began = (reads ? rd_store_begin_read(l->store) : rd_store_begin(l->store)) == 0;
    sqlite3 *db = rd_store_db(l->store);
    int changes = sqlite3_total_changes(db);
    for (int i = 0; i < l->n; i++) {
        rd_pending_t *p = &l->batch[i];
        if (!p->answer || p->read != reads)
            continue;
        if (!began) {
            s_fail_one(p);
            continue;
        }
        s_execute(l, p);
        p->clean = sqlite3_total_changes(db) == changes && p->status != 500;
    }
    if (began && rd_store_commit(l->store) != 0) {
        DDB_ERROR("commit of a batch of %d failed", l->n);
        for (int i = 0; i < l->n; i++)
            if (l->batch[i].answer && l->batch[i].read == reads && !l->batch[i].clean)
                s_fail_one(&l->batch[i]);
    }
}

/* Queues the replies of the batch's reads (reads true) or of its other requests. */
static int s_reply_group(rd_loop_t *l, bool reads)
{
    int n = 0;
    for (int i = 0; i < l->n; i++) {
        if (l->batch[i].answer && l->batch[i].read == reads) {
            s_reply(l, &l->batch[i]);
            n++;
        }
    }
    return n;
}

/* Executes the taken batch and queues its replies. The operations that only read
 * run first, in a transaction of their own, and are answered before the writes
 * run: they wait for no commit, and a failed commit never fails them. The writes
 * then run as one transaction with a savepoint each, and are answered after its
 * commit. Every request of a batch was in flight at once (a client's next request
 * on a connection waits for this one's answer), so any order among them is one the
 * client could have seen. */
static void s_run_batch(rd_loop_t *l)
{
    for (int i = 0; i < l->n; i++) {
        rd_pending_t *p = &l->batch[i];
        p->answer = proto_request_decode(p->data, p->len, &p->req) == 0;
        if (!p->answer)
            DDB_WARN("dropping a malformed request (%zu bytes)", p->len);
        p->read = p->answer && rd_dispatch_is_read(p->req.service, p->req.op.ptr, p->req.op.len);
    }
    s_run_group(l, true);
    if (s_reply_group(l, true) > 0)
        s_flush_all(l);
    s_run_group(l, false);
    s_reply_group(l, false);
    l->n = 0;
}

/* Takes whole frames, round robin over the connections, up to RD_BATCH_MAX. */
static void s_take(rd_loop_t *l)
{
    bool progress = true;
    while (progress && l->n < RD_BATCH_MAX) {
        progress = false;
        for (int i = 0; i < RD_CONNS_MAX && l->n < RD_BATCH_MAX; i++) {
            rd_conn_t *c = &l->conns[i];
            if (c->fd < 0)
                continue;
            bool bad = false;
            size_t len = 0;
            const char *data = s_conn_frame(c, &len, &bad);
            if (bad) {   /* read no further: close once the frames taken before are run */
                c->eof = true;
                c->in.len = c->in.off;
                continue;
            }
            if (!data)
                continue;
            rd_pending_t *p = &l->batch[l->n++];
            p->conn = i;
            p->data = data;
            p->len = len;
            progress = true;
        }
    }
}

/* ---- the loop ---- */

/* Binds and listens on the unix socket of ipc://PATH. */
static int s_listen(rd_loop_t *l, const char *endpoint)
{
    if (strncmp(endpoint, "ipc://", 6) != 0) {
        DDB_ERROR("cannot bind %s: only ipc://PATH endpoints are supported", endpoint);
        return -1;
    }
    const char *path = endpoint + 6;
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sun.sun_path)) {
        DDB_ERROR("cannot bind %s: the path is too long for a unix socket", endpoint);
        return -1;
    }
    memcpy(sun.sun_path, path, strlen(path) + 1);
    l->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->listen_fd < 0) {
        DDB_ERROR("socket: %s", strerror(errno));
        return -1;
    }
    unlink(path);   /* a socket file left by a killed predecessor */
    if (bind(l->listen_fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 || listen(l->listen_fd, 64) != 0) {
        DDB_ERROR("cannot bind %s: %s", endpoint, strerror(errno));
        close(l->listen_fd);
        l->listen_fd = -1;
        return -1;
    }
    memcpy(l->path, path, strlen(path) + 1);
    return 0;
}

static void s_close(rd_loop_t *l)
{
    rd_repl_destroy(&l->repl);
    for (int i = 0; i < RD_CONNS_MAX; i++) {
        s_conn_flush(&l->conns[i]);   /* replies of the last batch, if the socket takes them */
        s_conn_close(&l->conns[i]);
        msgpack_sbuffer_destroy(&l->conns[i].out);
    }
    if (l->listen_fd >= 0) {
        close(l->listen_fd);
        unlink(l->path);
    }
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
    for (int i = 0; i < RD_CONNS_MAX; i++)
        if (s_conn_has_frame(&l->conns[i]))
            return 0;   /* a batch was full: the rest is already here */
    long timeout = RD_POLL_MS;
    if (l->ttl_interval_ms > 0) {
        uint64_t now = ddb_wall_ms();
        uint64_t wait = l->ttl_next_ms > now ? l->ttl_next_ms - now : 0;
        if (wait < (uint64_t)timeout)
            timeout = (long)wait;
    }
    return l->repl && timeout > 50 ? 50 : timeout;
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

static void s_flush_all(rd_loop_t *l)
{
    for (int i = 0; i < RD_CONNS_MAX; i++)
        s_conn_flush(&l->conns[i]);
}

/* One turn over the gateway connections: accept, read, run, answer, write. */
static void s_serve(rd_loop_t *l, const zmq_pollitem_t *items, const int *slot_of, int n_conn_items)
{
    if (items[0].revents & ZMQ_POLLIN)
        s_accept(l);
    for (int k = 0; k < n_conn_items; k++) {
        rd_conn_t *c = &l->conns[slot_of[k]];
        if (items[1 + k].revents & (ZMQ_POLLIN | ZMQ_POLLERR))
            s_conn_read(c);
        if (items[1 + k].revents & ZMQ_POLLOUT)
            s_conn_flush(c);
    }
    s_take(l);
    if (l->n > 0) {
        s_run_batch(l);
        rd_repl_after_commit(l->repl);   /* publish only what is committed */
    }
    for (int i = 0; i < RD_CONNS_MAX; i++) {
        rd_conn_t *c = &l->conns[i];
        if (c->fd < 0)
            continue;
        s_conn_compact(c);
        s_conn_flush(c);
        if (c->fd >= 0 && c->eof && !s_conn_has_frame(c)) {
            DDB_DEBUG("gateway disconnected");
            s_conn_close(c);
        }
    }
}

int rd_loop_run(const char *endpoint, const char *region, rd_store_t *store, int ttl_interval_ms,
                volatile sig_atomic_t *stop)
{
    rd_loop_t *l = calloc(1, sizeof(*l));
    if (!l)
        abort();
    l->listen_fd = -1;
    for (int i = 0; i < RD_CONNS_MAX; i++) {
        l->conns[i].fd = -1;
        msgpack_sbuffer_init(&l->conns[i].out);
    }
    l->region = region;
    l->store = store;
    l->arena = ddb_arena_new(64 * 1024);
    l->ttl = rd_ttl_sweeper_new();
    l->ttl_interval_ms = ttl_interval_ms;
    l->ttl_next_ms = ddb_wall_ms() + (uint64_t)(ttl_interval_ms > 0 ? ttl_interval_ms : 0);
    l->ctx = zmq_ctx_new();
    int rc = l->ctx ? s_listen(l, endpoint) : -1;
    if (rc == 0) {
        DDB_INFO("listening on %s", endpoint);
        l->repl = rd_repl_new(l->ctx, store, region, endpoint);
    }
    while (rc == 0 && !*stop) {
        zmq_pollitem_t items[1 + RD_CONNS_MAX + RD_REPL_POLLITEMS];
        int slot_of[RD_CONNS_MAX];
        int n_conn_items = 0;
        items[0] = (zmq_pollitem_t){ NULL, l->listen_fd, ZMQ_POLLIN, 0 };
        for (int i = 0; i < RD_CONNS_MAX; i++) {
            rd_conn_t *c = &l->conns[i];
            if (c->fd < 0)
                continue;
            size_t unsent = c->out.size - c->out_off;
            short events = (short)((c->eof || unsent > RD_OUT_PAUSE ? 0 : ZMQ_POLLIN) | (unsent ? ZMQ_POLLOUT : 0));
            items[1 + n_conn_items] = (zmq_pollitem_t){ NULL, c->fd, events, 0 };
            slot_of[n_conn_items++] = i;
        }
        int first_repl = 1 + n_conn_items;
        int n_items = first_repl + rd_repl_pollitems(l->repl, items + first_repl);
        int n = zmq_poll(items, n_items, s_poll_timeout(l));
        if (n < 0 && errno != EINTR) {
            DDB_ERROR("zmq_poll: %s", zmq_strerror(errno));
            rc = -1;
            break;
        }
        if (n < 0)
            continue;
        s_serve(l, items, slot_of, n_conn_items);
        bool repl_ready = false;
        for (int i = first_repl; i < n_items; i++)
            repl_ready = repl_ready || items[i].revents != 0;
        if (repl_ready)
            rd_repl_handle(l->repl);
        s_timers(l);
    }
    s_close(l);
    free(l);
    return rc;
}
