/* bench_scale: the scale comparison (see bench_scale.h), a sequence of bench_run
 * calls: two load-only runs (the big load's rate and the RSS after it are what
 * issue 8 asks for), then each read workload on the small table and on the big
 * one, back to back, so that both see the same machine load as far as possible. */
#include "bench_scale.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_step_names[BENCH_SCALE_STEPS] = {
    "load-small", "load-big", "query-small", "query-big", "get-small", "get-big", "scan-small", "scan-big",
};

const char *bench_scale_step_name(bench_scale_step_t step)
{
    return step < BENCH_SCALE_STEPS ? s_step_names[step] : "?";
}

/* The configuration of one step: cfg's, on the small or big table. */
static void s_step_config(bench_scale_t *scale, const bench_config_t *cfg, bench_scale_step_t step)
{
    static const bench_workload_t workloads[BENCH_SCALE_STEPS] = {
        BENCH_WL_QUERY, BENCH_WL_QUERY, BENCH_WL_QUERY, BENCH_WL_QUERY,
        BENCH_WL_GET,   BENCH_WL_GET,   BENCH_WL_SCAN,  BENCH_WL_SCAN,
    };
    int big = step % 2;   /* steps alternate small, big */
    bench_config_t *c = &scale->cfgs[step];
    *c = *cfg;
    c->workload = workloads[step];
    c->table = scale->tables[big];
    c->items = big ? scale->big_items : BENCH_SCALE_SMALL_ITEMS;
    c->composite = 1;
    c->load_only = step <= BENCH_SCALE_LOAD_BIG;
    c->setup = c->load_only;   /* the reads use the tables as loaded */
    c->rate = 0;
}

int bench_scale_run(const bench_config_t *cfg, uint64_t big_items, bench_scale_t *scale)
{
    memset(scale, 0, sizeof(*scale));
    scale->big_items = big_items;
    const char *base = cfg->table ? cfg->table : "meridian-bench-scale";
    snprintf(scale->tables[0], sizeof(scale->tables[0]), "%s-%u", base, (unsigned)BENCH_SCALE_SMALL_ITEMS);
    snprintf(scale->tables[1], sizeof(scale->tables[1]), "%s-%llu", base, (unsigned long long)big_items);
    int rc = 0;
    for (int step = 0; step < BENCH_SCALE_STEPS; step++) {
        s_step_config(scale, cfg, (bench_scale_step_t)step);
        if (scale->failed)
            break;
        scale->results[step] = calloc(1, sizeof(bench_result_t));
        if (!scale->results[step])
            return -1;
        if (!cfg->quiet)
            fprintf(stderr, "meridian-bench: scale step %s (table %s, %llu items)\n",
                    s_step_names[step], scale->cfgs[step].table, (unsigned long long)scale->cfgs[step].items);
        if (bench_run(&scale->cfgs[step], scale->results[step]) < 0) {
            rc = -1;
            if (step <= BENCH_SCALE_LOAD_BIG)
                scale->failed = 1;
        }
    }
    return scale->failed ? -1 : rc;
}

void bench_scale_free(bench_scale_t *scale)
{
    for (int step = 0; step < BENCH_SCALE_STEPS; step++) {
        free(scale->results[step]);
        scale->results[step] = NULL;
    }
}
