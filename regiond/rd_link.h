/* rd_link: chaos link faults (issue 7) as this regiond applies them at its link-filter
 * point (rd_repl's s_link_pass): per link origin -> destination a delay with jitter,
 * a drop rate for repairable feed messages, and partition. The gateway pushes the
 * whole table (admin op "SetLinkFaults"); random choices come from a seeded RNG. */
#ifndef RD_LINK_H
#define RD_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ddb_buf.h"

typedef enum rd_link_verdict {
    RD_LINK_PASS = 0,   /* deliver now */
    RD_LINK_DROP,       /* drop (partition, or a drop-rate hit) */
    RD_LINK_HOLD,       /* deliver at *due_ms (delay, jitter) */
} rd_link_verdict_t;

/* A message held back by a delayed link; rd_link_next_due hands it back. */
typedef struct rd_link_msg {
    struct rd_link_msg *next;
    uint64_t due_ms;      /* ddb_wall_ms() at which it is delivered */
    char origin[64];      /* the link's origin region */
    bool feed;            /* arrived on the SUB feed (else the peer ROUTER) */
    size_t len;
    unsigned char data[]; /* the encoded peer message */
} rd_link_msg_t;

#define RD_LINK_LAG_BUCKETS 13

/* Replication lag of one link origin -> this region, measured on apply. */
typedef struct rd_link_lag {
    uint64_t current_as_of_ms;   /* origin's wall time up to which its changes are applied */
    uint64_t transit_ms;         /* how old that state was when it was applied */
    uint64_t seen_ms;            /* when (this clock) it was applied */
    uint64_t last_ms;            /* lag of the last applied record */
    uint64_t backlog;            /* origin's records not applied yet (its last heartbeat) */
    uint64_t count, sum_ms;      /* applied records and their summed lag */
    uint64_t buckets[RD_LINK_LAG_BUCKETS];   /* by rd_link_lag_bounds; the last is +Inf */
} rd_link_lag_t;

/* Upper bounds (ms) of the lag histogram's buckets but the last (+Inf). */
extern const unsigned rd_link_lag_bounds[RD_LINK_LAG_BUCKETS - 1];

/* Records a record of origin's, written at write_ms (its HLC's wall part), applied now. */
void rd_link_lag_applied(rd_link_lag_t *lag, uint64_t write_ms, uint64_t now_ms);
/* Records a heartbeat of origin's sent at sent_ms that showed nothing left to apply. */
void rd_link_lag_caught_up(rd_link_lag_t *lag, uint64_t sent_ms, uint64_t now_ms);
/* The lag now: the transit time of the newest state applied, or, when nothing came for
 * stale_ms (a partition, a paused origin, a backlog), the age of that state. */
uint64_t rd_link_lag_current(const rd_link_lag_t *lag, uint64_t now_ms, uint64_t stale_ms);
/* Appends {"origin":..,"current_lag_ms":..,"last_lag_ms":..,"backlog":..,"count":..,
 * "sum_ms":..,"buckets":[..]} for the link origin -> this region. */
void rd_link_lag_to_json(const rd_link_lag_t *lag, const char *origin, uint64_t now_ms, uint64_t stale_ms,
                         ddb_buf_t *out);

/* Replaces the fault table with the JSON body {"seed":N,"links":[{"origin","destination",
 * "delay_ms","jitter_ms","drop","partition"}]} for this region (self). 0, or -1 with a
 * message in msg (the table is unchanged then). */
int rd_link_set(const char *self, const char *json, size_t len, char *msg, size_t msg_size);
/* What to do with a message on origin -> self. droppable: a message whose loss is
 * repaired (feed records, heartbeats). For HOLD, *due_ms is when to deliver it (links
 * keep their order: a later message is never due before an earlier one). */
rd_link_verdict_t rd_link_check(const char *origin, bool droppable, uint64_t now_ms, uint64_t *due_ms);
/* Keeps a copy of data[0..len) until due_ms. 0 / -1 (out of memory: dropped). */
int rd_link_hold(const char *origin, bool feed, const void *data, size_t len, uint64_t due_ms);
/* The oldest held message due by now_ms (the caller frees it with free()), or NULL. */
rd_link_msg_t *rd_link_next_due(uint64_t now_ms);
/* Whether origin -> self is partitioned now (held messages are dropped on release). */
bool rd_link_partitioned(const char *origin);
/* Appends {"links":[...],"held":N,"dropped":N,"delayed":N} (the faults in force). */
void rd_link_to_json(ddb_buf_t *out);
/* Frees the table and every held message. */
void rd_link_reset(void);

#endif
