/* gw_region: one AWS region as the gateway sees it: its name, the stream socket
 * connected to its regiond (RUN_DIR/NAME.ipc, length-prefixed proto frames), the
 * requests in flight to it, and the supervision state that gw_super keeps. */
#ifndef GW_REGION_H
#define GW_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gw.h"
#include "gw_pending.h"
#include "proto.h"

typedef enum gw_region_state {
    GW_REGION_STOPPED = 0,    /* no process (shutdown, or never started) */
    GW_REGION_STARTING,       /* spawned, has not bound its socket yet */
    GW_REGION_RUNNING,        /* bound its socket or answered */
    GW_REGION_RESTARTING,     /* died; waiting out the backoff before respawning */
} gw_region_state_t;

static inline const char *gw_region_state_name(gw_region_state_t state)
{
    switch (state) {
    case GW_REGION_STARTING:
        return "starting";
    case GW_REGION_RUNNING:
        return "running";
    case GW_REGION_RESTARTING:
        return "restarting";
    case GW_REGION_STOPPED:
    default:
        return "stopped";
    }
}

typedef struct gw_region {
    gw_t *gw;
    char name[GW_REGION_NAME_MAX + 1];
    size_t name_len;
    char ipc_path[PATH_MAX];        /* RUN_DIR/NAME.ipc */
    char endpoint[PATH_MAX + 8];    /* ipc://RUN_DIR/NAME.ipc */

    int fd;                         /* unix stream socket to the regiond; -1 when not connected */
    struct event *read_ev;          /* fd readable (persistent while connected) */
    struct event *write_ev;         /* fd writable: armed when a write would block */
    struct event *flush_ev;         /* made active to write out at the end of this loop turn */
    struct event *connect_ev;       /* the next connection attempt (timer) */
    unsigned connect_delay_ms;      /* between attempts: doubles up to a bound */
    struct evbuffer *out;           /* frames not yet written; kept while disconnected */
    struct evbuffer *in;            /* bytes read that do not yet make a whole frame */
    gw_plist_t inflight;            /* oldest first: timeouts look at the head */
    uint64_t sent;                  /* requests sent since startup */

    /* supervision, owned by gw_super */
    pid_t pid;                      /* 0 when no process */
    gw_region_state_t state;
    unsigned restarts;              /* respawns after an unexpected exit */
    uint64_t spawned_ms;            /* gw_now_ms() of the last spawn */
    unsigned backoff_ms;            /* next restart delay if it dies young */
    struct event *restart_ev;       /* the backoff timer */
    bool answered;                  /* something came back since the last spawn */
    /* chaos (gw_chaos, gw_super_chaos) */
    bool held_down;                 /* killed by chaos: not restarted until told */
    bool paused;                    /* SIGSTOPped by chaos */
    bool restart_now;               /* a chaos restart: respawn at once when it exits */
    uint64_t links_pushed;          /* generation of the link faults it acknowledged */
    pid_t links_pushed_pid;         /* ... and the process that acknowledged it */
} gw_region_t;

/* The region named name[0..len), or NULL if the gateway has not used it yet. */
gw_region_t *gw_region_find(gw_t *gw, const char *name, size_t len);
/* The region named name[0..len) (which the caller has validated with
 * gw_region_name_valid), created and its regiond spawned on first use. NULL if
 * GW_MAX_REGIONS are in use or on failure (logged). Owned by gw. */
gw_region_t *gw_region_get(gw_t *gw, const char *name, size_t len);

/* Sends req (its id and region are filled in here) to the region's regiond and
 * registers a pending record that fn will receive with the answer; request_id is
 * copied into it. If handle is not NULL it receives the record before any reply can be
 * dispatched (so the callback may clear it), and NULL on failure. Returns 0, or -1 if the
 * message could not be queued (nothing is registered then). Never blocks. */
int gw_region_send(gw_region_t *r, proto_request_t *req, gw_reply_fn fn, void *arg, uintptr_t tag,
                   gw_pending_t **handle);
/* Forgets p without calling its callback (its answer, if any, is dropped). */
void gw_region_cancel(gw_pending_t *p);
/* Reads every answer already waiting on the socket and dispatches it. */
void gw_region_drain(gw_region_t *r);
/* Answers every request in flight to r with a 500 InternalServerError (the
 * callbacks run). why is logged. */
void gw_region_fail_inflight(gw_region_t *r, const char *why);
/* Drops the connection (and what is queued to a dead peer) and starts connecting
 * afresh to the same endpoint. Reads what already arrived and fails what was in
 * flight first. 0 / -1. */
int gw_region_reset_socket(gw_region_t *r);
/* Answers 500 to every request whose deadline has passed. */
void gw_region_check_timeouts(gw_t *gw, uint64_t now_ms);
/* Closes the sockets and frees every region (callbacks of what is still in flight
 * are not called: fail it first). */
void gw_region_destroy_all(gw_t *gw);

/* Appends the body of the 500 the gateway answers for a regiond that died or did
 * not answer in time: DynamoDB's InternalServerError. */
void gw_region_internal_error(ddb_buf_t *out);

/* ---- gw_inflight.c: the requests in flight, whatever carries them ----
 * gw_region_cancel, gw_region_fail_inflight, gw_region_check_timeouts and
 * gw_region_internal_error above live there too. */

/* A pending record for req to r (req's id and region are filled in), in the table
 * but not yet in r's in-flight list; NULL on out-of-memory. Then either
 * gw_inflight_commit (sent) or gw_inflight_abort (not sent). */
gw_pending_t *gw_inflight_begin(gw_region_t *r, proto_request_t *req, gw_reply_fn fn, void *arg, uintptr_t tag);
void gw_inflight_commit(gw_pending_t *p);
void gw_inflight_abort(gw_pending_t *p);
/* Takes p out of the table and its region's list (it is not recycled). */
void gw_inflight_detach(gw_pending_t *p);
/* Hands one encoded response from r's regiond to the request it answers (unknown
 * and late ones are dropped). */
void gw_inflight_dispatch(gw_region_t *r, const char *data, size_t len);

#endif
