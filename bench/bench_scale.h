/* bench_scale: does the cost of a request follow the page it returns or the table?
 * Loads a big table (--scale-items, 1,000,000 by default) and a 1,000-item table
 * with BatchWriteItem, then measures Query (one 10-item partition), GetItem and
 * Scan pages on both with the same connections and duration, small then big. */
#ifndef BENCH_SCALE_H
#define BENCH_SCALE_H

#include <stdint.h>

#include "bench_run.h"

#define BENCH_SCALE_SMALL_ITEMS 1000

typedef enum {
    BENCH_SCALE_LOAD_SMALL,
    BENCH_SCALE_LOAD_BIG,
    BENCH_SCALE_QUERY_SMALL,
    BENCH_SCALE_QUERY_BIG,
    BENCH_SCALE_GET_SMALL,
    BENCH_SCALE_GET_BIG,
    BENCH_SCALE_SCAN_SMALL,
    BENCH_SCALE_SCAN_BIG,
    BENCH_SCALE_STEPS
} bench_scale_step_t;

typedef struct bench_scale {
    uint64_t big_items;
    char tables[2][256];                             /* the small and the big table */
    bench_config_t cfgs[BENCH_SCALE_STEPS];          /* each step's run (tables point into tables[]) */
    bench_result_t *results[BENCH_SCALE_STEPS];      /* NULL: the step did not run */
    int failed;                                      /* a load failed: the measurements were skipped */
} bench_scale_t;

/* The step's short name ("query-big"). */
const char *bench_scale_step_name(bench_scale_step_t step);
/* Runs every step from cfg (its endpoint, connections, duration, warmup, seed, ..).
 * 0 when all ran, -1 otherwise (the results say what happened). bench_scale_free
 * releases the results. */
int bench_scale_run(const bench_config_t *cfg, uint64_t big_items, bench_scale_t *scale);
void bench_scale_free(bench_scale_t *scale);

#endif
