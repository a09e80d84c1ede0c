/* ddb_num: DynamoDB numbers. Up to 38 significant decimal digits, magnitude
 * 1E-130 .. 9.9999999999999999999999999999999999999E+125, exact decimal arithmetic,
 * never binary floating point. */
#ifndef DDB_NUM_H
#define DDB_NUM_H

#include <stddef.h>
#include <stdint.h>
#include "ddb_err.h"

#define DDB_NUM_MAX_DIGITS 38

typedef struct ddb_num {
    int8_t sign;          /* -1, 0 or +1; zero has ndigits == 0 */
    uint8_t ndigits;      /* significant digits, no leading or trailing zeros */
    int16_t exp;          /* value = 0.d[0]d[1]..d[n-1] * 10^exp */
    uint8_t d[DDB_NUM_MAX_DIGITS]; /* digit values 0..9 */
} ddb_num_t;

/* Parses the text of an N value ("-1.50e3", " 12" is invalid). Returns 0, or -1
 * with a ValidationException carrying the service's message (too many digits,
 * overflow, underflow, not a number). */
int ddb_num_parse(const char *s, size_t len, ddb_num_t *out, ddb_err_t *err);
/* Writes the canonical text the service returns ("1.0" -> "1", "-0" -> "0",
 * "1e3" -> "1000", "0.00012" -> "0.00012"). Returns the length; buf needs
 * DDB_NUM_TEXT_MAX bytes. */
#define DDB_NUM_TEXT_MAX 180
size_t ddb_num_format(const ddb_num_t *n, char *buf);
/* Numeric comparison: <0, 0, >0. */
int ddb_num_cmp(const ddb_num_t *a, const ddb_num_t *b);
/* out = a + b and out = a - b, exactly. -1 with a ValidationException on overflow,
 * underflow or more than 38 significant digits. */
int ddb_num_add(const ddb_num_t *a, const ddb_num_t *b, ddb_num_t *out, ddb_err_t *err);
int ddb_num_sub(const ddb_num_t *a, const ddb_num_t *b, ddb_num_t *out, ddb_err_t *err);
/* Bytes the number counts for in item size, computed the service's way. */
size_t ddb_num_size(const ddb_num_t *n);
/* Order-preserving binary encoding (memcmp order == numeric order). Appends at
 * most 22 bytes to out; returns the number of bytes written. */
size_t ddb_num_encode_key(const ddb_num_t *n, unsigned char *out);
/* Inverse of ddb_num_encode_key; returns bytes consumed or -1. */
long ddb_num_decode_key(const unsigned char *in, size_t len, ddb_num_t *out);
/* Longest output of ddb_num_encode_key. */
#define DDB_NUM_KEY_MAX 22
/* Sets out to the integer v (exact; e.g. for size() results and counters). */
void ddb_num_from_int64(int64_t v, ddb_num_t *out);

#endif
