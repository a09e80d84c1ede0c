/* ddb_num: DynamoDB numbers held as sign, up to 38 decimal digits and a decimal
 * exponent. Parsing follows the service's grammar and range checks, output is the
 * plain decimal text the service returns, + and - are exact digit arithmetic, and
 * the key encoding sorts with memcmp. No binary floating point anywhere. */
#include "ddb_num.h"

#include <limits.h>
#include <string.h>

/* value = 0.d[0]..d[n-1] * 10^exp, so the leading digit's power of ten is exp-1:
 * 9.99..E+125 has exp 126 and 1E-130 has exp -129. */
#define NUM_MAX_EXP 126
#define NUM_MIN_EXP (-129)

/* Widest exact sum: places from 10^126 (a carry above 9.9E125) down to 10^-167
 * (the 38th digit of a number near 1E-130). */
#define NUM_WORK_PLACES 300

/* Messages as the service words them (ValidationException). The service reports a
 * sum or difference that needs more than 38 digits as an overflow, not as a
 * precision error (observed against DynamoDB by ScyllaDB's Alternator tests,
 * test_number.py: "1e50 + 1" -> "Number overflow. ..."). */
#define MSG_NOT_A_NUMBER "The parameter cannot be converted to a numeric value"
#define MSG_TOO_PRECISE "Attempting to store more than 38 significant digits in a Number"
#define MSG_OVERFLOW "Number overflow. Attempting to store a number with magnitude larger than supported range"
#define MSG_UNDERFLOW "Number underflow. Attempting to store a number with magnitude smaller than supported range"

static int s_not_a_number(const char *s, size_t len, ddb_err_t *err)
{
    if (len == 0)
        return ddb_err_set(err, DDB_ERR_VALIDATION, MSG_NOT_A_NUMBER);
    int shown = len > 600 ? 600 : (int)len;
    return ddb_err_set(err, DDB_ERR_VALIDATION, MSG_NOT_A_NUMBER ": %.*s", shown, s);
}

static void s_set_zero(ddb_num_t *out)
{
    memset(out, 0, sizeof(*out));
}

/* Range checks shared by parse and arithmetic: sci is the leading digit's power
 * of ten, ndigits the significant digit count. */
static int s_check_range(int64_t sci, size_t ndigits, int from_arith, ddb_err_t *err)
{
    if (sci > NUM_MAX_EXP - 1)
        return ddb_err_set(err, DDB_ERR_VALIDATION, MSG_OVERFLOW);
    if (sci < NUM_MIN_EXP - 1)
        return ddb_err_set(err, DDB_ERR_VALIDATION, MSG_UNDERFLOW);
    if (ndigits > DDB_NUM_MAX_DIGITS)
        return ddb_err_set(err, DDB_ERR_VALIDATION, from_arith ? MSG_OVERFLOW : MSG_TOO_PRECISE);
    return 0;
}

static int s_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int ddb_num_parse(const char *s, size_t len, ddb_num_t *out, ddb_err_t *err)
{
    size_t i = 0;
    int negative = 0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        negative = s[i++] == '-';

    /* mantissa: digits [. digits], at least one digit in all */
    size_t mant_start = i, int_digits = 0, all_digits = 0;
    size_t first_nz = SIZE_MAX, last_nz = 0;   /* indexes among mantissa digits */
    int seen_point = 0;
    for (; i < len; i++) {
        char c = s[i];
        if (s_is_digit(c)) {
            if (c != '0') {
                if (first_nz == SIZE_MAX)
                    first_nz = all_digits;
                last_nz = all_digits;
            }
            all_digits++;
            if (!seen_point)
                int_digits++;
        } else if (c == '.' && !seen_point) {
            seen_point = 1;
        } else {
            break;
        }
    }
    if (all_digits == 0)
        return s_not_a_number(s, len, err);
    size_t mant_end = i;

    /* exponent: e|E [+|-] digits; beyond a 32-bit exponent the service's decimal
     * parser gives up, so we do too */
    int64_t exponent = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int exp_negative = 0;
        if (i < len && (s[i] == '-' || s[i] == '+'))
            exp_negative = s[i++] == '-';
        if (i >= len || !s_is_digit(s[i]))
            return s_not_a_number(s, len, err);
        for (; i < len && s_is_digit(s[i]); i++) {
            exponent = exponent * 10 + (s[i] - '0');
            if (exponent > (int64_t)INT_MAX + 1)
                return s_not_a_number(s, len, err);
        }
        if (exp_negative)
            exponent = -exponent;
        else if (exponent > INT_MAX)
            return s_not_a_number(s, len, err);
    }
    if (i != len)
        return s_not_a_number(s, len, err);

    if (first_nz == SIZE_MAX) {
        s_set_zero(out);
        return 0;
    }
    size_t ndigits = last_nz - first_nz + 1;
    int64_t sci = (int64_t)int_digits - 1 - (int64_t)first_nz + exponent;
    if (s_check_range(sci, ndigits, 0, err) != 0)
        return -1;

    memset(out, 0, sizeof(*out));
    out->sign = negative ? -1 : 1;
    out->ndigits = (uint8_t)ndigits;
    out->exp = (int16_t)(sci + 1);
    size_t k = 0, n = 0;
    for (size_t p = mant_start; p < mant_end && n < ndigits; p++) {
        if (!s_is_digit(s[p]))
            continue;
        if (k >= first_nz)
            out->d[n++] = (uint8_t)(s[p] - '0');
        k++;
    }
    return 0;
}

size_t ddb_num_format(const ddb_num_t *n, char *buf)
{
    char *o = buf;
    if (n->sign == 0 || n->ndigits == 0) {
        buf[0] = '0';
        buf[1] = '\0';
        return 1;
    }
    if (n->sign < 0)
        *o++ = '-';
    int nd = n->ndigits, exp = n->exp;
    if (exp <= 0) {
        *o++ = '0';
        *o++ = '.';
        for (int z = 0; z < -exp; z++)
            *o++ = '0';
        for (int k = 0; k < nd; k++)
            *o++ = (char)('0' + n->d[k]);
    } else if (exp >= nd) {
        for (int k = 0; k < nd; k++)
            *o++ = (char)('0' + n->d[k]);
        for (int z = 0; z < exp - nd; z++)
            *o++ = '0';
    } else {
        for (int k = 0; k < nd; k++) {
            if (k == exp)
                *o++ = '.';
            *o++ = (char)('0' + n->d[k]);
        }
    }
    *o = '\0';
    return (size_t)(o - buf);
}

/* Compares magnitudes of two non-zero numbers. */
static int s_cmp_abs(const ddb_num_t *a, const ddb_num_t *b)
{
    if (a->exp != b->exp)
        return a->exp < b->exp ? -1 : 1;
    int n = a->ndigits < b->ndigits ? a->ndigits : b->ndigits;
    for (int k = 0; k < n; k++)
        if (a->d[k] != b->d[k])
            return a->d[k] < b->d[k] ? -1 : 1;
    if (a->ndigits != b->ndigits)
        return a->ndigits < b->ndigits ? -1 : 1;
    return 0;
}

int ddb_num_cmp(const ddb_num_t *a, const ddb_num_t *b)
{
    int sa = a->ndigits ? a->sign : 0, sb = b->ndigits ? b->sign : 0;
    if (sa != sb)
        return sa < sb ? -1 : 1;
    if (sa == 0)
        return 0;
    int c = s_cmp_abs(a, b);
    return sa > 0 ? c : -c;
}

/* Places the digits of n into work[], where work[i] holds the digit of 10^(top-i). */
static void s_spread(const ddb_num_t *n, int top, uint8_t *work)
{
    int first = top - (n->exp - 1);
    for (int k = 0; k < n->ndigits; k++)
        work[first + k] = n->d[k];
}

/* out = a + (b_sign * |b|), exactly, then range-checked. */
static int s_add(const ddb_num_t *a, const ddb_num_t *b, int b_sign, ddb_num_t *out, ddb_err_t *err)
{
    int sa = a->ndigits ? a->sign : 0, sb = b->ndigits ? b_sign : 0;
    if (sb == 0) {
        *out = *a;
        if (sa == 0)
            s_set_zero(out);
        return 0;
    }
    if (sa == 0) {
        *out = *b;
        out->sign = (int8_t)sb;
        return 0;
    }
    /* top place: one above the larger leading digit, for the carry */
    int top = (a->exp > b->exp ? a->exp : b->exp);
    int low_a = a->exp - a->ndigits, low_b = b->exp - b->ndigits;
    int low = low_a < low_b ? low_a : low_b;
    int width = top - low + 1;   /* places top .. low */
    uint8_t x[NUM_WORK_PLACES], y[NUM_WORK_PLACES];
    memset(x, 0, (size_t)width);
    memset(y, 0, (size_t)width);

    int sign;
    const ddb_num_t *big = a, *small = b;
    if (sa == sb) {
        sign = sa;
    } else {
        int c = s_cmp_abs(a, b);
        if (c == 0) {
            s_set_zero(out);
            return 0;
        }
        if (c < 0) {
            big = b;
            small = a;
        }
        sign = big == a ? sa : sb;
    }
    s_spread(big, top, x);
    s_spread(small, top, y);
    int carry = 0;
    for (int i = width - 1; i >= 0; i--) {
        int v = sa == sb ? x[i] + y[i] + carry : x[i] - y[i] - carry;
        carry = 0;
        if (v >= 10) {
            v -= 10;
            carry = 1;
        } else if (v < 0) {
            v += 10;
            carry = 1;
        }
        x[i] = (uint8_t)v;
    }
    int hi = 0, lo = width - 1;
    while (hi < width && x[hi] == 0)
        hi++;
    while (lo > hi && x[lo] == 0)
        lo--;
    /* a non-zero result is guaranteed: equal magnitudes were handled above */
    int64_t sci = top - hi;
    size_t ndigits = (size_t)(lo - hi + 1);
    if (s_check_range(sci, ndigits, 1, err) != 0)
        return -1;
    out->sign = (int8_t)sign;
    out->ndigits = (uint8_t)ndigits;
    out->exp = (int16_t)(sci + 1);
    memset(out->d, 0, sizeof(out->d));
    memcpy(out->d, x + hi, ndigits);
    return 0;
}

int ddb_num_add(const ddb_num_t *a, const ddb_num_t *b, ddb_num_t *out, ddb_err_t *err)
{
    return s_add(a, b, b->sign, out, err);
}

int ddb_num_sub(const ddb_num_t *a, const ddb_num_t *b, ddb_num_t *out, ddb_err_t *err)
{
    return s_add(a, b, -b->sign, out, err);
}

/* Floor division by 2 for negative values too. */
static int s_floor_half(int v)
{
    return v >= 0 ? v / 2 : -((-v + 1) / 2);
}

/* The service stores a number like a base-100 floating point value: one byte of
 * sign and exponent, one byte per base-100 digit (pairs of decimal digits aligned
 * on even powers of ten), and one more byte for a negative number. This refines
 * the developer guide's "approximately 1 byte per two significant digits + 1 byte"
 * exactly where the alignment or the sign adds a byte: "27" = 2, "-27" = 3,
 * "461" = 3, "1.5" = 3, "0" = 1. */
size_t ddb_num_size(const ddb_num_t *n)
{
    if (n->sign == 0 || n->ndigits == 0)
        return 1;
    int sci = n->exp - 1;
    int last = sci - n->ndigits + 1;
    size_t pairs = (size_t)(s_floor_half(sci) - s_floor_half(last) + 1);
    return 1 + pairs + (n->sign < 0 ? 1 : 0);
}

/* Key encoding. Zero is one byte 0x02. A positive number is 0x03, exp+129, then
 * one byte per digit pair (pair value + 1, so 1..100), then 0x00. A negative
 * number is 0x01, 126-exp, one byte per pair (100 - pair value), then 0xFF. The
 * terminators make a shorter digit string sort before (positive) or after
 * (negative) a longer one with the same prefix, as numeric order requires. */
#define KEY_NEG 0x01
#define KEY_ZERO 0x02
#define KEY_POS 0x03

size_t ddb_num_encode_key(const ddb_num_t *n, unsigned char *out)
{
    if (n->sign == 0 || n->ndigits == 0) {
        out[0] = KEY_ZERO;
        return 1;
    }
    int neg = n->sign < 0;
    size_t o = 0;
    out[o++] = neg ? KEY_NEG : KEY_POS;
    out[o++] = (unsigned char)(neg ? 126 - n->exp : n->exp + 129);
    for (int k = 0; k < n->ndigits; k += 2) {
        int pair = n->d[k] * 10 + (k + 1 < n->ndigits ? n->d[k + 1] : 0);
        out[o++] = (unsigned char)(neg ? 100 - pair : pair + 1);
    }
    out[o++] = neg ? 0xFF : 0x00;
    return o;
}

long ddb_num_decode_key(const unsigned char *in, size_t len, ddb_num_t *out)
{
    if (len < 1)
        return -1;
    if (in[0] == KEY_ZERO) {
        s_set_zero(out);
        return 1;
    }
    if ((in[0] != KEY_NEG && in[0] != KEY_POS) || len < 4)
        return -1;
    int neg = in[0] == KEY_NEG;
    int exp = neg ? 126 - in[1] : in[1] - 129;
    if (exp < NUM_MIN_EXP || exp > NUM_MAX_EXP)
        return -1;
    unsigned char end = neg ? 0xFF : 0x00;
    ddb_num_t n;
    memset(&n, 0, sizeof(n));
    size_t i = 2, nd = 0;
    for (; i < len && in[i] != end; i++) {
        if (in[i] < 1 || in[i] > 100 || nd + 2 > DDB_NUM_MAX_DIGITS)
            return -1;
        int pair = neg ? 100 - in[i] : in[i] - 1;
        n.d[nd++] = (uint8_t)(pair / 10);
        n.d[nd++] = (uint8_t)(pair % 10);
    }
    if (i >= len || nd == 0)
        return -1;
    if (n.d[nd - 1] == 0)
        nd--;
    if (n.d[0] == 0 || n.d[nd - 1] == 0)
        return -1;   /* not normalised: no encoder produces this */
    n.sign = neg ? -1 : 1;
    n.ndigits = (uint8_t)nd;
    n.exp = (int16_t)exp;
    *out = n;
    return (long)(i + 1);
}

void ddb_num_from_int64(int64_t v, ddb_num_t *out)
{
    s_set_zero(out);
    if (v == 0)
        return;
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint8_t rev[20];
    int n = 0;
    while (mag) {
        rev[n++] = (uint8_t)(mag % 10);
        mag /= 10;
    }
    int low = 0;
    while (rev[low] == 0)
        low++;
    out->sign = v < 0 ? -1 : 1;
    out->exp = (int16_t)n;
    out->ndigits = (uint8_t)(n - low);
    for (int k = 0; k < n - low; k++)
        out->d[k] = rev[n - 1 - k];
}
