/* gw_metrics: counters kept per (region, operation) in a table allocated per region on
 * first use (a few array increments per request: the gateway's thread is the hot
 * path), and the rendering of them and of the regionds' replication figures. */
#include "gw_metrics.h"

#include <stdlib.h>
#include <string.h>

#include "gw_super.h"

static const char *const s_ops[] = {   /* sorted; index 0 is every other name */
    "Other", "BatchGetItem", "BatchWriteItem", "CreateGlobalTable", "CreateTable", "DeleteItem", "DeleteTable",
    "DescribeEndpoints", "DescribeGlobalTable", "DescribeGlobalTableSettings", "DescribeLimits",
    "DescribeStream", "DescribeTable", "DescribeTimeToLive", "GetItem", "GetRecords", "GetShardIterator",
    "ListGlobalTables", "ListStreams", "ListTables", "ListTagsOfResource", "PutItem", "Query", "Scan",
    "TagResource", "TransactGetItems", "TransactWriteItems", "UntagResource", "UpdateGlobalTable",
    "UpdateGlobalTableSettings", "UpdateItem", "UpdateTable", "UpdateTimeToLive",
};
#define GW_METRICS_NOPS (sizeof(s_ops) / sizeof(s_ops[0]))

static const unsigned s_bounds[] = { 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000 };
#define GW_METRICS_NBOUNDS (sizeof(s_bounds) / sizeof(s_bounds[0]))
/* the regiond's replication lag buckets (rd_link_lag_bounds), the last being +Inf */
static const unsigned s_lag_bounds[] = { 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000 };
#define GW_METRICS_NLAG (sizeof(s_lag_bounds) / sizeof(s_lag_bounds[0]) + 1)

typedef struct gw_op_metrics {
    uint64_t requests, client_errors, server_errors;
    uint64_t buckets[GW_METRICS_NBOUNDS + 1];   /* the last is +Inf */
    uint64_t sum_ms;
} gw_op_metrics_t;

typedef struct gw_region_metrics {
    const gw_region_t *region;
    gw_op_metrics_t ops[GW_METRICS_NOPS];
} gw_region_metrics_t;

static gw_region_metrics_t *s_regions[GW_MAX_REGIONS];
static size_t s_nregions;

static int s_cmp_op(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

unsigned gw_metrics_op(const char *op, size_t len)
{
    char name[48];
    if (len == 0 || len >= sizeof(name))
        return 0;
    memcpy(name, op, len);
    name[len] = '\0';
    const char *const *hit = bsearch(name, s_ops + 1, GW_METRICS_NOPS - 1, sizeof(s_ops[0]), s_cmp_op);
    return hit ? (unsigned)(hit - s_ops) : 0;
}

static gw_region_metrics_t *s_region(const gw_region_t *r)
{
    for (size_t i = 0; i < s_nregions; i++)
        if (s_regions[i]->region == r)
            return s_regions[i];
    if (s_nregions == GW_MAX_REGIONS)
        return NULL;
    gw_region_metrics_t *m = calloc(1, sizeof(*m));
    if (m) {
        m->region = r;
        s_regions[s_nregions++] = m;
    }
    return m;
}

void gw_metrics_record(gw_t *gw, const gw_region_t *r, unsigned op_id, int status, uint64_t latency_ms)
{
    (void)gw;
    gw_region_metrics_t *m = r ? s_region(r) : NULL;
    if (!m || op_id >= GW_METRICS_NOPS)
        return;
    gw_op_metrics_t *o = &m->ops[op_id];
    o->requests++;
    o->client_errors += status >= 400 && status < 500;
    o->server_errors += status >= 500;
    size_t b = 0;
    while (b < GW_METRICS_NBOUNDS && latency_ms > s_bounds[b])
        b++;
    o->buckets[b]++;
    o->sum_ms += latency_ms;
}

static void s_help(ddb_buf_t *out, const char *name, const char *type, const char *help)
{
    ddb_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void gw_metrics_render_gateway(gw_t *gw, ddb_buf_t *out)
{
    s_help(out, "meridian_requests_total", "counter", "Client requests answered, by region and operation.");
    for (size_t i = 0; i < s_nregions; i++)
        for (size_t k = 0; k < GW_METRICS_NOPS; k++)
            if (s_regions[i]->ops[k].requests)
                ddb_buf_printf(out, "meridian_requests_total{region=\"%s\",operation=\"%s\"} %llu\n",
                               s_regions[i]->region->name, s_ops[k],
                               (unsigned long long)s_regions[i]->ops[k].requests);
    s_help(out, "meridian_errors_total", "counter", "Client requests answered with an error, by class (4xx, 5xx).");
    for (size_t i = 0; i < s_nregions; i++)
        for (size_t k = 0; k < GW_METRICS_NOPS; k++) {
            const gw_op_metrics_t *o = &s_regions[i]->ops[k];
            if (!o->requests)
                continue;
            ddb_buf_printf(out, "meridian_errors_total{region=\"%s\",operation=\"%s\",class=\"4xx\"} %llu\n",
                           s_regions[i]->region->name, s_ops[k], (unsigned long long)o->client_errors);
            ddb_buf_printf(out, "meridian_errors_total{region=\"%s\",operation=\"%s\",class=\"5xx\"} %llu\n",
                           s_regions[i]->region->name, s_ops[k], (unsigned long long)o->server_errors);
        }
    s_help(out, "meridian_request_latency_ms", "histogram", "Client request latency at the gateway (ms).");
    for (size_t i = 0; i < s_nregions; i++)
        for (size_t k = 0; k < GW_METRICS_NOPS; k++) {
            const gw_op_metrics_t *o = &s_regions[i]->ops[k];
            if (!o->requests)
                continue;
            const char *rn = s_regions[i]->region->name;
            uint64_t cum = 0;
            for (size_t b = 0; b <= GW_METRICS_NBOUNDS; b++) {
                cum += o->buckets[b];
                if (b < GW_METRICS_NBOUNDS)
                    ddb_buf_printf(out, "meridian_request_latency_ms_bucket{region=\"%s\",operation=\"%s\",le=\"%u\"} %llu\n",
                                   rn, s_ops[k], s_bounds[b], (unsigned long long)cum);
                else
                    ddb_buf_printf(out, "meridian_request_latency_ms_bucket{region=\"%s\",operation=\"%s\",le=\"+Inf\"} %llu\n",
                                   rn, s_ops[k], (unsigned long long)cum);
            }
            ddb_buf_printf(out, "meridian_request_latency_ms_sum{region=\"%s\",operation=\"%s\"} %llu\n", rn, s_ops[k],
                           (unsigned long long)o->sum_ms);
            ddb_buf_printf(out, "meridian_request_latency_ms_count{region=\"%s\",operation=\"%s\"} %llu\n", rn,
                           s_ops[k], (unsigned long long)o->requests);
        }
    s_help(out, "meridian_region_up", "gauge", "1 when the region's process runs and is not paused.");
    for (size_t i = 0; i < gw->nregions; i++) {
        gw_region_t *r = gw->regions[i];
        ddb_buf_printf(out, "meridian_region_up{region=\"%s\"} %d\n", r->name,
                       r->pid > 0 && !r->paused && gw_super_state(r) == GW_REGION_RUNNING);
    }
    s_help(out, "meridian_process_restarts_total", "counter", "Restarts of the region's process.");
    for (size_t i = 0; i < gw->nregions; i++)
        ddb_buf_printf(out, "meridian_process_restarts_total{region=\"%s\"} %u\n", gw->regions[i]->name,
                       gw->regions[i]->restarts);
}

static const char *const s_region_help[][3] = {
    { "meridian_replication_lag_ms", "histogram", "Replication lag of applied records per link (ms)." },
    { "meridian_replication_current_lag_ms", "gauge", "How far the destination is behind the origin now (ms)." },
    { "meridian_replication_backlog", "gauge", "Origin's change-log records not applied at the destination yet." },
    { "meridian_replication_published_total", "counter", "Local records published on the feed." },
    { "meridian_replication_applied_total", "counter", "Replicated records applied." },
    { "meridian_catchup_repairs_total", "counter", "Catch-up requests (gaps and lost tails repaired)." },
    { "meridian_lww_conflicts_total", "counter", "Conflicts resolved by last writer wins." },
    { "meridian_replication_dropped_total", "counter", "Feed messages dropped at the link filter." },
    { "meridian_table_items", "gauge", "Items per table and region." },
    { "meridian_table_bytes", "gauge", "Bytes per table and region." },
};

enum { F_LAG, F_CURRENT, F_BACKLOG, F_PUBLISHED, F_APPLIED, F_CATCHUPS, F_CONFLICTS, F_DROPPED, F_ITEMS, F_BYTES, F_COUNT };

static uint64_t s_u64(const cJSON *obj, const char *name)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNumber(j) && j->valuedouble > 0 ? (uint64_t)j->valuedouble : 0;
}

static void s_render_link(const char *dest, const cJSON *link, ddb_buf_t *fam)
{
    const cJSON *origin = cJSON_GetObjectItemCaseSensitive(link, "origin");
    const cJSON *buckets = cJSON_GetObjectItemCaseSensitive(link, "buckets");
    if (!cJSON_IsString(origin))
        return;
    const char *o = origin->valuestring;
    uint64_t cum = 0;
    for (size_t b = 0; b < GW_METRICS_NLAG; b++) {
        const cJSON *n = cJSON_GetArrayItem(buckets, (int)b);
        cum += cJSON_IsNumber(n) ? (uint64_t)n->valuedouble : 0;
        if (b + 1 < GW_METRICS_NLAG)
            ddb_buf_printf(&fam[F_LAG], "meridian_replication_lag_ms_bucket{origin=\"%s\",destination=\"%s\",le=\"%u\"} %llu\n",
                           o, dest, s_lag_bounds[b], (unsigned long long)cum);
        else
            ddb_buf_printf(&fam[F_LAG], "meridian_replication_lag_ms_bucket{origin=\"%s\",destination=\"%s\",le=\"+Inf\"} %llu\n",
                           o, dest, (unsigned long long)cum);
    }
    ddb_buf_printf(&fam[F_LAG], "meridian_replication_lag_ms_sum{origin=\"%s\",destination=\"%s\"} %llu\n", o, dest,
                   (unsigned long long)s_u64(link, "sum_ms"));
    ddb_buf_printf(&fam[F_LAG], "meridian_replication_lag_ms_count{origin=\"%s\",destination=\"%s\"} %llu\n", o, dest,
                   (unsigned long long)s_u64(link, "count"));
    ddb_buf_printf(&fam[F_CURRENT], "meridian_replication_current_lag_ms{origin=\"%s\",destination=\"%s\"} %llu\n", o,
                   dest, (unsigned long long)s_u64(link, "current_lag_ms"));
    ddb_buf_printf(&fam[F_BACKLOG], "meridian_replication_backlog{origin=\"%s\",destination=\"%s\"} %llu\n", o, dest,
                   (unsigned long long)s_u64(link, "backlog"));
}

static void s_render_region(const gw_region_t *r, const cJSON *status, ddb_buf_t *fam)
{
    const cJSON *repl = cJSON_GetObjectItemCaseSensitive(status, "replication");
    if (cJSON_IsObject(repl)) {
        static const struct { const char *field; int family; } fields[] = {
            { "published", F_PUBLISHED }, { "applied", F_APPLIED }, { "catchups", F_CATCHUPS },
            { "conflicts", F_CONFLICTS }, { "dropped", F_DROPPED },
        };
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
            ddb_buf_printf(&fam[fields[i].family], "%s{region=\"%s\"} %llu\n", s_region_help[fields[i].family][0],
                           r->name, (unsigned long long)s_u64(repl, fields[i].field));
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(status, "links")) s_render_link(r->name, e, fam);
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(status, "tables")) {
        const cJSON *acct = cJSON_GetObjectItemCaseSensitive(e, "account");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
        if (!cJSON_IsString(acct) || !cJSON_IsString(name))
            continue;
        ddb_buf_printf(&fam[F_ITEMS], "meridian_table_items{region=\"%s\",account=\"%s\",table=\"%s\"} %llu\n", r->name,
                       acct->valuestring, name->valuestring, (unsigned long long)s_u64(e, "items"));
        ddb_buf_printf(&fam[F_BYTES], "meridian_table_bytes{region=\"%s\",account=\"%s\",table=\"%s\"} %llu\n", r->name,
                       acct->valuestring, name->valuestring, (unsigned long long)s_u64(e, "bytes"));
    }
}

void gw_metrics_render_regions(const gw_region_t *const *regions, const cJSON *const *statuses, size_t n, ddb_buf_t *out)
{
    ddb_buf_t fam[F_COUNT];
    for (int f = 0; f < F_COUNT; f++)
        ddb_buf_init(&fam[f]);
    for (size_t i = 0; i < n; i++)
        if (statuses[i])
            s_render_region(regions[i], statuses[i], fam);
    for (int f = 0; f < F_COUNT; f++) {   /* each family's lines in one group */
        s_help(out, s_region_help[f][0], s_region_help[f][1], s_region_help[f][2]);
        if (fam[f].len)
            ddb_buf_append(out, fam[f].data, fam[f].len);
        ddb_buf_free(&fam[f]);
    }
}
