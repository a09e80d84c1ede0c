/* rd_op_ttl: Time to Live: UpdateTimeToLive and DescribeTimeToLive as handlers for
 * the command table, and the sweeper that deletes expired items, which the loop
 * runs on a timer (--ttl-interval-ms). */
#ifndef RD_OP_TTL_H
#define RD_OP_TTL_H

#include <stddef.h>
#include "ddb_arena.h"
#include "rd_dispatch.h"
#include "rd_store.h"

/* Each returns 0 with the reply in req->out, or -1 with req->err set. */
int rd_op_update_time_to_live(rd_req_t *req);
int rd_op_describe_time_to_live(rd_req_t *req);

/* The sweeper's position in each table between ticks. */
typedef struct rd_ttl_sweeper rd_ttl_sweeper_t;

/* A new sweeper, never NULL; rd_ttl_sweeper_destroy frees it (safe on NULL, nulls *p). */
rd_ttl_sweeper_t *rd_ttl_sweeper_new(void);
void rd_ttl_sweeper_destroy(rd_ttl_sweeper_t **p);

/* One tick: in a transaction of its own (call it between request batches), examines
 * a bounded number of items of the TTL-enabled tables from where the last tick
 * stopped and deletes those whose TTL attribute is a Number of epoch seconds
 * before now (and not more than five years before). Resets arena. Returns how many
 * items it deleted. */
size_t rd_ttl_sweep(rd_ttl_sweeper_t *sw, rd_store_t *store, ddb_arena_t *arena, double now);

#endif
