/* bench_sigv4: formats a DynamoDB request head the way an AWS SDK does: Host,
 * Content-Type application/x-amz-json-1.0, X-Amz-Target, X-Amz-Date and a SigV4
 * Authorization header whose credential scope names the region (which selects
 * Meridian's region process). The signature is real (OpenSSL) with sign=1, else a
 * cheap hash of the body in the same 64-hex-digit shape. */
#ifndef BENCH_SIGV4_H
#define BENCH_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "bench_buf.h"

typedef struct bench_sigv4 {
    char access_key[128];
    char secret_key[128];
    int sign;                       /* 1: compute real SigV4 signatures */
    time_t second;                  /* the second amz_date was formatted for */
    char amz_date[17];              /* 20261126T141800Z */
    char date[9];                   /* 20261126 */
    char key_region[64];            /* region (and date) the cached signing key is for */
    char key_date[9];
    unsigned char signing_key[32];  /* HMAC chain result for key_date/key_region */
} bench_sigv4_t;

void bench_sigv4_init(bench_sigv4_t *s, const char *access_key, const char *secret_key, int sign);
/* Clears head and writes a complete HTTP/1.1 request head (ending with the blank
 * line) for POST / with the given target operation ("GetItem") and body. */
void bench_sigv4_head(bench_sigv4_t *s, bench_buf_t *head, const char *host, const char *region, const char *op,
                      const char *body, size_t body_len);

#endif
