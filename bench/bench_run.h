/* bench_run: one measured run of one workload against one endpoint: set up the
 * table (create, wait ACTIVE, add a replica for replication-lag), preload the items
 * the workload reads, warm up, measure for a fixed time, drain. Closed loop (every
 * connection keeps one request in flight) or open loop at a fixed --rate, where
 * latency counts from each request's intended start (no coordinated omission). */
#ifndef BENCH_RUN_H
#define BENCH_RUN_H

#include <stdint.h>

#include "bench_hist.h"
#include "bench_proc.h"
#include "bench_workload.h"

typedef struct bench_config {
    const char *endpoint;       /* http://127.0.0.1:8000 */
    const char *endpoint2;      /* replication-lag: region B's endpoint; NULL: endpoint */
    const char *region;         /* in the Authorization credential scope: picks the region */
    const char *region2;        /* replication-lag: where writes are polled for */
    const char *label;          /* the server's name in the results ("meridian") */
    bench_workload_t workload;
    int connections;
    double duration_s;          /* measured */
    double warmup_s;            /* run, not measured */
    uint64_t items;             /* key space; preloaded for reading workloads */
    size_t value_size;          /* bytes of attribute "v" */
    const char *table;          /* NULL: meridian-bench-<workload> */
    uint64_t seed;
    double rate;                /* requests/s for open loop; 0: closed loop */
    bench_op_t update_op;       /* mixed: BENCH_OP_PUT or BENCH_OP_UPDATE */
    unsigned scan_limit;        /* items per Scan page */
    double zipf_theta;          /* mixed: skew */
    int timeout_ms;             /* per request */
    int lag_timeout_ms;         /* replication-lag: give up on an item after this */
    int sign;                   /* real SigV4 signatures */
    const char *access_key;
    const char *secret_key;
    int setup;                  /* create the table and preload (0 for the ceiling server) */
    double ceiling_rps;         /* the HTTP ceiling measured earlier, 0 if unknown */
    int quiet;                  /* no progress lines on stderr */
    int server_pid;             /* if > 0: CPU and RSS of this process and its descendants are measured */
    double mem_every_s;         /* seconds between the RSS samples kept in the result (10) */
    int composite;              /* 1: pk+sk keys (10 items a partition) whatever the workload */
    int load_only;              /* create and preload (whatever the workload), measure nothing */
} bench_config_t;

/* The defaults every option starts from. */
void bench_config_defaults(bench_config_t *cfg);

#define BENCH_MAX_ERROR_TYPES 32

typedef struct bench_error_count {
    char type[64];              /* short __type, "HTTP<status>", "ConnectionError", .. */
    uint64_t count;
} bench_error_count_t;

typedef struct bench_result {
    char table[256];
    double measured_s;          /* actual length of the measured window */
    uint64_t requests;          /* completed in the window, ok or not */
    uint64_t ok;
    uint64_t errors;
    uint64_t op_ok[BENCH_OP_COUNT];
    uint64_t op_errors[BENCH_OP_COUNT];
    uint64_t items;             /* items written or returned (batch, query, scan) */
    uint64_t get_hits;          /* GetItem replies with an item */
    uint64_t get_misses;
    uint64_t unprocessed;       /* BatchWriteItem replies with UnprocessedItems */
    bench_hist_t latency;       /* successful requests (replication-lag: the writes) */
    bench_hist_t lag;           /* replication-lag: write acknowledged -> the poll reply that showed it in B */
    bench_hist_t lag_low;       /* .. a lower bound: ack -> the last poll that missed it was sent (0 if none) */
    uint64_t lag_first_poll;    /* items the first poll already saw: their lag is below one poll's round trip */
    uint64_t lag_samples;
    uint64_t lag_timeouts;
    uint64_t lag_polls;
    uint64_t backlog_dropped;   /* open loop: requests that found the backlog full */
    uint64_t due;               /* open loop: requests the schedule made due in the window */
    uint64_t scheduled_done;    /* replies in the window to scheduled requests (not lag polls) */
    uint64_t backlog_max;       /* open loop: most due requests waiting for a connection (window) */
    uint64_t backlog_end;       /* .. still waiting when the window closed */
    bench_hist_t send_delay;    /* open loop: from due to sent, scheduled requests in the window */
    bench_hist_t poll_latency;  /* replication-lag: round trip of one poll of region B */
    int n_error_types;
    bench_error_count_t error_types[BENCH_MAX_ERROR_TYPES];
    uint64_t preload_items;
    uint64_t preload_errors;
    double preload_s;
    const char *preload_op;     /* "BatchWriteItem" or "PutItem" */
    unsigned connects;          /* TCP connections opened, over the whole run */
    double client_cpu_s;        /* this process's CPU (user + system) in the measured window */
    double server_cpu_s;        /* server_pid's tree CPU in the window; -1 if not measured */
    int server_processes;       /* processes in that tree */
    double loadavg_1m;          /* /proc/loadavg at the end of the window */
    double window_t_s;          /* when the window began, in seconds since the run began (mem's clock) */
    bench_mem_t mem;            /* RSS of server_pid's tree over the run (mem.root 0: not measured) */
    char setup_error[512];      /* what went wrong in setup, "" if nothing */
    int setup_failed;           /* the run could not measure at all */
} bench_result_t;

/* Runs cfg; fills res (caller-allocated, it is large). 0 when a measurement was
 * made (possibly full of errors), -1 when setup failed (res->setup_error says why). */
int bench_run(const bench_config_t *cfg, bench_result_t *res);

#endif
