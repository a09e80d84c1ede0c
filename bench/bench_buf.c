/* bench_buf: growable byte buffer (see bench_buf.h). */
#include "bench_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_reserve(bench_buf_t *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *data = realloc(b->data, cap);
    if (!data) {
        fprintf(stderr, "meridian-bench: out of memory\n");
        abort();
    }
    b->data = data;
    b->cap = cap;
}

void bench_buf_init(bench_buf_t *b, size_t cap)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    s_reserve(b, cap);
    b->data[0] = '\0';
}

void bench_buf_free(bench_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void bench_buf_append(bench_buf_t *b, const void *data, size_t len)
{
    s_reserve(b, len);
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void bench_buf_puts(bench_buf_t *b, const char *s)
{
    bench_buf_append(b, s, strlen(s));
}

void bench_buf_printf(bench_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= b->cap - b->len) {
        s_reserve(b, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

void bench_buf_json_str(bench_buf_t *b, const char *s)
{
    bench_buf_append(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            bench_buf_printf(b, "\\%c", c);
        else if (c < 0x20)
            bench_buf_printf(b, "\\u%04x", c);
        else
            bench_buf_append(b, s, 1);
    }
    bench_buf_append(b, "\"", 1);
}
