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
        fprintf(out, "    %llu items seen in %s, %llu never seen within %d ms, %llu polls\n",
                (unsigned long long)res->lag_samples, cfg->region2, (unsigned long long)res->lag_timeouts,
                cfg->lag_timeout_ms, (unsigned long long)res->lag_polls);
    }
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
        cJSON_AddItemToObject(o, "replication_lag_us", lag);
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
    return o;
}

int bench_report_json(const char *path, const bench_config_t *cfg, const bench_result_t *res)
{
    cJSON *o = s_result_json(cfg, res);
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
