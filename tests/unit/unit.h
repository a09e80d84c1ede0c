/* unit.h: the small assertion harness the unit tests share. Every CHECK counts a
 * pass or a failure (printing where and why); UNIT_DONE prints the totals line
 * "test_x: N passed, M failed" and yields the process exit status. */
#ifndef UNIT_H
#define UNIT_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int unit_passed;
static int unit_failed;

static inline void unit_result(int ok, const char *file, int line, const char *what)
{
    if (ok) {
        unit_passed++;
        return;
    }
    unit_failed++;
    fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what);
}

static inline void unit_check_str(const char *got, const char *want, const char *file, int line, const char *expr)
{
    int ok = got && want ? strcmp(got, want) == 0 : got == want;
    unit_result(ok, file, line, expr);
    if (!ok)
        fprintf(stderr, "    got:  \"%s\"\n    want: \"%s\"\n", got ? got : "(null)", want ? want : "(null)");
}

static inline void unit_check_int(long long got, long long want, const char *file, int line, const char *expr)
{
    unit_result(got == want, file, line, expr);
    if (got != want)
        fprintf(stderr, "    got:  %lld\n    want: %lld\n", got, want);
}

#define CHECK(cond) unit_result((cond) ? 1 : 0, __FILE__, __LINE__, #cond)
#define CHECK_STR(got, want) unit_check_str((got), (want), __FILE__, __LINE__, #got " == " #want)
#define CHECK_INT(got, want) unit_check_int((long long)(got), (long long)(want), __FILE__, __LINE__, #got " == " #want)

/* Prints the totals line; use as `return UNIT_DONE("test_x");` at the end of main. */
#define UNIT_DONE(name) \
    (printf("%s: %d passed, %d failed\n", (name), unit_passed, unit_failed), unit_failed ? 1 : 0)

/* Deterministic pseudo-random numbers (xorshift64*), so failures reproduce. */
static uint64_t unit_rng_state = 0x9E3779B97F4A7C15ull;

static inline uint64_t unit_rand(void)
{
    uint64_t x = unit_rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    unit_rng_state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* Uniform-ish integer in [lo, hi]. */
static inline long long unit_rand_range(long long lo, long long hi)
{
    return lo + (long long)(unit_rand() % (uint64_t)(hi - lo + 1));
}

#endif
