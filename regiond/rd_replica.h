/* rd_replica: the request side of global tables (version 2019.11.21): UpdateTable's
 * ReplicaUpdates (validated here, carried out by the owner through rd_repl), the
 * rules a global table adds to UpdateTable and DeleteTable, and the Replicas and
 * GlobalTableVersion members of its TableDescription. */
#ifndef RD_REPLICA_H
#define RD_REPLICA_H

#include <stdbool.h>
#include "ddb_buf.h"
#include "rd_dispatch.h"
#include "rd_stream.h"

/* UpdateTable with ReplicaUpdates. 0, or -1 with req->err set. */
int rd_replica_update_table(rd_req_t *req);
/* The global-table rules of any other UpdateTable of t: no change while a replica is
 * being created or removed (ResourceInUseException), no disabling the stream. */
int rd_replica_check_update(rd_req_t *req, const rd_table_t *t, const rd_stream_spec_t *stream);
/* DeleteTable of a replica: leaves the group (before the caller drops t). 0 / -1. */
int rd_replica_on_delete_table(rd_req_t *req, rd_table_t *t);
/* After UpdateTable or UpdateTimeToLive changed a global table: sends the settings
 * part of the request (billing, throughput, GSI updates, TTL) to every other replica,
 * which applies the same operation (tags, class and protection stay per replica). */
void rd_replica_propagate(rd_req_t *req, const rd_table_t *t);
/* Applies an operation a peer propagated (op: "UpdateTable" or "UpdateTimeToLive",
 * body: its JSON) to this region's copy, in the current transaction. 0 / -1. */
int rd_replica_apply_update(rd_store_t *s, ddb_arena_t *a, const char *region, const char *account,
                            const char *name, const char *op, const char *body, size_t body_len);

/* Appends ,"Replicas":[...],"GlobalTableVersion":"2019.11.21" for a global table:
 * the other regions of its group as seen from `region`. Nothing otherwise. */
void rd_replica_describe_table(rd_store_t *s, const rd_table_t *t, const char *region, ddb_buf_t *out);

#endif
