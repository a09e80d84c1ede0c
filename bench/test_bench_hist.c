/* test_bench_hist: the histogram's bucket arithmetic and percentiles, and the
 * zipfian generator's range and skew. Lives beside the tool (bench/ builds on its
 * own, apart from tests/unit); CTest label "bench". */
#include <stdio.h>
#include <stdlib.h>

#include "bench_test.h"
#include "bench_hist.h"
#include "bench_rand.h"


static void s_test_buckets(void)
{
    /* every value lands in a bucket whose upper bound is >= it and < 1.6% above */
    for (uint64_t v = 0; v < (UINT64_C(1) << 32); v = v < 4096 ? v + 1 : v + v / 97) {
        int i = bench_hist_index(v);
        uint64_t upper = bench_hist_upper(i);
        CHECK(upper >= v);
        CHECK(v < BENCH_HIST_EXACT ? upper == v : (double)(upper - v) <= 0.016 * (double)v);
        CHECK(i == 0 || bench_hist_upper(i - 1) < v);
    }
}

static void s_test_quantiles(void)
{
    bench_hist_t *h = malloc(sizeof(*h));
    bench_hist_reset(h);
    CHECK(bench_hist_quantile(h, 0.5) == 0);
    for (uint64_t v = 1; v <= 10000; v++)
        bench_hist_record(h, v);
    CHECK(h->total == 10000 && h->min == 1 && h->max == 10000);
    uint64_t p50 = bench_hist_quantile(h, 0.50), p99 = bench_hist_quantile(h, 0.99);
    CHECK(p50 >= 5000 && p50 <= 5080);
    CHECK(p99 >= 9900 && p99 <= 10000);
    CHECK(bench_hist_quantile(h, 1.0) == 10000);
    CHECK(bench_hist_mean(h) > 5000.4 && bench_hist_mean(h) < 5000.6);
    free(h);
}

static void s_test_zipf(void)
{
    bench_zipf_t z;
    bench_rand_t r;
    CHECK(bench_zipf_init(&z, 0, 0.99) < 0);
    CHECK(bench_zipf_init(&z, 1000, 0.99) == 0);
    bench_rand_seed(&r, 42, 1);
    static unsigned counts[1000];
    for (int i = 0; i < 100000; i++) {
        uint64_t k = bench_zipf_next(&z, &r);
        CHECK(k < 1000);
        counts[k]++;
    }
    unsigned hottest = 0;
    for (int i = 0; i < 1000; i++)
        if (counts[i] > hottest)
            hottest = counts[i];
    CHECK(hottest > 5000);   /* uniform would give about 100 */
}

int main(void)
{
    s_test_buckets();
    s_test_quantiles();
    s_test_zipf();
    printf("test_bench_hist: ok\n");
    return 0;
}
