/* gw_chaos: the fault tables and their parsing (cJSON: admin path only), the
 * client-facing faults applied before a request is forwarded, the process faults
 * (through gw_super) and the push of the link table and of the disk-full switches to
 * the regionds. A POST is parsed and validated whole into a copy first: a malformed
 * one changes nothing. */
#include "gw_chaos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <cjson/cJSON.h>
#include <event2/event.h>

#include "ddb_log.h"
#include "gw_http.h"
#include "gw_super.h"

#define GW_CHAOS_LINKS 128
#define GW_CHAOS_OPS 16
/* The regions whose disk-full switch is on, for regionds started from now on (a full
 * disk stays full across a restart); read by meridian-regiond at start. */
#define GW_CHAOS_DISK_ENV "MERIDIAN_CHAOS_DISK_FULL"

typedef struct gw_chaos_link {
    char origin[GW_REGION_NAME_MAX + 1];
    char destination[GW_REGION_NAME_MAX + 1];
    unsigned delay_ms, jitter_ms;
    double drop;                  /* share of feed messages dropped, 0..1 */
    bool partition;
} gw_chaos_link_t;

typedef struct gw_chaos_region {
    char region[GW_REGION_NAME_MAX + 1];
    unsigned latency_ms;          /* added before forwarding */
    int error_kind;               /* a ddb_err_kind_t, or -1 for none */
    double error_rate;            /* share of matching requests that fail */
    char ops[GW_CHAOS_OPS][48];   /* operations hit (none: all) */
    int n_ops;
    bool outage;                  /* every request: 503 ServiceUnavailable */
} gw_chaos_region_t;

typedef struct gw_chaos_tables {
    uint64_t seed;
    gw_chaos_link_t links[GW_CHAOS_LINKS];
    size_t n_links;
    gw_chaos_region_t regions[GW_MAX_REGIONS];
    size_t n_regions;
    char disk_full[GW_MAX_REGIONS][GW_REGION_NAME_MAX + 1];   /* regions whose disk is "full" */
    size_t n_disk_full;
} gw_chaos_tables_t;

typedef struct gw_chaos_disk_sync {   /* what a region's regiond has of the disk-full switch */
    gw_region_t *region;
    pid_t pid;                    /* the process that acknowledged ... */
    bool full;                    /* ... this state */
    bool in_flight;               /* a SetDiskFull is on its way */
} gw_chaos_disk_sync_t;

typedef struct gw_chaos_held {    /* a request waiting out its region's latency */
    struct gw_chaos_held *prev, *next;
    gw_t *gw;
    struct evhttp_request *req;
    struct event *timer;
    uint64_t held_at_ms;          /* gw_now_ms() when it arrived */
} gw_chaos_held_t;

typedef struct gw_chaos {
    gw_chaos_tables_t t;
    uint64_t rng;                 /* LCG state, from the seed */
    uint64_t generation;          /* of the link table, for the push */
    gw_chaos_held_t *held;        /* requests held for latency */
    uint64_t injected;            /* errors and outages answered */
    gw_chaos_disk_sync_t disk_sync[GW_MAX_REGIONS];
    size_t n_disk_sync;
} gw_chaos_t;

static gw_chaos_t *s_chaos;       /* one gateway per process */

static const struct {
    const char *code;
    ddb_err_kind_t kind;
    const char *message;
} s_codes[] = {
    { "ThrottlingException", DDB_ERR_THROTTLING, "Rate of requests exceeds the allowed throughput." },
    { "ProvisionedThroughputExceededException", DDB_ERR_PROVISIONED_THROUGHPUT,
      "The level of configured provisioned throughput for the table was exceeded. Consider increasing your "
      "provisioning level with the UpdateTable API." },
    { "InternalServerError", DDB_ERR_INTERNAL, "Internal server error" },
    { "ServiceUnavailable", DDB_ERR_SERVICE_UNAVAILABLE, "Service Unavailable" },
};
#define GW_CHAOS_NCODES (sizeof(s_codes) / sizeof(s_codes[0]))

static void s_reseed(gw_chaos_t *c)
{
    c->rng = c->t.seed ^ 0x9e3779b97f4a7c15ULL;
}

static gw_chaos_t *s_get(void)
{
    if (!s_chaos) {
        s_chaos = calloc(1, sizeof(*s_chaos));
        if (!s_chaos)
            return NULL;
        s_chaos->t.seed = (uint64_t)time(NULL);
        s_reseed(s_chaos);
    }
    return s_chaos;
}

static double s_unit(gw_chaos_t *c)
{
    c->rng = c->rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(c->rng >> 11) / 9007199254740992.0;
}

static gw_chaos_region_t *s_region_fault(gw_chaos_tables_t *t, const char *name)
{
    for (size_t i = 0; i < t->n_regions; i++)
        if (strcmp(t->regions[i].region, name) == 0)
            return &t->regions[i];
    return NULL;
}

/* ---- client-facing faults ---- */

static void s_held_unlink(gw_chaos_t *c, gw_chaos_held_t *h)
{
    if (h->prev)
        h->prev->next = h->next;
    else
        c->held = h->next;
    if (h->next)
        h->next->prev = h->prev;
    event_free(h->timer);
    free(h);
}

static void s_on_latency(evutil_socket_t fd, short what, void *arg)
{
    gw_chaos_held_t *h = arg;
    gw_t *gw = h->gw;
    struct evhttp_request *req = h->req;
    uint64_t held_ms = gw_now_ms() - h->held_at_ms;
    s_held_unlink(s_chaos, h);
    gw_http_resume(gw, req, held_ms);
}

static bool s_op_matches(const gw_chaos_region_t *f, const char *op, size_t op_len)
{
    if (f->n_ops == 0)
        return true;
    for (int i = 0; i < f->n_ops; i++)
        if (strlen(f->ops[i]) == op_len && memcmp(f->ops[i], op, op_len) == 0)
            return true;
    return false;
}

gw_chaos_verdict_t gw_chaos_intercept(gw_t *gw, gw_region_t *r, const char *op, size_t op_len,
                                      struct evhttp_request *req, bool chaos_done, ddb_err_kind_t *kind,
                                      char *message, size_t size)
{
    gw_chaos_t *c = s_chaos;
    if (!c)
        return GW_CHAOS_PASS;
    gw_chaos_region_t *f = s_region_fault(&c->t, r->name);
    if (f && f->latency_ms > 0 && !chaos_done) {
        gw_chaos_held_t *h = calloc(1, sizeof(*h));
        struct timeval tv = { f->latency_ms / 1000, (long)(f->latency_ms % 1000) * 1000 };
        if (h && (h->timer = evtimer_new(gw->base, s_on_latency, h)) != NULL && evtimer_add(h->timer, &tv) == 0) {
            h->gw = gw;
            h->req = req;
            h->held_at_ms = gw_now_ms();
            h->next = c->held;
            if (c->held)
                c->held->prev = h;
            c->held = h;
            return GW_CHAOS_DEFER;
        }
        if (h && h->timer)
            event_free(h->timer);
        free(h);   /* could not hold it: forward at once */
    }
    if (r->held_down || (f && f->outage)) {   /* the region is down */
        c->injected++;
        *kind = DDB_ERR_SERVICE_UNAVAILABLE;
        snprintf(message, size, "Service Unavailable");
        return GW_CHAOS_FAIL;
    }
    if (f && f->error_kind >= 0 && s_op_matches(f, op, op_len) && s_unit(c) < f->error_rate) {
        c->injected++;
        *kind = (ddb_err_kind_t)f->error_kind;
        for (size_t i = 0; i < GW_CHAOS_NCODES; i++)
            if (s_codes[i].kind == *kind)
                snprintf(message, size, "%s", s_codes[i].message);
        return GW_CHAOS_FAIL;
    }
    return GW_CHAOS_PASS;
}

/* ---- parsing a POST ---- */

typedef struct s_parse {
    char message[256];
} s_parse_t;

static int s_bad(s_parse_t *p, const char *fmt, const char *what)
{
    snprintf(p->message, sizeof(p->message), fmt, what ? what : "");
    return -1;
}

static int s_region_name(s_parse_t *p, const cJSON *j, const char *field, char *out)
{
    if (!cJSON_IsString(j) || !gw_region_name_valid(j->valuestring, strlen(j->valuestring)))
        return s_bad(p, "%s must be a region name like us-east-1", field);
    snprintf(out, GW_REGION_NAME_MAX + 1, "%s", j->valuestring);
    return 0;
}

/* An optional number in [lo, hi] into *out (unchanged when absent). */
static int s_number(s_parse_t *p, const cJSON *obj, const char *field, double lo, double hi, double *out)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (!j)
        return 0;
    if (!cJSON_IsNumber(j) || j->valuedouble < lo || j->valuedouble > hi) {
        snprintf(p->message, sizeof(p->message), "%s must be a number from %g to %g", field, lo, hi);
        return -1;
    }
    *out = j->valuedouble;
    return 0;
}

static int s_only_keys(s_parse_t *p, const cJSON *obj, const char *const *keys, const char *where)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, obj) {
        bool known = false;
        for (const char *const *k = keys; *k; k++)
            known |= strcmp(e->string, *k) == 0;
        if (!known) {
            snprintf(p->message, sizeof(p->message), "unknown field '%s' in %s", e->string, where);
            return -1;
        }
    }
    return 0;
}

static gw_chaos_link_t *s_link_slot(gw_chaos_tables_t *t, const char *origin, const char *dest)
{
    for (size_t i = 0; i < t->n_links; i++)
        if (strcmp(t->links[i].origin, origin) == 0 && strcmp(t->links[i].destination, dest) == 0)
            return &t->links[i];
    return NULL;
}

static void s_link_remove(gw_chaos_tables_t *t, gw_chaos_link_t *l)
{
    size_t i = (size_t)(l - t->links);
    memmove(&t->links[i], &t->links[i + 1], (t->n_links - i - 1) * sizeof(*l));
    t->n_links--;
}

static int s_parse_link(s_parse_t *p, const cJSON *j, gw_chaos_tables_t *t)
{
    static const char *const keys[] = { "origin", "destination", "delay_ms", "jitter_ms", "drop", "partition", NULL };
    gw_chaos_link_t l;
    memset(&l, 0, sizeof(l));
    double delay = 0, jitter = 0, drop = 0;
    if (!cJSON_IsObject(j))
        return s_bad(p, "each of links must be an object%s", NULL);
    if (s_only_keys(p, j, keys, "a link") != 0 ||
        s_region_name(p, cJSON_GetObjectItemCaseSensitive(j, "origin"), "origin", l.origin) != 0 ||
        s_region_name(p, cJSON_GetObjectItemCaseSensitive(j, "destination"), "destination", l.destination) != 0 ||
        s_number(p, j, "delay_ms", 0, 600000, &delay) != 0 || s_number(p, j, "jitter_ms", 0, 600000, &jitter) != 0 ||
        s_number(p, j, "drop", 0, 1, &drop) != 0)
        return -1;
    if (strcmp(l.origin, l.destination) == 0)
        return s_bad(p, "a link joins two different regions, not %s to itself", l.origin);
    const cJSON *part = cJSON_GetObjectItemCaseSensitive(j, "partition");
    if (part && !cJSON_IsBool(part))
        return s_bad(p, "partition must be true or false%s", NULL);
    l.delay_ms = (unsigned)delay;
    l.jitter_ms = (unsigned)jitter;
    l.drop = drop;
    l.partition = cJSON_IsTrue(part);
    gw_chaos_link_t *slot = s_link_slot(t, l.origin, l.destination);
    bool none = !l.delay_ms && !l.jitter_ms && l.drop == 0 && !l.partition;
    if (slot && none) {
        s_link_remove(t, slot);
    } else if (slot) {
        *slot = l;
    } else if (!none) {
        if (t->n_links == GW_CHAOS_LINKS)
            return s_bad(p, "too many links with faults%s", NULL);
        t->links[t->n_links++] = l;
    }
    return 0;
}

static int s_parse_heal(s_parse_t *p, const cJSON *j, gw_chaos_tables_t *t)
{
    if (cJSON_IsTrue(j)) {
        t->n_links = 0;
        return 0;
    }
    if (!cJSON_IsArray(j))
        return s_bad(p, "heal must be true or a list of {\"origin\",\"destination\"}%s", NULL);
    const cJSON *e;
    cJSON_ArrayForEach(e, j) {
        static const char *const keys[] = { "origin", "destination", NULL };
        char origin[GW_REGION_NAME_MAX + 1], dest[GW_REGION_NAME_MAX + 1];
        if (!cJSON_IsObject(e) || s_only_keys(p, e, keys, "heal") != 0 ||
            s_region_name(p, cJSON_GetObjectItemCaseSensitive(e, "origin"), "origin", origin) != 0 ||
            s_region_name(p, cJSON_GetObjectItemCaseSensitive(e, "destination"), "destination", dest) != 0)
            return p->message[0] ? -1 : s_bad(p, "each of heal must be {\"origin\",\"destination\"}%s", NULL);
        gw_chaos_link_t *slot = s_link_slot(t, origin, dest);
        if (slot)
            s_link_remove(t, slot);
    }
    return 0;
}

static int s_parse_error(s_parse_t *p, const cJSON *j, gw_chaos_region_t *f)
{
    static const char *const keys[] = { "code", "rate", "ops", NULL };
    if (!cJSON_IsObject(j) || s_only_keys(p, j, keys, "error") != 0)
        return p->message[0] ? -1 : s_bad(p, "error must be {\"code\",\"rate\",\"ops\"}%s", NULL);
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "code");
    f->error_kind = -1;
    for (size_t i = 0; cJSON_IsString(code) && i < GW_CHAOS_NCODES; i++)
        if (strcmp(code->valuestring, s_codes[i].code) == 0)
            f->error_kind = (int)s_codes[i].kind;
    if (f->error_kind < 0)
        return s_bad(p, "error code must be ThrottlingException, ProvisionedThroughputExceededException, "
                        "InternalServerError or ServiceUnavailable%s", NULL);
    f->error_rate = 1.0;
    if (s_number(p, j, "rate", 0, 1, &f->error_rate) != 0)
        return -1;
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(j, "ops"), *e;
    if (ops && !cJSON_IsArray(ops))
        return s_bad(p, "ops must be a list of operation names%s", NULL);
    cJSON_ArrayForEach(e, ops) {
        if (!cJSON_IsString(e) || !e->valuestring[0] || strlen(e->valuestring) >= sizeof(f->ops[0]))
            return s_bad(p, "ops must be a list of operation names%s", NULL);
        if (f->n_ops == GW_CHAOS_OPS)
            return s_bad(p, "at most 16 ops%s", NULL);
        snprintf(f->ops[f->n_ops++], sizeof(f->ops[0]), "%s", e->valuestring);
    }
    return 0;
}

static int s_parse_region(s_parse_t *p, const cJSON *j, gw_chaos_tables_t *t)
{
    static const char *const keys[] = { "region", "latency_ms", "error", "outage", NULL };
    gw_chaos_region_t f;
    memset(&f, 0, sizeof(f));
    f.error_kind = -1;
    double latency = 0;
    if (!cJSON_IsObject(j))
        return s_bad(p, "each of regions must be an object%s", NULL);
    if (s_only_keys(p, j, keys, "a region") != 0 ||
        s_region_name(p, cJSON_GetObjectItemCaseSensitive(j, "region"), "region", f.region) != 0 ||
        s_number(p, j, "latency_ms", 0, 600000, &latency) != 0)
        return -1;
    f.latency_ms = (unsigned)latency;
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(j, "error");
    if (err && !cJSON_IsNull(err) && s_parse_error(p, err, &f) != 0)
        return -1;
    const cJSON *outage = cJSON_GetObjectItemCaseSensitive(j, "outage");
    if (outage && !cJSON_IsBool(outage))
        return s_bad(p, "outage must be true or false%s", NULL);
    f.outage = cJSON_IsTrue(outage);
    gw_chaos_region_t *slot = s_region_fault(t, f.region);
    bool none = !f.latency_ms && f.error_kind < 0 && !f.outage;
    if (slot && none) {
        size_t i = (size_t)(slot - t->regions);
        memmove(&t->regions[i], &t->regions[i + 1], (t->n_regions - i - 1) * sizeof(f));
        t->n_regions--;
    } else if (slot) {
        *slot = f;
    } else if (!none) {
        if (t->n_regions == GW_MAX_REGIONS)
            return s_bad(p, "too many regions with faults%s", NULL);
        t->regions[t->n_regions++] = f;
    }
    return 0;
}

typedef struct s_process_op {
    gw_region_t *region;
    gw_super_action_t action;
} s_process_op_t;

static int s_parse_process(s_parse_t *p, gw_t *gw, const cJSON *j, s_process_op_t *ops, size_t *n)
{
    static const char *const keys[] = { "region", "action", NULL };
    static const char *const names[] = { "kill", "pause", "resume", "restart" };
    char name[GW_REGION_NAME_MAX + 1];
    if (!cJSON_IsObject(j) || s_only_keys(p, j, keys, "process") != 0 ||
        s_region_name(p, cJSON_GetObjectItemCaseSensitive(j, "region"), "region", name) != 0)
        return p->message[0] ? -1 : s_bad(p, "each of process must be {\"region\",\"action\"}%s", NULL);
    gw_region_t *r = gw_region_find(gw, name, strlen(name));
    if (!r)
        return s_bad(p, "region %s has no process (it has not been used yet)", name);
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(j, "action");
    for (int a = 0; cJSON_IsString(action) && a < 4; a++) {
        if (strcmp(action->valuestring, names[a]) == 0) {
            if (*n == GW_MAX_REGIONS * 2)
                return s_bad(p, "too many process actions%s", NULL);
            ops[*n].region = r;
            ops[(*n)++].action = (gw_super_action_t)a;
            return 0;
        }
    }
    return s_bad(p, "action must be kill, pause, resume or restart%s", NULL);
}

static bool s_disk_listed(const gw_chaos_tables_t *t, const char *name)
{
    for (size_t i = 0; i < t->n_disk_full; i++)
        if (strcmp(t->disk_full[i], name) == 0)
            return true;
    return false;
}

/* One {"region","on"} of disk_full: the region's disk-full switch on or off. The
 * switch lives in the regiond's SQLite VFS: an in-memory cluster has no disk. */
static int s_parse_disk_full(s_parse_t *p, gw_t *gw, const cJSON *j, gw_chaos_tables_t *t)
{
    static const char *const keys[] = { "region", "on", NULL };
    char name[GW_REGION_NAME_MAX + 1];
    if (!cJSON_IsObject(j) || s_only_keys(p, j, keys, "disk_full") != 0 ||
        s_region_name(p, cJSON_GetObjectItemCaseSensitive(j, "region"), "region", name) != 0)
        return p->message[0] ? -1 : s_bad(p, "each of disk_full must be {\"region\",\"on\"}%s", NULL);
    const cJSON *on = cJSON_GetObjectItemCaseSensitive(j, "on");
    if (!cJSON_IsBool(on))
        return s_bad(p, "on must be true or false%s", NULL);
    if (gw->cfg.in_memory && cJSON_IsTrue(on))
        return s_bad(p, "disk_full needs a data directory: this cluster keeps its data in memory%s", NULL);
    bool listed = s_disk_listed(t, name);
    if (cJSON_IsTrue(on) && !listed) {
        if (t->n_disk_full == GW_MAX_REGIONS)
            return s_bad(p, "too many regions with a full disk%s", NULL);
        snprintf(t->disk_full[t->n_disk_full++], GW_REGION_NAME_MAX + 1, "%s", name);
    } else if (!cJSON_IsTrue(on) && listed) {
        size_t i = 0;
        while (strcmp(t->disk_full[i], name) != 0)
            i++;
        memmove(&t->disk_full[i], &t->disk_full[i + 1], (t->n_disk_full - i - 1) * sizeof(t->disk_full[0]));
        t->n_disk_full--;
    }
    return 0;
}

/* Hands the disk-full regions to regionds started from now on (the gateway forks
 * them, and it is single-threaded). */
static void s_disk_env(const gw_chaos_tables_t *t)
{
    char list[GW_MAX_REGIONS * (GW_REGION_NAME_MAX + 1) + 1];
    size_t len = 0;
    list[0] = '\0';
    for (size_t i = 0; i < t->n_disk_full; i++)
        len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? "," : "", t->disk_full[i]);
    if (len)
        setenv(GW_CHAOS_DISK_ENV, list, 1);
    else
        unsetenv(GW_CHAOS_DISK_ENV);
}

static void s_error_json(ddb_buf_t *out, const char *message)
{
    ddb_buf_puts(out, "{\"error\":\"ValidationError\",\"message\":");
    ddb_buf_json_str(out, message, strlen(message));
    ddb_buf_putc(out, '}');
}

int gw_chaos_post(gw_t *gw, const char *body, size_t len, ddb_buf_t *out)
{
    static const char *const keys[] = { "seed", "clear", "heal", "links", "regions", "process", "disk_full", NULL };
    gw_chaos_t *c = s_get();
    s_parse_t p = { { 0 } };
    s_process_op_t ops[GW_MAX_REGIONS * 2];
    size_t n_ops = 0;
    gw_chaos_tables_t *t = c ? malloc(sizeof(*t)) : NULL;
    cJSON *root = len ? cJSON_ParseWithLength(body, len) : NULL;
    int rc = -1;
    if (!t) {
        s_error_json(out, "out of memory");
        goto out;
    }
    *t = c->t;
    if (!cJSON_IsObject(root)) {
        s_error_json(out, "the body must be a JSON object");
        goto out;
    }
    if (s_only_keys(&p, root, keys, "the request") != 0)
        goto bad;
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(root, "seed");
    const cJSON *clear = cJSON_GetObjectItemCaseSensitive(root, "clear");
    const cJSON *heal = cJSON_GetObjectItemCaseSensitive(root, "heal");
    const cJSON *links = cJSON_GetObjectItemCaseSensitive(root, "links");
    const cJSON *regions = cJSON_GetObjectItemCaseSensitive(root, "regions");
    const cJSON *process = cJSON_GetObjectItemCaseSensitive(root, "process");
    const cJSON *disk_full = cJSON_GetObjectItemCaseSensitive(root, "disk_full"), *e;
    if (seed && (!cJSON_IsNumber(seed) || seed->valuedouble < 0 || seed->valuedouble > 9007199254740992.0)) {
        s_bad(&p, "seed must be a non-negative integer%s", NULL);
        goto bad;
    }
    if (clear && !cJSON_IsBool(clear)) {
        s_bad(&p, "clear must be true or false%s", NULL);
        goto bad;
    }
    if ((links && !cJSON_IsArray(links)) || (regions && !cJSON_IsArray(regions)) || (process && !cJSON_IsArray(process)) ||
        (disk_full && !cJSON_IsArray(disk_full))) {
        s_bad(&p, "links, regions, process and disk_full must be lists%s", NULL);
        goto bad;
    }
    if (cJSON_IsTrue(clear)) {
        t->n_links = 0;
        t->n_regions = 0;
        t->n_disk_full = 0;
    }
    if (heal && s_parse_heal(&p, heal, t) != 0)
        goto bad;
    cJSON_ArrayForEach(e, links) if (s_parse_link(&p, e, t) != 0) goto bad;
    cJSON_ArrayForEach(e, regions) if (s_parse_region(&p, e, t) != 0) goto bad;
    cJSON_ArrayForEach(e, process) if (s_parse_process(&p, gw, e, ops, &n_ops) != 0) goto bad;
    cJSON_ArrayForEach(e, disk_full) if (s_parse_disk_full(&p, gw, e, t) != 0) goto bad;

    /* valid: apply */
    bool links_changed = t->n_links != c->t.n_links || memcmp(t->links, c->t.links, t->n_links * sizeof(t->links[0]));
    if (seed) {
        t->seed = (uint64_t)seed->valuedouble;
        links_changed = true;
    }
    c->t = *t;
    s_disk_env(&c->t);
    if (seed)
        s_reseed(c);
    if (links_changed)
        c->generation++;
    if (cJSON_IsTrue(clear)) {   /* processes back to normal too */
        for (size_t i = 0; i < gw->nregions; i++) {
            gw_region_t *r = gw->regions[i];
            if (r->held_down || r->paused)
                gw_super_chaos(r, r->held_down ? GW_SUPER_RESTART : GW_SUPER_RESUME);
        }
    }
    for (size_t i = 0; i < n_ops; i++)
        if (gw_super_chaos(ops[i].region, ops[i].action) != 0)
            DDB_WARN("chaos: process action on %s did not apply", ops[i].region->name);
    gw_chaos_tick(gw);
    gw_chaos_to_json(gw, out);
    rc = 0;
    goto out;
bad:
    s_error_json(out, p.message);
out:
    cJSON_Delete(root);
    free(t);
    return rc;
}

/* ---- what is in force ---- */

/* The disk-full sync record of region r (made on first use), or NULL if there is no
 * room (cannot happen: one per region). */
static gw_chaos_disk_sync_t *s_disk_sync(gw_chaos_t *c, gw_region_t *r)
{
    for (size_t i = 0; i < c->n_disk_sync; i++)
        if (c->disk_sync[i].region == r)
            return &c->disk_sync[i];
    if (c->n_disk_sync == GW_MAX_REGIONS)
        return NULL;
    gw_chaos_disk_sync_t *d = &c->disk_sync[c->n_disk_sync++];
    memset(d, 0, sizeof(*d));
    d->region = r;
    return d;
}

/* True when r's running regiond has acknowledged the disk-full state in force. */
static bool s_disk_synced(gw_chaos_t *c, gw_region_t *r)
{
    gw_chaos_disk_sync_t *d = c ? s_disk_sync(c, r) : NULL;
    bool want = c && s_disk_listed(&c->t, r->name);
    return r->pid > 0 && d && d->pid == r->pid && d->full == want;
}

static void s_link_json(const gw_chaos_link_t *l, ddb_buf_t *out)
{
    ddb_buf_puts(out, "{\"origin\":");
    ddb_buf_json_str(out, l->origin, strlen(l->origin));
    ddb_buf_puts(out, ",\"destination\":");
    ddb_buf_json_str(out, l->destination, strlen(l->destination));
    ddb_buf_printf(out, ",\"delay_ms\":%u,\"jitter_ms\":%u,\"drop\":%g,\"partition\":%s}", l->delay_ms, l->jitter_ms,
                   l->drop, l->partition ? "true" : "false");
}

static void s_links_json(const gw_chaos_t *c, ddb_buf_t *out)
{
    ddb_buf_putc(out, '[');
    for (size_t i = 0; c && i < c->t.n_links; i++) {
        if (i)
            ddb_buf_putc(out, ',');
        s_link_json(&c->t.links[i], out);
    }
    ddb_buf_putc(out, ']');
}

void gw_chaos_to_json(gw_t *gw, ddb_buf_t *out)
{
    gw_chaos_t *c = s_get();
    ddb_buf_printf(out, "{\"seed\":%llu,\"links\":", c ? (unsigned long long)c->t.seed : 0ULL);
    s_links_json(c, out);
    ddb_buf_puts(out, ",\"regions\":[");
    for (size_t i = 0; c && i < c->t.n_regions; i++) {
        const gw_chaos_region_t *f = &c->t.regions[i];
        ddb_buf_puts(out, i ? ",{\"region\":" : "{\"region\":");
        ddb_buf_json_str(out, f->region, strlen(f->region));
        ddb_buf_printf(out, ",\"latency_ms\":%u,\"outage\":%s,\"error\":", f->latency_ms, f->outage ? "true" : "false");
        if (f->error_kind < 0) {
            ddb_buf_puts(out, "null");
        } else {
            const char *code = "";
            for (size_t k = 0; k < GW_CHAOS_NCODES; k++)
                if ((int)s_codes[k].kind == f->error_kind)
                    code = s_codes[k].code;
            ddb_buf_printf(out, "{\"code\":\"%s\",\"rate\":%g,\"ops\":[", code, f->error_rate);
            for (int k = 0; k < f->n_ops; k++) {
                if (k)
                    ddb_buf_putc(out, ',');
                ddb_buf_json_str(out, f->ops[k], strlen(f->ops[k]));
            }
            ddb_buf_puts(out, "]}");
        }
        ddb_buf_putc(out, '}');
    }
    ddb_buf_puts(out, "],\"disk_full\":[");
    for (size_t i = 0; c && i < c->t.n_disk_full; i++) {
        ddb_buf_puts(out, i ? ",{\"region\":" : "{\"region\":");
        ddb_buf_json_str(out, c->t.disk_full[i], strlen(c->t.disk_full[i]));
        ddb_buf_puts(out, ",\"on\":true}");
    }
    ddb_buf_puts(out, "],\"processes\":{");
    for (size_t i = 0; i < gw->nregions; i++) {
        gw_region_t *r = gw->regions[i];
        if (i)
            ddb_buf_putc(out, ',');
        ddb_buf_json_str(out, r->name, r->name_len);
        ddb_buf_printf(out, ":{\"state\":\"%s\",\"pid\":%d,\"chaos\":%s,\"links_synced\":%s,\"disk_full_synced\":%s}",
                       gw_region_state_name(gw_super_state(r)), (int)r->pid,
                       r->held_down ? "\"killed\"" : r->paused ? "\"paused\"" : "null",
                       (r->pid > 0 && r->links_pushed == (c ? c->generation : 0) && r->links_pushed_pid == r->pid)
                           ? "true" : "false",
                       s_disk_synced(c, r) ? "true" : "false");
    }
    ddb_buf_printf(out, "},\"injected\":%llu}", c ? (unsigned long long)c->injected : 0ULL);
}

/* ---- pushing the link table and the disk-full switches ---- */

/* Sends the ADMIN request op with body to r's regiond; fn gets the answer with tag.
 * 0, or -1 when it could not be queued (fn is not called then). */
static int s_push(gw_region_t *r, const char *op, const ddb_buf_t *body, gw_reply_fn fn, uintptr_t tag)
{
    char request_id[GW_REQUEST_ID_LEN + 1];
    gw_http_request_id(request_id);
    proto_request_t preq;
    memset(&preq, 0, sizeof(preq));
    preq.service = PROTO_SVC_ADMIN;
    preq.op = (proto_str_t){ op, strlen(op) };
    preq.account = (proto_str_t){ "000000000000", 12 };
    preq.request_id = (proto_str_t){ request_id, GW_REQUEST_ID_LEN };
    preq.body = (proto_str_t){ body->data, body->len };
    return gw_region_send(r, &preq, fn, NULL, tag, NULL);
}

/* tag: the pid the state was sent to, shifted left once, | the state sent. */
static void s_on_disk_pushed(gw_pending_t *p, int status, const char *body, size_t len)
{
    gw_chaos_disk_sync_t *d = s_chaos ? s_disk_sync(s_chaos, p->region) : NULL;
    if (!d)
        return;
    d->in_flight = false;
    if (status == 200) {
        d->pid = (pid_t)(p->tag >> 1);
        d->full = (p->tag & 1) != 0;
    } else {
        DDB_WARN("SetDiskFull to %s: %d %.*s", p->region->name, status, (int)(len > 200 ? 200 : len), body);
    }
}

/* Sends r's regiond the disk-full state in force unless it has it or it is on its way
 * (a regiond started after the change has it from its environment already; this
 * covers the ones running, and confirms it). */
static void s_disk_tick(gw_chaos_t *c, gw_region_t *r)
{
    gw_chaos_disk_sync_t *d = s_disk_sync(c, r);
    bool want = s_disk_listed(&c->t, r->name);
    if (!d || d->in_flight || (d->pid == r->pid && d->full == want))
        return;
    ddb_buf_t body = DDB_BUF_INIT;
    ddb_buf_printf(&body, "{\"full\":%s}", want ? "true" : "false");
    /* in flight until the answer, or the 500 of a lost one, comes back */
    d->in_flight = s_push(r, "SetDiskFull", &body, s_on_disk_pushed, ((uintptr_t)r->pid << 1) | (want ? 1u : 0u)) == 0;
    ddb_buf_free(&body);
}

static void s_on_pushed(gw_pending_t *p, int status, const char *body, size_t len)
{
    gw_region_t *r = p->region;
    uint64_t generation = (uint64_t)p->tag;
    if (status == 200) {
        r->links_pushed = generation;
        r->links_pushed_pid = r->pid;
    } else {
        DDB_WARN("SetLinkFaults to %s: %d %.*s", r->name, status, (int)(len > 200 ? 200 : len), body);
    }
}

void gw_chaos_tick(gw_t *gw)
{
    gw_chaos_t *c = s_chaos;
    if (!c)
        return;
    ddb_buf_t body = DDB_BUF_INIT;
    for (size_t i = 0; i < gw->nregions; i++) {
        gw_region_t *r = gw->regions[i];
        if (r->pid <= 0 || r->paused)
            continue;
        s_disk_tick(c, r);
        if (r->links_pushed == c->generation && r->links_pushed_pid == r->pid)
            continue;
        if (body.len == 0) {
            ddb_buf_printf(&body, "{\"seed\":%llu,\"links\":", (unsigned long long)c->t.seed);
            s_links_json(c, &body);
            ddb_buf_putc(&body, '}');
        }
        r->links_pushed_pid = -1;   /* in flight: do not resend until answered or the next tick */
        s_push(r, "SetLinkFaults", &body, s_on_pushed, (uintptr_t)c->generation);
    }
    ddb_buf_free(&body);
}

void gw_chaos_destroy(gw_t *gw)
{
    if (!s_chaos)
        return;
    while (s_chaos->held) {
        struct evhttp_request *req = s_chaos->held->req;
        s_held_unlink(s_chaos, s_chaos->held);
        gw_http_send_error(gw, req, DDB_ERR_SERVICE_UNAVAILABLE, "Meridian is shutting down");
    }
    free(s_chaos);
    s_chaos = NULL;
}
