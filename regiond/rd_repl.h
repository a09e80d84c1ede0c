/* rd_repl: global tables (version 2019.11.21) between regiond processes. Each regiond
 * publishes its committed local change-log records of global tables on a PUB socket
 * (ipc://RUN_DIR/REGION.pub), subscribes to its peers' feeds, applies their records
 * last-writer-wins on per-item versions (rd_repl keeps versions and tombstones in
 * repl_ver), records the applied position per (origin, table) in the same
 * transaction, and repairs gaps with catch-up requests over the peer channel (a
 * ROUTER at ipc://RUN_DIR/REGION.peer, reached through one DEALER per peer). It also
 * carries replica control: replica sets, seeding a new replica from a snapshot, and
 * asking the gateway (ipc://RUN_DIR/gateway.ctl) to start a region's regiond.
 * See docs/global-tables.md. */
#ifndef RD_REPL_H
#define RD_REPL_H

#include <stdbool.h>
#include <stdint.h>
#include <zmq.h>
#include <cjson/cJSON.h>

#include "ddb_arena.h"
#include "ddb_buf.h"
#include "rd_store.h"

#define RD_REPL_REGION_MAX 40      /* longest region name kept */
#define RD_REPL_MEMBERS_MAX 32     /* replicas of one global table */
#define RD_REPL_POLLITEMS 2        /* sockets rd_repl wants polled */

/* Test switches and tunables, set once from the command line. */
typedef struct rd_repl_config {
    double drop_feed;              /* --test-drop-feed: share of feed messages dropped on receipt */
    int heartbeat_ms;              /* between heartbeats */
} rd_repl_config_t;

void rd_repl_configure(const rd_repl_config_t *cfg);

/* One replica of a global table as its replica set lists it. */
typedef struct rd_member {
    char region[RD_REPL_REGION_MAX];
    char status[16];               /* CREATING, ACTIVE, DELETING */
    int64_t inc;                   /* incarnation: the epoch that added it (a region
                                      removed and added again starts a new log) */
    int64_t pinc;                  /* the process incarnation that holds the seeded copy
                                      (its REPLICA_ACTIVE), 0 unknown; a heartbeat with
                                      another one means the copy and its log are gone */
    char overrides[512];           /* ReplicaUpdates Create/Update settings of this
                                      replica as a JSON object ("" none; rd_replica) */
} rd_member_t;

/* The replica set of a global table: owner-authored, versioned by epoch. */
typedef struct rd_rset {
    char owner[RD_REPL_REGION_MAX];
    int64_t epoch;                 /* increases with every change the owner makes */
    int n;                         /* members, the owner included */
    rd_member_t m[RD_REPL_MEMBERS_MAX];
    int n_removed;                 /* regions removed: told to drop their copy */
    char removed[RD_REPL_MEMBERS_MAX][RD_REPL_REGION_MAX];
    bool seeded;                   /* local only: this copy holds its snapshot */
} rd_rset_t;

typedef struct rd_repl rd_repl_t;

/* Creates the replication context of store's region and binds its sockets, when the
 * request endpoint is ipc://RUN_DIR/REGION.ipc (else replication is off: NULL
 * returned, nothing to poll). Installs the store's write hook. Borrowed ctx. */
rd_repl_t *rd_repl_new(void *zctx, rd_store_t *store, const char *region, const char *listen_endpoint);
/* Closes the sockets (linger bounded); safe on NULL, nulls *p. */
void rd_repl_destroy(rd_repl_t **p);
/* The process's replication context (one region per process), or NULL. */
rd_repl_t *rd_repl_current(void);

/* Fills items[] with the sockets to poll for input; returns how many (<= RD_REPL_POLLITEMS). */
int rd_repl_pollitems(rd_repl_t *r, zmq_pollitem_t *items);
/* Drains and handles what arrived on the feed and the peer channel, applying it in
 * transactions of its own. */
void rd_repl_handle(rd_repl_t *r);
/* After a batch committed: publishes the new local records of global tables. */
void rd_repl_after_commit(rd_repl_t *r);
/* Periodic work: heartbeats, replica control retries, catch-up timeouts. */
void rd_repl_tick(rd_repl_t *r);
/* Asks for the control work of rd_repl_tick at the next tick (after a change). */
void rd_repl_kick(rd_repl_t *r);

/* Creates replication's own tables (repl_sets, repl_ver, repl_applied) if missing;
 * rd_store_open calls it. 0 / -1. */
int rd_repl_schema(rd_store_t *s);

/* Replica sets, in the current transaction. load: 1 found, 0 none, -1 error. */
int rd_rset_load(rd_store_t *s, const char *account, const char *name, rd_rset_t *out);
int rd_rset_save(rd_store_t *s, const char *account, const char *name, const rd_rset_t *set);
/* Forgets everything replication kept about a table (set, versions, positions). */
int rd_repl_forget_table(rd_store_t *s, const rd_table_t *t);
/* The member for region, or NULL. */
rd_member_t *rd_rset_member(rd_rset_t *set, const char *region);
/* Removes region from the members and lists it as removed. */
void rd_rset_remove(rd_rset_t *set, const char *region);

/* Sends a REPLICA_UPDATE (body JSON) from this region to region `to`. */
void rd_repl_send_control(rd_repl_t *r, const char *to, int type, const char *account, const char *name,
                          uint64_t seq, const char *body);
/* Sends TABLE_UPDATE (operation op with its JSON body, at settings version ver) for
 * a table to region `to`. */
void rd_repl_send_table_update(rd_repl_t *r, const char *to, const char *account, const char *name, const char *op,
                               uint64_t ver, const char *body);
/* Sends set to every member and removed region (but this one). */
void rd_repl_broadcast_set(rd_repl_t *r, const char *account, const char *name, const rd_rset_t *set);

/* Enables t's NEW_AND_OLD_IMAGES stream unless one is enabled (global tables need it). */
void rd_repl_enable_stream(rd_repl_t *r, rd_table_t *t);
/* Carries out ReplicaUpdates at the owner: adds the regions of creates (JSON string
 * array) as CREATING, removes those of deletes; when the owner itself leaves, it
 * hands the table to requester (or the first member left) and drops its copy (t is
 * freed then). 0 / -1. */
int rd_repl_owner_update(rd_repl_t *r, rd_table_t *t, rd_rset_t *set, const cJSON *creates, const cJSON *deletes,
                         const char *requester);
/* DeleteTable of a global table's replica here: the group forgets this region
 * (ownership passes on when it is the owner) and replication forgets the table; the
 * caller then drops it. 1 done, 0 not a global table, -1 error. */
int rd_repl_leave(rd_repl_t *r, rd_table_t *t);

/* How many tombstones t keeps (deleted items' versions); they are dropped once older
 * than the change log's retention (--stream-retention-ms). -1 on error. */
int64_t rd_repl_tombstones(rd_store_t *s, const rd_table_t *t);

/* Counters for the admin status. */
typedef struct rd_repl_stats {
    uint64_t published, applied, conflicts, catchups, dropped;
} rd_repl_stats_t;
const rd_repl_stats_t *rd_repl_stats(const rd_repl_t *r);
/* Appends a JSON array with the lag of every link into this region (rd_link_lag_to_json). */
void rd_repl_links_json(rd_repl_t *r, ddb_buf_t *out);

#endif
