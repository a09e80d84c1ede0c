/* rd_repl: the replication engine of global tables: the feed (PUB after COMMIT), the
 * subscriber (SUB, gap detection, last-writer-wins apply with tombstones, applied
 * position in the same transaction), catch-up over the peer channel, heartbeats,
 * snapshot seeding of a new replica and the replica-set messages. Every message to
 * or from a peer passes s_send_peer / s_link_pass: the one place a link filter
 * (chaos: delay, drop, partition) applies. */
#include "rd_repl.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <msgpack.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_err.h"
#include "ddb_hlc.h"
#include "ddb_log.h"
#include "proto.h"
#include "rd_dispatch.h"
#include "rd_item.h"
#include "rd_link.h"
#include "rd_replica.h"
#include "rd_stream.h"

#define RD_REPL_HWM 200000          /* feed and peer queues */
#define RD_REPL_LINGER_MS 200       /* bound on unsent messages at close */
#define RD_REPL_DRAIN_MAX 512       /* messages applied per transaction */
#define RD_CATCHUP_CHUNK 256        /* records per catch-up answer */
#define RD_CATCHUP_TIMEOUT_MS 2000  /* a catch-up without an answer by then is retried */
#define RD_SNAPSHOT_CHUNK 200       /* items per snapshot chunk */
#define RD_CONTROL_MS 1000          /* replica-set rebroadcast and CREATE retries */
#define RD_SNAPSHOT_RETRY_MS 5000   /* a new replica re-asks for its snapshot */

static rd_repl_config_t s_config = { 0.0, 250 };
static rd_repl_t *s_current;

void rd_repl_configure(const rd_repl_config_t *cfg)
{
    s_config = *cfg;
    if (s_config.heartbeat_ms <= 0)
        s_config.heartbeat_ms = 250;
}

/* What the publisher knows of one global table. */
typedef struct rd_pubpos {
    char account[16];
    char *name;
    int64_t last;          /* seq of the last local record published */
    bool dirty;            /* local records committed since */
} rd_pubpos_t;

/* A catch-up request in flight. */
typedef struct rd_catchup {
    char origin[RD_REPL_REGION_MAX];
    char account[16];
    char *name;
    uint64_t sent_ms;
} rd_catchup_t;

typedef struct rd_peer {
    char region[RD_REPL_REGION_MAX];
    void *dealer;          /* connected to ipc://RUN_DIR/REGION.peer */
    bool subscribed;       /* the SUB socket is connected to its feed */
    rd_link_lag_t lag;     /* replication lag of the link peer -> this region */
} rd_peer_t;

struct rd_repl {
    void *ctx;
    rd_store_t *store;
    char region[RD_REPL_REGION_MAX];
    char run_dir[PATH_MAX];
    void *pub, *sub, *router, *gateway;
    rd_peer_t peers[64];
    int n_peers;
    rd_pubpos_t *pos;
    size_t n_pos, cap_pos;
    rd_catchup_t *cu;
    size_t n_cu, cap_cu;
    uint64_t next_heartbeat_ms, next_control_ms, snapshot_asked_ms, next_gc_ms;
    bool kicked;
    uint64_t rng;
    ddb_arena_t *arena;
    msgpack_sbuffer sbuf;
    rd_repl_stats_t stats;
    sqlite3_stmt *st_is_global;    /* cached: every local write asks */
    sqlite3_stmt *st_ver_put;      /* cached: every write of a global table */
    int64_t incarnation;           /* this store's log identity: kept in repl_meta, so
                                      new for every start of an in-memory regiond */
    struct { char region[RD_REPL_REGION_MAX]; int64_t inc; } seen[64];   /* peers' heartbeats */
    int n_seen;
};

/* ---- SQLite: replica sets, item versions, applied positions ---- */

static int s_exec(rd_store_t *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(rd_store_db(s), sql, NULL, NULL, &msg) != SQLITE_OK) {
        DDB_ERROR("repl sqlite: %s: %s", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static sqlite3_stmt *s_prep(rd_store_t *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(rd_store_db(s), sql, -1, &st, NULL) != SQLITE_OK) {
        DDB_ERROR("repl prepare: %s: %s", sql, sqlite3_errmsg(rd_store_db(s)));
        return NULL;
    }
    return st;
}

int rd_repl_schema(rd_store_t *s)
{
    return s_exec(s, "CREATE TABLE IF NOT EXISTS repl_sets (account TEXT NOT NULL, name TEXT NOT NULL,"
                     " body TEXT NOT NULL, seeded INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (account, name))"
                     " WITHOUT ROWID") ||
                   s_exec(s, "CREATE TABLE IF NOT EXISTS repl_ver (phys INTEGER NOT NULL, pk BLOB NOT NULL,"
                             " sk BLOB NOT NULL, hlc INTEGER NOT NULL, origin TEXT NOT NULL, keys TEXT,"
                             " PRIMARY KEY (phys, pk, sk)) WITHOUT ROWID") ||
                   s_exec(s, "CREATE TABLE IF NOT EXISTS repl_applied (account TEXT NOT NULL, name TEXT NOT NULL,"
                             " origin TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (account, name, origin))"
                             " WITHOUT ROWID") ||
                   s_exec(s, "CREATE TABLE IF NOT EXISTS repl_meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL)") ||
                   s_exec(s, "CREATE TABLE IF NOT EXISTS repl_settings (account TEXT NOT NULL, name TEXT NOT NULL,"
                             " ver INTEGER NOT NULL, origin TEXT NOT NULL, PRIMARY KEY (account, name)) WITHOUT ROWID")
               ? -1
               : 0;
}

static void s_set_to_json(const rd_rset_t *set, ddb_buf_t *out)
{
    ddb_buf_puts(out, "{\"owner\":");
    ddb_buf_json_str(out, set->owner, strlen(set->owner));
    ddb_buf_printf(out, ",\"epoch\":%lld,\"members\":[", (long long)set->epoch);
    for (int i = 0; i < set->n; i++) {
        ddb_buf_puts(out, i ? ",{\"r\":" : "{\"r\":");
        ddb_buf_json_str(out, set->m[i].region, strlen(set->m[i].region));
        ddb_buf_printf(out, ",\"s\":\"%s\",\"i\":%lld,\"p\":%lld", set->m[i].status, (long long)set->m[i].inc,
                       (long long)set->m[i].pinc);
        if (set->m[i].overrides[0])
            ddb_buf_printf(out, ",\"o\":%s", set->m[i].overrides);
        ddb_buf_putc(out, '}');
    }
    ddb_buf_puts(out, "],\"removed\":[");
    for (int i = 0; i < set->n_removed; i++) {
        if (i)
            ddb_buf_putc(out, ',');
        ddb_buf_json_str(out, set->removed[i], strlen(set->removed[i]));
    }
    ddb_buf_puts(out, "]}");
}

static int s_set_from_json(const char *text, size_t len, rd_rset_t *set)
{
    memset(set, 0, sizeof(*set));
    cJSON *j = cJSON_ParseWithLength(text, len);
    const cJSON *owner = cJSON_GetObjectItemCaseSensitive(j, "owner");
    const cJSON *epoch = cJSON_GetObjectItemCaseSensitive(j, "epoch");
    const cJSON *members = cJSON_GetObjectItemCaseSensitive(j, "members");
    const cJSON *removed = cJSON_GetObjectItemCaseSensitive(j, "removed");
    int rc = -1;
    if (!cJSON_IsString(owner) || !cJSON_IsNumber(epoch) || !cJSON_IsArray(members))
        goto out;
    snprintf(set->owner, sizeof(set->owner), "%s", owner->valuestring);
    set->epoch = (int64_t)epoch->valuedouble;
    const cJSON *e;
    cJSON_ArrayForEach(e, members) {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "r"), *st = cJSON_GetObjectItemCaseSensitive(e, "s");
        if (!cJSON_IsString(r) || !cJSON_IsString(st) || set->n >= RD_REPL_MEMBERS_MAX)
            goto out;
        snprintf(set->m[set->n].region, RD_REPL_REGION_MAX, "%s", r->valuestring);
        snprintf(set->m[set->n].status, sizeof(set->m[0].status), "%s", st->valuestring);
        const cJSON *inc = cJSON_GetObjectItemCaseSensitive(e, "i");
        set->m[set->n].inc = cJSON_IsNumber(inc) ? (int64_t)inc->valuedouble : 0;
        const cJSON *pinc = cJSON_GetObjectItemCaseSensitive(e, "p");
        set->m[set->n].pinc = cJSON_IsNumber(pinc) ? (int64_t)pinc->valuedouble : 0;
        char *overrides = cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(e, "o"))
                              ? cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(e, "o"))
                              : NULL;
        snprintf(set->m[set->n].overrides, sizeof(set->m[0].overrides), "%s",
                 overrides && strlen(overrides) < sizeof(set->m[0].overrides) ? overrides : "");
        free(overrides);
        set->n++;
    }
    cJSON_ArrayForEach(e, removed) {
        if (cJSON_IsString(e) && set->n_removed < RD_REPL_MEMBERS_MAX)
            snprintf(set->removed[set->n_removed++], RD_REPL_REGION_MAX, "%s", e->valuestring);
    }
    rc = 0;
out:
    cJSON_Delete(j);
    return rc;
}

int rd_rset_load(rd_store_t *s, const char *account, const char *name, rd_rset_t *out)
{
    sqlite3_stmt *st = s_prep(s, "SELECT body, seeded FROM repl_sets WHERE account = ?1 AND name = ?2");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    int rc = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        rc = s_set_from_json((const char *)sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0), out) == 0
                 ? 1
                 : -1;
        out->seeded = sqlite3_column_int(st, 1) != 0;
    }
    sqlite3_finalize(st);
    return rc;
}

int rd_rset_save(rd_store_t *s, const char *account, const char *name, const rd_rset_t *set)
{
    ddb_buf_t body = DDB_BUF_INIT;
    s_set_to_json(set, &body);
    sqlite3_stmt *st = s_prep(s, "INSERT OR REPLACE INTO repl_sets (account, name, body, seeded)"
                                 " VALUES (?1, ?2, ?3, ?4)");
    int rc = -1;
    if (st) {
        sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, body.data, (int)body.len, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, set->seeded ? 1 : 0);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(st);
    ddb_buf_free(&body);
    return rc;
}

int rd_repl_forget_table(rd_store_t *s, const rd_table_t *t)
{
    const char *sqls[] = { "DELETE FROM repl_sets WHERE account = ?1 AND name = ?2",
                           "DELETE FROM repl_applied WHERE account = ?1 AND name = ?2",
                           "DELETE FROM repl_settings WHERE account = ?1 AND name = ?2",
                           "DELETE FROM repl_ver WHERE phys = ?3" };
    for (int i = 0; i < 4; i++) {
        sqlite3_stmt *st = s_prep(s, sqls[i]);
        if (!st)
            return -1;
        if (i < 3) {
            sqlite3_bind_text(st, 1, t->account, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, t->name, -1, SQLITE_STATIC);
        } else {
            sqlite3_bind_int64(st, 3, t->phys);
        }
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return -1;
    }
    return 0;
}

rd_member_t *rd_rset_member(rd_rset_t *set, const char *region)
{
    for (int i = 0; i < set->n; i++)
        if (strcmp(set->m[i].region, region) == 0)
            return &set->m[i];
    return NULL;
}

void rd_rset_remove(rd_rset_t *set, const char *region)
{
    for (int i = 0; i < set->n; i++) {
        if (strcmp(set->m[i].region, region) != 0)
            continue;
        memmove(&set->m[i], &set->m[i + 1], (size_t)(set->n - i - 1) * sizeof(set->m[0]));
        set->n--;
        break;
    }
    for (int i = 0; i < set->n_removed; i++)
        if (strcmp(set->removed[i], region) == 0)
            return;
    if (set->n_removed < RD_REPL_MEMBERS_MAX)
        snprintf(set->removed[set->n_removed++], RD_REPL_REGION_MAX, "%s", region);
}

/* A statement prepared once and kept (finalised by rd_repl_destroy). */
static sqlite3_stmt *s_cached(rd_store_t *s, sqlite3_stmt **slot, const char *sql)
{
    if (!*slot && sqlite3_prepare_v3(rd_store_db(s), sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) != SQLITE_OK) {
        DDB_ERROR("repl prepare: %s: %s", sql, sqlite3_errmsg(rd_store_db(s)));
        *slot = NULL;
    }
    return *slot;
}

static bool s_is_global(rd_repl_t *r, const rd_table_t *t)
{
    sqlite3_stmt *st = s_cached(r->store, &r->st_is_global, "SELECT 1 FROM repl_sets WHERE account = ?1 AND name = ?2");
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, t->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, t->name, -1, SQLITE_STATIC);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return found;
}

/* The item's version: 1 found (hlc, origin filled), 0 none, -1 error. */
static int s_ver_get(rd_store_t *s, const rd_table_t *t, const rd_key_bytes_t *k, uint64_t *hlc, char *origin,
                     size_t origin_size)
{
    sqlite3_stmt *st = s_prep(s, "SELECT hlc, origin FROM repl_ver WHERE phys = ?1 AND pk = ?2 AND sk = ?3");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, t->phys);
    sqlite3_bind_blob(st, 2, k->pk, (int)k->pk_len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, k->sk_len ? (const void *)k->sk : "", (int)k->sk_len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int found = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    if (found == 1) {
        *hlc = (uint64_t)sqlite3_column_int64(st, 0);
        snprintf(origin, origin_size, "%s", (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    return found;
}

static int s_ver_put(rd_repl_t *r, const rd_table_t *t, const rd_key_bytes_t *k, uint64_t hlc, const char *origin,
                     const char *keys_json)
{
    sqlite3_stmt *st = s_cached(r->store, &r->st_ver_put,
                                "INSERT OR REPLACE INTO repl_ver (phys, pk, sk, hlc, origin, keys)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, t->phys);
    sqlite3_bind_blob(st, 2, k->pk, (int)k->pk_len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, k->sk_len ? (const void *)k->sk : "", (int)k->sk_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)hlc);
    sqlite3_bind_text(st, 5, origin, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, keys_json, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int64_t s_applied_get(rd_store_t *s, const char *account, const char *name, const char *origin)
{
    sqlite3_stmt *st = s_prep(s, "SELECT seq FROM repl_applied WHERE account = ?1 AND name = ?2 AND origin = ?3");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, origin, -1, SQLITE_STATIC);
    int64_t seq = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return seq;
}

static int s_applied_put(rd_store_t *s, const char *account, const char *name, const char *origin, int64_t seq)
{
    sqlite3_stmt *st = s_prep(s, "INSERT INTO repl_applied (account, name, origin, seq) VALUES (?1, ?2, ?3, ?4)"
                                 " ON CONFLICT (account, name, origin) DO UPDATE SET seq = max(seq, excluded.seq)");
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, seq);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Forgets what was applied from origin (a removed region, or one added again: its
 * new copy starts a new log). */
static void s_applied_reset(rd_store_t *s, const char *account, const char *name, const char *origin)
{
    sqlite3_stmt *st = s_prep(s, "DELETE FROM repl_applied WHERE account = ?1 AND name = ?2 AND origin = ?3");
    if (!st)
        return;
    sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, origin, -1, SQLITE_STATIC);
    sqlite3_step(st);
    sqlite3_finalize(st);
}

/* The seq of this region's last local record of t before `before` (0: none). */
static int64_t s_last_local_seq(rd_repl_t *r, const rd_table_t *t, int64_t before)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT max(seq) FROM log_%lld WHERE origin = ?1 AND seq < ?2", (long long)t->phys);
    sqlite3_stmt *st = s_prep(r->store, sql);
    if (!st)
        return 0;
    sqlite3_bind_text(st, 1, r->region, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, before);
    int64_t seq = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return seq;
}

/* ---- the publisher's positions ---- */

static rd_pubpos_t *s_pubpos(rd_repl_t *r, const rd_table_t *t, int64_t before)
{
    for (size_t i = 0; i < r->n_pos; i++)
        if (strcmp(r->pos[i].account, t->account) == 0 && strcmp(r->pos[i].name, t->name) == 0)
            return &r->pos[i];
    if (r->n_pos == r->cap_pos) {
        r->cap_pos = r->cap_pos ? r->cap_pos * 2 : 16;
        r->pos = realloc(r->pos, r->cap_pos * sizeof(*r->pos));
        if (!r->pos)
            abort();
    }
    rd_pubpos_t *p = &r->pos[r->n_pos++];
    memset(p, 0, sizeof(*p));
    snprintf(p->account, sizeof(p->account), "%s", t->account);
    p->name = strdup(t->name);
    p->last = s_last_local_seq(r, t, before);
    return p;
}

static void s_pubpos_forget(rd_repl_t *r, const char *account, const char *name)
{
    for (size_t i = 0; i < r->n_pos; i++) {
        if (strcmp(r->pos[i].account, account) != 0 || strcmp(r->pos[i].name, name) != 0)
            continue;
        free(r->pos[i].name);
        r->pos[i] = r->pos[--r->n_pos];
        return;
    }
}

/* rd_store's write hook: a local write to a global table gets its version. */
static int s_on_local_write(void *ctx, rd_table_t *t, const rd_write_t *w, uint64_t hlc, int64_t seq)
{
    rd_repl_t *r = ctx;
    if (!s_is_global(r, t))
        return 0;
    rd_pubpos_t *p = s_pubpos(r, t, seq);
    p->dirty = true;
    return s_ver_put(r, t, &w->key, hlc, r->region, w->keys_json);
}

/* ---- sockets and the link filter ---- */

static void *s_socket(rd_repl_t *r, int type)
{
    void *sock = zmq_socket(r->ctx, type);
    if (!sock)
        return NULL;
    int hwm = RD_REPL_HWM, linger = RD_REPL_LINGER_MS;
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
    return sock;
}

/* Whether a message on the link origin -> this region passes now: the chaos link
 * faults (rd_link: partition, drop, delay; a delayed message is copied into the
 * hold queue and comes back through s_release_held), then the --test-drop-feed
 * switch. droppable: its loss is repaired (feed records, heartbeats). */
static bool s_link_pass(rd_repl_t *r, const char *origin, int type, bool feed, const zmq_msg_t *msg)
{
    bool droppable = type == PROTO_MSG_REPL_RECORD || type == PROTO_MSG_HEARTBEAT;
    uint64_t due = 0;
    switch (rd_link_check(origin, droppable, ddb_wall_ms(), &due)) {
    case RD_LINK_DROP:
        r->stats.dropped++;
        return false;
    case RD_LINK_HOLD:
        if (rd_link_hold(origin, feed, zmq_msg_data((zmq_msg_t *)msg), zmq_msg_size(msg), due) != 0)
            r->stats.dropped++;
        return false;
    case RD_LINK_PASS:
        break;
    }
    if (type != PROTO_MSG_REPL_RECORD || !feed || s_config.drop_feed <= 0)
        return true;
    r->rng = r->rng * 6364136223846793005ULL + 1442695040888963407ULL;
    double x = (double)(r->rng >> 11) / 9007199254740992.0;
    if (x < s_config.drop_feed) {
        r->stats.dropped++;
        return false;
    }
    return true;
}

static rd_peer_t *s_peer(rd_repl_t *r, const char *region)
{
    for (int i = 0; i < r->n_peers; i++)
        if (strcmp(r->peers[i].region, region) == 0)
            return &r->peers[i];
    if (r->n_peers == (int)(sizeof(r->peers) / sizeof(r->peers[0])))
        return NULL;
    rd_peer_t *p = &r->peers[r->n_peers];
    memset(p, 0, sizeof(*p));
    snprintf(p->region, sizeof(p->region), "%s", region);
    char ep[PATH_MAX + 32];
    snprintf(ep, sizeof(ep), "ipc://%s/%s.peer", r->run_dir, region);
    p->dealer = s_socket(r, ZMQ_DEALER);
    if (!p->dealer || zmq_connect(p->dealer, ep) != 0) {
        DDB_WARN("cannot connect to %s: %s", ep, zmq_strerror(errno));
        if (p->dealer)
            zmq_close(p->dealer);
        return NULL;
    }
    r->n_peers++;
    return p;
}

/* Subscribes to region's feed (once). */
static void s_subscribe(rd_repl_t *r, const char *region)
{
    if (strcmp(region, r->region) == 0)
        return;
    rd_peer_t *p = s_peer(r, region);
    if (!p || p->subscribed)
        return;
    char ep[PATH_MAX + 32];
    snprintf(ep, sizeof(ep), "ipc://%s/%s.pub", r->run_dir, region);
    if (zmq_connect(r->sub, ep) == 0)
        p->subscribed = true;
}

/* Sends msg to region `to` over the peer channel: the one exit of peer messages. */
static void s_send_peer(rd_repl_t *r, const char *to, const proto_peer_t *msg)
{
    if (strcmp(to, r->region) == 0)
        return;
    rd_peer_t *p = s_peer(r, to);
    if (!p)
        return;
    msgpack_sbuffer_clear(&r->sbuf);
    if (proto_peer_encode(msg, &r->sbuf) != 0)
        return;
    if (zmq_send(p->dealer, r->sbuf.data, r->sbuf.size, ZMQ_DONTWAIT) < 0)
        DDB_DEBUG("peer message to %s not queued: %s", to, zmq_strerror(errno));
}

static proto_str_t s_str(const char *s)
{
    proto_str_t out = { s ? s : "", s ? strlen(s) : 0 };
    return out;
}

void rd_repl_send_control(rd_repl_t *r, const char *to, int type, const char *account, const char *name,
                          uint64_t seq, const char *body)
{
    proto_peer_t m = { .type = (uint32_t)type, .from = s_str(r->region), .account = s_str(account),
                       .table = s_str(name), .seq = seq, .body = s_str(body) };
    s_send_peer(r, to, &m);
}

void rd_repl_send_table_update(rd_repl_t *r, const char *to, const char *account, const char *name, const char *op,
                               uint64_t ver, const char *body)
{
    proto_peer_t m = { .type = PROTO_MSG_TABLE_UPDATE, .from = s_str(r->region), .account = s_str(account),
                       .table = s_str(name), .seq = ver, .keys = s_str(op), .body = s_str(body) };
    s_send_peer(r, to, &m);
}

void rd_repl_broadcast_set(rd_repl_t *r, const char *account, const char *name, const rd_rset_t *set)
{
    ddb_buf_t body = DDB_BUF_INIT;
    s_set_to_json(set, &body);
    for (int i = 0; i < set->n; i++) {
        s_subscribe(r, set->m[i].region);
        rd_repl_send_control(r, set->m[i].region, PROTO_MSG_REPLICA_SET, account, name, (uint64_t)set->epoch,
                             body.data);
    }
    for (int i = 0; i < set->n_removed; i++)
        rd_repl_send_control(r, set->removed[i], PROTO_MSG_REPLICA_SET, account, name, (uint64_t)set->epoch,
                             body.data);
    ddb_buf_free(&body);
}

/* Asks the gateway to start region's regiond (a new replica's region). */
static void s_spawn(rd_repl_t *r, const char *region)
{
    proto_peer_t m = { .type = PROTO_MSG_SPAWN_REGION, .from = s_str(r->region), .keys = s_str(region) };
    msgpack_sbuffer_clear(&r->sbuf);
    if (proto_peer_encode(&m, &r->sbuf) == 0)
        zmq_send(r->gateway, r->sbuf.data, r->sbuf.size, ZMQ_DONTWAIT);
}

/* ---- lifecycle ---- */

rd_repl_t *rd_repl_current(void)
{
    return s_current;
}

/* RUN_DIR of ipc://RUN_DIR/REGION.ipc, or -1. */
static int s_run_dir(const char *endpoint, const char *region, char *out, size_t size)
{
    if (strncmp(endpoint, "ipc://", 6) != 0)
        return -1;
    const char *path = endpoint + 6;
    const char *slash = strrchr(path, '/');
    char want[RD_REPL_REGION_MAX + 8];
    snprintf(want, sizeof(want), "%s.ipc", region);
    if (!slash || strcmp(slash + 1, want) != 0 || (size_t)(slash - path) >= size)
        return -1;
    memcpy(out, path, (size_t)(slash - path));
    out[slash - path] = '\0';
    return 0;
}

/* This store's incarnation: read from repl_meta, or made (time and chance) and kept
 * there. A durable store keeps it across restarts; an in-memory one gets a new one
 * each start, which tells the peers that its log (and its copies) started anew. */
static int64_t s_incarnation(rd_store_t *s, uint64_t rng)
{
    int64_t inc = 0;
    sqlite3_stmt *st = s_prep(s, "SELECT v FROM repl_meta WHERE k = 'incarnation'");
    if (st && sqlite3_step(st) == SQLITE_ROW)
        inc = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (inc > 0)
        return inc;
    inc = (int64_t)(ddb_wall_ms() * 1000 + rng % 1000);   /* < 2^53: exact in JSON */
    st = s_prep(s, "INSERT OR REPLACE INTO repl_meta (k, v) VALUES ('incarnation', ?1)");
    if (st) {
        sqlite3_bind_int64(st, 1, inc);
        if (sqlite3_step(st) != SQLITE_DONE)
            DDB_WARN("cannot keep the replication incarnation: %s", sqlite3_errmsg(rd_store_db(s)));
    }
    sqlite3_finalize(st);
    return inc;
}

rd_repl_t *rd_repl_new(void *zctx, rd_store_t *store, const char *region, const char *listen_endpoint)
{
    rd_repl_t *r = calloc(1, sizeof(*r));
    if (!r)
        abort();
    if (s_run_dir(listen_endpoint, region, r->run_dir, sizeof(r->run_dir)) != 0) {
        DDB_INFO("replication off: %s is not ipc://RUN_DIR/%s.ipc", listen_endpoint, region);
        free(r);
        return NULL;
    }
    r->ctx = zctx;
    r->store = store;
    snprintf(r->region, sizeof(r->region), "%s", region);
    r->arena = ddb_arena_new(64 * 1024);
    r->rng = ddb_wall_ms() ^ 0x9e3779b97f4a7c15ULL;
    r->incarnation = s_incarnation(store, r->rng);
    msgpack_sbuffer_init(&r->sbuf);
    char ep[PATH_MAX + 32];
    r->pub = s_socket(r, ZMQ_PUB);
    r->sub = s_socket(r, ZMQ_SUB);
    r->router = s_socket(r, ZMQ_ROUTER);
    r->gateway = s_socket(r, ZMQ_PUSH);
    bool ok = r->pub && r->sub && r->router && r->gateway;
    snprintf(ep, sizeof(ep), "ipc://%s/%s.pub", r->run_dir, region);
    ok = ok && zmq_bind(r->pub, ep) == 0;
    snprintf(ep, sizeof(ep), "ipc://%s/%s.peer", r->run_dir, region);
    ok = ok && zmq_bind(r->router, ep) == 0;
    snprintf(ep, sizeof(ep), "ipc://%s/gateway.ctl", r->run_dir);
    ok = ok && zmq_connect(r->gateway, ep) == 0 && zmq_setsockopt(r->sub, ZMQ_SUBSCRIBE, "", 0) == 0;
    if (!ok) {
        DDB_ERROR("replication sockets: %s", zmq_strerror(errno));
        rd_repl_destroy(&r);
        return NULL;
    }
    rd_store_set_write_hook(store, s_on_local_write, r);
    s_current = r;
    r->kicked = true;
    DDB_INFO("replication on: feed ipc://%s/%s.pub", r->run_dir, region);
    return r;
}

void rd_repl_destroy(rd_repl_t **p)
{
    if (!p || !*p)
        return;
    rd_repl_t *r = *p;
    if (s_current == r)
        s_current = NULL;
    if (r->store)
        rd_store_set_write_hook(r->store, NULL, NULL);
    sqlite3_finalize(r->st_is_global);
    sqlite3_finalize(r->st_ver_put);
    void *socks[] = { r->pub, r->sub, r->router, r->gateway };
    for (size_t i = 0; i < 4; i++)
        if (socks[i])
            zmq_close(socks[i]);
    for (int i = 0; i < r->n_peers; i++)
        zmq_close(r->peers[i].dealer);
    for (size_t i = 0; i < r->n_pos; i++)
        free(r->pos[i].name);
    free(r->pos);
    for (size_t i = 0; i < r->n_cu; i++)
        free(r->cu[i].name);
    free(r->cu);
    ddb_arena_destroy(&r->arena);
    msgpack_sbuffer_destroy(&r->sbuf);
    free(r);
    rd_link_reset();   /* messages still held by a delayed link */
    *p = NULL;
}

int rd_repl_pollitems(rd_repl_t *r, zmq_pollitem_t *items)
{
    if (!r)
        return 0;
    items[0] = (zmq_pollitem_t){ r->sub, 0, ZMQ_POLLIN, 0 };
    items[1] = (zmq_pollitem_t){ r->router, 0, ZMQ_POLLIN, 0 };
    return 2;
}

void rd_repl_links_json(rd_repl_t *r, ddb_buf_t *out)
{
    uint64_t now = ddb_wall_ms();
    ddb_buf_putc(out, '[');
    int n = 0;
    for (int i = 0; i < r->n_peers; i++) {
        if (!r->peers[i].subscribed)
            continue;
        if (n++)
            ddb_buf_putc(out, ',');
        rd_link_lag_to_json(&r->peers[i].lag, r->peers[i].region, now, 2 * (uint64_t)s_config.heartbeat_ms + 100, out);
    }
    ddb_buf_putc(out, ']');
}

const rd_repl_stats_t *rd_repl_stats(const rd_repl_t *r)
{
    return &r->stats;
}

void rd_repl_kick(rd_repl_t *r)
{
    if (r)
        r->kicked = true;
}

/* ---- catch-up ---- */

static rd_catchup_t *s_catchup_find(rd_repl_t *r, const char *origin, const char *account, const char *name)
{
    for (size_t i = 0; i < r->n_cu; i++)
        if (strcmp(r->cu[i].origin, origin) == 0 && strcmp(r->cu[i].account, account) == 0 &&
            strcmp(r->cu[i].name, name) == 0)
            return &r->cu[i];
    return NULL;
}

static void s_catchup_done(rd_repl_t *r, const char *origin, const char *account, const char *name)
{
    rd_catchup_t *c = s_catchup_find(r, origin, account, name);
    if (!c)
        return;
    free(c->name);
    *c = r->cu[--r->n_cu];
}

/* Asks origin for its records of the table after seq, unless a request is in flight. */
static void s_request_catchup(rd_repl_t *r, const char *origin, const char *account, const char *name, int64_t after)
{
    uint64_t now = ddb_wall_ms();
    rd_catchup_t *c = s_catchup_find(r, origin, account, name);
    if (c && now - c->sent_ms < RD_CATCHUP_TIMEOUT_MS)
        return;
    if (!c) {
        if (r->n_cu == r->cap_cu) {
            r->cap_cu = r->cap_cu ? r->cap_cu * 2 : 16;
            r->cu = realloc(r->cu, r->cap_cu * sizeof(*r->cu));
            if (!r->cu)
                abort();
        }
        c = &r->cu[r->n_cu++];
        memset(c, 0, sizeof(*c));
        snprintf(c->origin, sizeof(c->origin), "%s", origin);
        snprintf(c->account, sizeof(c->account), "%s", account);
        c->name = strdup(name);
    }
    c->sent_ms = now;
    r->stats.catchups++;
    rd_repl_send_control(r, origin, PROTO_MSG_CATCHUP_REQ, account, name, (uint64_t)after, NULL);
}

/* Sends `to` this region's records of t after seq `after` (a bounded chunk). */
static void s_serve_catchup(rd_repl_t *r, const char *to, rd_table_t *t, int64_t after)
{
    char sql[200];
    snprintf(sql, sizeof(sql),
             "SELECT seq, hlc, event, keys, new_image FROM log_%lld WHERE seq > ?1 AND origin = ?2"
             " ORDER BY seq LIMIT %d", (long long)t->phys, RD_CATCHUP_CHUNK + 1);
    sqlite3_stmt *st = s_prep(r->store, sql);
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_text(st, 2, r->region, -1, SQLITE_STATIC);
    int n = 0;
    int64_t prev = after;
    bool more = false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == RD_CATCHUP_CHUNK) {
            more = true;
            break;
        }
        proto_peer_t m = { .type = PROTO_MSG_REPL_RECORD, .from = s_str(r->region), .account = s_str(t->account),
                           .table = s_str(t->name) };
        m.seq = (uint64_t)sqlite3_column_int64(st, 0);
        m.prev = (uint64_t)prev;
        m.hlc = (uint64_t)sqlite3_column_int64(st, 1);
        m.event = (uint32_t)sqlite3_column_int(st, 2);
        m.keys = s_str((const char *)sqlite3_column_text(st, 3));
        m.body = s_str((const char *)sqlite3_column_text(st, 4));
        s_send_peer(r, to, &m);
        prev = (int64_t)m.seq;
        n++;
    }
    sqlite3_finalize(st);
    proto_peer_t end = { .type = PROTO_MSG_CATCHUP_END, .from = s_str(r->region), .account = s_str(t->account),
                         .table = s_str(t->name), .seq = (uint64_t)prev, .prev = more ? 1 : 0 };
    s_send_peer(r, to, &end);
}

/* ---- applying a versioned write ---- */

/* Whether version (hlc, origin) beats the local (lhlc, lorigin): later clock wins;
 * ties: the owner's write, then the smaller region name. */
static bool s_wins(uint64_t hlc, const char *origin, uint64_t lhlc, const char *lorigin, const char *owner)
{
    if (hlc != lhlc)
        return hlc > lhlc;
    int c = strcmp(origin, lorigin);
    if (c == 0)
        return false;
    if (strcmp(origin, owner) == 0)
        return true;
    if (strcmp(lorigin, owner) == 0)
        return false;
    return c < 0;
}

/* Applies one replicated version of an item (new_json NULL: a delete) to t if it wins
 * over the local version. keys_json NULL: the key is read from the item. 0 / -1. */
static int s_apply_version(rd_repl_t *r, rd_table_t *t, const char *keys_json, const char *new_json,
                           uint64_t hlc, const char *origin, const char *owner)
{
    ddb_arena_t *a = r->arena;
    ddb_err_t err = DDB_ERR_INIT;
    rd_req_t req = { .store = r->store, .arena = a, .region = r->region, .account = t->account, .table = t,
                     .err = &err };
    ddb_value_t *item = NULL, *keys = NULL;
    int rc = -1;
    if (new_json) {
        cJSON *j = cJSON_Parse(new_json);
        item = j ? ddb_item_from_json(j, a, &err) : NULL;
        cJSON_Delete(j);
        if (!item)
            goto out;
    }
    if (keys_json) {
        cJSON *j = cJSON_Parse(keys_json);
        keys = j ? ddb_item_from_json(j, a, &err) : NULL;
        cJSON_Delete(j);
    } else {
        keys = item;
    }
    rd_item_key_t key;
    if (!keys || rd_item_key_of_item(&req, keys, &key) != 0)
        goto out;
    uint64_t lhlc = 0;
    char lorigin[RD_REPL_REGION_MAX] = "";
    int found = s_ver_get(r->store, t, &key.bytes, &lhlc, lorigin, sizeof(lorigin));
    if (found < 0)
        goto out;
    if (found && !s_wins(hlc, origin, lhlc, lorigin, owner)) {
        if (hlc != lhlc || strcmp(origin, lorigin) != 0)
            r->stats.conflicts++;
        rc = 0;
        goto out;
    }
    rd_write_t w = { key.bytes, key.json, NULL, NULL, 0, 0, NULL, false, origin, hlc };
    ddb_buf_t json = DDB_BUF_INIT;
    if (item) {
        ddb_item_to_json(item, &json);
        w.new_value = item;
        w.new_json = json.data ? json.data : "{}";
        w.new_len = json.len;
        w.new_size = (int64_t)ddb_item_size(item);
    }
    rd_item_text_t replaced;
    rc = rd_store_write_item(r->store, t, &w, a, &replaced, &err);
    ddb_buf_free(&json);
    if (rc == 0)
        rc = s_ver_put(r, t, &key.bytes, hlc, origin, key.json);
    rd_store_hlc_observe(r->store, hlc);
out:
    if (rc != 0)
        DDB_WARN("cannot apply a version of %s from %s: %s", t->name, origin, err.message);
    ddb_err_clear(&err);
    return rc;
}

/* ---- handling peer messages ---- */

typedef struct rd_msg_ctx {
    char from[RD_REPL_REGION_MAX];
    char account[16];
    char name[256];
} rd_msg_ctx_t;

static int s_msg_ctx(const proto_peer_t *m, rd_msg_ctx_t *c)
{
    if (m->from.len == 0 || m->from.len >= sizeof(c->from) || m->account.len >= sizeof(c->account) ||
        m->table.len >= sizeof(c->name))
        return -1;
    memcpy(c->from, m->from.ptr, m->from.len);
    c->from[m->from.len] = '\0';
    memcpy(c->account, m->account.ptr, m->account.len);
    c->account[m->account.len] = '\0';
    memcpy(c->name, m->table.ptr, m->table.len);
    c->name[m->table.len] = '\0';
    return 0;
}

static char *s_dup_str(ddb_arena_t *a, proto_str_t s)
{
    return s.len ? ddb_arena_strndup(a, s.ptr, s.len) : NULL;
}

/* A record of origin c->from (feed or catch-up). */
static int s_on_record(rd_repl_t *r, const rd_msg_ctx_t *c, const proto_peer_t *m)
{
    if (strcmp(c->from, r->region) == 0)
        return 0;
    rd_table_t *t = rd_store_find(r->store, c->account, c->name);
    rd_rset_t set;
    if (!t || rd_rset_load(r->store, c->account, c->name, &set) != 1 || !set.seeded)
        return 0;
    int64_t applied = s_applied_get(r->store, c->account, c->name, c->from);
    if ((int64_t)m->seq <= applied)
        return 0;
    if ((int64_t)m->prev != applied) {
        s_request_catchup(r, c->from, c->account, c->name, applied);
        return 0;
    }
    const char *keys = s_dup_str(r->arena, m->keys);
    const char *image = m->event == 3 /* RD_EVENT_REMOVE */ ? NULL : s_dup_str(r->arena, m->body);
    if (!keys || (m->event != 3 && !image))
        return -1;
    if (s_apply_version(r, t, keys, image, m->hlc, c->from, set.owner) != 0)
        return -1;
    r->stats.applied++;
    rd_peer_t *peer = s_peer(r, c->from);
    if (peer)
        rd_link_lag_applied(&peer->lag, DDB_HLC_MS(m->hlc), ddb_wall_ms());
    return s_applied_put(r->store, c->account, c->name, c->from, (int64_t)m->seq);
}

/* At the owner: region came back as another incarnation (an in-memory regiond that
 * restarted): its copies and its log are gone. Every ACTIVE membership of it in a
 * set this region owns becomes CREATING again with a new member incarnation (the
 * other members reset their positions for it), so the control tick re-seeds it. */
static void s_owner_status(rd_repl_t *r, rd_table_t *t, const rd_rset_t *set);

static void s_on_new_incarnation(rd_repl_t *r, const char *region, int64_t inc)
{
    sqlite3_stmt *st = s_prep(r->store, "SELECT account, name FROM repl_sets");
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        const char *account = (const char *)sqlite3_column_text(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        rd_rset_t set;
        rd_table_t *t = rd_store_find(r->store, account, name);
        if (!t || rd_rset_load(r->store, account, name, &set) != 1 || strcmp(set.owner, r->region) != 0)
            continue;
        rd_member_t *mem = rd_rset_member(&set, region);
        if (!mem || mem->pinc == 0 || mem->pinc == inc || strcmp(mem->status, "ACTIVE") != 0)
            continue;
        DDB_INFO("%s restarted without its copy of %s: seeding it again", region, name);
        snprintf(mem->status, sizeof(mem->status), "CREATING");
        mem->inc = set.epoch + 1;
        mem->pinc = 0;
        set.epoch++;
        s_applied_reset(r->store, account, name, region);
        if (rd_rset_save(r->store, account, name, &set) == 0)
            s_owner_status(r, t, &set);
        r->kicked = true;
    }
    sqlite3_finalize(st);
}

/* Remembers region's incarnation; true when it differs from the one seen last
 * (or none was seen since this process started). */
static bool s_incarnation_changed(rd_repl_t *r, const char *region, int64_t inc)
{
    for (int i = 0; i < r->n_seen; i++)
        if (strcmp(r->seen[i].region, region) == 0) {
            bool changed = r->seen[i].inc != inc;
            r->seen[i].inc = inc;
            return changed;
        }
    if (r->n_seen < (int)(sizeof(r->seen) / sizeof(r->seen[0]))) {
        snprintf(r->seen[r->n_seen].region, RD_REPL_REGION_MAX, "%s", region);
        r->seen[r->n_seen++].inc = inc;
    }
    return true;
}

/* A heartbeat: seq = the origin's incarnation, body {"t":[[account, name, last_seq,
 * settings_ver, settings_origin], ...]} of origin c->from. */
static void s_on_heartbeat(rd_repl_t *r, const rd_msg_ctx_t *c, const proto_peer_t *m)
{
    if (strcmp(c->from, r->region) == 0)
        return;
    if (m->seq && s_incarnation_changed(r, c->from, (int64_t)m->seq))
        s_on_new_incarnation(r, c->from, (int64_t)m->seq);
    cJSON *j = cJSON_ParseWithLength(m->body.ptr, m->body.len);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "t"), *e;
    uint64_t backlog = 0;
    cJSON_ArrayForEach(e, list) {
        const cJSON *acct = cJSON_GetArrayItem(e, 0), *name = cJSON_GetArrayItem(e, 1), *seq = cJSON_GetArrayItem(e, 2);
        if (!cJSON_IsString(acct) || !cJSON_IsString(name) || !cJSON_IsNumber(seq))
            continue;
        rd_rset_t set;
        if (!rd_store_find(r->store, acct->valuestring, name->valuestring) ||
            rd_rset_load(r->store, acct->valuestring, name->valuestring, &set) != 1 || !set.seeded ||
            !rd_rset_member(&set, c->from))
            continue;
        int64_t applied = s_applied_get(r->store, acct->valuestring, name->valuestring, c->from);
        if ((int64_t)seq->valuedouble > applied) {
            backlog += (uint64_t)((int64_t)seq->valuedouble - applied);
            s_request_catchup(r, c->from, acct->valuestring, name->valuestring, applied);
        }
        const cJSON *sv = cJSON_GetArrayItem(e, 3), *svo = cJSON_GetArrayItem(e, 4);
        if (cJSON_IsNumber(sv) && cJSON_IsString(svo)) {   /* settings: a newer version is asked for */
            rd_settings_ver_t theirs = { .ver = (int64_t)sv->valuedouble };
            snprintf(theirs.origin, sizeof(theirs.origin), "%s", svo->valuestring);
            rd_replica_on_peer_version(r->store, c->from, acct->valuestring, name->valuestring, &theirs);
        }
    }
    cJSON_Delete(j);
    rd_peer_t *peer = s_peer(r, c->from);
    if (peer) {   /* caught up with all the origin had when it sent the heartbeat */
        peer->lag.backlog = backlog;
        if (backlog == 0 && m->hlc)
            rd_link_lag_caught_up(&peer->lag, DDB_HLC_MS(m->hlc), ddb_wall_ms());
    }
}

/* The table's definition for a new replica: without tags (not propagated). */
static char *s_replica_def(const rd_table_t *t)
{
    char *def = rd_table_def_json(t);
    cJSON *j = cJSON_Parse(def);
    free(def);
    cJSON_DeleteItemFromObjectCaseSensitive(j, "Tags");
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return text;
}

void rd_repl_enable_stream(rd_repl_t *r, rd_table_t *t)
{
    rd_stream_spec_t spec = { true, true, "NEW_AND_OLD_IMAGES" };
    ddb_err_t err = DDB_ERR_INIT;
    rd_stream_apply_spec(r->store, t, r->region, &spec, &err);   /* fails without writing when enabled already */
    ddb_err_clear(&err);
}

/* Owner -> new replica: create the table (once) and ask for the snapshot. */
static int s_on_replica_create(rd_repl_t *r, const rd_msg_ctx_t *c, const proto_peer_t *m)
{
    cJSON *j = cJSON_ParseWithLength(m->body.ptr, m->body.len);
    const cJSON *def = cJSON_GetObjectItemCaseSensitive(j, "def");
    const cJSON *setj = cJSON_GetObjectItemCaseSensitive(j, "set");
    int rc = -1;
    rd_rset_t set, local;
    char *set_text = setj ? cJSON_PrintUnformatted(setj) : NULL;
    char *def_text = def ? cJSON_PrintUnformatted(def) : NULL;
    if (!set_text || !def_text || s_set_from_json(set_text, strlen(set_text), &set) != 0)
        goto out;
    rd_table_t *t = rd_store_find(r->store, c->account, c->name);
    int have = rd_rset_load(r->store, c->account, c->name, &local);
    if (t && have == 1 && local.seeded) {   /* our REPLICA_ACTIVE was lost */
        rd_repl_send_control(r, set.owner, PROTO_MSG_REPLICA_ACTIVE, c->account, c->name,
                             (uint64_t)r->incarnation, NULL);
        rc = 0;
        goto out;
    }
    if (!t) {
        rd_table_t *fresh = rd_table_from_row(c->account, c->name, "", 0, "CREATING", rd_now_seconds(), def_text);
        ddb_err_t err = DDB_ERR_INIT;
        if (!fresh || rd_store_create_table(r->store, &fresh, &err) != 0) {
            DDB_ERROR("cannot create replica %s: %s", c->name, err.message[0] ? err.message : "bad definition");
            rd_table_destroy(&fresh);
            ddb_err_clear(&err);
            goto out;
        }
        t = rd_store_find(r->store, c->account, c->name);
        rd_repl_enable_stream(r, t);
    }
    set.seeded = false;
    if (have == 1 && local.epoch > set.epoch)
        set = local;
    if (rd_rset_save(r->store, c->account, c->name, &set) != 0)
        goto out;
    rd_replica_apply_own_overrides(r->store, t, r->region);
    for (int i = 0; i < set.n; i++)
        s_subscribe(r, set.m[i].region);
    uint64_t now = ddb_wall_ms();
    if (have != 1 || now - r->snapshot_asked_ms >= RD_SNAPSHOT_RETRY_MS) {
        r->snapshot_asked_ms = now;
        rd_repl_send_control(r, set.owner, PROTO_MSG_SNAPSHOT_REQ, c->account, c->name, 0, NULL);
    }
    rc = 0;
out:
    free(set_text);
    free(def_text);
    cJSON_Delete(j);
    return rc;
}

/* Appends one snapshot entry [keys|null, item|null, hlc, origin] to arr. */
static void s_snapshot_entry(cJSON *arr, const char *keys, const char *item, uint64_t hlc, const char *origin)
{
    cJSON *e = cJSON_CreateArray();
    cJSON_AddItemToArray(e, keys ? cJSON_CreateString(keys) : cJSON_CreateNull());
    cJSON_AddItemToArray(e, item ? cJSON_CreateString(item) : cJSON_CreateNull());
    char num[32];
    snprintf(num, sizeof(num), "%llu", (unsigned long long)hlc);
    cJSON_AddItemToArray(e, cJSON_CreateString(num));
    cJSON_AddItemToArray(e, cJSON_CreateString(origin));
    cJSON_AddItemToArray(arr, e);
}

static void s_send_chunk(rd_repl_t *r, const char *to, const rd_table_t *t, cJSON **arr)
{
    char *text = cJSON_PrintUnformatted(*arr);
    rd_repl_send_control(r, to, PROTO_MSG_SNAPSHOT_CHUNK, t->account, t->name, 0, text);
    free(text);
    cJSON_Delete(*arr);
    *arr = cJSON_CreateArray();
}

/* New replica -> owner: the whole table (items with versions, then tombstones) and
 * the log positions, read in this one turn of the loop: a consistent snapshot. */
static void s_serve_snapshot(rd_repl_t *r, const rd_msg_ctx_t *c, rd_table_t *t, const rd_rset_t *set)
{
    char sql[2][400];
    snprintf(sql[0], sizeof(sql[0]),
             "SELECT v.keys, i.item, v.hlc, v.origin FROM items_%lld i LEFT JOIN repl_ver v"
             " ON v.phys = ?1 AND v.pk = i.pk AND v.sk = i.sk", (long long)t->phys);
    snprintf(sql[1], sizeof(sql[1]),
             "SELECT v.keys, NULL, v.hlc, v.origin FROM repl_ver v WHERE v.phys = ?1 AND NOT EXISTS"
             " (SELECT 1 FROM items_%lld i WHERE i.pk = v.pk AND i.sk = v.sk)", (long long)t->phys);
    cJSON *arr = cJSON_CreateArray();
    int n = 0;
    for (int q = 0; q < 2; q++) {
        sqlite3_stmt *st = s_prep(r->store, sql[q]);
        if (!st)
            continue;
        sqlite3_bind_int64(st, 1, t->phys);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *origin = (const char *)sqlite3_column_text(st, 3);
            s_snapshot_entry(arr, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
                             (uint64_t)sqlite3_column_int64(st, 2), origin ? origin : set->owner);
            if (++n % RD_SNAPSHOT_CHUNK == 0)
                s_send_chunk(r, c->from, t, &arr);
        }
        sqlite3_finalize(st);
    }
    if (cJSON_GetArraySize(arr) > 0)
        s_send_chunk(r, c->from, t, &arr);
    cJSON_Delete(arr);
    /* positions: our own last record, and what we applied from everyone else */
    cJSON *pos = cJSON_CreateObject();
    cJSON_AddNumberToObject(pos, r->region, (double)s_last_local_seq(r, t, INT64_MAX));
    sqlite3_stmt *st = s_prep(r->store, "SELECT origin, seq FROM repl_applied WHERE account = ?1 AND name = ?2");
    if (st) {
        sqlite3_bind_text(st, 1, t->account, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, t->name, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW)
            cJSON_AddNumberToObject(pos, (const char *)sqlite3_column_text(st, 0), (double)sqlite3_column_int64(st, 1));
        sqlite3_finalize(st);
    }
    char *text = cJSON_PrintUnformatted(pos);
    rd_repl_send_control(r, c->from, PROTO_MSG_SNAPSHOT_END, t->account, t->name, (uint64_t)n, text);
    free(text);
    cJSON_Delete(pos);
    DDB_INFO("snapshot of %s sent to %s: %d entries", t->name, c->from, n);
}

static int s_on_snapshot_chunk(rd_repl_t *r, const rd_msg_ctx_t *c, const proto_peer_t *m)
{
    rd_table_t *t = rd_store_find(r->store, c->account, c->name);
    rd_rset_t set;
    if (!t || rd_rset_load(r->store, c->account, c->name, &set) != 1 || set.seeded)
        return 0;
    cJSON *j = cJSON_ParseWithLength(m->body.ptr, m->body.len);
    const cJSON *e;
    int rc = 0;
    cJSON_ArrayForEach(e, j) {
        const cJSON *keys = cJSON_GetArrayItem(e, 0), *item = cJSON_GetArrayItem(e, 1);
        const cJSON *hlc = cJSON_GetArrayItem(e, 2), *origin = cJSON_GetArrayItem(e, 3);
        if (!cJSON_IsString(hlc) || !cJSON_IsString(origin) || (!cJSON_IsString(keys) && !cJSON_IsString(item)))
            continue;
        if (s_apply_version(r, t, cJSON_IsString(keys) ? keys->valuestring : NULL,
                            cJSON_IsString(item) ? item->valuestring : NULL, strtoull(hlc->valuestring, NULL, 10),
                            origin->valuestring, set.owner) != 0)
            rc = -1;
        ddb_arena_reset(r->arena);
    }
    cJSON_Delete(j);
    return rc;
}

static int s_on_snapshot_end(rd_repl_t *r, const rd_msg_ctx_t *c, const proto_peer_t *m)
{
    rd_table_t *t = rd_store_find(r->store, c->account, c->name);
    rd_rset_t set;
    if (!t || rd_rset_load(r->store, c->account, c->name, &set) != 1 || set.seeded)
        return 0;
    cJSON *j = cJSON_ParseWithLength(m->body.ptr, m->body.len);
    const cJSON *e;
    cJSON_ArrayForEach(e, j) {
        if (cJSON_IsNumber(e) && e->string && strcmp(e->string, r->region) != 0)
            s_applied_put(r->store, c->account, c->name, e->string, (int64_t)e->valuedouble);
    }
    cJSON_Delete(j);
    set.seeded = true;
    rd_member_t *me = rd_rset_member(&set, r->region);
    if (me)
        snprintf(me->status, sizeof(me->status), "ACTIVE");
    snprintf(t->status, sizeof(t->status), "ACTIVE");
    ddb_err_t err = DDB_ERR_INIT;
    if (rd_rset_save(r->store, c->account, c->name, &set) != 0 || rd_store_update_table(r->store, t, &err) != 0) {
        ddb_err_clear(&err);
        return -1;
    }
    DDB_INFO("replica %s seeded from %s (%llu entries)", c->name, c->from, (unsigned long long)m->seq);
    rd_repl_send_control(r, set.owner, PROTO_MSG_REPLICA_ACTIVE, c->account, c->name, (uint64_t)r->incarnation,
                         NULL);
    r->kicked = true;
    return 0;
}

/* The owner's table status: UPDATING while a replica is being created. */
static void s_owner_status(rd_repl_t *r, rd_table_t *t, const rd_rset_t *set)
{
    bool busy = false;
    for (int i = 0; i < set->n; i++)
        busy |= strcmp(set->m[i].status, "ACTIVE") != 0;
    const char *want = busy ? "UPDATING" : "ACTIVE";
    if (strcmp(t->status, want) == 0)
        return;
    snprintf(t->status, sizeof(t->status), "%s", want);
    ddb_err_t err = DDB_ERR_INIT;
    rd_store_update_table(r->store, t, &err);
    ddb_err_clear(&err);
}

/* Drops this region's copy of a table it was removed from. */
static int s_drop_local(rd_repl_t *r, rd_table_t *t)
{
    ddb_err_t err = DDB_ERR_INIT;
    s_pubpos_forget(r, t->account, t->name);
    char account[16], name[256];
    snprintf(account, sizeof(account), "%s", t->account);
    snprintf(name, sizeof(name), "%s", t->name);
    int rc = rd_repl_forget_table(r->store, t) == 0 && rd_store_drop_table(r->store, &t, &err) == 0 ? 0 : -1;
    ddb_err_clear(&err);
    DDB_INFO("replica of %s removed from this region", name);
    return rc;
}

static int s_on_replica_set(rd_repl_t *r, const rd_msg_ctx_t *c, const proto_peer_t *m)
{
    rd_rset_t set, local;
    if (s_set_from_json(m->body.ptr, m->body.len, &set) != 0)
        return -1;
    rd_table_t *t = rd_store_find(r->store, c->account, c->name);
    if (!t || rd_rset_load(r->store, c->account, c->name, &local) != 1 || set.epoch < local.epoch)
        return 0;
    if (!rd_rset_member(&set, r->region)) {
        for (int i = 0; i < set.n_removed; i++)
            if (strcmp(set.removed[i], r->region) == 0)
                return s_drop_local(r, t);
        return 0;
    }
    set.seeded = local.seeded;
    if (set.epoch == local.epoch && strcmp(set.owner, local.owner) == 0)
        return 0;
    for (int i = 0; i < set.n; i++) {   /* a member added (again): its log starts anew */
        rd_member_t *old = rd_rset_member(&local, set.m[i].region);
        if ((!old || old->inc != set.m[i].inc) && strcmp(set.m[i].region, r->region) != 0)
            s_applied_reset(r->store, c->account, c->name, set.m[i].region);
    }
    for (int i = 0; i < set.n_removed; i++)
        s_applied_reset(r->store, c->account, c->name, set.removed[i]);
    for (int i = 0; i < set.n; i++)
        s_subscribe(r, set.m[i].region);
    if (rd_rset_save(r->store, c->account, c->name, &set) != 0)
        return -1;
    rd_replica_apply_own_overrides(r->store, t, r->region);
    if (strcmp(set.owner, r->region) == 0) {
        s_owner_status(r, t, &set);
        r->kicked = true;
    } else if (local.seeded && strcmp(t->status, "ACTIVE") != 0) {
        snprintf(t->status, sizeof(t->status), "ACTIVE");
        ddb_err_t err = DDB_ERR_INIT;
        rd_store_update_table(r->store, t, &err);
        ddb_err_clear(&err);
    }
    return 0;
}

static int s_on_replica_active(rd_repl_t *r, const rd_msg_ctx_t *c, const proto_peer_t *m)
{
    rd_table_t *t = rd_store_find(r->store, c->account, c->name);
    rd_rset_t set;
    if (!t || rd_rset_load(r->store, c->account, c->name, &set) != 1 || strcmp(set.owner, r->region) != 0)
        return 0;
    rd_member_t *mem = rd_rset_member(&set, c->from);
    if (!mem || strcmp(mem->status, "ACTIVE") == 0)
        return 0;
    snprintf(mem->status, sizeof(mem->status), "ACTIVE");
    mem->pinc = (int64_t)m->seq;
    set.epoch++;
    if (rd_rset_save(r->store, c->account, c->name, &set) != 0)
        return -1;
    s_owner_status(r, t, &set);
    r->kicked = true;
    return 0;
}

int rd_repl_owner_update(rd_repl_t *r, rd_table_t *t, rd_rset_t *set, const cJSON *creates, const cJSON *deletes,
                         const char *requester)
{
    const cJSON *e;
    bool self_leaves = false;
    cJSON_ArrayForEach(e, creates) {
        if (!cJSON_IsString(e) || rd_rset_member(set, e->valuestring) || set->n >= RD_REPL_MEMBERS_MAX)
            continue;
        rd_member_t *mem = &set->m[set->n++];
        memset(mem, 0, sizeof(*mem));   /* the slot may hold a removed member */
        snprintf(mem->region, sizeof(mem->region), "%s", e->valuestring);
        snprintf(mem->status, sizeof(mem->status), "CREATING");
        mem->inc = set->epoch + 1;
        s_applied_reset(r->store, t->account, t->name, e->valuestring);
        for (int i = 0; i < set->n_removed; i++)   /* a region may come back */
            if (strcmp(set->removed[i], e->valuestring) == 0) {
                memmove(set->removed[i], set->removed[i + 1], (size_t)(set->n_removed - i - 1) * RD_REPL_REGION_MAX);
                set->n_removed--;
                break;
            }
    }
    cJSON_ArrayForEach(e, deletes) {
        if (!cJSON_IsString(e) || !rd_rset_member(set, e->valuestring))
            continue;
        if (strcmp(e->valuestring, r->region) == 0) {
            self_leaves = true;
        } else {
            rd_rset_remove(set, e->valuestring);
            s_applied_reset(r->store, t->account, t->name, e->valuestring);
        }
    }
    set->epoch++;
    if (self_leaves) {
        rd_rset_remove(set, r->region);
        const char *heir = requester && rd_rset_member(set, requester) ? requester : set->n ? set->m[0].region : NULL;
        if (heir) {
            snprintf(set->owner, sizeof(set->owner), "%s", heir);
            rd_repl_broadcast_set(r, t->account, t->name, set);
        }
        return s_drop_local(r, t);
    }
    if (rd_rset_save(r->store, t->account, t->name, set) != 0)
        return -1;
    s_owner_status(r, t, set);
    r->kicked = true;
    return 0;
}

static int s_on_replica_update(rd_repl_t *r, const rd_msg_ctx_t *c, const proto_peer_t *m)
{
    rd_table_t *t = rd_store_find(r->store, c->account, c->name);
    rd_rset_t set;
    if (!t || rd_rset_load(r->store, c->account, c->name, &set) != 1)
        return 0;
    if (strcmp(set.owner, r->region) != 0) {   /* ownership moved: pass it on */
        rd_repl_send_control(r, set.owner, PROTO_MSG_REPLICA_UPDATE, c->account, c->name, 0,
                             ddb_arena_strndup(r->arena, m->body.ptr, m->body.len));
        return 0;
    }
    cJSON *j = cJSON_ParseWithLength(m->body.ptr, m->body.len);
    int rc = rd_repl_owner_update(r, t, &set, cJSON_GetObjectItemCaseSensitive(j, "Create"),
                                  cJSON_GetObjectItemCaseSensitive(j, "Delete"), c->from);
    if (rc == 0)   /* the replicas' own settings (ReplicaUpdates Create/Update) */
        rc = rd_replica_save_overrides(r->store, c->account, c->name, cJSON_GetObjectItemCaseSensitive(j, "Overrides"));
    cJSON_Delete(j);
    return rc;
}

/* Handles one decoded message inside the apply transaction. */
static int s_handle(rd_repl_t *r, const proto_peer_t *m)
{
    rd_msg_ctx_t c;
    if (s_msg_ctx(m, &c) != 0)
        return 0;
    rd_table_t *t;
    rd_rset_t set;
    switch (m->type) {
    case PROTO_MSG_REPL_RECORD:
        return s_on_record(r, &c, m);
    case PROTO_MSG_HEARTBEAT:
        s_on_heartbeat(r, &c, m);
        return 0;
    case PROTO_MSG_CATCHUP_REQ:
        if ((t = rd_store_find(r->store, c.account, c.name)) != NULL)
            s_serve_catchup(r, c.from, t, (int64_t)m->seq);
        return 0;
    case PROTO_MSG_CATCHUP_END: {
        s_catchup_done(r, c.from, c.account, c.name);
        int64_t applied = s_applied_get(r->store, c.account, c.name, c.from);
        if (m->prev || applied < (int64_t)m->seq)
            s_request_catchup(r, c.from, c.account, c.name, applied);
        return 0;
    }
    case PROTO_MSG_REPLICA_CREATE:
        return s_on_replica_create(r, &c, m);
    case PROTO_MSG_SNAPSHOT_REQ:
        if ((t = rd_store_find(r->store, c.account, c.name)) != NULL &&
            rd_rset_load(r->store, c.account, c.name, &set) == 1)
            s_serve_snapshot(r, &c, t, &set);
        return 0;
    case PROTO_MSG_SNAPSHOT_CHUNK:
        return s_on_snapshot_chunk(r, &c, m);
    case PROTO_MSG_SNAPSHOT_END:
        return s_on_snapshot_end(r, &c, m);
    case PROTO_MSG_REPLICA_SET:
        return s_on_replica_set(r, &c, m);
    case PROTO_MSG_REPLICA_UPDATE:
        return s_on_replica_update(r, &c, m);
    case PROTO_MSG_REPLICA_ACTIVE:
        return s_on_replica_active(r, &c, m);
    case PROTO_MSG_TABLE_UPDATE: {
        char op[32];
        if (m->keys.len >= sizeof(op) || !rd_store_find(r->store, c.account, c.name))
            return 0;
        snprintf(op, sizeof(op), "%.*s", (int)m->keys.len, m->keys.ptr);
        return rd_replica_on_table_update(r->store, r->arena, r->region, c.from, c.account, c.name, op, m->seq,
                                          m->body.ptr, m->body.len);
    }
    default:
        return 0;
    }
}

/* Receives one message from sock (ROUTER: identity frame first). 1 read, 0 none. */
static int s_recv(void *sock, bool routed, zmq_msg_t *payload)
{
    for (int part = 0;; part++) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, sock, part ? 0 : ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            return 0;
        }
        bool more = zmq_msg_more(&msg);
        if (!more && (!routed || part > 0)) {
            *payload = msg;
            return 1;
        }
        zmq_msg_close(&msg);
        if (!more)
            return part == 0 ? -1 : 0;   /* a bare frame on a ROUTER: ignore */
    }
}

/* Applies one encoded peer message in the drained burst's transaction (opened on
 * first use: *in_txn). filter: pass it through the link filter first (not for a held
 * message coming back). Returns -1 when the transaction could not be opened. */
static int s_process(rd_repl_t *r, const void *data, size_t len, bool feed, const zmq_msg_t *msg, bool *in_txn)
{
    proto_peer_t m;
    if (proto_peer_decode(data, len, &m) != 0) {
        DDB_WARN("dropping a malformed peer message (%zu bytes)", len);
        return 0;
    }
    char from[RD_REPL_REGION_MAX];
    snprintf(from, sizeof(from), "%.*s", (int)m.from.len, m.from.ptr);
    if (msg && !s_link_pass(r, from, (int)m.type, feed, msg))
        return 0;
    if (!msg && rd_link_partitioned(from))
        return 0;   /* held back, then the link was cut */
    if (!*in_txn) {
        if (rd_store_begin(r->store) != 0)
            return -1;
        *in_txn = true;
    }
    if (rd_store_savepoint(r->store) == 0) {
        if (s_handle(r, &m) == 0)
            rd_store_release(r->store);
        else
            rd_store_rollback_to(r->store);
    }
    ddb_arena_reset(r->arena);
    return 0;
}

/* Processes what the sockets hold (sockets true) and the held messages of delayed
 * links that fell due, in one transaction. */
static void s_drain(rd_repl_t *r, bool sockets)
{
    if (!r)
        return;
    bool in_txn = false;
    for (int n = 0; sockets && n < RD_REPL_DRAIN_MAX;) {
        zmq_msg_t msg;
        bool feed = true;
        int got = s_recv(r->sub, false, &msg);
        if (got == 0) {
            feed = false;
            got = s_recv(r->router, true, &msg);
        }
        if (got < 0)
            continue;
        if (got == 0)
            break;
        n++;
        int rc = s_process(r, zmq_msg_data(&msg), zmq_msg_size(&msg), feed, &msg, &in_txn);
        zmq_msg_close(&msg);
        if (rc != 0)
            break;
    }
    /* messages a delayed link held back, now due */
    uint64_t now = ddb_wall_ms();
    for (int n = 0; n < RD_REPL_DRAIN_MAX; n++) {
        rd_link_msg_t *held = rd_link_next_due(now);
        if (!held)
            break;
        int rc = s_process(r, held->data, held->len, held->feed, NULL, &in_txn);
        free(held);
        if (rc != 0)
            break;
    }
    if (in_txn && rd_store_commit(r->store) != 0)
        DDB_ERROR("commit of replicated changes failed (catch-up repairs it)");
    if (in_txn)
        rd_repl_after_commit(r);   /* e.g. an ownership change published nothing, but be safe */
}

void rd_repl_handle(rd_repl_t *r)
{
    s_drain(r, true);
}

/* ---- publishing ---- */

static void s_publish_table(rd_repl_t *r, rd_pubpos_t *p)
{
    p->dirty = false;
    rd_table_t *t = rd_store_find(r->store, p->account, p->name);
    if (!t)
        return;
    char sql[200];
    snprintf(sql, sizeof(sql),
             "SELECT seq, hlc, event, keys, new_image FROM log_%lld WHERE seq > ?1 AND origin = ?2 ORDER BY seq",
             (long long)t->phys);
    sqlite3_stmt *st = s_prep(r->store, sql);
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, p->last);
    sqlite3_bind_text(st, 2, r->region, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        proto_peer_t m = { .type = PROTO_MSG_REPL_RECORD, .from = s_str(r->region), .account = s_str(t->account),
                           .table = s_str(t->name) };
        m.seq = (uint64_t)sqlite3_column_int64(st, 0);
        m.prev = (uint64_t)p->last;
        m.hlc = (uint64_t)sqlite3_column_int64(st, 1);
        m.event = (uint32_t)sqlite3_column_int(st, 2);
        m.keys = s_str((const char *)sqlite3_column_text(st, 3));
        m.body = s_str((const char *)sqlite3_column_text(st, 4));
        msgpack_sbuffer_clear(&r->sbuf);
        if (proto_peer_encode(&m, &r->sbuf) == 0)
            zmq_send(r->pub, r->sbuf.data, r->sbuf.size, ZMQ_DONTWAIT);   /* a drop is repaired by catch-up */
        p->last = (int64_t)m.seq;
        r->stats.published++;
    }
    sqlite3_finalize(st);
}

void rd_repl_after_commit(rd_repl_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_pos; i++)
        if (r->pos[i].dirty)
            s_publish_table(r, &r->pos[i]);
}

/* ---- timers ---- */

static void s_heartbeat(rd_repl_t *r)
{
    sqlite3_stmt *st = s_prep(r->store, "SELECT account, name FROM repl_sets");
    if (!st)
        return;
    ddb_buf_t body = DDB_BUF_INIT;
    ddb_buf_puts(&body, "{\"t\":[");
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        rd_table_t *t = rd_store_find(r->store, (const char *)sqlite3_column_text(st, 0),
                                      (const char *)sqlite3_column_text(st, 1));
        if (!t)
            continue;
        rd_pubpos_t *p = s_pubpos(r, t, INT64_MAX);
        ddb_buf_puts(&body, n++ ? ",[" : "[");
        ddb_buf_json_str(&body, t->account, strlen(t->account));
        ddb_buf_putc(&body, ',');
        ddb_buf_json_str(&body, t->name, strlen(t->name));
        rd_settings_ver_t sv;
        rd_replica_settings_version(r->store, t->account, t->name, &sv);
        ddb_buf_printf(&body, ",%lld,%lld,", (long long)p->last, (long long)sv.ver);
        ddb_buf_json_str(&body, sv.origin, strlen(sv.origin));
        ddb_buf_putc(&body, ']');
    }
    sqlite3_finalize(st);
    ddb_buf_puts(&body, "]}");
    {   /* sent with no tables too: the incarnation tells the owners of a restart */
        proto_peer_t m = { .type = PROTO_MSG_HEARTBEAT, .from = s_str(r->region), .seq = (uint64_t)r->incarnation,
                           .hlc = ddb_wall_ms() << 16, .body = { body.data, body.len } };
        msgpack_sbuffer_clear(&r->sbuf);
        if (proto_peer_encode(&m, &r->sbuf) == 0)
            zmq_send(r->pub, r->sbuf.data, r->sbuf.size, ZMQ_DONTWAIT);
    }
    ddb_buf_free(&body);
}

/* Owner duties: (re)start and (re)invite CREATING replicas, rebroadcast every set;
 * everyone: subscribe to every member's feed. Read-only: runs outside transactions. */
static void s_control(rd_repl_t *r)
{
    sqlite3_stmt *st = s_prep(r->store, "SELECT account, name FROM repl_sets");
    if (!st)
        return;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *account = (const char *)sqlite3_column_text(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        rd_rset_t set;
        rd_table_t *t = rd_store_find(r->store, account, name);
        if (!t || rd_rset_load(r->store, account, name, &set) != 1)
            continue;
        for (int i = 0; i < set.n; i++)
            s_subscribe(r, set.m[i].region);
        if (strcmp(set.owner, r->region) != 0)
            continue;
        rd_repl_broadcast_set(r, account, name, &set);
        char *def = NULL;
        for (int i = 0; i < set.n; i++) {
            if (strcmp(set.m[i].status, "CREATING") != 0)
                continue;
            if (!def) {
                char *d = s_replica_def(t);
                ddb_buf_t body = DDB_BUF_INIT;
                ddb_buf_printf(&body, "{\"def\":%s,\"set\":", d);
                s_set_to_json(&set, &body);
                ddb_buf_puts(&body, "}");
                free(d);
                def = strndup(body.data, body.len);
                ddb_buf_free(&body);
            }
            s_spawn(r, set.m[i].region);
            rd_repl_send_control(r, set.m[i].region, PROTO_MSG_REPLICA_CREATE, account, name, (uint64_t)set.epoch, def);
        }
        free(def);
    }
    sqlite3_finalize(st);
}

/* Drops tombstones older than the change log's retention: a write older than that
 * cannot reach this region any more (catch-up reads the log, trimmed past it). */
static void s_gc_tombstones(rd_repl_t *r, uint64_t now)
{
    int64_t retention = rd_stream_config()->retention_ms;
    if (retention <= 0 || (uint64_t)retention >= now)
        return;
    uint64_t horizon = (now - (uint64_t)retention) << 16;   /* an HLC: ms << 16 */
    if (rd_store_begin(r->store) != 0)
        return;
    sqlite3_stmt *st = s_prep(r->store, "SELECT account, name FROM repl_sets");
    int removed = 0;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        rd_table_t *t = rd_store_find(r->store, (const char *)sqlite3_column_text(st, 0),
                                      (const char *)sqlite3_column_text(st, 1));
        if (!t)
            continue;
        char sql[256];
        snprintf(sql, sizeof(sql),
                 "DELETE FROM repl_ver WHERE phys = ?1 AND hlc < ?2 AND NOT EXISTS"
                 " (SELECT 1 FROM items_%lld i WHERE i.pk = repl_ver.pk AND i.sk = repl_ver.sk)", (long long)t->phys);
        sqlite3_stmt *del = s_prep(r->store, sql);
        if (!del)
            continue;
        sqlite3_bind_int64(del, 1, t->phys);
        sqlite3_bind_int64(del, 2, (sqlite3_int64)horizon);
        if (sqlite3_step(del) == SQLITE_DONE)
            removed += sqlite3_changes(rd_store_db(r->store));
        sqlite3_finalize(del);
    }
    sqlite3_finalize(st);
    if (rd_store_commit(r->store) == 0 && removed)
        DDB_DEBUG("%d tombstones past the retention dropped", removed);
}

/* Tombstones of t: versions whose item is gone. -1 on error. */
int64_t rd_repl_tombstones(rd_store_t *s, const rd_table_t *t)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM repl_ver v WHERE v.phys = ?1 AND NOT EXISTS"
             " (SELECT 1 FROM items_%lld i WHERE i.pk = v.pk AND i.sk = v.sk)", (long long)t->phys);
    sqlite3_stmt *st = s_prep(s, sql);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, t->phys);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

void rd_repl_tick(rd_repl_t *r)
{
    if (!r)
        return;
    uint64_t now = ddb_wall_ms();
    if (now >= r->next_gc_ms) {
        int64_t every = rd_stream_config()->retention_ms / 4;
        s_gc_tombstones(r, now);
        r->next_gc_ms = now + (uint64_t)(every < 1000 ? 1000 : every > 60000 ? 60000 : every);
    }
    if (now >= r->next_heartbeat_ms) {
        s_heartbeat(r);
        r->next_heartbeat_ms = now + (uint64_t)s_config.heartbeat_ms;
    }
    if (r->kicked || now >= r->next_control_ms) {
        r->kicked = false;
        s_control(r);
        r->next_control_ms = now + RD_CONTROL_MS;
    }
    s_drain(r, false);   /* held messages of delayed links that fell due (the sockets: when polled ready) */
}

int rd_repl_leave(rd_repl_t *r, rd_table_t *t)
{
    rd_rset_t set;
    int have = rd_rset_load(r->store, t->account, t->name, &set);
    if (have != 1)
        return have;
    if (strcmp(set.owner, r->region) == 0) {
        rd_rset_remove(&set, r->region);
        set.epoch++;
        if (set.n > 0) {
            snprintf(set.owner, sizeof(set.owner), "%s", set.m[0].region);
            rd_repl_broadcast_set(r, t->account, t->name, &set);
        }
    } else {
        ddb_buf_t body = DDB_BUF_INIT;
        ddb_buf_puts(&body, "{\"Delete\":[");
        ddb_buf_json_str(&body, r->region, strlen(r->region));
        ddb_buf_puts(&body, "]}");
        rd_repl_send_control(r, set.owner, PROTO_MSG_REPLICA_UPDATE, t->account, t->name, 0, body.data);
        ddb_buf_free(&body);
    }
    s_pubpos_forget(r, t->account, t->name);
    return rd_repl_forget_table(r->store, t) == 0 ? 1 : -1;
}
