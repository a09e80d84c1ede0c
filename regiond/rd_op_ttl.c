/* rd_op_ttl: Time to Live. UpdateTimeToLive and DescribeTimeToLive keep a table's
 * TTL attribute in its definition; the sweeper, run by the loop on a timer, walks
 * the TTL tables in bounded chunks (resuming where it stopped) and deletes items
 * whose TTL attribute is a Number of epoch seconds in the past, through the one
 * write path, marked in the change log as deletions by the service. */
#include "rd_replica.h"
#include "rd_op_ttl.h"

#include <stdlib.h>
#include <string.h>

#include "ddb_log.h"
#include "rd_item.h"
#include "rd_json.h"

#define SWEEP_ROWS_PER_TICK 2000                 /* items examined per tick, all tables */
#define FIVE_YEARS_SECONDS (5.0 * 365 * 86400)   /* older expiry times are never deleted */

/* ---- UpdateTimeToLive / DescribeTimeToLive ---- */

/* TimeToLiveSpecification {Enabled, AttributeName}, both required. */
static int s_read_spec(rd_req_t *req, bool *enabled, const char **attr)
{
    const cJSON *spec;
    bool has_enabled = false;
    *attr = NULL;
    if (rd_json_object(req->body, "TimeToLiveSpecification", &spec, req->err) != 0 ||
        (spec && (rd_json_bool(spec, "Enabled", &has_enabled, enabled, req->err) != 0 ||
                  rd_json_string(spec, "AttributeName", attr, req->err) != 0)))
        return -1;
    rd_verrs_t v = RD_VERRS_INIT;
    if (!spec)
        rd_verr_value(&v, NULL, "timeToLiveSpecification", "Member must not be null");
    if (spec && !*attr)
        rd_verr_value(&v, NULL, "timeToLiveSpecification.attributeName", "Member must not be null");
    if (spec && !has_enabled)
        rd_verr_value(&v, NULL, "timeToLiveSpecification.enabled", "Member must not be null");
    if (*attr && strlen(*attr) > 255)
        rd_verr_value(&v, *attr, "timeToLiveSpecification.attributeName",
                      "Member must have length less than or equal to 255");
    if (rd_verr_finish(&v, req->err) != 0)
        return -1;
    if (!**attr)   /* as dynalite records it */
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "TimeToLiveSpecification.AttributeName must be non empty");
    return 0;
}

int rd_op_update_time_to_live(rd_req_t *req)
{
    bool enabled;
    const char *attr;
    if (s_read_spec(req, &enabled, &attr) != 0 || rd_req_table(req) != 0)
        return -1;
    rd_table_t *t = req->table;
    if (enabled && t->ttl_enabled)
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "TimeToLive is already enabled");
    if (!enabled && !t->ttl_enabled)   /* unconfirmed: the service's words when already off */
        return ddb_err_set(req->err, DDB_ERR_VALIDATION, "TimeToLive is already disabled");
    if (!enabled && strcmp(t->ttl_attr, attr) != 0)   /* unconfirmed */
        return ddb_err_set(req->err, DDB_ERR_VALIDATION,
                           "TimeToLive is active on a different AttributeName: current AttributeName is %s",
                           t->ttl_attr);
    if (rd_replica_check_settings(req, t) != 0)   /* a global table taking over newer settings */
        return -1;
    char *copy = strdup(attr);
    if (!copy)
        abort();
    free(t->ttl_attr);
    t->ttl_attr = copy;
    t->ttl_enabled = enabled;
    if (rd_store_update_table(req->store, t, req->err) != 0)
        return -1;
    rd_replica_propagate(req, t);   /* a global table's TTL setting changes on every replica */
    ddb_buf_puts(req->out, "{\"TimeToLiveSpecification\":{\"AttributeName\":");
    ddb_buf_json_str(req->out, attr, strlen(attr));
    ddb_buf_printf(req->out, ",\"Enabled\":%s}}", enabled ? "true" : "false");
    return 0;
}

int rd_op_describe_time_to_live(rd_req_t *req)
{
    if (rd_req_table(req) != 0)
        return -1;
    const rd_table_t *t = req->table;
    /* The service takes a while in ENABLING/DISABLING; here the change is immediate. */
    ddb_buf_printf(req->out, "{\"TimeToLiveDescription\":{\"TimeToLiveStatus\":\"%s\"",
                   t->ttl_enabled ? "ENABLED" : "DISABLED");
    if (t->ttl_enabled) {
        ddb_buf_puts(req->out, ",\"AttributeName\":");
        ddb_buf_json_str(req->out, t->ttl_attr, strlen(t->ttl_attr));
    }
    ddb_buf_puts(req->out, "}}");
    return 0;
}

/* ---- the sweeper ---- */

/* Where the sweep of one table stopped. */
typedef struct s_cursor {
    int64_t phys;            /* the table's physical id */
    unsigned char *key;      /* pk bytes then sk bytes (heap), NULL: at the start */
    size_t pk_len, sk_len;
} s_cursor_t;

struct rd_ttl_sweeper {
    s_cursor_t *cursors;     /* one per TTL table seen */
    size_t n, cap;
    size_t next_table;       /* catalog position the next tick starts from */
};

rd_ttl_sweeper_t *rd_ttl_sweeper_new(void)
{
    rd_ttl_sweeper_t *sw = calloc(1, sizeof(*sw));
    if (!sw)
        abort();
    return sw;
}

void rd_ttl_sweeper_destroy(rd_ttl_sweeper_t **p)
{
    if (!p || !*p)
        return;
    for (size_t i = 0; i < (*p)->n; i++)
        free((*p)->cursors[i].key);
    free((*p)->cursors);
    free(*p);
    *p = NULL;
}

static s_cursor_t *s_cursor(rd_ttl_sweeper_t *sw, int64_t phys)
{
    for (size_t i = 0; i < sw->n; i++)
        if (sw->cursors[i].phys == phys)
            return &sw->cursors[i];
    if (sw->n == sw->cap) {
        sw->cap = sw->cap ? sw->cap * 2 : 8;
        sw->cursors = realloc(sw->cursors, sw->cap * sizeof(*sw->cursors));
        if (!sw->cursors)
            abort();
    }
    s_cursor_t *c = &sw->cursors[sw->n++];
    memset(c, 0, sizeof(*c));
    c->phys = phys;
    return c;
}

static void s_cursor_set(s_cursor_t *c, const rd_key_bytes_t *key)
{
    free(c->key);
    c->key = NULL;
    c->pk_len = c->sk_len = 0;
    if (!key)
        return;
    c->key = malloc(key->pk_len + key->sk_len + 1);
    if (!c->key)
        abort();
    memcpy(c->key, key->pk, key->pk_len);
    if (key->sk_len)
        memcpy(c->key + key->pk_len, key->sk, key->sk_len);
    c->pk_len = key->pk_len;
    c->sk_len = key->sk_len;
}

/* An item's expiry: its TTL attribute as a Number of epoch seconds. False when the
 * attribute is missing or not a Number (such an item never expires). */
static bool s_expiry(const rd_item_text_t *item, const char *attr, double *at)
{
    cJSON *parsed = cJSON_ParseWithLength(item->json, item->len);
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(parsed, attr);
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(value, "N");
    bool ok = cJSON_IsString(n);
    if (ok)
        *at = strtod(n->valuestring, NULL);
    cJSON_Delete(parsed);
    return ok;
}

/* One scanned item: remembered for deletion when expired, and the resume point. */
typedef struct s_scan {
    rd_table_t *table;
    double now;
    rd_key_bytes_t last;          /* the last key examined */
    rd_key_bytes_t *expired;      /* arena */
    rd_item_text_t *expired_items;
    size_t n_expired;
} s_scan_t;

static int s_examine(void *ctx, const rd_key_bytes_t *key, const rd_item_text_t *item)
{
    s_scan_t *scan = ctx;
    double at;
    scan->last = *key;
    /* The service deletes items whose expiry passed, but not those more than five
     * years in the past (taken to be in another unit, e.g. milliseconds). */
    if (s_expiry(item, scan->table->ttl_attr, &at) && at < scan->now && at >= scan->now - FIVE_YEARS_SECONDS) {
        scan->expired[scan->n_expired] = *key;
        scan->expired_items[scan->n_expired] = *item;
        scan->n_expired++;
    }
    return 0;
}

/* Deletes one expired item through the write path, as a Time to Live deletion. */
static int s_delete_expired(rd_store_t *store, ddb_arena_t *arena, rd_table_t *t, const rd_key_bytes_t *key,
                            const rd_item_text_t *item, ddb_err_t *err)
{
    cJSON *parsed = cJSON_ParseWithLength(item->json, item->len);
    ddb_value_t *value = parsed ? ddb_item_from_json(parsed, arena, err) : NULL;
    cJSON_Delete(parsed);
    if (!value)
        return -1;
    rd_req_t req = { .store = store, .arena = arena, .table = t, .err = err };
    rd_item_key_t item_key;
    if (rd_item_key_of_item(&req, value, &item_key) != 0)
        return -1;
    rd_write_t w = { *key, item_key.json, NULL, NULL, 0, 0, item, true, NULL, 0 };
    rd_item_text_t old;
    return rd_store_write_item(store, t, &w, arena, &old, err);
}

/* Sweeps up to budget items of one table from its cursor; returns how many were
 * examined (fewer than budget: the table was finished and its cursor restarts). */
static int s_sweep_table(rd_ttl_sweeper_t *sw, rd_store_t *store, ddb_arena_t *arena, rd_table_t *t, size_t budget,
                         double now, size_t *deleted)
{
    s_cursor_t *c = s_cursor(sw, t->phys);
    rd_key_bytes_t after = { c->key, c->pk_len, c->key ? c->key + c->pk_len : NULL, c->sk_len };
    s_scan_t scan = { t, now, { NULL, 0, NULL, 0 }, NULL, NULL, 0 };
    scan.expired = ddb_arena_calloc(arena, budget, sizeof(*scan.expired));
    scan.expired_items = ddb_arena_calloc(arena, budget, sizeof(*scan.expired_items));
    ddb_err_t err = DDB_ERR_INIT;
    int n = rd_store_scan(store, t, c->key ? &after : NULL, budget, arena, s_examine, &scan, &err);
    for (size_t i = 0; n > 0 && i < scan.n_expired; i++) {
        if (s_delete_expired(store, arena, t, &scan.expired[i], &scan.expired_items[i], &err) != 0) {
            DDB_WARN("ttl: %s: %s", t->name, err.message);
            ddb_err_clear(&err);
            continue;
        }
        (*deleted)++;
    }
    ddb_err_clear(&err);
    if (n < 0)
        return (int)budget;   /* logged; try again next tick */
    s_cursor_set(c, (size_t)n < budget ? NULL : &scan.last);
    return n;
}

size_t rd_ttl_sweep(rd_ttl_sweeper_t *sw, rd_store_t *store, ddb_arena_t *arena, double now)
{
    size_t total = rd_store_table_total(store), budget = SWEEP_ROWS_PER_TICK, deleted = 0;
    bool any = false;
    for (size_t i = 0; i < total && !any; i++)
        any = rd_store_table_at(store, i)->ttl_enabled;
    if (!any || rd_store_begin(store) != 0)   /* no transaction at all on most ticks */
        return 0;
    size_t start = sw->next_table % total;
    for (size_t k = 0; k < total && budget > 0; k++) {
        size_t i = (start + k) % total;
        rd_table_t *t = (rd_table_t *)rd_store_table_at(store, i);   /* the store's own; we write through it */
        if (!t->ttl_enabled || !t->ttl_attr)
            continue;
        int n = s_sweep_table(sw, store, arena, t, budget, now, &deleted);
        budget -= (size_t)n < budget ? (size_t)n : budget;
        sw->next_table = budget == 0 ? i : i + 1;   /* an unfinished table goes on next tick */
    }
    if (rd_store_commit(store) != 0) {
        DDB_ERROR("ttl: commit of %zu deletions failed", deleted);
        deleted = 0;
    }
    ddb_arena_reset(arena);
    if (deleted)
        DDB_DEBUG("ttl: deleted %zu expired items", deleted);
    return deleted;
}
