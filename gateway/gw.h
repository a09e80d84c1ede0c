/* gw: the gateway's one context object, shared by its modules (http front,
 * regions, supervisor, admin API), and its lifecycle: create, run, stop, destroy. */
#ifndef GW_H
#define GW_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <msgpack.h>

#include "ddb_buf.h"
#include "gw_config.h"
#include "gw_pending.h"

struct event_base;
struct event;
struct gw_region;
struct gw_http;
struct gw_auth;

#define GW_REGION_INDEX_SIZE 128   /* open-addressed name index, > 2 * GW_MAX_REGIONS */

typedef struct gw {
    gw_config_t cfg;                      /* the command line */
    struct event_base *base;              /* the one event loop */
    void *zmq_ctx;                        /* ZeroMQ context of the control socket (gw_peer) */
    struct gw_http *http;                 /* the HTTP front (gw_http) */
    struct gw_auth *auth;                 /* --auth credentials, NULL: auth off */

    struct gw_region *regions[GW_MAX_REGIONS];               /* in creation order */
    size_t nregions;
    struct gw_region *region_index[GW_REGION_INDEX_SIZE];    /* by name hash */

    gw_ptable_t pending;                  /* in-flight requests of every region */
    uint64_t next_id;                     /* next correlation id */
    msgpack_sbuffer sbuf;                 /* reused envelope encoding buffer */
    ddb_buf_t scratch;                    /* reused buffer for error bodies */

    struct event *sigint_ev;
    struct event *sigterm_ev;
    struct event *sigchld_ev;
    struct event *tick_ev;                /* periodic: request timeouts */
    struct event *stop_kill_ev;           /* shutdown: SIGKILL the stragglers */
    struct event *stop_exit_ev;           /* shutdown: leave the loop regardless */

    bool stopping;                        /* an orderly stop is under way */
    bool loop_done;                       /* event_base_loopexit was scheduled */
    int port;                             /* the port actually bound */
    uint64_t started_ms;                  /* gw_now_ms() at startup */

    char data_dir[PATH_MAX];              /* absolute, "" with --in-memory */
    char run_dir[PATH_MAX];               /* absolute; ipc sockets live here */
    bool run_dir_owned;                   /* created by us: removed at exit */
    char regiond_path[PATH_MAX];          /* the meridian-regiond binary */
    bool pidfile_written;
} gw_t;

/* Milliseconds of a monotonic clock. */
uint64_t gw_now_ms(void);

/* Creates the context for cfg (whose contents it takes over; cfg is zeroed):
 * data dir, run dir, regiond path, event loop, ZeroMQ context, signal handling.
 * Returns NULL after logging the reason. Free with gw_destroy. */
gw_t *gw_new(gw_config_t *cfg);
/* Binds the HTTP port, starts the --regions regionds, writes the pidfile and runs
 * the loop until an orderly stop finishes. 0, or -1 if startup failed. */
int gw_run(gw_t *gw);
/* Begins an orderly stop (idempotent): stop accepting, SIGTERM every regiond,
 * answer what is still in flight, and leave the loop once all have exited (SIGKILL
 * after ~5 s). why is logged. */
void gw_stop(gw_t *gw, const char *why);
/* Frees everything, kills and reaps any regiond still alive, removes the run dir
 * (if ours) and the pidfile. Safe on NULL and twice; nulls *p. */
void gw_destroy(gw_t **p);

#endif
