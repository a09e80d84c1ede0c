/* gw_chaos: the fault model of issue 7 and where the gateway applies it. Per link
 * origin -> destination (delay, jitter, drop, partition: pushed to every regiond as the
 * admin op "SetLinkFaults", applied at its link filter); per region, client-facing
 * (latency, error injection in the service's wire form, outage = 503); per region
 * process (kill, pause, resume, restart through gw_super); per region disk full (pushed
 * as the admin op "SetDiskFull", applied by the regiond's SQLite VFS, and handed to a
 * regiond that restarts in its environment). A seed makes every random choice
 * repeatable. Driven by POST /_meridian/chaos; GET shows what is in force. */
#ifndef GW_CHAOS_H
#define GW_CHAOS_H

#include <stdbool.h>
#include <stddef.h>

#include "ddb_buf.h"
#include "ddb_err.h"
#include "gw.h"
#include "gw_region.h"

struct evhttp_request;

typedef enum gw_chaos_verdict {
    GW_CHAOS_PASS = 0,    /* forward the request */
    GW_CHAOS_FAIL,        /* answer *kind / message instead */
    GW_CHAOS_DEFER,       /* held for the region's latency: gw_http_resume runs it later */
} gw_chaos_verdict_t;

/* What to do with a client request for op[0..op_len) in region r. chaos_done: its
 * latency was already served (it comes back from a deferral). On FAIL, *kind and
 * message (size bytes) say what to answer. */
gw_chaos_verdict_t gw_chaos_intercept(gw_t *gw, gw_region_t *r, const char *op, size_t op_len,
                                      struct evhttp_request *req, bool chaos_done, ddb_err_kind_t *kind,
                                      char *message, size_t size);
/* Applies a POST /_meridian/chaos body. 0 and the new state in out, or -1 and
 * {"error":..,"message":..} in out (nothing changed). */
int gw_chaos_post(gw_t *gw, const char *body, size_t len, ddb_buf_t *out);
/* Appends the faults in force as JSON (the GET /_meridian/chaos answer). */
void gw_chaos_to_json(gw_t *gw, ddb_buf_t *out);
/* Pushes the link faults and the disk-full switch to every live regiond that has not
 * acknowledged the current state (call periodically: a restarted regiond starts
 * without link faults). */
void gw_chaos_tick(gw_t *gw);
/* Answers the requests it still holds (503) and frees the chaos state. */
void gw_chaos_destroy(gw_t *gw);

#endif
