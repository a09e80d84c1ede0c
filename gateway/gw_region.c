/* gw_region: the per-region connection to the regiond and the requests in flight
 * on it. One unix stream socket per region carries length-prefixed proto frames
 * (proto.h) both ways, read and written by this thread's event loop: requests
 * queued in one loop turn leave in one write, and no I/O thread or wakeup sits
 * between the two loops. While the regiond is not listening (starting, restarting)
 * requests wait in the output buffer and a timer retries the connection. In-flight
 * records are kept in send order per region, so timeouts only look at list heads. */
#include "gw_region.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "ddb_err.h"
#include "ddb_log.h"
#include "gw_super.h"

#define GW_CONNECT_FIRST_MS 2       /* first retry of a regiond that is not listening yet */
#define GW_CONNECT_MAX_MS 100       /* the retry interval doubles up to this */
#define GW_READ_CHUNK (256 * 1024)  /* bytes read per read() */

static void s_on_read(evutil_socket_t fd, short what, void *arg);
static void s_on_write(evutil_socket_t fd, short what, void *arg);
static void s_on_connect_timer(evutil_socket_t fd, short what, void *arg);

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

static void s_schedule_connect(gw_region_t *r)
{
    struct timeval tv = { 0, (suseconds_t)r->connect_delay_ms * 1000 };
    event_add(r->connect_ev, &tv);
    r->connect_delay_ms = r->connect_delay_ms * 2 > GW_CONNECT_MAX_MS ? GW_CONNECT_MAX_MS : r->connect_delay_ms * 2;
}

/* Has out written once the callbacks already due in this loop turn have run (they
 * may queue more requests: one write for all), without a wait for writability. */
static void s_want_write(gw_region_t *r)
{
    if (r->fd >= 0 && evbuffer_get_length(r->out) > 0 && !event_pending(r->write_ev, EV_WRITE, NULL) &&
        !event_pending(r->flush_ev, EV_TIMEOUT | EV_READ | EV_WRITE, NULL))
        event_active(r->flush_ev, EV_WRITE, 1);
}

/* One connection attempt; on failure (the regiond is not listening yet, or its
 * backlog is full) the timer tries again. A unix socket connects at once or not. */
static void s_connect(gw_region_t *r)
{
    if (r->fd >= 0)
        return;
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    size_t path_len = strlen(r->ipc_path);
    if (path_len >= sizeof(sun.sun_path))   /* gw.c checked that it fits */
        return;
    memcpy(sun.sun_path, r->ipc_path, path_len + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        DDB_WARN("socket for %s: %s", r->name, strerror(errno));
        s_schedule_connect(r);
        return;
    }
    if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
        close(fd);
        s_schedule_connect(r);
        return;
    }
    proto_frame_socket_buffers(fd);
    r->fd = fd;
    r->connect_delay_ms = GW_CONNECT_FIRST_MS;
    event_assign(r->read_ev, r->gw->base, fd, EV_READ | EV_PERSIST, s_on_read, r);
    event_assign(r->write_ev, r->gw->base, fd, EV_WRITE, s_on_write, r);
    event_add(r->read_ev, NULL);
    s_want_write(r);
    DDB_DEBUG("connected to %s's regiond", r->name);
}

static void s_on_connect_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    s_connect(arg);
}

/* Closes the connection if there is one. Bytes already written may have reached a
 * regiond that died: what was in flight is failed, and the output (which may hold
 * the rest of a frame cut in the middle, or requests for a dead regiond) is
 * dropped. Then connecting starts again, at once. */
static void s_disconnect(gw_region_t *r, const char *why)
{
    if (r->fd >= 0) {
        event_del(r->read_ev);
        event_del(r->write_ev);
        event_del(r->flush_ev);
        close(r->fd);
        r->fd = -1;
    }
    evbuffer_drain(r->in, evbuffer_get_length(r->in));
    evbuffer_drain(r->out, evbuffer_get_length(r->out));
    gw_region_fail_inflight(r, why);   /* callbacks may queue new requests: kept */
    r->connect_delay_ms = GW_CONNECT_FIRST_MS;
    s_schedule_connect(r);
}

/* Allocates r's buffers and events and makes the first connection attempt. */
static int s_open_socket(gw_region_t *r)
{
    gw_t *gw = r->gw;
    r->fd = -1;
    r->connect_delay_ms = GW_CONNECT_FIRST_MS;
    r->out = evbuffer_new();
    r->in = evbuffer_new();
    r->read_ev = event_new(gw->base, -1, 0, s_on_read, r);
    r->write_ev = event_new(gw->base, -1, 0, s_on_write, r);
    r->flush_ev = event_new(gw->base, -1, 0, s_on_write, r);
    r->connect_ev = evtimer_new(gw->base, s_on_connect_timer, r);
    if (!r->out || !r->in || !r->read_ev || !r->write_ev || !r->flush_ev || !r->connect_ev) {
        DDB_ERROR("out of memory for %s's connection", r->name);
        return -1;
    }
    s_connect(r);
    return 0;
}

static void s_close_socket(gw_region_t *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    if (r->read_ev)
        event_free(r->read_ev);
    if (r->write_ev)
        event_free(r->write_ev);
    if (r->flush_ev)
        event_free(r->flush_ev);
    if (r->connect_ev)
        event_free(r->connect_ev);
    if (r->out)
        evbuffer_free(r->out);
    if (r->in)
        evbuffer_free(r->in);
    r->read_ev = r->write_ev = r->flush_ev = r->connect_ev = NULL;
    r->out = r->in = NULL;
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
        s_close_socket(r);
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

int gw_region_send(gw_region_t *r, proto_request_t *req, gw_reply_fn fn, void *arg, uintptr_t tag,
                   gw_pending_t **handle)
{
    gw_t *gw = r->gw;
    if (handle)
        *handle = NULL;
    gw_pending_t *p = r->out ? gw_inflight_begin(r, req, fn, arg, tag) : NULL;
    if (!p)
        return -1;
    msgpack_sbuffer_clear(&gw->sbuf);
    static const char header_room[PROTO_FRAME_HEADER];
    msgpack_sbuffer_write(&gw->sbuf, header_room, sizeof(header_room));
    bool ok = proto_request_encode(req, &gw->sbuf) == 0 && gw->sbuf.size - PROTO_FRAME_HEADER <= PROTO_FRAME_MAX;
    if (ok) {
        proto_frame_header_put((unsigned char *)gw->sbuf.data, (uint32_t)(gw->sbuf.size - PROTO_FRAME_HEADER));
        ok = evbuffer_add(r->out, gw->sbuf.data, gw->sbuf.size) == 0;
    }
    if (!ok) {
        DDB_WARN("send to %s failed", r->name);
        gw_inflight_abort(p);
        return -1;
    }
    gw_inflight_commit(p);
    if (handle)
        *handle = p;
    s_want_write(r);   /* written at the end of this loop turn: one write for all */
    return 0;
}

/* Dispatches every whole frame in r->in. 0, or -1 if the stream is corrupt. */
static int s_dispatch_frames(gw_region_t *r)
{
    for (;;) {
        size_t have = evbuffer_get_length(r->in);
        unsigned char header[PROTO_FRAME_HEADER];
        if (have < sizeof(header))
            return 0;
        evbuffer_copyout(r->in, header, sizeof(header));
        uint32_t len = proto_frame_header_get(header);
        if (len > PROTO_FRAME_MAX) {
            DDB_ERROR("frame of %u bytes from %s's regiond: closing the connection", len, r->name);
            return -1;
        }
        if (have - sizeof(header) < len)
            return 0;
        const char *data = (const char *)evbuffer_pullup(r->in, (ev_ssize_t)(sizeof(header) + len));
        if (!data)
            return -1;
        gw_inflight_dispatch(r, data + sizeof(header), len);   /* may send: r->out, never r->in */
        evbuffer_drain(r->in, sizeof(header) + len);
    }
}

void gw_region_drain(gw_region_t *r)
{
    while (r->fd >= 0) {
        int n = evbuffer_read(r->in, r->fd, GW_READ_CHUNK);
        if (n > 0) {
            if (s_dispatch_frames(r) != 0) {
                s_disconnect(r, "corrupt stream from regiond");
                return;
            }
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        s_disconnect(r, n == 0 ? "regiond closed the connection" : strerror(errno));
        return;
    }
}

static void s_on_read(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    gw_region_drain(arg);
}

/* Writes out until it is empty or the socket is full (then waits for writability). */
static void s_write_out(gw_region_t *r)
{
    while (r->fd >= 0 && evbuffer_get_length(r->out) > 0) {
        int n = evbuffer_write(r->out, r->fd);
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            event_add(r->write_ev, NULL);
            return;
        }
        s_disconnect(r, n == 0 ? "regiond closed the connection" : strerror(errno));
        return;
    }
}

/* write_ev (the socket is writable again) and flush_ev (the end of a loop turn). */
static void s_on_write(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    s_write_out(arg);
}

int gw_region_reset_socket(gw_region_t *r)
{
    gw_region_drain(r);   /* answers it sent before dying are real answers */
    if (!r->out) {   /* an earlier open failed */
        s_close_socket(r);
        return s_open_socket(r);
    }
    s_disconnect(r, "regiond exited");
    return 0;
}

void gw_region_destroy_all(gw_t *gw)
{
    for (size_t i = 0; i < gw->nregions; i++) {
        gw_region_t *r = gw->regions[i];
        while (r->inflight.head)
            gw_region_cancel(r->inflight.head);
        s_close_socket(r);
        if (r->restart_ev)
            event_free(r->restart_ev);
        free(r);
        gw->regions[i] = NULL;
    }
    gw->nregions = 0;
    memset(gw->region_index, 0, sizeof(gw->region_index));
}
