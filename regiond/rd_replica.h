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
/* A settings change (UpdateTable, UpdateTimeToLive) of a global table here while a
 * newer settings version of a peer is still being taken over: ResourceInUseException
 * (the change would be undone by the newer definition). 0 / -1. */
int rd_replica_check_settings(rd_req_t *req, const rd_table_t *t);
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

/* The version of a global table's settings: a counter every change increases, with
 * the region that made it (ties: the larger region name wins). */
typedef struct rd_settings_ver {
    int64_t ver;                   /* 0: never changed since the table became global */
    char origin[40];               /* region of the change */
} rd_settings_ver_t;

#define RD_SETTINGS_ASK_MS 300     /* between two requests for a peer's settings */

/* This region's settings version of a table (zeroed when none). 0 / -1. */
int rd_replica_settings_version(rd_store_t *s, const char *account, const char *name, rd_settings_ver_t *out);
/* A heartbeat of `from` showed its version of a table: when newer than ours, asks it
 * for its definition (TABLE_UPDATE "SettingsReq"; at most one ask per RD_SETTINGS_ASK_MS). */
void rd_replica_on_peer_version(rd_store_t *s, const char *from, const char *account, const char *name,
                                const rd_settings_ver_t *theirs);
/* A TABLE_UPDATE from `from`: a propagated operation (applied when it is the next
 * version, else left to the heartbeats), "SettingsReq" (answered with "Settings":
 * our definition and version) or "Settings" (one step towards a newer definition;
 * the version is taken once nothing differs). 0 / -1 (roll the message back). */
int rd_replica_on_table_update(rd_store_t *s, ddb_arena_t *a, const char *region, const char *from,
                               const char *account, const char *name, const char *op, uint64_t ver,
                               const char *body, size_t body_len);

/* Stores validated replica settings (region -> {ProvisionedThroughputOverride, ...})
 * in the members of a table's set (an Update changes only what it names), at a new
 * epoch, at the owner. 0 / -1. */
int rd_replica_save_overrides(rd_store_t *s, const char *account, const char *name, const cJSON *overrides);
/* Applies this region's replica settings from the stored set to its copy t: read
 * capacity of the table and its GSIs (provisioned tables), table class. */
void rd_replica_apply_own_overrides(rd_store_t *s, rd_table_t *t, const char *region);

/* Appends ,"Replicas":[...],"GlobalTableVersion":"2019.11.21" for a global table:
 * the other regions of its group as seen from `region`. Nothing otherwise. */
void rd_replica_describe_table(rd_store_t *s, const rd_table_t *t, const char *region, ddb_buf_t *out);

#endif
