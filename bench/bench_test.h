/* bench_test: the check macro of bench/'s unit tests (assert() vanishes under NDEBUG,
 * the RelWithDebInfo default; this does not). */
#ifndef BENCH_TEST_H
#define BENCH_TEST_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

#endif
