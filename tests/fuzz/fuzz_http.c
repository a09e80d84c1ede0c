/* fuzz_http: libFuzzer target for the gateway's HTTP front: the real evhttp server of
 * gw_http.c with gw_admin, gw_chaos, gw_auth and gw.c's lifecycle, on an event loop of
 * its own, fed the bytes of up to four client connections over loopback TCP. The
 * regions, the supervisor and the control socket are stand-ins defined below (the API
 * of gw_region.h, gw_super.h, gw_peer.h): no process is spawned, no regiond socket is
 * opened. Input: byte 0 = options (s_opts_t), then each connection's bytes, separated
 * by FUZZ_SEPARATOR. See README.md. */
#define _GNU_SOURCE   /* memfd_create */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <event2/event.h>

#include "ddb_err.h"
#include "gw.h"
#include "gw_config.h"
#include "gw_http.h"
#include "gw_peer.h"
#include "gw_region.h"
#include "gw_super.h"
#include "proto.h"

/* The harness's clock for time(): 2026-01-01T00:00:00Z, so that the committed SigV4
 * seeds (signed for that instant) pass the 15-minute skew check forever and chaos's
 * default seed is the same in every run. libevent's timers use the monotonic clock. */
#define FUZZ_NOW 1767225600

#define FUZZ_IDLE_TURNS 6      /* loop turns in a row with nothing to do: the input is over, */
#define FUZZ_SOON_MS 5         /* unless one of the gateway's timers fires within this */
#define FUZZ_MAX_US 300000     /* hard cap on one input's wall time */
#define FUZZ_READ_MAX 65536    /* the client discards the answers in reads this size */
#define FUZZ_MAX_CLIENTS 4     /* connections per input */
#define FUZZ_SEPARATOR "\n%%\n"  /* between two connections' bytes in an input */

/* The credentials of --auth (a memfd, so nothing is left on disk). The committed
 * corpus's signed requests use the first key pair. */
static const char s_credentials[] =
    "# fuzz_http's fixed credentials\n"
    "AKIDFUZZEXAMPLE00001 fuzzSecretKey/0001+EXAMPLE 123456789012\n"
    "AKIDFUZZTOKEN0000002 fuzzSecretKey/0002+EXAMPLE 210987654321 fuzzSessionToken0002\n"
    "admin fuzz-admin-key\n";

/* What the stand-in answers a regiond's Status (admin cluster and metrics render it). */
static const char s_status_body[] =
    "{\"tables\":[{\"account\":\"123456789012\",\"name\":\"fuzz\",\"items\":3,\"bytes\":120}],"
    "\"replication\":{\"published\":4,\"applied\":2,\"catchups\":1,\"conflicts\":0,\"dropped\":0},"
    "\"links\":[{\"origin\":\"eu-west-1\",\"buckets\":[1,2,3],\"sum_ms\":40,\"count\":6,\"current_lag_ms\":5,"
    "\"backlog\":0}],\"link_faults\":[]}";
static const char s_item_body[] = "{\"Item\":{\"pk\":{\"S\":\"fuzz\"},\"n\":{\"N\":\"1\"}}}";

typedef enum s_reply_mode {
    S_REPLY_AT_ONCE = 0,   /* inside gw_region_send, as a fast regiond's answer drained there */
    S_REPLY_NEXT_TURN,     /* on the next loop turn */
    S_REPLY_NEVER,         /* never: answered 500 by gw_region_fail_inflight at teardown */
    S_REPLY_ROTATE,        /* the three in turn, request by request */
} s_reply_mode_t;

/* What the regiond answers a request with (unless the faults turn it into a 500). */
typedef enum s_body_kind {
    S_BODY_ITEM = 0,     /* a DynamoDB or Streams operation */
    S_BODY_STATUS,       /* the admin Status that gw_admin's cluster and metrics render */
    S_BODY_EMPTY,        /* another admin op (gw_chaos's SetLinkFaults) */
} s_body_kind_t;

/* Byte 0 of an input. */
typedef struct s_opts {
    bool auth;               /* bit 0: --auth with s_credentials */
    s_reply_mode_t reply;    /* bits 1-2 */
    bool faults;             /* bit 3: every 3rd answer is a 500, every 5th send fails */
    bool keep_open;          /* bit 4: no half-close after the last byte */
    size_t chunk;            /* bits 5-6: 0 all at once, else bytes per loop turn (1, 7, 61) */
    bool variant;            /* bit 7: with faults: --max-connections 1 and an idle connection
                                opened first (every request refused); else each client
                                resets its connection one loop turn after its last byte */
} s_opts_t;

/* The stand-in regions: state of the input being run. */
static struct {
    s_opts_t opts;
    struct event *reply_ev;           /* answers the S_REPLY_NEXT_TURN records */
    struct {
        uint64_t id;
        s_body_kind_t kind;
    } due[256];                       /* records to answer on the next turn */
    size_t ndue;
    unsigned nsends, nanswers;
    pid_t next_pid;                   /* made-up pids: nothing is ever signalled */
    uint64_t *activity;               /* the session's counter */
} s_standin;

/* Region records are recycled, never freed: gw_metrics keeps pointers to the regions
 * it has counted for the life of the process (as it may: the real gateway has one
 * context per process), so a record must stay valid memory after its input. */
static gw_region_t *s_spare[GW_MAX_REGIONS];
static size_t s_nspare;

static int s_cred_fd = -1;
static char s_cred_path[64];
static bool s_verbose;   /* FUZZ_HTTP_VERBOSE=1: the answers and how each input ended on stderr */

static void s_die(const char *what)
{
    fprintf(stderr, "fuzz_http: %s\n", what);
    abort();
}

time_t time(time_t *out)
{
    if (out)
        *out = FUZZ_NOW;
    return FUZZ_NOW;
}

/* ---- the stand-in gw_region ---- */

gw_region_t *gw_region_find(gw_t *gw, const char *name, size_t len)
{
    for (size_t i = 0; i < gw->nregions; i++)
        if (gw->regions[i]->name_len == len && memcmp(gw->regions[i]->name, name, len) == 0)
            return gw->regions[i];
    return NULL;
}

gw_region_t *gw_region_get(gw_t *gw, const char *name, size_t len)
{
    if (!gw_region_name_valid(name, len))   /* the callers' side of the contract */
        s_die("gw_region_get was given a name that gw_region_name_valid refuses");
    gw_region_t *r = gw_region_find(gw, name, len);
    if (r)
        return r;
    if (gw->stopping || gw->nregions >= GW_MAX_REGIONS)
        return NULL;
    r = s_nspare ? s_spare[--s_nspare] : malloc(sizeof(*r));
    if (!r)
        return NULL;
    memset(r, 0, sizeof(*r));
    r->gw = gw;
    memcpy(r->name, name, len);
    r->name[len] = '\0';
    r->name_len = len;
    snprintf(r->ipc_path, sizeof(r->ipc_path), "%s/%s.ipc", gw->run_dir, r->name);
    snprintf(r->endpoint, sizeof(r->endpoint), "ipc://%s", r->ipc_path);
    gw->regions[gw->nregions++] = r;
    gw_super_spawn(r);
    return r;
}

static s_body_kind_t s_body_kind(const proto_request_t *req)
{
    if (req->service != PROTO_SVC_ADMIN)
        return S_BODY_ITEM;
    if (req->op.len == 6 && memcmp(req->op.ptr, "Status", 6) == 0)
        return S_BODY_STATUS;
    return S_BODY_EMPTY;
}

/* The regiond's answer to p, which is recycled. */
static void s_answer(gw_pending_t *p, s_body_kind_t kind)
{
    static const char *const bodies[] = { s_item_body, s_status_body, "{}" };
    unsigned n = s_standin.nanswers++;
    (*s_standin.activity)++;
    ddb_buf_t error = DDB_BUF_INIT;
    proto_response_t resp = { p->id, 200, { bodies[kind], strlen(bodies[kind]) } };
    if (s_standin.opts.faults && n % 3 == 2) {
        gw_region_internal_error(&error);
        resp.status = 500;
        resp.body.ptr = error.data;
        resp.body.len = error.len;
    }
    msgpack_sbuffer sbuf;   /* answered through the real dispatch, as the regiond's frame */
    msgpack_sbuffer_init(&sbuf);
    proto_response_encode(&resp, &sbuf);
    gw_inflight_dispatch(p->region, sbuf.data, sbuf.size);
    msgpack_sbuffer_destroy(&sbuf);
    ddb_buf_free(&error);
}

static void s_on_reply_turn(evutil_socket_t fd, short what, void *arg)
{
    gw_t *gw = arg;
    size_t n = s_standin.ndue;
    s_standin.ndue = 0;
    for (size_t i = 0; i < n; i++) {
        gw_pending_t *p = gw_ptable_find(&gw->pending, s_standin.due[i].id);
        if (p)   /* else cancelled or failed meanwhile */
            s_answer(p, s_standin.due[i].kind);
    }
}

/* The envelope a real regiond would receive decodes to what the gateway meant. */
static void s_check_envelope(gw_t *gw, const proto_request_t *req)
{
    proto_request_t back;
    if (proto_request_decode(gw->sbuf.data, gw->sbuf.size, &back) != 0)
        s_die("the gateway's envelope does not decode");
    if (back.id != req->id || back.service != req->service || back.op.len != req->op.len ||
        memcmp(back.op.ptr, req->op.ptr, req->op.len) != 0 || back.body.len != req->body.len ||
        (req->body.len && memcmp(back.body.ptr, req->body.ptr, req->body.len) != 0) ||
        back.account.len != req->account.len || memcmp(back.account.ptr, req->account.ptr, req->account.len) != 0)
        s_die("the envelope decodes to another request");
    if (back.account.len != 12)
        s_die("the account is not 12 digits");
    for (size_t i = 0; i < 12; i++)
        if (back.account.ptr[i] < '0' || back.account.ptr[i] > '9')
            s_die("the account is not 12 digits");
    if (back.op.len == 0 || back.op.len > 64)
        s_die("an empty or overlong operation name was forwarded");
    for (size_t i = 0; i < back.op.len; i++) {
        char c = back.op.ptr[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            s_die("an operation name with a character outside [A-Za-z0-9] was forwarded");
    }
    if (back.request_id.len != GW_REQUEST_ID_LEN)
        s_die("the request id is not GW_REQUEST_ID_LEN characters");
}

int gw_region_send(gw_region_t *r, proto_request_t *req, gw_reply_fn fn, void *arg, uintptr_t tag,
                   gw_pending_t **handle)
{
    gw_t *gw = r->gw;
    if (handle)
        *handle = NULL;
    unsigned n = s_standin.nsends++;
    if (s_standin.opts.faults && n % 5 == 4)
        return -1;   /* as a full queue or a closed socket */
    gw_pending_t *p = gw_inflight_begin(r, req, fn, arg, tag);
    if (!p)
        return -1;
    msgpack_sbuffer_clear(&gw->sbuf);
    if (proto_request_encode(req, &gw->sbuf) != 0) {
        gw_inflight_abort(p);
        return -1;
    }
    s_check_envelope(gw, req);
    gw_inflight_commit(p);
    if (handle)
        *handle = p;
    s_reply_mode_t mode = s_standin.opts.reply == S_REPLY_ROTATE ? (s_reply_mode_t)(n % 3) : s_standin.opts.reply;
    if (r->paused)
        mode = S_REPLY_NEVER;   /* a stopped process answers nothing */
    if (mode == S_REPLY_AT_ONCE) {
        s_answer(p, s_body_kind(req));
    } else if (mode == S_REPLY_NEXT_TURN && s_standin.reply_ev && s_standin.ndue < sizeof(s_standin.due) / sizeof(s_standin.due[0])) {
        s_standin.due[s_standin.ndue].id = p->id;
        s_standin.due[s_standin.ndue++].kind = s_body_kind(req);
        event_active(s_standin.reply_ev, 0, 0);
    }
    return 0;
}

void gw_region_drain(gw_region_t *r)
{
    (void)r;   /* the stand-in's answers need no reading */
}

int gw_region_reset_socket(gw_region_t *r)
{
    gw_region_fail_inflight(r, "regiond exited");
    return 0;
}

void gw_region_destroy_all(gw_t *gw)
{
    for (size_t i = 0; i < gw->nregions; i++) {
        gw_region_t *r = gw->regions[i];
        while (r->inflight.head)
            gw_region_cancel(r->inflight.head);
        if (s_nspare < GW_MAX_REGIONS)
            s_spare[s_nspare++] = r;
        else
            s_die("more region records than GW_MAX_REGIONS");
        gw->regions[i] = NULL;
    }
    gw->nregions = 0;
    memset(gw->region_index, 0, sizeof(gw->region_index));
}

/* ---- the stand-in gw_super: processes that exist only as fields ---- */

int gw_super_find_regiond(gw_t *gw)
{
    snprintf(gw->regiond_path, sizeof(gw->regiond_path), "/nonexistent/meridian-regiond");
    return 0;
}

int gw_super_spawn(gw_region_t *r)
{
    r->pid = ++s_standin.next_pid;
    r->state = GW_REGION_RUNNING;
    r->spawned_ms = gw_now_ms();
    r->answered = false;
    r->paused = false;
    return 0;
}

/* What a process's death does to its region in gw_super_reap. */
static void s_exited(gw_region_t *r)
{
    r->pid = 0;
    r->paused = false;
    gw_region_reset_socket(r);
    r->state = GW_REGION_STOPPED;
}

size_t gw_super_reap(gw_t *gw)
{
    size_t alive = 0;
    for (size_t i = 0; i < gw->nregions; i++)
        alive += gw->regions[i]->pid > 0;
    return alive;
}

size_t gw_super_terminate_all(gw_t *gw)
{
    for (size_t i = 0; i < gw->nregions; i++)   /* each exits at once */
        s_exited(gw->regions[i]);
    return 0;
}

void gw_super_kill_all(gw_t *gw)
{
    gw_super_terminate_all(gw);
}

void gw_super_reap_blocking(gw_t *gw, unsigned timeout_ms)
{
    (void)timeout_ms;
    gw_super_terminate_all(gw);
}

int gw_super_chaos(gw_region_t *r, gw_super_action_t action)
{
    if (r->gw->stopping)
        return -1;
    switch (action) {
    case GW_SUPER_KILL:
        r->held_down = true;
        s_exited(r);
        return 0;
    case GW_SUPER_PAUSE:
        if (r->pid <= 0)
            return -1;
        r->paused = true;
        return 0;
    case GW_SUPER_RESUME:
        if (r->pid > 0) {
            r->paused = false;
            return 0;
        }
        return gw_super_chaos(r, GW_SUPER_RESTART);
    case GW_SUPER_RESTART:
        r->held_down = false;
        if (r->pid > 0)
            s_exited(r);
        r->restarts++;
        return gw_super_spawn(r);
    }
    return -1;
}

gw_region_state_t gw_super_state(gw_region_t *r)
{
    return r->state;
}

/* ---- the stand-in gw_peer: no regiond ever asks ---- */

int gw_peer_open(gw_t *gw)
{
    (void)gw;
    return 0;
}

void gw_peer_drain(gw_t *gw)
{
    (void)gw;
}

void gw_peer_close(gw_t *gw)
{
    (void)gw;
}

/* ---- the clients ---- */

typedef struct s_session s_session_t;

/* One client connection: its share of the input and what became of it. */
typedef struct s_client {
    s_session_t *session;
    int fd;                           /* -1 until it starts */
    const uint8_t *data;              /* what it sends */
    size_t len, sent, received;
    bool write_done;                  /* all sent, or the gateway stopped taking it */
    bool closed;                      /* the gateway closed or reset the connection */
    bool reset;                       /* we reset it (fd closed) */
    struct event *read_ev, *write_ev, *chunk_ev, *reset_ev;
} s_client_t;

/* One input: up to FUZZ_MAX_CLIENTS connections, each starting once the one before has
 * written everything, and the idle check that ends the input. */
struct s_session {
    s_client_t clients[FUZZ_MAX_CLIENTS];
    size_t nclients;
    size_t started;                   /* clients that have connected */
    size_t chunk;                     /* bytes per loop turn, 0: all at once */
    bool half_close;                  /* shutdown(SHUT_WR) after a client's last byte */
    bool reset;                       /* reset the connection a turn after its last byte */
    struct event_base *base;          /* the gateway's loop */
    int port;
    int idle_fd;                      /* the extra idle connection, or -1 */
    struct event *start_ev, *tick_ev;
    uint64_t activity, seen_activity; /* bumped by every read, write and stand-in answer */
    unsigned idle_turns;              /* turns since the last activity */
    bool waiting;                     /* for a gateway timer: sleep 1 ms before the next turn */
    uint64_t start_us;
    const char *done;                 /* why the loop was left, NULL while it runs */
};

static s_opts_t s_parse_opts(uint8_t b)
{
    static const size_t chunks[] = { 0, 1, 7, 61 };
    s_opts_t o;
    o.auth = b & 1u;
    o.reply = (s_reply_mode_t)((b >> 1) & 3u);
    o.faults = (b >> 3) & 1u;
    o.keep_open = (b >> 4) & 1u;
    o.chunk = chunks[(b >> 5) & 3u];
    o.variant = (b >> 7) & 1u;
    return o;
}

/* A blocking connect to the gateway, then non-blocking; -1 on failure. */
static int s_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || evutil_make_socket_nonblocking(fd) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Closes with a reset: no TIME_WAIT socket is left when we close first (after a
 * half-close the gateway's FIN may still leave one; connect reuses them on loopback). */
static void s_close_reset(int fd)
{
    if (fd < 0)
        return;
    struct linger lg = { 1, 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
}

static void s_next_turn(struct event *ev)
{
    struct timeval zero = { 0, 0 };
    evtimer_add(ev, &zero);
}

static void s_finish_writing(s_client_t *c)
{
    s_session_t *s = c->session;
    c->write_done = true;
    event_del(c->write_ev);
    if (s->half_close)
        shutdown(c->fd, SHUT_WR);
    if (s->reset)
        s_next_turn(c->reset_ev);
    if (s->started < s->nclients)   /* the next client, once the gateway has read this one */
        s_next_turn(s->start_ev);
}

/* Writes up to max bytes; 0 on progress or a full socket, -1 once writing is over. */
static int s_write_some(s_client_t *c, size_t max)
{
    size_t n = c->len - c->sent;
    if (n > max)
        n = max;
    ssize_t w = n ? write(c->fd, c->data + c->sent, n) : 0;
    if (w < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (w < 0) {   /* the gateway closed: it takes no more */
        s_finish_writing(c);
        return -1;
    }
    c->sent += (size_t)w;
    c->session->activity += w > 0;
    if (c->sent == c->len) {
        s_finish_writing(c);
        return -1;
    }
    return 0;
}

static void s_on_writable(evutil_socket_t fd, short what, void *arg)
{
    s_client_t *c = arg;
    s_write_some(c, c->len);
}

/* Trickle: one chunk per loop turn. A zero timer runs after the turn's I/O callbacks,
 * so the gateway reads each chunk before the next one is written. */
static void s_on_chunk(evutil_socket_t fd, short what, void *arg)
{
    s_client_t *c = arg;
    if (s_write_some(c, c->session->chunk) == 0)
        s_next_turn(c->chunk_ev);
}

static void s_on_readable(evutil_socket_t fd, short what, void *arg)
{
    s_client_t *c = arg;
    static char buf[FUZZ_READ_MAX];
    for (;;) {
        ssize_t n = read(c->fd, buf, sizeof(buf));
        if (n > 0) {
            c->session->activity++;
            c->received += (size_t)n;
            if (s_verbose)
                fwrite(buf, 1, (size_t)n, stderr);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        c->closed = true;   /* the gateway closed the connection (or reset it) */
        c->session->activity++;
        event_del(c->read_ev);
        return;
    }
}

/* A client that gives up: the gateway sees ECONNRESET, maybe with a request in flight. */
static void s_on_reset(evutil_socket_t fd, short what, void *arg)
{
    s_client_t *c = arg;
    event_del(c->read_ev);
    event_del(c->write_ev);
    event_del(c->chunk_ev);
    s_close_reset(c->fd);
    c->reset = c->closed = true;
    c->session->activity++;
}

/* Connects the next client and starts its writing. */
static void s_on_start(evutil_socket_t fd, short what, void *arg)
{
    s_session_t *s = arg;
    s_client_t *c = &s->clients[s->started++];
    c->fd = s_connect(s->port);
    s->activity++;
    if (c->fd < 0) {   /* refused: the gateway has stopped accepting (a shutdown) */
        c->write_done = c->closed = true;
        if (s->started < s->nclients)
            s_next_turn(s->start_ev);
        return;
    }
    c->read_ev = event_new(s->base, c->fd, EV_READ | EV_PERSIST, s_on_readable, c);
    c->write_ev = event_new(s->base, c->fd, EV_WRITE | EV_PERSIST, s_on_writable, c);
    c->chunk_ev = evtimer_new(s->base, s_on_chunk, c);
    c->reset_ev = evtimer_new(s->base, s_on_reset, c);
    if (!c->read_ev || !c->write_ev || !c->chunk_ev || !c->reset_ev || event_add(c->read_ev, NULL) != 0)
        s_die("cannot set up a client's events");
    if (c->len == 0)
        s_finish_writing(c);
    else if (s->chunk)
        s_next_turn(c->chunk_ev);
    else
        event_add(c->write_ev, NULL);
}

static uint64_t s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Wakes the loop for s_check: at once (the loop never blocks while things may still
 * happen), or after 1 ms while only a gateway timer is awaited. Those timers run on the
 * coarse monotonic clock (4 ms steps here). */
static void s_on_tick(evutil_socket_t fd, short what, void *arg)
{
    s_session_t *s = arg;
    struct timeval wait = { 0, s->waiting ? 1000 : 0 };
    s->waiting = false;
    evtimer_add(s->tick_ev, &wait);
}

/* event_base_foreach_event: is a timer of the gateway's (chaos latency, admin timeout,
 * its periodic tick) due within FUZZ_SOON_MS? Stops the walk (returns 1) on the first. */
static int s_timer_due_soon(const struct event_base *base, const struct event *ev, void *arg)
{
    const struct timeval *horizon = arg;
    event_callback_fn fn = event_get_callback(ev);
    struct timeval when;
    if (fn == s_on_tick || fn == s_on_start || fn == s_on_chunk || fn == s_on_reset || fn == s_on_reply_turn)
        return 0;   /* the harness's own */
    return event_pending(ev, EV_TIMEOUT, &when) && evutil_timercmp(&when, horizon, <);
}

/* After a loop turn: is the input over? Sets s->done to the reason. */
static void s_check(s_session_t *s)
{
    uint64_t now = s_now_us();
    bool all_closed = s->started == s->nclients;
    for (size_t i = 0; i < s->started; i++)   /* after a reset of ours, wait for idleness */
        all_closed &= s->clients[i].closed && !s->clients[i].reset;
    if (s->activity != s->seen_activity) {
        s->seen_activity = s->activity;
        s->idle_turns = 0;
    }
    if (all_closed) {
        s->done = "every connection closed by the gateway";
    } else if (now - s->start_us >= FUZZ_MAX_US) {
        s->done = "out of time";
    } else if (++s->idle_turns >= FUZZ_IDLE_TURNS) {
        /* event_pending reports expiry times on gettimeofday's clock */
        struct timeval horizon, soon = { 0, FUZZ_SOON_MS * 1000 };
        evutil_gettimeofday(&horizon, NULL);
        evutil_timeradd(&horizon, &soon, &horizon);
        if (event_base_foreach_event(s->base, s_timer_due_soon, &horizon) == 0) {
            s->done = "idle";
        } else {   /* count the turns again once it has fired: it may answer something */
            s->idle_turns = 0;
            s->waiting = true;
        }
    }
}

/* Splits data into up to FUZZ_MAX_CLIENTS connections at FUZZ_SEPARATOR (the last one
 * takes the rest, separators included). */
static void s_split(s_session_t *s, const uint8_t *data, size_t size)
{
    static const char sep[] = FUZZ_SEPARATOR;
    const size_t sep_len = sizeof(sep) - 1;
    s->nclients = 0;
    for (;;) {
        s_client_t *c = &s->clients[s->nclients++];
        c->session = s;
        c->fd = -1;
        c->data = data;
        const uint8_t *hit = s->nclients < FUZZ_MAX_CLIENTS ? memmem(data, size, sep, sep_len) : NULL;
        if (!hit) {
            c->len = size;
            return;
        }
        c->len = (size_t)(hit - data);
        size -= c->len + sep_len;
        data = hit + sep_len;
    }
}

/* ---- one input ---- */

static gw_t *s_gateway_new(const s_opts_t *o)
{
    char *argv[16];
    int argc = 0;
    argv[argc++] = (char *)"fuzz_http";
    argv[argc++] = (char *)"--port";
    argv[argc++] = (char *)"0";
    argv[argc++] = (char *)"--in-memory";
    argv[argc++] = (char *)"--log-level";
    argv[argc++] = (char *)"error";
    if (o->auth) {
        argv[argc++] = (char *)"--auth";
        argv[argc++] = s_cred_path;
    }
    if (o->variant && o->faults) {
        argv[argc++] = (char *)"--max-connections";
        argv[argc++] = (char *)"1";
    }
    argv[argc] = NULL;
    gw_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    if (gw_config_parse(&cfg, argc, argv) != 0)
        s_die("the harness's command line does not parse");
    gw_t *gw = gw_new(&cfg);
    if (!gw)
        s_die("gw_new failed");
    if (gw_http_start(gw) != 0)
        s_die("gw_http_start failed");
    return gw;
}

static void s_run(const s_opts_t *o, const uint8_t *data, size_t size)
{
    gw_t *gw = s_gateway_new(o);
    s_session_t s;
    memset(&s, 0, sizeof(s));
    s_split(&s, data, size);
    s.chunk = o->chunk;
    s.half_close = !o->keep_open;
    s.reset = o->variant && !o->faults;
    s.base = gw->base;
    s.port = gw->port;
    s.idle_fd = -1;
    s.start_us = s_now_us();
    memset(&s_standin, 0, sizeof(s_standin));
    s_standin.opts = *o;
    s_standin.next_pid = 100000;
    s_standin.activity = &s.activity;
    s_standin.reply_ev = event_new(gw->base, -1, 0, s_on_reply_turn, gw);
    s.start_ev = evtimer_new(gw->base, s_on_start, &s);
    s.tick_ev = evtimer_new(gw->base, s_on_tick, &s);
    if (!s_standin.reply_ev || !s.start_ev || !s.tick_ev)
        s_die("cannot set up the harness's events");
    s_next_turn(s.tick_ev);
    if (o->variant && o->faults && (s.idle_fd = s_connect(gw->port)) < 0)
        s_die("cannot open the idle connection");
    s_next_turn(s.start_ev);

    while (!s.done) {
        event_base_loop(gw->base, EVLOOP_ONCE);
        s_check(&s);
    }
    if (s_verbose) {
        fprintf(stderr, "\nfuzz_http: %s after %llu ms, %u request(s) to the regions\n", s.done,
                (unsigned long long)(s_now_us() - s.start_us) / 1000, s_standin.nsends);
        for (size_t i = 0; i < s.nclients; i++)
            fprintf(stderr, "fuzz_http: connection %zu: sent %zu of %zu bytes, received %zu, %s\n", i,
                    s.clients[i].sent, s.clients[i].len, s.clients[i].received,
                    i >= s.started ? "never opened" : s.clients[i].fd < 0 ? "refused"
                    : s.clients[i].reset ? "reset by the client"
                    : s.clients[i].closed ? "closed by the gateway" : "open");
    }

    for (size_t i = 0; i < s.started; i++) {
        if (s.clients[i].fd < 0)
            continue;   /* refused */
        event_free(s.clients[i].read_ev);
        event_free(s.clients[i].write_ev);
        event_free(s.clients[i].chunk_ev);
        event_free(s.clients[i].reset_ev);
    }
    event_free(s.start_ev);
    event_free(s.tick_ev);
    gw_destroy(&gw);   /* answers what is still in flight or held, then frees */
    event_free(s_standin.reply_ev);
    s_standin.reply_ev = NULL;
    s_standin.activity = NULL;
    for (size_t i = 0; i < s.started; i++)
        if (!s.clients[i].reset)
            s_close_reset(s.clients[i].fd);
    s_close_reset(s.idle_fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    unsetenv("MERIDIAN_AUTH");   /* gw_config_parse would read it */
    const char *verbose = getenv("FUZZ_HTTP_VERBOSE");
    s_verbose = verbose && strcmp(verbose, "1") == 0;
    s_cred_fd = memfd_create("fuzz_http-credentials", MFD_CLOEXEC);
    if (s_cred_fd < 0 || write(s_cred_fd, s_credentials, sizeof(s_credentials) - 1) != (ssize_t)sizeof(s_credentials) - 1)
        s_die("cannot write the credentials memfd");
    snprintf(s_cred_path, sizeof(s_cred_path), "/proc/self/fd/%d", s_cred_fd);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    s_opts_t o = s_parse_opts(data[0]);
    s_run(&o, data + 1, size - 1);
    return 0;
}
