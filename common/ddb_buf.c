/* ddb_buf: growable buffers plus the two encodings every reply needs, JSON string
 * escaping and base64. Output is always NUL-terminated so it can be logged. */
#include "ddb_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ddb_buf_init(ddb_buf_t *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void ddb_buf_free(ddb_buf_t *b)
{
    free(b->data);
    ddb_buf_init(b);
}

void ddb_buf_clear(ddb_buf_t *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void ddb_buf_reserve(ddb_buf_t *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        abort();
    b->data = p;
    b->cap = cap;
}

void ddb_buf_append(ddb_buf_t *b, const void *data, size_t len)
{
    ddb_buf_reserve(b, len);
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void ddb_buf_puts(ddb_buf_t *b, const char *s)
{
    ddb_buf_append(b, s, strlen(s));
}

void ddb_buf_putc(ddb_buf_t *b, char c)
{
    ddb_buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void ddb_buf_printf(ddb_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(small)) {
        ddb_buf_append(b, small, (size_t)n);
        return;
    }
    ddb_buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void ddb_buf_json_str(ddb_buf_t *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    ddb_buf_reserve(b, len + 2);
    ddb_buf_putc(b, '"');
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        ddb_buf_append(b, s + start, i - start);
        start = i + 1;
        switch (c) {
        case '"': ddb_buf_append(b, "\\\"", 2); break;
        case '\\': ddb_buf_append(b, "\\\\", 2); break;
        case '\n': ddb_buf_append(b, "\\n", 2); break;
        case '\r': ddb_buf_append(b, "\\r", 2); break;
        case '\t': ddb_buf_append(b, "\\t", 2); break;
        case '\b': ddb_buf_append(b, "\\b", 2); break;
        case '\f': ddb_buf_append(b, "\\f", 2); break;
        default: {
            char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            ddb_buf_append(b, esc, 6);
        }
        }
    }
    ddb_buf_append(b, s + start, len - start);
    ddb_buf_putc(b, '"');
}

static const char s_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void ddb_buf_base64(ddb_buf_t *b, const unsigned char *data, size_t len)
{
    ddb_buf_reserve(b, (len + 2) / 3 * 4);
    char *o = b->data + b->len;
    size_t i = 0;
    for (; i + 2 < len; i += 3) {
        unsigned v = (unsigned)data[i] << 16 | (unsigned)data[i + 1] << 8 | data[i + 2];
        *o++ = s_b64[v >> 18];
        *o++ = s_b64[(v >> 12) & 63];
        *o++ = s_b64[(v >> 6) & 63];
        *o++ = s_b64[v & 63];
    }
    if (i < len) {
        unsigned v = (unsigned)data[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)data[i + 1] << 8;
        *o++ = s_b64[v >> 18];
        *o++ = s_b64[(v >> 12) & 63];
        *o++ = i + 1 < len ? s_b64[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
}

char *ddb_buf_steal(ddb_buf_t *b, size_t *len)
{
    if (!b->data) {
        ddb_buf_reserve(b, 0);
        b->data[0] = '\0';
    }
    char *p = b->data;
    if (len)
        *len = b->len;
    ddb_buf_init(b);
    return p;
}

int ddb_base64_digit(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

long ddb_base64_decode(const char *in, size_t in_len, unsigned char *out)
{
    while (in_len && in[in_len - 1] == '=')
        in_len--;
    if (in_len % 4 == 1)
        return -1;
    size_t o = 0;
    unsigned v = 0;
    int bits = 0;
    for (size_t i = 0; i < in_len; i++) {
        int d = ddb_base64_digit((unsigned char)in[i]);
        if (d < 0)
            return -1;
        v = (v << 6) | (unsigned)d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(v >> bits);
        }
    }
    return (long)o;
}
