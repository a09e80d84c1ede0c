/* bench_run: the load engine (see bench_run.h). Single-threaded: one libevent loop
 * drives every connection; a connection's completion callback records the reply and
 * sends its next request, so the loop never waits on anything but the sockets.
 * Setup steps (CreateTable, DescribeTable, ..) run one at a time before the load. */
#define _GNU_SOURCE   /* RUSAGE_THREAD */
#include "bench_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "bench_buf.h"
#include "bench_http.h"
#include "bench_proc.h"
#include "bench_rand.h"
#include "bench_sigv4.h"

#define S_BACKLOG_CAP (1u << 20)   /* open loop: due requests waiting for a connection */
#define S_RETRY_MS 20              /* pause before reconnecting after a transport error */
#define S_DRAIN_MS 3000            /* at most this long for in-flight requests at the end */
#define S_ACTIVE_WAIT_MS 30000     /* for a table or replica to become ACTIVE */
#define S_MEM_POLL_MS 1000         /* RSS is read this often for the maxima */

typedef enum { S_SETUP, S_PRELOAD, S_WARMUP, S_MEASURE, S_DRAIN } s_phase_t;

static const char *const s_phase_names[] = {"setup", "preload", "warmup", "measure", "drain"};

typedef struct s_run s_run_t;

typedef struct s_conn {
    s_run_t *run;
    int id;
    bench_http_t *http;        /* region A (the endpoint) */
    bench_http_t *http2;       /* replication-lag: region B; NULL otherwise */
    bench_rand_t rand;
    bench_buf_t head;
    bench_buf_t body;
    bench_buf_t scan_key;      /* scan: the page to continue from ("" = from the start) */
    bench_op_t op;             /* of the request in flight */
    int busy;
    uint64_t t_start;          /* us: when the request was due (open loop) or sent */
    int lag_polling;           /* replication-lag: polling region B for lag_index */
    uint64_t lag_index;
    uint64_t t_ack;            /* us: region A acknowledged the write */
    uint64_t t_missed;         /* us: when the last poll that did not see the item was sent; 0: none */
    struct event *retry_ev;    /* the pause after a transport error */
} s_conn_t;

struct s_run {
    const bench_config_t *cfg;
    bench_result_t *res;
    struct event_base *base;
    bench_endpoint_t ep;
    bench_endpoint_t ep2;
    bench_sigv4_t signer;
    bench_keyspace_t ks;
    bench_zipf_t zipf;
    s_conn_t *conns;
    int n_conns;
    s_phase_t phase;
    int inflight;
    struct event *phase_ev;    /* one-shot: the end of warmup, measure, drain */
    struct event *mem_ev;      /* persistent: reads the server's RSS */
    uint64_t t_begin;          /* us: bench_run began (the RSS samples' clock) */
    double mem_next_s;         /* when the next timed RSS sample is due */
    uint64_t issued_window;    /* open loop: run->issued when the window began */
    uint64_t t_measure;        /* us: the measured window began */
    double client_cpu0;        /* CPU seconds at the window's start */
    double server_cpu0;
    uint64_t t_preload;
    /* preload */
    uint64_t preload_next;     /* next item index to write */
    uint64_t preload_total;
    bench_op_t preload_op;
    uint64_t lag_next;         /* replication-lag: next fresh item index */
    /* open loop */
    struct event *rate_ev;
    uint64_t t_rate;           /* us: the schedule's origin */
    uint64_t issued;           /* requests the schedule has made due */
    uint64_t *backlog;         /* ring of intended start times */
    size_t backlog_head, backlog_len;
    s_conn_t **idle;           /* connections with nothing to send */
    int n_idle;
    /* synchronous setup calls */
    bench_http_t *setup_http;
    int setup_status;
    bench_buf_t setup_reply;
};

static uint64_t s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void bench_config_defaults(bench_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->endpoint = "http://127.0.0.1:8000";
    cfg->region = "us-east-1";
    cfg->region2 = "us-west-2";
    cfg->label = "server";
    cfg->workload = BENCH_WL_PUT;
    cfg->connections = 64;
    cfg->duration_s = 10;
    cfg->warmup_s = 2;
    cfg->items = 10000;
    cfg->value_size = 100;
    cfg->seed = 42;
    cfg->update_op = BENCH_OP_PUT;
    cfg->scan_limit = 100;
    cfg->zipf_theta = 0.99;
    cfg->timeout_ms = 10000;
    cfg->lag_timeout_ms = 5000;
    cfg->access_key = "AKIDMERIDIANBENCH";
    cfg->secret_key = "meridian-bench-secret";
    cfg->setup = 1;
    cfg->mem_every_s = 10;
}

/* ---- errors ---- */

static void s_count_error(s_run_t *run, bench_op_t op, const char *type)
{
    bench_result_t *res = run->res;
    res->errors++;
    res->op_errors[op]++;
    for (int i = 0; i < res->n_error_types; i++) {
        if (strcmp(res->error_types[i].type, type) == 0) {
            res->error_types[i].count++;
            return;
        }
    }
    if (res->n_error_types < BENCH_MAX_ERROR_TYPES - 1)
        snprintf(res->error_types[res->n_error_types++].type, sizeof(res->error_types[0].type), "%s", type);
    else if (res->n_error_types == BENCH_MAX_ERROR_TYPES - 1)
        snprintf(res->error_types[res->n_error_types++].type, sizeof(res->error_types[0].type), "Other");
    res->error_types[res->n_error_types - 1].count++;
}

static void s_error_name(int status, const char *body, size_t len, char *out, size_t out_size)
{
    switch (status) {
    case BENCH_HTTP_ERR_CONN:
        snprintf(out, out_size, "ConnectionError");
        break;
    case BENCH_HTTP_ERR_TIMEOUT:
        snprintf(out, out_size, "Timeout");
        break;
    case BENCH_HTTP_ERR_PROTO:
        snprintf(out, out_size, "ProtocolError");
        break;
    default:
        bench_reply_error_type(status, body, len, out, out_size);
    }
}

/* ---- sending ---- */

static void s_on_done(bench_http_t *h, int status, const char *body, size_t len, void *arg);

/* Formats the head for c->body and sends it to region A or B. 0, or -1. */
static int s_send(s_conn_t *c, int to_region2, uint64_t t_start)
{
    s_run_t *run = c->run;
    const bench_config_t *cfg = run->cfg;
    bench_http_t *http = to_region2 ? c->http2 : c->http;
    const bench_endpoint_t *ep = to_region2 ? &run->ep2 : &run->ep;
    bench_sigv4_head(&run->signer, &c->head, ep->host, to_region2 ? cfg->region2 : cfg->region,
                     bench_op_name(c->op), c->body.data, c->body.len);
    c->t_start = t_start;
    if (bench_http_send(http, c->head.data, c->head.len, c->body.data, c->body.len) < 0)
        return -1;
    if (cfg->rate > 0 && !to_region2 && run->phase == S_MEASURE)
        bench_hist_record(&run->res->send_delay, s_now_us() - t_start);
    c->busy = 1;
    run->inflight++;
    return 0;
}

/* Builds the next measured request of the workload into c->op / c->body. Returns
 * 1 if it goes to region B. */
static int s_build(s_conn_t *c)
{
    s_run_t *run = c->run;
    const bench_config_t *cfg = run->cfg;
    bench_keyspace_t *ks = &run->ks;
    switch (cfg->workload) {
    case BENCH_WL_PUT:
        c->op = BENCH_OP_PUT;
        bench_body_put(&c->body, ks, bench_rand_below(&c->rand, ks->items), &c->rand);
        return 0;
    case BENCH_WL_GET:
        c->op = BENCH_OP_GET;
        bench_body_get(&c->body, ks, bench_rand_below(&c->rand, ks->items));
        return 0;
    case BENCH_WL_QUERY: {
        uint64_t partitions = ks->items / BENCH_QUERY_ITEMS ? ks->items / BENCH_QUERY_ITEMS : 1;
        c->op = BENCH_OP_QUERY;
        bench_body_query(&c->body, ks, bench_rand_below(&c->rand, partitions));
        return 0;
    }
    case BENCH_WL_MIXED: {
        uint64_t i = bench_zipf_next(&run->zipf, &c->rand);
        if (bench_rand_next(&c->rand) & 1) {
            c->op = BENCH_OP_GET;
            bench_body_get(&c->body, ks, i);
        } else if (cfg->update_op == BENCH_OP_UPDATE) {
            c->op = BENCH_OP_UPDATE;
            bench_body_update(&c->body, ks, i, &c->rand);
        } else {
            c->op = BENCH_OP_PUT;
            bench_body_put(&c->body, ks, i, &c->rand);
        }
        return 0;
    }
    case BENCH_WL_BATCH_WRITE:
        c->op = BENCH_OP_BATCH_WRITE;
        bench_body_batch_write(&c->body, ks, bench_rand_below(&c->rand, ks->items), BENCH_BATCH_ITEMS, &c->rand);
        return 0;
    case BENCH_WL_SCAN:
        c->op = BENCH_OP_SCAN;
        bench_body_scan(&c->body, ks, cfg->scan_limit, c->scan_key.len ? c->scan_key.data : NULL);
        return 0;
    case BENCH_WL_REPL_LAG:
        if (c->lag_polling) {
            c->op = BENCH_OP_GET;
            bench_body_get(&c->body, ks, c->lag_index);
            return 1;
        }
        c->op = BENCH_OP_PUT;
        c->lag_index = run->lag_next++;
        bench_body_put(&c->body, ks, c->lag_index, &c->rand);
        return 0;
    case BENCH_WL_SCALE:   /* refused by bench_run */
    case BENCH_WL_COUNT:
        break;
    }
    return 0;
}

/* Builds the next preload request (a batch, or one put). 0, or -1 if all are sent. */
static int s_build_preload(s_conn_t *c)
{
    s_run_t *run = c->run;
    if (run->preload_next >= run->preload_total)
        return -1;
    if (run->preload_op == BENCH_OP_BATCH_WRITE) {
        uint64_t left = run->preload_total - run->preload_next;
        unsigned n = left < BENCH_BATCH_ITEMS ? (unsigned)left : BENCH_BATCH_ITEMS;
        bench_body_batch_write(&c->body, &run->ks, run->preload_next, n, &c->rand);
        run->preload_next += n;
    } else {
        bench_body_put(&c->body, &run->ks, run->preload_next, &c->rand);
        run->preload_next++;
    }
    c->op = run->preload_op;
    return 0;
}

static void s_issue(s_conn_t *c, uint64_t t_start);

/* After a transport failure: the request never reached the server's answer. */
static void s_send_failed(s_conn_t *c)
{
    s_run_t *run = c->run;
    if (run->phase == S_MEASURE)
        s_count_error(run, c->op, "ConnectionError");
    struct timeval tv = {0, S_RETRY_MS * 1000};
    evtimer_add(c->retry_ev, &tv);
}

/* Sends c's next request, due at t_start. */
static void s_issue(s_conn_t *c, uint64_t t_start)
{
    s_run_t *run = c->run;
    int to_region2;
    if (run->phase == S_PRELOAD) {
        if (s_build_preload(c) < 0)
            return;
        to_region2 = 0;
    } else {
        to_region2 = s_build(c);
    }
    if (s_send(c, to_region2, t_start) < 0)
        s_send_failed(c);
}

static void s_preload_done(s_run_t *run);

/* What a connection does once its request is answered: next request, or idle. */
static void s_next(s_conn_t *c)
{
    s_run_t *run = c->run;
    switch (run->phase) {
    case S_DRAIN:
        if (run->inflight == 0)
            event_base_loopbreak(run->base);
        return;
    case S_PRELOAD:
        if (run->preload_next < run->preload_total)
            s_issue(c, s_now_us());
        else if (run->inflight == 0)
            s_preload_done(run);
        return;
    case S_SETUP:
    case S_WARMUP:
    case S_MEASURE:
        break;
    }
    if (c->lag_polling || run->cfg->rate <= 0) {
        s_issue(c, s_now_us());
        return;
    }
    if (run->backlog_len > 0) {
        uint64_t t = run->backlog[run->backlog_head];
        run->backlog_head = (run->backlog_head + 1) % S_BACKLOG_CAP;
        run->backlog_len--;
        s_issue(c, t);
        return;
    }
    run->idle[run->n_idle++] = c;
}

static void s_on_retry(evutil_socket_t fd, short what, void *arg)
{
    s_next(arg);
}

/* ---- replies ---- */

static void s_on_ok(s_conn_t *c, const char *body, size_t len, uint64_t now, int measuring)
{
    s_run_t *run = c->run;
    bench_result_t *res = run->res;
    const bench_config_t *cfg = run->cfg;
    if (cfg->workload == BENCH_WL_REPL_LAG) {
        if (!c->lag_polling) {   /* the write was acknowledged: start polling B */
            if (measuring) {
                res->ok++;
                res->op_ok[c->op]++;
                bench_hist_record(&res->latency, now - c->t_start);
            }
            c->t_ack = now;
            c->t_missed = 0;
            c->lag_polling = 1;
            return;
        }
        if (measuring)
            res->lag_polls++;
        if (bench_reply_has_item(body, len)) {
            if (measuring) {   /* visible somewhere between the last miss's send and now */
                bench_hist_record(&res->lag, now - c->t_ack);
                bench_hist_record(&res->lag_low, c->t_missed > c->t_ack ? c->t_missed - c->t_ack : 0);
                res->lag_samples++;
                if (!c->t_missed)
                    res->lag_first_poll++;
            }
            c->lag_polling = 0;
            return;
        }
        c->t_missed = c->t_start;   /* the poll was sent before the item arrived */
        if (now - c->t_ack > (uint64_t)cfg->lag_timeout_ms * 1000) {
            if (measuring) {
                res->lag_timeouts++;
                s_count_error(run, BENCH_OP_GET, "ReplicationTimeout");
            }
            c->lag_polling = 0;
        }
        return;
    }
    if (!measuring)
        goto scan_cursor;
    res->ok++;
    res->op_ok[c->op]++;
    bench_hist_record(&res->latency, now - c->t_start);
    switch (c->op) {
    case BENCH_OP_GET:
        if (bench_reply_has_item(body, len))
            res->get_hits++;
        else
            res->get_misses++;
        break;
    case BENCH_OP_QUERY:
    case BENCH_OP_SCAN: {
        long count = bench_reply_count(body, len);
        if (count > 0)
            res->items += (uint64_t)count;
        break;
    }
    case BENCH_OP_BATCH_WRITE:
        res->items += BENCH_BATCH_ITEMS;
        if (bench_reply_has_unprocessed(body, len))
            res->unprocessed++;
        break;
    default:
        res->items++;
        break;
    }
scan_cursor:
    if (c->op == BENCH_OP_SCAN && bench_reply_last_key(body, len, &c->scan_key) < 0)
        bench_buf_clear(&c->scan_key);   /* the last page: start over */
}

static void s_on_error(s_conn_t *c, int status, const char *body, size_t len, uint64_t now, int measuring)
{
    s_run_t *run = c->run;
    char type[64];
    if (measuring) {
        s_error_name(status, body, len, type, sizeof(type));
        s_count_error(run, c->op, type);
        if (c->lag_polling)
            run->res->lag_polls++;
    }
    if (c->op == BENCH_OP_SCAN)
        bench_buf_clear(&c->scan_key);
    if (c->lag_polling && now - c->t_ack > (uint64_t)run->cfg->lag_timeout_ms * 1000) {
        if (measuring) {
            run->res->lag_timeouts++;
            s_count_error(run, BENCH_OP_GET, "ReplicationTimeout");
        }
        c->lag_polling = 0;
    }
}

static void s_on_preload_reply(s_conn_t *c, int status, const char *body, size_t len)
{
    s_run_t *run = c->run;
    bench_result_t *res = run->res;
    if (status != 200) {
        res->preload_errors++;
        if (!res->setup_error[0]) {
            char type[64];
            s_error_name(status, body, len, type, sizeof(type));
            snprintf(res->setup_error, sizeof(res->setup_error), "preload %s: %s", bench_op_name(c->op), type);
        }
    } else if (c->op == BENCH_OP_BATCH_WRITE && bench_reply_has_unprocessed(body, len)) {
        res->preload_errors++;
    }
}

static void s_on_done(bench_http_t *h, int status, const char *body, size_t len, void *arg)
{
    s_conn_t *c = arg;
    s_run_t *run = c->run;
    uint64_t now = s_now_us();
    c->busy = 0;
    run->inflight--;
    if (run->phase == S_PRELOAD) {
        s_on_preload_reply(c, status, body, len);
    } else {
        int measuring = run->phase == S_MEASURE;
        if (measuring) {
            run->res->requests++;
            if (c->lag_polling)
                bench_hist_record(&run->res->poll_latency, now - c->t_start);
            else
                run->res->scheduled_done++;
        }
        if (status == 200)
            s_on_ok(c, body, len, now, measuring);
        else
            s_on_error(c, status, body, len, now, measuring);
    }
    if (status == BENCH_HTTP_ERR_CONN || status == BENCH_HTTP_ERR_TIMEOUT || status == BENCH_HTTP_ERR_PROTO) {
        if (run->phase == S_DRAIN && run->inflight == 0) {
            event_base_loopbreak(run->base);
            return;
        }
        struct timeval tv = {0, S_RETRY_MS * 1000};
        evtimer_add(c->retry_ev, &tv);
        return;
    }
    s_next(c);
}

/* ---- CPU accounting: where the machine's two cores went ---- */

static double s_self_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);   /* the load loop's thread only (ceiling: not the server's) */
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static double s_loadavg(void)
{
    double load = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &load) != 1)
            load = -1;
        fclose(f);
    }
    return load;
}

static double s_since_begin(const s_run_t *run)
{
    return (double)(s_now_us() - run->t_begin) / 1e6;
}

/* The measured window begins: CPU counters, the open-loop schedule, RSS. */
static void s_window_begin(s_run_t *run)
{
    run->client_cpu0 = s_self_cpu();
    run->server_cpu0 = run->cfg->server_pid > 0 ? bench_proc_tree_cpu(run->cfg->server_pid, NULL) : -1;
    run->issued_window = run->issued;
    run->res->window_t_s = s_since_begin(run);
    bench_mem_poll(&run->res->mem, BENCH_MEM_AT_WINDOW, run->res->window_t_s, "measure");
}

/* The measured window ends: CPU used, what the open-loop schedule left behind, RSS. */
static void s_window_end(s_run_t *run)
{
    bench_result_t *res = run->res;
    res->due = run->issued - run->issued_window;
    res->backlog_end = run->backlog_len;
    bench_mem_poll(&res->mem, BENCH_MEM_AT_END, s_since_begin(run), "end");
    res->client_cpu_s = s_self_cpu() - run->client_cpu0;
    res->server_cpu_s = -1;
    if (run->server_cpu0 >= 0) {
        double now = bench_proc_tree_cpu(run->cfg->server_pid, &res->server_processes);
        if (now >= 0)
            res->server_cpu_s = now - run->server_cpu0;
        if (res->server_cpu_s >= 0 && run->cfg->server_pid == (int)getpid())
            res->server_cpu_s -= res->client_cpu_s;   /* ceiling: the server is our other thread */
    }
    res->loadavg_1m = s_loadavg();
}

/* Every S_MEM_POLL_MS: the RSS maxima, and every mem_every_s a timed sample. */
static void s_on_mem(evutil_socket_t fd, short what, void *arg)
{
    s_run_t *run = arg;
    double t = s_since_begin(run);
    const char *phase = NULL;
    if (run->cfg->mem_every_s > 0 && t + 0.05 >= run->mem_next_s) {
        phase = s_phase_names[run->phase];
        while (run->mem_next_s <= t + 0.05)
            run->mem_next_s += run->cfg->mem_every_s;
    }
    bench_mem_poll(&run->res->mem, BENCH_MEM_AT_NONE, t, phase);
}

/* ---- phases ---- */

static void s_on_phase(evutil_socket_t fd, short what, void *arg);

static void s_schedule_phase(s_run_t *run, double seconds)
{
    struct timeval tv;
    tv.tv_sec = (time_t)seconds;
    tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
    evtimer_add(run->phase_ev, &tv);
}

static void s_reset_counters(bench_result_t *res)
{
    res->requests = res->ok = res->errors = 0;
    memset(res->op_ok, 0, sizeof(res->op_ok));
    memset(res->op_errors, 0, sizeof(res->op_errors));
    res->items = res->get_hits = res->get_misses = res->unprocessed = 0;
    res->lag_samples = res->lag_timeouts = res->lag_polls = res->backlog_dropped = 0;
    res->due = res->scheduled_done = res->backlog_max = res->backlog_end = res->lag_first_poll = 0;
    res->n_error_types = 0;
    memset(res->error_types, 0, sizeof(res->error_types));
    bench_hist_reset(&res->latency);
    bench_hist_reset(&res->lag);
    bench_hist_reset(&res->lag_low);
    bench_hist_reset(&res->send_delay);
    bench_hist_reset(&res->poll_latency);
}

static void s_on_rate(evutil_socket_t fd, short what, void *arg);

/* Starts the load (warmup, or the measured window when there is no warmup). */
static void s_start_load(s_run_t *run)
{
    const bench_config_t *cfg = run->cfg;
    if (cfg->warmup_s > 0) {
        run->phase = S_WARMUP;
        s_schedule_phase(run, cfg->warmup_s);
    } else {
        run->phase = S_MEASURE;
        run->t_measure = s_now_us();
        s_window_begin(run);
        s_schedule_phase(run, cfg->duration_s);
    }
    if (!cfg->quiet)
        fprintf(stderr, "meridian-bench: %s %s: warmup %.1f s, measuring %.1f s, %d connections%s\n", cfg->label,
                bench_workload_name(cfg->workload), cfg->warmup_s, cfg->duration_s, cfg->connections,
                cfg->rate > 0 ? " (open loop)" : "");
    if (cfg->rate > 0) {
        run->t_rate = s_now_us();
        run->issued = 0;
        for (int i = 0; i < run->n_conns; i++)
            run->idle[run->n_idle++] = &run->conns[i];
        struct timeval tv = {0, 0};   /* request 0 is due now */
        evtimer_add(run->rate_ev, &tv);
        return;
    }
    uint64_t now = s_now_us();
    for (int i = 0; i < run->n_conns; i++)
        s_issue(&run->conns[i], now);
}

static void s_preload_done(s_run_t *run)
{
    run->res->preload_s = (double)(s_now_us() - run->t_preload) / 1e6;
    if (!run->cfg->quiet)
        fprintf(stderr, "meridian-bench: %s: preloaded %llu items in %.2f s (%s)\n", run->cfg->label,
                (unsigned long long)run->res->preload_items, run->res->preload_s, run->res->preload_op);
    bench_mem_poll(&run->res->mem, BENCH_MEM_AT_PRELOAD, s_since_begin(run), "loaded");
    if (run->cfg->load_only) {
        run->phase = S_DRAIN;   /* nothing to measure: bench_run's loop ends here */
        event_base_loopbreak(run->base);
        return;
    }
    s_start_load(run);
}

static void s_on_phase(evutil_socket_t fd, short what, void *arg)
{
    s_run_t *run = arg;
    switch (run->phase) {
    case S_WARMUP:
        run->phase = S_MEASURE;
        s_reset_counters(run->res);
        run->t_measure = s_now_us();
        s_window_begin(run);
        s_schedule_phase(run, run->cfg->duration_s);
        break;
    case S_MEASURE:
        run->phase = S_DRAIN;
        run->res->measured_s = (double)(s_now_us() - run->t_measure) / 1e6;
        s_window_end(run);
        if (run->rate_ev)
            evtimer_del(run->rate_ev);
        if (run->inflight == 0)
            event_base_loopbreak(run->base);
        else
            s_schedule_phase(run, S_DRAIN_MS / 1000.0);
        break;
    case S_SETUP:
    case S_DRAIN:
    case S_PRELOAD:
        event_base_loopbreak(run->base);
        break;
    }
}

/* Open loop: makes due every request the schedule has reached (request i is due at
 * t_rate + i / rate), then sleeps until the next one is due. */
static void s_on_rate(evutil_socket_t fd, short what, void *arg)
{
    s_run_t *run = arg;
    const bench_config_t *cfg = run->cfg;
    uint64_t now = s_now_us();
    uint64_t due = (uint64_t)((double)(now - run->t_rate) * cfg->rate / 1e6) + 1;   /* i with due time <= now */
    for (; run->issued < due; run->issued++) {
        uint64_t t = run->t_rate + (uint64_t)((double)run->issued * 1e6 / cfg->rate);
        if (run->n_idle > 0) {
            s_issue(run->idle[--run->n_idle], t);
        } else if (run->backlog_len < S_BACKLOG_CAP) {
            run->backlog[(run->backlog_head + run->backlog_len) % S_BACKLOG_CAP] = t;
            run->backlog_len++;
            if (run->phase == S_MEASURE && run->backlog_len > run->res->backlog_max)
                run->res->backlog_max = run->backlog_len;
        } else if (run->phase == S_MEASURE) {
            run->res->backlog_dropped++;
        }
    }
    uint64_t next = run->t_rate + (uint64_t)((double)run->issued * 1e6 / cfg->rate);
    uint64_t wait_us = next > now ? next - now : 0;
    struct timeval tv = {(time_t)(wait_us / 1000000), (suseconds_t)(wait_us % 1000000)};
    evtimer_add(run->rate_ev, &tv);
}

/* ---- setup: one request at a time ---- */

static void s_on_setup_done(bench_http_t *h, int status, const char *body, size_t len, void *arg)
{
    s_run_t *run = arg;
    run->setup_status = status;
    bench_buf_clear(&run->setup_reply);
    bench_buf_append(&run->setup_reply, body ? body : "", body ? len : 0);
    event_base_loopbreak(run->base);
}

/* Sends op with body to region A (or B) and waits for the reply. Returns the HTTP
 * status or a BENCH_HTTP_ERR_*; the reply is in run->setup_reply. */
static int s_call(s_run_t *run, int to_region2, const char *op, const bench_buf_t *body)
{
    bench_buf_t head;
    bench_buf_init(&head, 512);
    const bench_endpoint_t *ep = to_region2 ? &run->ep2 : &run->ep;
    bench_http_t *http = bench_http_new(run->base, ep, run->cfg->timeout_ms, s_on_setup_done, run);
    if (!http) {
        bench_buf_free(&head);
        return BENCH_HTTP_ERR_CONN;
    }
    bench_sigv4_head(&run->signer, &head, ep->host, to_region2 ? run->cfg->region2 : run->cfg->region, op,
                     body->data, body->len);
    run->setup_status = BENCH_HTTP_ERR_CONN;
    if (bench_http_send(http, head.data, head.len, body->data, body->len) == 0)
        event_base_dispatch(run->base);
    bench_http_destroy(&http);
    bench_buf_free(&head);
    return run->setup_status;
}

static void s_setup_fail(s_run_t *run, const char *step, int status)
{
    char type[64];
    s_error_name(status, run->setup_reply.data, run->setup_reply.len, type, sizeof(type));
    size_t used = strlen(run->res->setup_error);
    snprintf(run->res->setup_error + used, sizeof(run->res->setup_error) - used, "%s%s: %s %.160s",
             used ? "; " : "", step, type, status > 0 ? run->setup_reply.data : "");
}

/* Does the JSON text hold "key": "value" somewhere (any whitespace around the colon)? */
static int s_json_has(const char *json, const char *key, const char *value)
{
    char quoted_key[96], quoted_value[96];
    snprintf(quoted_key, sizeof(quoted_key), "\"%s\"", key);
    snprintf(quoted_value, sizeof(quoted_value), "\"%s\"", value);
    size_t value_len = strlen(quoted_value);
    for (const char *p = strstr(json, quoted_key); p; p = strstr(p + 1, quoted_key)) {
        const char *q = p + strlen(quoted_key);
        while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
            q++;
        if (*q++ != ':')
            continue;
        while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
            q++;
        if (strncmp(q, quoted_value, value_len) == 0)
            return 1;
    }
    return 0;
}

/* Polls DescribeTable until the table is ACTIVE and, when replica is given, the reply
 * names that replica region and no replica is still being created. 0 or -1. */
static int s_wait_for(s_run_t *run, const char *replica)
{
    bench_buf_t body;
    bench_buf_init(&body, 256);
    bench_body_table(&body, &run->ks);
    int rc = -1;
    uint64_t deadline = s_now_us() + (uint64_t)S_ACTIVE_WAIT_MS * 1000;
    while (s_now_us() < deadline) {
        int status = s_call(run, 0, "DescribeTable", &body);
        if (status != 200) {
            s_setup_fail(run, "DescribeTable", status);
            break;
        }
        const char *reply = run->setup_reply.data;
        if (s_json_has(reply, "TableStatus", "ACTIVE") &&
            (!replica || (s_json_has(reply, "RegionName", replica) && s_json_has(reply, "ReplicaStatus", "ACTIVE") &&
                          !strstr(reply, "\"CREATING\"") && !strstr(reply, "\"UPDATING\"")))) {
            rc = 0;
            break;
        }
        if (replica && !strstr(reply, replica) && s_now_us() > deadline - (uint64_t)(S_ACTIVE_WAIT_MS - 5000) * 1000) {
            snprintf(run->res->setup_error + strlen(run->res->setup_error),
                     sizeof(run->res->setup_error) - strlen(run->res->setup_error),
                     "%sDescribeTable lists no replica in %s 5 s after UpdateTable accepted it",
                     run->res->setup_error[0] ? "; " : "", replica);
            break;
        }
        usleep(50 * 1000);
    }
    if (rc < 0 && !run->res->setup_error[0])
        snprintf(run->res->setup_error, sizeof(run->res->setup_error), "DescribeTable: not ACTIVE after %d s",
                 S_ACTIVE_WAIT_MS / 1000);
    bench_buf_free(&body);
    return rc;
}

static int s_create_table(s_run_t *run)
{
    const bench_config_t *cfg = run->cfg;
    bench_buf_t body;
    bench_buf_init(&body, 512);
    int streams = cfg->workload == BENCH_WL_REPL_LAG;   /* global tables (2019.11.21) need a stream */
    bench_body_create_table(&body, &run->ks, streams);
    int status = s_call(run, 0, "CreateTable", &body);
    if (streams && status == 400 && strstr(run->setup_reply.data, "StreamSpecification")) {
        s_setup_fail(run, "CreateTable with a stream (retried without)", status);
        bench_body_create_table(&body, &run->ks, 0);
        status = s_call(run, 0, "CreateTable", &body);
    }
    bench_buf_free(&body);
    if (status != 200 && !(status == 400 && strstr(run->setup_reply.data, "ResourceInUseException"))) {
        s_setup_fail(run, "CreateTable", status);
        return -1;
    }
    return s_wait_for(run, NULL);
}

/* replication-lag: makes region B a replica. A failure is reported, not fatal: the
 * measurement then shows what a client would see (nothing arriving). */
static void s_add_replica(s_run_t *run)
{
    const bench_config_t *cfg = run->cfg;
    bench_buf_t body;
    bench_buf_init(&body, 256);
    bench_body_add_replica(&body, &run->ks, cfg->region2);
    int status = s_call(run, 0, "UpdateTable", &body);
    bench_buf_free(&body);
    if (status != 200) {
        if (strstr(run->setup_reply.data, "already") || strstr(run->setup_reply.data, cfg->region2))
            return;   /* the replica exists from an earlier run */
        s_setup_fail(run, "UpdateTable (add replica)", status);
        return;
    }
    if (s_wait_for(run, cfg->region2) < 0 && !cfg->quiet)
        fprintf(stderr, "meridian-bench: replica in %s did not become ACTIVE\n", cfg->region2);
}

/* Starts the preload: BatchWriteItem if the server has it (tried once, with the
 * first 25 items), PutItem otherwise. 0 when loading has started (or there is
 * nothing to load), -1 if the server answers neither. */
static int s_start_preload(s_run_t *run)
{
    bench_result_t *res = run->res;
    run->t_preload = s_now_us();
    run->preload_total = run->ks.items;
    res->preload_items = run->preload_total;
    bench_buf_t body;
    bench_buf_init(&body, 4096);
    bench_rand_t r;
    bench_rand_seed(&r, run->cfg->seed, UINT64_C(0xFEED));
    unsigned n = run->preload_total < BENCH_BATCH_ITEMS ? (unsigned)run->preload_total : BENCH_BATCH_ITEMS;
    bench_body_batch_write(&body, &run->ks, 0, n, &r);
    int status = s_call(run, 0, "BatchWriteItem", &body);
    if (status == 200) {
        run->preload_op = BENCH_OP_BATCH_WRITE;
        run->preload_next = n;
    } else {
        bench_body_put(&body, &run->ks, 0, &r);
        status = s_call(run, 0, "PutItem", &body);
        run->preload_op = BENCH_OP_PUT;
        run->preload_next = 1;
    }
    bench_buf_free(&body);
    res->preload_op = bench_op_name(run->preload_op);
    if (status != 200) {
        s_setup_fail(run, "preload PutItem", status);
        return -1;
    }
    run->phase = S_PRELOAD;
    if (run->preload_next >= run->preload_total) {
        s_preload_done(run);
        return 0;
    }
    for (int i = 0; i < run->n_conns && run->preload_next < run->preload_total; i++)
        s_issue(&run->conns[i], s_now_us());
    return 0;
}

/* ---- lifecycle ---- */

static void s_free(s_run_t *run)
{
    for (int i = 0; run->conns && i < run->n_conns; i++) {
        s_conn_t *c = &run->conns[i];
        bench_http_destroy(&c->http);
        bench_http_destroy(&c->http2);
        if (c->retry_ev)
            event_free(c->retry_ev);
        bench_buf_free(&c->head);
        bench_buf_free(&c->body);
        bench_buf_free(&c->scan_key);
    }
    free(run->conns);
    free(run->backlog);
    free(run->idle);
    if (run->phase_ev)
        event_free(run->phase_ev);
    if (run->mem_ev)
        event_free(run->mem_ev);
    if (run->rate_ev)
        event_free(run->rate_ev);
    bench_buf_free(&run->setup_reply);
    bench_keyspace_free(&run->ks);
    if (run->base)
        event_base_free(run->base);
}

static int s_init(s_run_t *run, const bench_config_t *cfg, bench_result_t *res)
{
    run->cfg = cfg;
    run->res = res;
    bench_buf_init(&run->setup_reply, 1024);
    if (bench_endpoint_parse(cfg->endpoint, &run->ep) < 0 ||
        bench_endpoint_parse(cfg->endpoint2 ? cfg->endpoint2 : cfg->endpoint, &run->ep2) < 0)
        return -1;
    bench_sigv4_init(&run->signer, cfg->access_key, cfg->secret_key, cfg->sign);
    char table[256];
    if (cfg->table)
        snprintf(table, sizeof(table), "%s", cfg->table);
    else
        snprintf(table, sizeof(table), "meridian-bench-%s", bench_workload_name(cfg->workload));
    snprintf(res->table, sizeof(res->table), "%s", table);
    if (bench_keyspace_init(&run->ks, table, cfg->workload == BENCH_WL_QUERY || cfg->composite, cfg->items,
                            cfg->value_size, cfg->seed) < 0)
        return -1;
    if (cfg->workload == BENCH_WL_MIXED && bench_zipf_init(&run->zipf, run->ks.items, cfg->zipf_theta) < 0)
        return -1;
    run->lag_next = run->ks.items;
    /* Precise timers: by default libevent reads CLOCK_MONOTONIC_COARSE, whose 4 ms
     * ticks (HZ=250) made the 1 ms open-loop schedule fire every 4 ms. */
    struct event_config *ec = event_config_new();
    if (!ec)
        return -1;
    event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
    run->base = event_base_new_with_config(ec);
    event_config_free(ec);
    if (!run->base)
        return -1;
    run->phase_ev = evtimer_new(run->base, s_on_phase, run);
    run->mem_ev = event_new(run->base, -1, EV_PERSIST, s_on_mem, run);
    run->n_conns = cfg->connections;
    run->conns = calloc((size_t)run->n_conns, sizeof(*run->conns));
    run->idle = calloc((size_t)run->n_conns, sizeof(*run->idle));
    if (!run->phase_ev || !run->mem_ev || !run->conns || !run->idle)
        return -1;
    if (cfg->rate > 0) {
        run->backlog = malloc(S_BACKLOG_CAP * sizeof(*run->backlog));
        run->rate_ev = evtimer_new(run->base, s_on_rate, run);
        if (!run->backlog || !run->rate_ev)
            return -1;
    }
    for (int i = 0; i < run->n_conns; i++) {
        s_conn_t *c = &run->conns[i];
        c->run = run;
        c->id = i;
        bench_rand_seed(&c->rand, cfg->seed, (uint64_t)i + 1);
        bench_buf_init(&c->head, 512);
        bench_buf_init(&c->body, 2 * cfg->value_size + 256);
        bench_buf_init(&c->scan_key, 128);
        c->http = bench_http_new(run->base, &run->ep, cfg->timeout_ms, s_on_done, c);
        if (cfg->workload == BENCH_WL_REPL_LAG)
            c->http2 = bench_http_new(run->base, &run->ep2, cfg->timeout_ms, s_on_done, c);
        c->retry_ev = evtimer_new(run->base, s_on_retry, c);
        if (!c->http || !c->retry_ev || (cfg->workload == BENCH_WL_REPL_LAG && !c->http2))
            return -1;
    }
    return 0;
}

int bench_run(const bench_config_t *cfg, bench_result_t *res)
{
    s_run_t run;
    memset(&run, 0, sizeof(run));
    memset(res, 0, sizeof(*res));
    s_reset_counters(res);
    res->preload_op = "";
    int rc = -1;
    run.t_begin = s_now_us();
    if (cfg->workload >= BENCH_WL_COUNT || cfg->workload == BENCH_WL_SCALE) {
        snprintf(res->setup_error, sizeof(res->setup_error), "workload %s is not a single run",
                 bench_workload_name(cfg->workload));
        goto out;
    }
    if (s_init(&run, cfg, res) < 0) {
        if (!res->setup_error[0])
            snprintf(res->setup_error, sizeof(res->setup_error), "cannot initialize (bad endpoint or no memory)");
        goto out;
    }
    bench_mem_begin(&res->mem, cfg->server_pid);
    run.mem_next_s = cfg->mem_every_s;
    struct timeval mem_tv = {S_MEM_POLL_MS / 1000, (S_MEM_POLL_MS % 1000) * 1000};
    event_add(run.mem_ev, &mem_tv);
    if (cfg->setup) {
        if (s_create_table(&run) < 0)
            goto out;
        if (cfg->workload == BENCH_WL_REPL_LAG)
            s_add_replica(&run);
        if (bench_workload_needs_preload(cfg->workload) || cfg->load_only) {
            if (s_start_preload(&run) < 0)
                goto out;
        } else {
            s_start_load(&run);
        }
    } else if (cfg->load_only) {
        run.phase = S_DRAIN;   /* nothing to create, load or measure */
    } else {
        s_start_load(&run);
    }
    if (run.phase != S_DRAIN)   /* a loopbreak before the loop runs would be lost */
        event_base_dispatch(run.base);
    if (run.phase != S_DRAIN) {
        snprintf(res->setup_error, sizeof(res->setup_error), "the run ended before its measured window");
        goto out;
    }
    rc = 0;
out:
    for (int i = 0; run.conns && i < run.n_conns; i++) {
        if (run.conns[i].http)
            res->connects += bench_http_connects(run.conns[i].http);
        if (run.conns[i].http2)
            res->connects += bench_http_connects(run.conns[i].http2);
    }
    res->setup_failed = rc < 0;
    s_free(&run);
    return rc;
}
