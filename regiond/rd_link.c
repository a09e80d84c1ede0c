/* rd_link: the fault table of the links into this region and the queue of messages a
 * delayed link holds back. Faults are applied on receipt: the destination of a link
 * filters what arrives from its origin, so one table pushed to every regiond covers
 * both directions. Partition drops everything (feed, catch-up, control: each of them is
 * retried or repaired after the heal); drop only hits repairable messages. */
#include "rd_link.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RD_LINK_MAX 64

typedef struct rd_link_fault {
    char origin[64];
    unsigned delay_ms, jitter_ms;
    double drop;                /* share of droppable messages dropped, 0..1 */
    bool partition;
    uint64_t last_due_ms;       /* keeps the link's order under jitter */
} rd_link_fault_t;

static rd_link_fault_t s_links[RD_LINK_MAX];   /* links whose destination is this region */
static size_t s_nlinks;
static char s_json[8192];                      /* the links as pushed, for Status */
static uint64_t s_seed, s_rng;
static rd_link_msg_t *s_held_head, *s_held_tail;
static uint64_t s_nheld, s_dropped, s_delayed;

static uint64_t s_rng_next(void)
{
    s_rng = s_rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return s_rng >> 11;
}

static double s_rng_unit(void)
{
    return (double)s_rng_next() / 9007199254740992.0;
}

static rd_link_fault_t *s_find(const char *origin)
{
    for (size_t i = 0; i < s_nlinks; i++)
        if (strcmp(s_links[i].origin, origin) == 0)
            return &s_links[i];
    return NULL;
}

static int s_fail(char *msg, size_t size, const char *text)
{
    snprintf(msg, size, "%s", text);
    return -1;
}

static bool s_number_ok(const cJSON *n, double lo, double hi)
{
    return !n || (cJSON_IsNumber(n) && n->valuedouble >= lo && n->valuedouble <= hi);
}

int rd_link_set(const char *self, const char *json, size_t len, char *msg, size_t msg_size)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    rd_link_fault_t links[RD_LINK_MAX];
    size_t n = 0;
    int rc = -1;
    if (!cJSON_IsObject(root)) {
        s_fail(msg, msg_size, "the body must be a JSON object");
        goto out;
    }
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(root, "seed");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "links"), *e;
    if ((seed && !cJSON_IsNumber(seed)) || (list && !cJSON_IsArray(list))) {
        s_fail(msg, msg_size, "seed must be a number and links an array");
        goto out;
    }
    cJSON_ArrayForEach(e, list) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(e, "origin");
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "destination");
        const cJSON *delay = cJSON_GetObjectItemCaseSensitive(e, "delay_ms");
        const cJSON *jitter = cJSON_GetObjectItemCaseSensitive(e, "jitter_ms");
        const cJSON *drop = cJSON_GetObjectItemCaseSensitive(e, "drop");
        const cJSON *part = cJSON_GetObjectItemCaseSensitive(e, "partition");
        if (!cJSON_IsString(o) || !cJSON_IsString(d) || strlen(o->valuestring) >= sizeof(links[0].origin) ||
            !s_number_ok(delay, 0, 600000) || !s_number_ok(jitter, 0, 600000) || !s_number_ok(drop, 0, 1) ||
            (part && !cJSON_IsBool(part))) {
            s_fail(msg, msg_size, "a link needs origin, destination (strings) and valid delay_ms, jitter_ms, drop, partition");
            goto out;
        }
        if (strcmp(d->valuestring, self) != 0)
            continue;   /* filtered at its own destination */
        if (n == RD_LINK_MAX) {
            s_fail(msg, msg_size, "too many links");
            goto out;
        }
        rd_link_fault_t *f = &links[n++];
        memset(f, 0, sizeof(*f));
        snprintf(f->origin, sizeof(f->origin), "%s", o->valuestring);
        f->delay_ms = delay ? (unsigned)delay->valuedouble : 0;
        f->jitter_ms = jitter ? (unsigned)jitter->valuedouble : 0;
        f->drop = drop ? drop->valuedouble : 0;
        f->partition = cJSON_IsTrue(part);
        const rd_link_fault_t *old = s_find(f->origin);
        f->last_due_ms = old ? old->last_due_ms : 0;
    }
    char *text = cJSON_PrintUnformatted(list ? list : cJSON_GetObjectItemCaseSensitive(root, "links"));
    snprintf(s_json, sizeof(s_json), "%s", text ? text : "[]");
    cJSON_free(text);
    memcpy(s_links, links, n * sizeof(links[0]));
    s_nlinks = n;
    uint64_t new_seed = seed ? (uint64_t)seed->valuedouble : 0;
    if (new_seed != s_seed || s_rng == 0) {
        s_seed = new_seed;
        s_rng = new_seed ^ 0x9e3779b97f4a7c15ULL;
        for (const char *p = self; *p; p++)   /* each region its own repeatable stream */
            s_rng = (s_rng ^ (unsigned char)*p) * 1099511628211ULL;
    }
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}

rd_link_verdict_t rd_link_check(const char *origin, bool droppable, uint64_t now_ms, uint64_t *due_ms)
{
    rd_link_fault_t *f = s_find(origin);
    if (!f)
        return RD_LINK_PASS;
    if (f->partition || (droppable && f->drop > 0 && s_rng_unit() < f->drop)) {
        s_dropped++;
        return RD_LINK_DROP;
    }
    if (f->delay_ms == 0 && f->jitter_ms == 0 && f->last_due_ms <= now_ms)
        return RD_LINK_PASS;
    uint64_t due = now_ms + f->delay_ms + (f->jitter_ms ? s_rng_next() % (f->jitter_ms + 1) : 0);
    if (due < f->last_due_ms)
        due = f->last_due_ms;
    f->last_due_ms = due;
    *due_ms = due;
    s_delayed++;
    return RD_LINK_HOLD;
}

int rd_link_hold(const char *origin, bool feed, const void *data, size_t len, uint64_t due_ms)
{
    rd_link_msg_t *m = malloc(sizeof(*m) + len);
    if (!m)
        return -1;
    m->next = NULL;
    m->due_ms = due_ms;
    snprintf(m->origin, sizeof(m->origin), "%s", origin);
    m->feed = feed;
    m->len = len;
    memcpy(m->data, data, len);
    /* keep the queue sorted by due time; equal times stay in arrival order */
    rd_link_msg_t **pp = &s_held_head;
    if (s_held_tail && s_held_tail->due_ms <= due_ms)
        pp = &s_held_tail->next;
    else
        while (*pp && (*pp)->due_ms <= due_ms)
            pp = &(*pp)->next;
    m->next = *pp;
    *pp = m;
    if (!m->next)
        s_held_tail = m;
    s_nheld++;
    return 0;
}

rd_link_msg_t *rd_link_next_due(uint64_t now_ms)
{
    rd_link_msg_t *m = s_held_head;
    if (!m || m->due_ms > now_ms)
        return NULL;
    s_held_head = m->next;
    if (!s_held_head)
        s_held_tail = NULL;
    s_nheld--;
    m->next = NULL;
    return m;
}

bool rd_link_partitioned(const char *origin)
{
    const rd_link_fault_t *f = s_find(origin);
    return f && f->partition;
}

void rd_link_to_json(ddb_buf_t *out)
{
    ddb_buf_printf(out, "{\"links\":%s,\"seed\":%llu,\"held\":%llu,\"dropped\":%llu,\"delayed\":%llu}",
                   s_json[0] ? s_json : "[]", (unsigned long long)s_seed, (unsigned long long)s_nheld,
                   (unsigned long long)s_dropped, (unsigned long long)s_delayed);
}

void rd_link_reset(void)
{
    while (s_held_head) {
        rd_link_msg_t *m = s_held_head;
        s_held_head = m->next;
        free(m);
    }
    s_held_tail = NULL;
    s_nheld = 0;
    s_nlinks = 0;
    s_json[0] = '\0';
}

const unsigned rd_link_lag_bounds[RD_LINK_LAG_BUCKETS - 1] = { 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000 };

void rd_link_lag_applied(rd_link_lag_t *lag, uint64_t write_ms, uint64_t now_ms)
{
    uint64_t ms = now_ms > write_ms ? now_ms - write_ms : 0;
    size_t b = 0;
    while (b < RD_LINK_LAG_BUCKETS - 1 && ms > rd_link_lag_bounds[b])
        b++;
    lag->buckets[b]++;
    lag->count++;
    lag->sum_ms += ms;
    lag->last_ms = ms;
    if (write_ms >= lag->current_as_of_ms) {
        lag->current_as_of_ms = write_ms;
        lag->transit_ms = ms;
        lag->seen_ms = now_ms;
    }
}

void rd_link_lag_caught_up(rd_link_lag_t *lag, uint64_t sent_ms, uint64_t now_ms)
{
    if (sent_ms < lag->current_as_of_ms)
        return;
    lag->current_as_of_ms = sent_ms;
    lag->transit_ms = now_ms > sent_ms ? now_ms - sent_ms : 0;
    lag->seen_ms = now_ms;
}

uint64_t rd_link_lag_current(const rd_link_lag_t *lag, uint64_t now_ms, uint64_t stale_ms)
{
    if (!lag->current_as_of_ms)
        return 0;   /* nothing heard yet */
    if (now_ms <= lag->seen_ms + stale_ms)
        return lag->transit_ms;
    return now_ms > lag->current_as_of_ms ? now_ms - lag->current_as_of_ms : 0;
}

void rd_link_lag_to_json(const rd_link_lag_t *lag, const char *origin, uint64_t now_ms, uint64_t stale_ms,
                         ddb_buf_t *out)
{
    uint64_t current = rd_link_lag_current(lag, now_ms, stale_ms);
    ddb_buf_puts(out, "{\"origin\":");
    ddb_buf_json_str(out, origin, strlen(origin));
    ddb_buf_printf(out, ",\"current_lag_ms\":%llu,\"last_lag_ms\":%llu,\"backlog\":%llu,\"count\":%llu,\"sum_ms\":%llu,\"buckets\":[",
                   (unsigned long long)current, (unsigned long long)lag->last_ms, (unsigned long long)lag->backlog,
                   (unsigned long long)lag->count, (unsigned long long)lag->sum_ms);
    for (size_t b = 0; b < RD_LINK_LAG_BUCKETS; b++)
        ddb_buf_printf(out, b ? ",%llu" : "%llu", (unsigned long long)lag->buckets[b]);
    ddb_buf_puts(out, "]}");
}
