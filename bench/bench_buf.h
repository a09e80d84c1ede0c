/* bench_buf: a growable byte buffer for request heads and bodies. Each connection
 * owns two and reuses their memory for every request, so steady-state load does no
 * allocation. */
#ifndef BENCH_BUF_H
#define BENCH_BUF_H

#include <stddef.h>

typedef struct bench_buf {
    char *data;   /* NUL-terminated after every append (not counted in len) */
    size_t len;   /* bytes used */
    size_t cap;   /* bytes allocated */
} bench_buf_t;

void bench_buf_init(bench_buf_t *b, size_t cap);
void bench_buf_free(bench_buf_t *b);
static inline void bench_buf_clear(bench_buf_t *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}
/* Appenders; all abort on out-of-memory. */
void bench_buf_append(bench_buf_t *b, const void *data, size_t len);
void bench_buf_puts(bench_buf_t *b, const char *s);
void bench_buf_printf(bench_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal (quotes included). */
void bench_buf_json_str(bench_buf_t *b, const char *s);

#endif
