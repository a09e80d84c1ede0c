/* bench_hist: log-bucketed latency histogram (see bench_hist.h). Bucket i below
 * BENCH_HIST_EXACT holds exactly i us; above, each power of two [2^k, 2^(k+1)) is
 * split into BENCH_HIST_SUB equal sub-buckets. */
#include "bench_hist.h"

#include <string.h>

void bench_hist_reset(bench_hist_t *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

int bench_hist_index(uint64_t us)
{
    if (us < BENCH_HIST_EXACT)
        return (int)us;
    int top = 63 - __builtin_clzll(us);   /* us in [2^top, 2^(top+1)) */
    int shift = top - 6;                  /* us >> shift in [64, 128) */
    int index = BENCH_HIST_EXACT + (shift - 1) * BENCH_HIST_SUB + (int)((us >> shift) - BENCH_HIST_SUB);
    return index < BENCH_HIST_BUCKETS ? index : BENCH_HIST_BUCKETS - 1;
}

uint64_t bench_hist_upper(int index)
{
    if (index < BENCH_HIST_EXACT)
        return (uint64_t)index;
    int shift = (index - BENCH_HIST_EXACT) / BENCH_HIST_SUB + 1;
    uint64_t sub = (uint64_t)((index - BENCH_HIST_EXACT) % BENCH_HIST_SUB) + BENCH_HIST_SUB;
    return ((sub + 1) << shift) - 1;
}

void bench_hist_record(bench_hist_t *h, uint64_t us)
{
    h->counts[bench_hist_index(us)]++;
    h->total++;
    h->sum += us;
    if (us < h->min)
        h->min = us;
    if (us > h->max)
        h->max = us;
}

uint64_t bench_hist_quantile(const bench_hist_t *h, double q)
{
    if (h->total == 0)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)h->total + 0.5);
    if (rank < 1)
        rank = 1;
    if (rank > h->total)
        rank = h->total;
    uint64_t seen = 0;
    for (int i = 0; i < BENCH_HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t upper = bench_hist_upper(i);
            return upper < h->max ? upper : h->max;
        }
    }
    return h->max;
}

double bench_hist_mean(const bench_hist_t *h)
{
    return h->total ? (double)h->sum / (double)h->total : 0.0;
}

void bench_hist_merge(bench_hist_t *dst, const bench_hist_t *src)
{
    for (int i = 0; i < BENCH_HIST_BUCKETS; i++)
        dst->counts[i] += src->counts[i];
    dst->total += src->total;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}
