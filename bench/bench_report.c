/* bench_report: text and JSON output of a run (see bench_report.h). Throughput is
 * successful requests per second of the measured window; latencies are in
 * microseconds, taken from the histogram (upper bucket bounds, <1.6% high). */
#include "bench_report.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>

static double s_rate(uint64_t n, double seconds)
{
    return seconds > 0 ? (double)n / seconds : 0.0;
}

static double s_mb(long kb)
{
    return (double)kb / 1024.0;
}

/* "12.3" or "-" for an RSS that was not read. */
static const char *s_mb_text(long kb, char *buf, size_t size)
{
    if (kb < 0)
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.1f", s_mb(kb));
    return buf;
}

/* The timed sample nearest to t_s, or NULL. */
static const bench_mem_sample_t *s_sample_near(const bench_mem_t *m, double t_s)
{
    const bench_mem_sample_t *best = NULL;
    for (int i = 0; i < m->n_samples; i++) {
        double d = m->samples[i].t_s - t_s, bd = best ? best->t_s - t_s : 0;
        if (!best || d * d < bd * bd)
            best = &m->samples[i];
    }
    return best;
}

/* Growth of process i's RSS over the two halves of the measured window (kB): 0 and
 * the halves set, or -1 when the window is too short to tell (< 20 s) or unsampled. */
static int s_mem_halves(const bench_mem_t *m, int i, const bench_result_t *res, long *first, long *second)
{
    const bench_mem_proc_t *p = &m->procs[i];
    if (res->measured_s < 20 || p->window_start_kb < 0 || p->end_kb < 0)
        return -1;
    double mid_t = res->window_t_s + res->measured_s / 2;
    const bench_mem_sample_t *mid = s_sample_near(m, mid_t);
    if (!mid || mid->kb[i] < 0 || mid->t_s < res->window_t_s + res->measured_s / 4 ||
        mid->t_s > res->window_t_s + 3 * res->measured_s / 4)
        return -1;
    *first = mid->kb[i] - p->window_start_kb;
    *second = p->end_kb - mid->kb[i];
    return 0;
}

/* What the halves say: flat once the second half adds under 1 MB. */
static const char *s_mem_trend(long first, long second)
{
    if (second <= 1024)
        return "plateau";
    if (second * 4 < first)
        return "levelling off";
    return "still growing";
}

static void s_print_mem(FILE *out, const bench_result_t *res)
{
    const bench_mem_t *m = &res->mem;
    if (!m->root || m->n_procs == 0)
        return;
    char a[16], b[16], c[16], d[16], e[16];
    fprintf(out, "  server RSS (MB)                         start      max   loaded   window      end\n");
    for (int i = 0; i < m->n_procs; i++) {
        const bench_mem_proc_t *p = &m->procs[i];
        char label[96];
        snprintf(label, sizeof(label), "%s (%d)", p->name, p->pid);
        fprintf(out, "    %-36s %8s %8s %8s %8s %8s\n", label, s_mb_text(p->start_kb, a, sizeof(a)),
                s_mb_text(p->max_kb, b, sizeof(b)), s_mb_text(p->preload_kb, c, sizeof(c)),
                s_mb_text(p->window_start_kb, d, sizeof(d)), s_mb_text(p->end_kb, e, sizeof(e)));
    }
    fprintf(out, "    %-36s %8s %8s %8s %8s %8s\n", "all", s_mb_text(m->total_start_kb, a, sizeof(a)),
            s_mb_text(m->total_max_kb, b, sizeof(b)), "", "", s_mb_text(m->total_end_kb, e, sizeof(e)));
    for (int i = 0; i < m->n_procs; i++) {
        long first, second;
        if (s_mem_halves(m, i, res, &first, &second) == 0)
            fprintf(out, "    %s in the window: %+.1f MB in the first half, %+.1f MB in the second (%s)\n",
                    m->procs[i].name, s_mb(first), s_mb(second), s_mem_trend(first, second));
    }
}

/* Open loop: did the generator keep to the schedule? */
static int s_kept_up(const bench_config_t *cfg, const bench_result_t *res)
{
    return res->due > 0 && (double)res->scheduled_done >= 0.99 * (double)res->due &&
           (double)res->backlog_end <= 0.01 * cfg->rate && res->backlog_dropped == 0;
}

static void s_print_open_loop(FILE *out, const bench_config_t *cfg, const bench_result_t *res)
{
    if (cfg->rate <= 0 || res->measured_s <= 0)
        return;
    const char *what = cfg->workload == BENCH_WL_REPL_LAG ? "writes" : "requests";
    fprintf(out, "  open loop: target %.0f %s/s; %llu due in the window, %llu answered = %.0f/s achieved; "
                 "backlog max %llu, %llu at the end\n",
            cfg->rate, what, (unsigned long long)res->due, (unsigned long long)res->scheduled_done,
            (double)res->scheduled_done / res->measured_s, (unsigned long long)res->backlog_max,
            (unsigned long long)res->backlog_end);
    if (res->send_delay.total)
        fprintf(out, "    sent after due (us): p50 %llu  p99 %llu  max %llu\n",
                (unsigned long long)bench_hist_quantile(&res->send_delay, 0.5),
                (unsigned long long)bench_hist_quantile(&res->send_delay, 0.99),
                (unsigned long long)res->send_delay.max);
    if (s_kept_up(cfg, res))
        fprintf(out, "    the generator kept the rate\n");
    else
        fprintf(out, "    RATE NOT SUSTAINED: the client or the server fell behind the schedule; "
                     "latency counts from each request's due time\n");
}

static void s_print_hist(FILE *out, const char *name, const bench_hist_t *h)
{
    if (h->total == 0) {
        fprintf(out, "  %s: no samples\n", name);
        return;
    }
    fprintf(out,
            "  %s (us): min %llu  mean %.0f  p50 %llu  p90 %llu  p99 %llu  p99.9 %llu  max %llu\n", name,
            (unsigned long long)h->min, bench_hist_mean(h), (unsigned long long)bench_hist_quantile(h, 0.50),
            (unsigned long long)bench_hist_quantile(h, 0.90), (unsigned long long)bench_hist_quantile(h, 0.99),
            (unsigned long long)bench_hist_quantile(h, 0.999), (unsigned long long)h->max);
}

void bench_report_print(FILE *out, const bench_config_t *cfg, const bench_result_t *res)
{
    fprintf(out, "== %s / %s  (%s, region %s, table %s, %d connections, %s, seed %llu)\n", cfg->label,
            bench_workload_name(cfg->workload), cfg->endpoint, cfg->region, res->table, cfg->connections,
            cfg->rate > 0 ? "open loop" : "closed loop", (unsigned long long)cfg->seed);
    if (res->setup_failed) {
        fprintf(out, "  FAILED: %s\n", res->setup_error);
        return;
    }
    if (res->setup_error[0])
        fprintf(out, "  setup warning: %s\n", res->setup_error);
    if (res->preload_items)
        fprintf(out, "  preload: %llu items in %.2f s (%.0f items/s, %s, %llu errors)\n",
                (unsigned long long)res->preload_items, res->preload_s, s_rate(res->preload_items, res->preload_s),
                res->preload_op, (unsigned long long)res->preload_errors);
    double rps = s_rate(res->ok, res->measured_s);
    fprintf(out, "  requests: %llu in %.2f s: %llu ok, %llu errors\n", (unsigned long long)res->requests,
            res->measured_s, (unsigned long long)res->ok, (unsigned long long)res->errors);
    fprintf(out, "  throughput: %.0f req/s", rps);
    if (res->items && (cfg->workload == BENCH_WL_BATCH_WRITE || cfg->workload == BENCH_WL_QUERY ||
                       cfg->workload == BENCH_WL_SCAN))
        fprintf(out, "  (%.0f items/s)", s_rate(res->items, res->measured_s));
    if (cfg->ceiling_rps > 0)
        fprintf(out, "  = %.1f%% of the HTTP ceiling (%.0f req/s)", 100.0 * rps / cfg->ceiling_rps, cfg->ceiling_rps);
    fprintf(out, "\n");
    for (int op = 0; op < BENCH_OP_COUNT; op++)
        if (res->op_ok[op] || res->op_errors[op])
            fprintf(out, "    %-15s %llu ok, %llu errors\n", bench_op_name((bench_op_t)op),
                    (unsigned long long)res->op_ok[op], (unsigned long long)res->op_errors[op]);
    if (res->get_hits || res->get_misses)
        fprintf(out, "    GetItem hits %llu, misses %llu\n", (unsigned long long)res->get_hits,
                (unsigned long long)res->get_misses);
    s_print_hist(out, "latency", &res->latency);
    if (cfg->workload == BENCH_WL_REPL_LAG) {
        s_print_hist(out, "replication lag", &res->lag);
        s_print_hist(out, "lag lower bound", &res->lag_low);
        fprintf(out, "    %llu items seen in %s, %llu never seen within %d ms, %llu polls (%.2f a write)\n",
                (unsigned long long)res->lag_samples, cfg->region2, (unsigned long long)res->lag_timeouts,
                cfg->lag_timeout_ms, (unsigned long long)res->lag_polls,
                res->op_ok[BENCH_OP_PUT] ? (double)res->lag_polls / (double)res->op_ok[BENCH_OP_PUT] : 0.0);
        if (res->poll_latency.total)
            fprintf(out, "    %.1f%% were visible at the first poll: their lag is at most one poll's round trip "
                         "(p50 %llu us, p99 %llu us), which is what is recorded\n",
                    res->lag_samples ? 100.0 * (double)res->lag_first_poll / (double)res->lag_samples : 0.0,
                    (unsigned long long)bench_hist_quantile(&res->poll_latency, 0.5),
                    (unsigned long long)bench_hist_quantile(&res->poll_latency, 0.99));
    }
    s_print_open_loop(out, cfg, res);
    if (res->n_error_types) {
        fprintf(out, "  errors:");
        for (int i = 0; i < res->n_error_types; i++)
            fprintf(out, " %s=%llu", res->error_types[i].type, (unsigned long long)res->error_types[i].count);
        fprintf(out, "\n");
    }
    fprintf(out, "  cpu: client %.0f%%", 100.0 * res->client_cpu_s / (res->measured_s > 0 ? res->measured_s : 1));
    if (res->server_cpu_s >= 0)
        fprintf(out, ", server %.0f%% (%d processes)", 100.0 * res->server_cpu_s / (res->measured_s > 0 ? res->measured_s : 1),
                res->server_processes);
    fprintf(out, " of one core; load average %.2f\n", res->loadavg_1m);
    s_print_mem(out, res);
    if (res->unprocessed)
        fprintf(out, "  BatchWriteItem replies with UnprocessedItems: %llu\n", (unsigned long long)res->unprocessed);
    if (res->backlog_dropped)
        fprintf(out, "  open loop: %llu requests dropped (backlog full)\n", (unsigned long long)res->backlog_dropped);
}

static cJSON *s_hist_json(const bench_hist_t *h)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "count", (double)h->total);
    cJSON_AddNumberToObject(o, "min", h->total ? (double)h->min : 0);
    cJSON_AddNumberToObject(o, "mean", bench_hist_mean(h));
    cJSON_AddNumberToObject(o, "p50", (double)bench_hist_quantile(h, 0.50));
    cJSON_AddNumberToObject(o, "p90", (double)bench_hist_quantile(h, 0.90));
    cJSON_AddNumberToObject(o, "p99", (double)bench_hist_quantile(h, 0.99));
    cJSON_AddNumberToObject(o, "p999", (double)bench_hist_quantile(h, 0.999));
    cJSON_AddNumberToObject(o, "max", (double)h->max);
    cJSON *buckets = cJSON_AddArrayToObject(o, "buckets");   /* [upper_us, count], non-empty only */
    for (int i = 0; i < BENCH_HIST_BUCKETS; i++) {
        if (!h->counts[i])
            continue;
        cJSON *pair = cJSON_CreateArray();
        cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)bench_hist_upper(i)));
        cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)h->counts[i]));
        cJSON_AddItemToArray(buckets, pair);
    }
    return o;
}

/* server_memory: the RSS record (kB), per process and as timed samples. */
static cJSON *s_mem_json(const bench_result_t *res)
{
    const bench_mem_t *m = &res->mem;
    cJSON *o = cJSON_CreateObject();
    char keys[BENCH_PROC_MAX][96];
    cJSON_AddNumberToObject(o, "root_pid", m->root);
    cJSON_AddNumberToObject(o, "total_start_kb", (double)m->total_start_kb);
    cJSON_AddNumberToObject(o, "total_max_kb", (double)m->total_max_kb);
    cJSON_AddNumberToObject(o, "total_end_kb", (double)m->total_end_kb);
    cJSON_AddNumberToObject(o, "window_start_s", res->window_t_s);
    cJSON *procs = cJSON_AddArrayToObject(o, "processes");
    for (int i = 0; i < m->n_procs; i++) {
        const bench_mem_proc_t *p = &m->procs[i];
        int duplicate = 0;
        for (int j = 0; j < m->n_procs; j++)
            duplicate |= j != i && strcmp(m->procs[j].name, p->name) == 0;
        if (duplicate)   /* a restarted regiond: same name, new pid */
            snprintf(keys[i], sizeof(keys[i]), "%s (pid %d)", p->name, p->pid);
        else
            snprintf(keys[i], sizeof(keys[i]), "%s", p->name);
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "pid", p->pid);
        cJSON_AddStringToObject(j, "name", keys[i]);
        cJSON_AddNumberToObject(j, "rss_start_kb", (double)p->start_kb);
        cJSON_AddNumberToObject(j, "rss_max_kb", (double)p->max_kb);
        cJSON_AddNumberToObject(j, "rss_after_preload_kb", (double)p->preload_kb);
        cJSON_AddNumberToObject(j, "rss_window_start_kb", (double)p->window_start_kb);
        cJSON_AddNumberToObject(j, "rss_end_kb", (double)p->end_kb);
        long first, second;
        if (s_mem_halves(m, i, res, &first, &second) == 0) {
            cJSON_AddNumberToObject(j, "window_first_half_growth_kb", (double)first);
            cJSON_AddNumberToObject(j, "window_second_half_growth_kb", (double)second);
            cJSON_AddStringToObject(j, "trend", s_mem_trend(first, second));
        }
        cJSON_AddItemToArray(procs, j);
    }
    cJSON *samples = cJSON_AddArrayToObject(o, "samples");   /* -1: the process was not running */
    for (int k = 0; k < m->n_samples; k++) {
        const bench_mem_sample_t *sm = &m->samples[k];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "t_s", sm->t_s);
        cJSON_AddStringToObject(j, "phase", sm->phase);
        long total = 0;
        cJSON *kb = cJSON_CreateObject();
        for (int i = 0; i < m->n_procs; i++) {
            cJSON_AddNumberToObject(kb, keys[i], (double)sm->kb[i]);
            total += sm->kb[i] > 0 ? sm->kb[i] : 0;
        }
        cJSON_AddNumberToObject(j, "total_kb", (double)total);
        cJSON_AddItemToObject(j, "rss_kb", kb);
        cJSON_AddItemToArray(samples, j);
    }
    cJSON_AddNumberToObject(o, "samples_dropped", m->samples_dropped);
    return o;
}

static cJSON *s_result_json(const bench_config_t *cfg, const bench_result_t *res)
{
    cJSON *o = cJSON_CreateObject();
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(o, "tool", "meridian-bench");
    cJSON_AddStringToObject(o, "finished_at", when);
    cJSON_AddStringToObject(o, "server", cfg->label);
    cJSON_AddStringToObject(o, "endpoint", cfg->endpoint);
    cJSON_AddStringToObject(o, "region", cfg->region);
    cJSON_AddStringToObject(o, "workload", bench_workload_name(cfg->workload));
    cJSON_AddStringToObject(o, "table", res->table);
    cJSON_AddStringToObject(o, "mode", cfg->rate > 0 ? "open" : "closed");
    cJSON_AddNumberToObject(o, "rate", cfg->rate);
    cJSON_AddNumberToObject(o, "connections", cfg->connections);
    cJSON_AddNumberToObject(o, "duration_s", cfg->duration_s);
    cJSON_AddNumberToObject(o, "warmup_s", cfg->warmup_s);
    cJSON_AddNumberToObject(o, "items", (double)cfg->items);
    cJSON_AddNumberToObject(o, "value_size", (double)cfg->value_size);
    cJSON_AddNumberToObject(o, "seed", (double)cfg->seed);
    if (cfg->workload == BENCH_WL_MIXED)
        cJSON_AddStringToObject(o, "update_op", bench_op_name(cfg->update_op));
    cJSON_AddBoolToObject(o, "ok_run", !res->setup_failed);
    cJSON_AddStringToObject(o, "setup_error", res->setup_error);
    cJSON_AddNumberToObject(o, "measured_s", res->measured_s);
    cJSON_AddNumberToObject(o, "requests", (double)res->requests);
    cJSON_AddNumberToObject(o, "ok", (double)res->ok);
    cJSON_AddNumberToObject(o, "errors", (double)res->errors);
    double rps = s_rate(res->ok, res->measured_s);
    cJSON_AddNumberToObject(o, "throughput_rps", rps);
    cJSON_AddNumberToObject(o, "items_per_s", s_rate(res->items, res->measured_s));
    if (cfg->ceiling_rps > 0) {
        cJSON_AddNumberToObject(o, "ceiling_rps", cfg->ceiling_rps);
        cJSON_AddNumberToObject(o, "fraction_of_ceiling", rps / cfg->ceiling_rps);
    }
    cJSON_AddItemToObject(o, "latency_us", s_hist_json(&res->latency));
    cJSON *types = cJSON_AddObjectToObject(o, "errors_by_type");
    for (int i = 0; i < res->n_error_types; i++)
        cJSON_AddNumberToObject(types, res->error_types[i].type, (double)res->error_types[i].count);
    cJSON *ops = cJSON_AddObjectToObject(o, "operations");
    for (int op = 0; op < BENCH_OP_COUNT; op++) {
        if (!res->op_ok[op] && !res->op_errors[op])
            continue;
        cJSON *c = cJSON_AddObjectToObject(ops, bench_op_name((bench_op_t)op));
        cJSON_AddNumberToObject(c, "ok", (double)res->op_ok[op]);
        cJSON_AddNumberToObject(c, "errors", (double)res->op_errors[op]);
    }
    if (res->get_hits || res->get_misses) {
        cJSON_AddNumberToObject(o, "get_hits", (double)res->get_hits);
        cJSON_AddNumberToObject(o, "get_misses", (double)res->get_misses);
    }
    cJSON *preload = cJSON_AddObjectToObject(o, "preload");
    cJSON_AddNumberToObject(preload, "items", (double)res->preload_items);
    cJSON_AddNumberToObject(preload, "seconds", res->preload_s);
    cJSON_AddNumberToObject(preload, "items_per_s", s_rate(res->preload_items, res->preload_s));
    cJSON_AddStringToObject(preload, "operation", res->preload_op ? res->preload_op : "");
    cJSON_AddNumberToObject(preload, "errors", (double)res->preload_errors);
    if (cfg->workload == BENCH_WL_REPL_LAG) {
        cJSON *lag = s_hist_json(&res->lag);
        cJSON_AddStringToObject(lag, "from_region", cfg->region);
        cJSON_AddStringToObject(lag, "to_region", cfg->region2);
        cJSON_AddNumberToObject(lag, "timeouts", (double)res->lag_timeouts);
        cJSON_AddNumberToObject(lag, "polls", (double)res->lag_polls);
        cJSON_AddItemToObject(lag, "poll_round_trip_us", s_hist_json(&res->poll_latency));
        cJSON_AddItemToObject(lag, "lower_bound_us", s_hist_json(&res->lag_low));
        cJSON_AddNumberToObject(lag, "first_poll_hits", (double)res->lag_first_poll);
        cJSON_AddItemToObject(o, "replication_lag_us", lag);
    }
    if (cfg->rate > 0) {
        cJSON *ol = cJSON_AddObjectToObject(o, "open_loop");
        cJSON_AddNumberToObject(ol, "target_rate", cfg->rate);
        cJSON_AddNumberToObject(ol, "due", (double)res->due);
        cJSON_AddNumberToObject(ol, "answered", (double)res->scheduled_done);
        cJSON_AddNumberToObject(ol, "achieved_rate", s_rate(res->scheduled_done, res->measured_s));
        cJSON_AddNumberToObject(ol, "backlog_max", (double)res->backlog_max);
        cJSON_AddNumberToObject(ol, "backlog_end", (double)res->backlog_end);
        cJSON_AddBoolToObject(ol, "kept_up", s_kept_up(cfg, res));
        cJSON_AddItemToObject(ol, "send_delay_us", s_hist_json(&res->send_delay));
    }
    cJSON_AddNumberToObject(o, "unprocessed_batches", (double)res->unprocessed);
    cJSON_AddNumberToObject(o, "backlog_dropped", (double)res->backlog_dropped);
    cJSON_AddNumberToObject(o, "tcp_connects", res->connects);
    cJSON_AddNumberToObject(o, "client_cpu_s", res->client_cpu_s);
    if (res->server_cpu_s >= 0) {
        cJSON_AddNumberToObject(o, "server_pid", cfg->server_pid);
        cJSON_AddNumberToObject(o, "server_cpu_s", res->server_cpu_s);
        cJSON_AddNumberToObject(o, "server_processes", res->server_processes);
    }
    cJSON_AddNumberToObject(o, "loadavg_1m", res->loadavg_1m);
    if (res->mem.root) {
        cJSON_AddNumberToObject(o, "rss_every_s", cfg->mem_every_s);
        cJSON_AddItemToObject(o, "server_memory", s_mem_json(res));
    }
    return o;
}

/* Writes o (consumed) as JSON to path ("-": stdout). 0 or -1. */
static int s_write_json(const char *path, cJSON *o)
{
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    if (!text)
        return -1;
    int rc = 0;
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!f) {
        perror(path);
        rc = -1;
    } else {
        fprintf(f, "%s\n", text);
        if (f != stdout && fclose(f) != 0) {
            perror(path);
            rc = -1;
        }
    }
    free(text);
    return rc;
}

int bench_report_json(const char *path, const bench_config_t *cfg, const bench_result_t *res)
{
    return s_write_json(path, s_result_json(cfg, res));
}

/* ---- scale ---- */

static const struct {
    const char *op;                  /* what the pair measures */
    bench_scale_step_t small, big;
} s_scale_pairs[] = {
    {"Query", BENCH_SCALE_QUERY_SMALL, BENCH_SCALE_QUERY_BIG},
    {"GetItem", BENCH_SCALE_GET_SMALL, BENCH_SCALE_GET_BIG},
    {"Scan", BENCH_SCALE_SCAN_SMALL, BENCH_SCALE_SCAN_BIG},
};

/* A step that measured something (ran, not failed, some successes). */
static const bench_result_t *s_measured(const bench_scale_t *scale, bench_scale_step_t step)
{
    const bench_result_t *r = scale->results[step];
    return r && !r->setup_failed && r->ok ? r : NULL;
}

static double s_ratio(double big, double small)
{
    return small > 0 ? big / small : 0;
}

/* Server CPU time per successful request (us), or -1 when not measured. */
static double s_cpu_per_req(const bench_result_t *r)
{
    return r->server_cpu_s >= 0 && r->ok ? 1e6 * r->server_cpu_s / (double)r->ok : -1;
}

static void s_print_scale_load(FILE *out, const bench_scale_t *scale, bench_scale_step_t step)
{
    const bench_result_t *r = scale->results[step];
    const bench_config_t *c = &scale->cfgs[step];
    if (!r)
        return;
    if (r->setup_failed) {
        fprintf(out, "  load %s: FAILED: %s\n", c->table, r->setup_error);
        return;
    }
    fprintf(out, "  load: %llu items into %s in %.2f s = %.0f items/s (%s, up to %d items a request, %d connections, "
                 "%llu failed requests)\n",
            (unsigned long long)r->preload_items, c->table, r->preload_s, s_rate(r->preload_items, r->preload_s),
            r->preload_op, BENCH_BATCH_ITEMS, c->connections, (unsigned long long)r->preload_errors);
}

/* The most RSS each process (by name) reached in any step. */
static void s_print_scale_mem_max(FILE *out, const bench_scale_t *scale)
{
    char names[BENCH_PROC_MAX][64];
    long max_kb[BENCH_PROC_MAX];
    int n = 0;
    for (int step = 0; step < BENCH_SCALE_STEPS; step++) {
        const bench_result_t *r = scale->results[step];
        for (int i = 0; r && i < r->mem.n_procs; i++) {
            int k = 0;
            while (k < n && strcmp(names[k], r->mem.procs[i].name) != 0)
                k++;
            if (k == n) {
                if (n == BENCH_PROC_MAX)
                    continue;
                snprintf(names[n], sizeof(names[n]), "%s", r->mem.procs[i].name);
                max_kb[n++] = -1;
            }
            if (r->mem.procs[i].max_kb > max_kb[k])
                max_kb[k] = r->mem.procs[i].max_kb;
        }
    }
    if (n == 0)
        return;
    char mb[16];
    fprintf(out, "  RSS max over all steps, loads included (MB):");
    for (int k = 0; k < n; k++)
        fprintf(out, "%s %s %s", k ? "," : "", names[k], s_mb_text(max_kb[k], mb, sizeof(mb)));
    fprintf(out, "\n");
}

void bench_report_scale_print(FILE *out, const bench_config_t *cfg, const bench_scale_t *scale)
{
    fprintf(out,
            "== %s / scale  (%s, region %s, %d connections, %.0f s per measurement after %.0f s warmup, seed %llu)\n",
            cfg->label, cfg->endpoint, cfg->region, cfg->connections, cfg->duration_s, cfg->warmup_s,
            (unsigned long long)cfg->seed);
    s_print_scale_load(out, scale, BENCH_SCALE_LOAD_SMALL);
    s_print_scale_load(out, scale, BENCH_SCALE_LOAD_BIG);
    const bench_result_t *big_load = scale->results[BENCH_SCALE_LOAD_BIG];
    if (big_load && !big_load->setup_failed && big_load->mem.root) {
        char mb[16];
        fprintf(out, "  RSS right after loading %llu items (MB):", (unsigned long long)scale->big_items);
        for (int i = 0; i < big_load->mem.n_procs; i++)
            fprintf(out, "%s %s %s", i ? "," : "", big_load->mem.procs[i].name,
                    s_mb_text(big_load->mem.procs[i].preload_kb, mb, sizeof(mb)));
        fprintf(out, "\n");
    }
    if (scale->failed) {
        fprintf(out, "  the reads were not measured: a load failed\n");
        return;
    }
    fprintf(out, "  %-8s %10s %10s %9s %9s %8s %12s %11s\n", "op", "items", "req/s", "p50 ms", "p99 ms", "errors",
            "items/s", "srv us/req");
    for (size_t k = 0; k < sizeof(s_scale_pairs) / sizeof(s_scale_pairs[0]); k++) {
        bench_scale_step_t steps[2] = {s_scale_pairs[k].small, s_scale_pairs[k].big};
        for (int b = 0; b < 2; b++) {
            const bench_result_t *r = scale->results[steps[b]];
            if (!r)
                continue;
            if (r->setup_failed) {
                fprintf(out, "  %-8s %10llu FAILED: %s\n", s_scale_pairs[k].op,
                        (unsigned long long)scale->cfgs[steps[b]].items, r->setup_error);
                continue;
            }
            char items_rate[32] = "-";
            if (steps[b] != BENCH_SCALE_GET_SMALL && steps[b] != BENCH_SCALE_GET_BIG)
                snprintf(items_rate, sizeof(items_rate), "%.0f", s_rate(r->items, r->measured_s));
            char cpu[32] = "-";
            if (s_cpu_per_req(r) >= 0)
                snprintf(cpu, sizeof(cpu), "%.1f", s_cpu_per_req(r));
            fprintf(out, "  %-8s %10llu %10.0f %9.2f %9.2f %8llu %12s %11s\n", s_scale_pairs[k].op,
                    (unsigned long long)scale->cfgs[steps[b]].items, s_rate(r->ok, r->measured_s),
                    (double)bench_hist_quantile(&r->latency, 0.5) / 1000.0,
                    (double)bench_hist_quantile(&r->latency, 0.99) / 1000.0, (unsigned long long)r->errors,
                    items_rate, cpu);
        }
        const bench_result_t *small = s_measured(scale, steps[0]), *big = s_measured(scale, steps[1]);
        if (small && big)
            fprintf(out, "    big/small: req/s %.2fx, p50 %.2fx, p99 %.2fx, server CPU per request %.2fx\n",
                    s_ratio(s_rate(big->ok, big->measured_s), s_rate(small->ok, small->measured_s)),
                    s_ratio((double)bench_hist_quantile(&big->latency, 0.5),
                            (double)bench_hist_quantile(&small->latency, 0.5)),
                    s_ratio((double)bench_hist_quantile(&big->latency, 0.99),
                            (double)bench_hist_quantile(&small->latency, 0.99)),
                    s_ratio(s_cpu_per_req(big), s_cpu_per_req(small)));
    }
    s_print_scale_mem_max(out, scale);
    const bench_result_t *last = scale->results[BENCH_SCALE_SCAN_BIG];
    if (last && last->mem.root) {
        fprintf(out, "  memory during the last step (scan of the big table):\n");
        s_print_mem(out, last);
    }
}

int bench_report_scale_json(const char *path, const bench_config_t *cfg, const bench_scale_t *scale)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "tool", "meridian-bench");
    cJSON_AddStringToObject(o, "server", cfg->label);
    cJSON_AddStringToObject(o, "endpoint", cfg->endpoint);
    cJSON_AddStringToObject(o, "region", cfg->region);
    cJSON_AddStringToObject(o, "workload", "scale");
    cJSON_AddNumberToObject(o, "connections", cfg->connections);
    cJSON_AddNumberToObject(o, "duration_s", cfg->duration_s);
    cJSON_AddNumberToObject(o, "warmup_s", cfg->warmup_s);
    cJSON_AddNumberToObject(o, "small_items", BENCH_SCALE_SMALL_ITEMS);
    cJSON_AddNumberToObject(o, "big_items", (double)scale->big_items);
    int all_ran = !scale->failed;
    for (int step = 0; step < BENCH_SCALE_STEPS; step++)
        all_ran &= scale->results[step] && !scale->results[step]->setup_failed;
    cJSON_AddBoolToObject(o, "ok_run", all_ran);
    cJSON *load = cJSON_AddObjectToObject(o, "load");
    for (int b = 0; b < 2; b++) {
        const bench_result_t *r = scale->results[b ? BENCH_SCALE_LOAD_BIG : BENCH_SCALE_LOAD_SMALL];
        if (!r)
            continue;
        cJSON *l = cJSON_AddObjectToObject(load, b ? "big" : "small");
        cJSON_AddStringToObject(l, "table", scale->tables[b]);
        cJSON_AddNumberToObject(l, "items", (double)r->preload_items);
        cJSON_AddNumberToObject(l, "seconds", r->preload_s);
        cJSON_AddNumberToObject(l, "items_per_s", s_rate(r->preload_items, r->preload_s));
        cJSON_AddStringToObject(l, "operation", r->preload_op ? r->preload_op : "");
        cJSON_AddNumberToObject(l, "failed_requests", (double)r->preload_errors);
        cJSON_AddStringToObject(l, "error", r->setup_error);
        cJSON *rss = cJSON_AddObjectToObject(l, "rss_after_kb");
        for (int i = 0; i < r->mem.n_procs; i++)
            cJSON_AddNumberToObject(rss, r->mem.procs[i].name, (double)r->mem.procs[i].preload_kb);
    }
    cJSON *cmp = cJSON_AddObjectToObject(o, "comparisons");
    for (size_t k = 0; k < sizeof(s_scale_pairs) / sizeof(s_scale_pairs[0]); k++) {
        const bench_result_t *small = s_measured(scale, s_scale_pairs[k].small);
        const bench_result_t *big = s_measured(scale, s_scale_pairs[k].big);
        if (!small || !big)
            continue;
        cJSON *c = cJSON_AddObjectToObject(cmp, s_scale_pairs[k].op);
        const bench_result_t *pair[2] = {small, big};
        for (int b = 0; b < 2; b++) {
            cJSON *side = cJSON_AddObjectToObject(c, b ? "big" : "small");
            cJSON_AddNumberToObject(side, "throughput_rps", s_rate(pair[b]->ok, pair[b]->measured_s));
            cJSON_AddNumberToObject(side, "p50_us", (double)bench_hist_quantile(&pair[b]->latency, 0.5));
            cJSON_AddNumberToObject(side, "p99_us", (double)bench_hist_quantile(&pair[b]->latency, 0.99));
            cJSON_AddNumberToObject(side, "errors", (double)pair[b]->errors);
            cJSON_AddNumberToObject(side, "server_cpu_us_per_req", s_cpu_per_req(pair[b]));
        }
        cJSON_AddNumberToObject(c, "ratio_rps",
                                s_ratio(s_rate(big->ok, big->measured_s), s_rate(small->ok, small->measured_s)));
        cJSON_AddNumberToObject(c, "ratio_p50", s_ratio((double)bench_hist_quantile(&big->latency, 0.5),
                                                        (double)bench_hist_quantile(&small->latency, 0.5)));
        cJSON_AddNumberToObject(c, "ratio_p99", s_ratio((double)bench_hist_quantile(&big->latency, 0.99),
                                                        (double)bench_hist_quantile(&small->latency, 0.99)));
        cJSON_AddNumberToObject(c, "ratio_server_cpu_per_req", s_ratio(s_cpu_per_req(big), s_cpu_per_req(small)));
    }
    cJSON *steps = cJSON_AddObjectToObject(o, "steps");
    for (int step = 0; step < BENCH_SCALE_STEPS; step++)
        if (scale->results[step])
            cJSON_AddItemToObject(steps, bench_scale_step_name((bench_scale_step_t)step),
                                  s_result_json(&scale->cfgs[step], scale->results[step]));
    return s_write_json(path, o);
}
