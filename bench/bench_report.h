/* bench_report: a run's result as text for people and as JSON for scripts/bench
 * (one object per run; the format is described in bench/README.md). */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include <stdio.h>

#include "bench_run.h"
#include "bench_scale.h"

/* Prints the summary of one run to out. */
void bench_report_print(FILE *out, const bench_config_t *cfg, const bench_result_t *res);
/* Writes the JSON result to path ("-" for stdout). 0, or -1 with a message on stderr. */
int bench_report_json(const char *path, const bench_config_t *cfg, const bench_result_t *res);

/* The scale comparison: loads, the big/small table of each read, RSS. */
void bench_report_scale_print(FILE *out, const bench_config_t *cfg, const bench_scale_t *scale);
/* Its JSON: loads, comparisons (ratios big/small) and every step's full result. */
int bench_report_scale_json(const char *path, const bench_config_t *cfg, const bench_scale_t *scale);

#endif
