/* bench_rand: the load generator's seeded randomness: a xorshift128+ stream per
 * connection (runs with the same --seed send the same keys in the same order per
 * connection) and YCSB's scrambled zipfian key chooser. */
#ifndef BENCH_RAND_H
#define BENCH_RAND_H

#include <stdint.h>

typedef struct bench_rand {
    uint64_t s[2];
} bench_rand_t;

/* Seeds a stream from (seed, stream): distinct streams are independent. */
void bench_rand_seed(bench_rand_t *r, uint64_t seed, uint64_t stream);
uint64_t bench_rand_next(bench_rand_t *r);
/* Uniform in [0, n); n > 0. */
uint64_t bench_rand_below(bench_rand_t *r, uint64_t n);
/* Uniform in [0, 1). */
double bench_rand_unit(bench_rand_t *r);

/* Zipfian ranks over n items (Gray et al., as in YCSB's ZipfianGenerator), scrambled
 * by a hash so the hot keys are spread over the key space. */
typedef struct bench_zipf {
    uint64_t n;      /* items */
    double theta;    /* skew, YCSB's default 0.99 */
    double alpha;    /* 1 / (1 - theta) */
    double zetan;    /* zeta(n, theta) */
    double eta;
    double half_pow_theta;   /* 1 + 0.5^theta */
} bench_zipf_t;

/* Precomputes zeta(n): O(n) once. 0, or -1 for n == 0 or theta outside (0, 1). */
int bench_zipf_init(bench_zipf_t *z, uint64_t n, double theta);
/* A key index in [0, n): zipfian rank, scrambled. */
uint64_t bench_zipf_next(const bench_zipf_t *z, bench_rand_t *r);

#endif
