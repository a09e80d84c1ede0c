/* bench_rand: xorshift128+ streams seeded through splitmix64, and the YCSB zipfian
 * generator (Jim Gray et al., "Quickly generating billion-record synthetic
 * databases", SIGMOD 1994) with YCSB's FNV scrambling of the rank. */
#include "bench_rand.h"

#include <math.h>

static uint64_t s_splitmix(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

void bench_rand_seed(bench_rand_t *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * UINT64_C(0xD1B54A32D192ED03));
    r->s[0] = s_splitmix(&x);
    r->s[1] = s_splitmix(&x);
    if (!r->s[0] && !r->s[1])
        r->s[1] = 1;
}

uint64_t bench_rand_next(bench_rand_t *r)
{
    uint64_t x = r->s[0];
    const uint64_t y = r->s[1];
    r->s[0] = y;
    x ^= x << 23;
    r->s[1] = x ^ y ^ (x >> 17) ^ (y >> 26);
    return r->s[1] + y;
}

uint64_t bench_rand_below(bench_rand_t *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)bench_rand_next(r) * n) >> 64);
}

double bench_rand_unit(bench_rand_t *r)
{
    return (double)(bench_rand_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static uint64_t s_fnv64(uint64_t v)
{
    uint64_t h = UINT64_C(0xCBF29CE484222325);
    for (int i = 0; i < 8; i++) {
        h ^= v & 0xff;
        h *= UINT64_C(0x100000001B3);
        v >>= 8;
    }
    return h;
}

int bench_zipf_init(bench_zipf_t *z, uint64_t n, double theta)
{
    if (n == 0 || !(theta > 0.0 && theta < 1.0))
        return -1;
    double zetan = 0.0;
    for (uint64_t i = 1; i <= n; i++)
        zetan += 1.0 / pow((double)i, theta);
    double zeta2 = 1.0 + 1.0 / pow(2.0, theta);
    z->n = n;
    z->theta = theta;
    z->alpha = 1.0 / (1.0 - theta);
    z->zetan = zetan;
    z->eta = (1.0 - pow(2.0 / (double)n, 1.0 - theta)) / (1.0 - zeta2 / zetan);
    z->half_pow_theta = 1.0 + pow(0.5, theta);
    return 0;
}

uint64_t bench_zipf_next(const bench_zipf_t *z, bench_rand_t *r)
{
    double u = bench_rand_unit(r);
    double uz = u * z->zetan;
    uint64_t rank;
    if (uz < 1.0)
        rank = 0;
    else if (uz < z->half_pow_theta)
        rank = 1;
    else
        rank = (uint64_t)((double)z->n * pow(z->eta * u - z->eta + 1.0, z->alpha));
    if (rank >= z->n)
        rank = z->n - 1;
    return s_fnv64(rank) % z->n;
}
