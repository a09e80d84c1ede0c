/* ddb_buf: a growable byte buffer, used to build JSON replies and keys.
 * The buffer owns its heap memory; ddb_buf_free releases it. */
#ifndef DDB_BUF_H
#define DDB_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct ddb_buf {
    char *data;   /* NUL-terminated after every append (not counted in len) */
    size_t len;   /* bytes used */
    size_t cap;   /* bytes allocated */
} ddb_buf_t;

#define DDB_BUF_INIT { NULL, 0, 0 }

void ddb_buf_init(ddb_buf_t *b);
void ddb_buf_free(ddb_buf_t *b);
/* Empties the buffer, keeping its memory. */
void ddb_buf_clear(ddb_buf_t *b);
/* Makes room for extra more bytes. Aborts on out-of-memory. */
void ddb_buf_reserve(ddb_buf_t *b, size_t extra);
void ddb_buf_append(ddb_buf_t *b, const void *data, size_t len);
void ddb_buf_puts(ddb_buf_t *b, const char *s);
void ddb_buf_putc(ddb_buf_t *b, char c);
void ddb_buf_printf(ddb_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included, escaping as JSON requires. */
void ddb_buf_json_str(ddb_buf_t *b, const char *s, size_t len);
/* Appends standard base64 (with padding) of len bytes. */
void ddb_buf_base64(ddb_buf_t *b, const unsigned char *data, size_t len);
/* Hands the memory to the caller (who frees it with free()) and empties b. */
char *ddb_buf_steal(ddb_buf_t *b, size_t *len);

/* The value (0..63) of one standard base64 digit, or -1 for any other byte. */
int ddb_base64_digit(unsigned char c);

/* Decodes standard base64 (padding optional, no whitespace) into out (which must
 * hold at least in_len*3/4+3 bytes). Returns the decoded length, or -1 if the input
 * is not valid base64. */
long ddb_base64_decode(const char *in, size_t in_len, unsigned char *out);

#endif
