/* bench_hist: a log-bucketed latency histogram in the manner of HdrHistogram:
 * exact below 128 us, then 64 sub-buckets per power of two (under 1.6% relative
 * error), so recording is one index computation and percentiles are a walk. */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>

#define BENCH_HIST_SUB 64                          /* sub-buckets per power of two */
#define BENCH_HIST_EXACT (2 * BENCH_HIST_SUB)      /* values below this are exact */
#define BENCH_HIST_POWERS 34                       /* up to 2^40 us: 12 days */
#define BENCH_HIST_BUCKETS (BENCH_HIST_EXACT + BENCH_HIST_POWERS * BENCH_HIST_SUB)

typedef struct bench_hist {
    uint64_t counts[BENCH_HIST_BUCKETS];
    uint64_t total;   /* values recorded */
    uint64_t sum;     /* of all values, for the mean */
    uint64_t min;     /* smallest value recorded (UINT64_MAX when empty) */
    uint64_t max;     /* largest value recorded */
} bench_hist_t;

void bench_hist_reset(bench_hist_t *h);
/* Records one value (microseconds). */
void bench_hist_record(bench_hist_t *h, uint64_t us);
/* The value at quantile q (0..1): the upper bound of the bucket holding it, capped
 * at the maximum recorded. 0 when empty. */
uint64_t bench_hist_quantile(const bench_hist_t *h, double q);
double bench_hist_mean(const bench_hist_t *h);
/* Adds every count of src into dst. */
void bench_hist_merge(bench_hist_t *dst, const bench_hist_t *src);
/* The bucket index of a value and the highest value a bucket holds. */
int bench_hist_index(uint64_t us);
uint64_t bench_hist_upper(int index);

#endif
