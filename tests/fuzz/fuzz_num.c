/* fuzz_num: libFuzzer target for DynamoDB numbers (common/ddb_num.c). The input is
 * two number texts separated by a NUL byte (or one text alone). Checked: parsing a
 * canonical text gives back the same number and text; comparison is antisymmetric
 * and agrees with the order-preserving key encoding, which decodes back; addition
 * commutes, subtraction is its inverse (the arithmetic is exact, so (a+b)-b == a),
 * and a - b == -(b - a). Aborts on any mismatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_num.h"

static void s_die(const char *what, const char *a, const char *b)
{
    fprintf(stderr, "fuzz_num: %s: [%s] [%s]\n", what, a ? a : "", b ? b : "");
    abort();
}

static int s_sign(int x)
{
    return (x > 0) - (x < 0);
}

/* Parses len bytes (an exact-size heap copy, so over-reads show) into out. */
static int s_parse(const char *text, size_t len, ddb_num_t *out)
{
    char *copy = malloc(len ? len : 1);
    memcpy(copy, text, len);
    ddb_err_t err = DDB_ERR_INIT;
    int rc = ddb_num_parse(copy, len, out, &err);
    free(copy);
    if (rc != 0 && (err.kind != DDB_ERR_VALIDATION || !err.message[0]))
        s_die("a parse failure without a ValidationException", err.message, NULL);
    return rc;
}

/* The canonical text re-parses to an equal number with the same text. */
static void s_check_canonical(const ddb_num_t *n, char *text)
{
    size_t len = ddb_num_format(n, text);
    if (len == 0 || len >= DDB_NUM_TEXT_MAX || text[len] != '\0')
        s_die("format produced a bad length", text, NULL);
    ddb_num_t back;
    if (s_parse(text, len, &back) != 0)
        s_die("the canonical text does not parse", text, NULL);
    char again[DDB_NUM_TEXT_MAX];
    if (ddb_num_cmp(n, &back) != 0 || ddb_num_format(&back, again) != len || memcmp(text, again, len) != 0)
        s_die("the canonical text does not round-trip", text, again);
    if (ddb_num_size(n) != ddb_num_size(&back))
        s_die("size changed in a round trip", text, NULL);
    unsigned char key[DDB_NUM_KEY_MAX + 8];
    size_t klen = ddb_num_encode_key(n, key);
    if (klen == 0 || klen > DDB_NUM_KEY_MAX)
        s_die("key encoding has a bad length", text, NULL);
    ddb_num_t decoded;
    if (ddb_num_decode_key(key, klen, &decoded) != (long)klen || ddb_num_cmp(n, &decoded) != 0)
        s_die("key encoding does not decode back", text, NULL);
}

static int s_key_cmp(const ddb_num_t *a, const ddb_num_t *b)
{
    unsigned char ka[DDB_NUM_KEY_MAX + 8], kb[DDB_NUM_KEY_MAX + 8];
    size_t la = ddb_num_encode_key(a, ka), lb = ddb_num_encode_key(b, kb);
    int c = memcmp(ka, kb, la < lb ? la : lb);
    return c ? c : (la > lb) - (la < lb);
}

static void s_check_pair(const ddb_num_t *a, const ddb_num_t *b, const char *ta, const char *tb)
{
    int ab = ddb_num_cmp(a, b), ba = ddb_num_cmp(b, a);
    if (s_sign(ab) != -s_sign(ba))
        s_die("comparison is not antisymmetric", ta, tb);
    if (s_sign(s_key_cmp(a, b)) != s_sign(ab))
        s_die("key encoding order differs from numeric order", ta, tb);

    ddb_num_t sum, sum2, diff, diff2, back;
    ddb_err_t err = DDB_ERR_INIT;
    int rc1 = ddb_num_add(a, b, &sum, &err);
    err = (ddb_err_t)DDB_ERR_INIT;
    int rc2 = ddb_num_add(b, a, &sum2, &err);
    if (rc1 != rc2 || (rc1 == 0 && ddb_num_cmp(&sum, &sum2) != 0))
        s_die("addition does not commute", ta, tb);
    char text[DDB_NUM_TEXT_MAX];
    if (rc1 == 0) {
        s_check_canonical(&sum, text);
        err = (ddb_err_t)DDB_ERR_INIT;
        if (ddb_num_sub(&sum, b, &back, &err) != 0 || ddb_num_cmp(&back, a) != 0)
            s_die("(a + b) - b is not a", ta, tb);
    }
    err = (ddb_err_t)DDB_ERR_INIT;
    rc1 = ddb_num_sub(a, b, &diff, &err);
    err = (ddb_err_t)DDB_ERR_INIT;
    rc2 = ddb_num_sub(b, a, &diff2, &err);
    if (rc1 != rc2)
        s_die("a - b and b - a disagree on success", ta, tb);
    if (rc1 == 0) {
        s_check_canonical(&diff, text);
        if (s_sign(diff.sign) != s_sign(ab))
            s_die("the sign of a - b disagrees with the comparison", ta, tb);
        diff2.sign = (int8_t)-diff2.sign;
        if (ddb_num_cmp(&diff, &diff2) != 0)
            s_die("a - b is not -(b - a)", ta, tb);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nul = memchr(text, '\0', size);
    size_t len_a = nul ? (size_t)(nul - text) : size;
    ddb_num_t a, b;
    char ta[DDB_NUM_TEXT_MAX], tb[DDB_NUM_TEXT_MAX];
    if (s_parse(text, len_a, &a) != 0)
        return 0;
    s_check_canonical(&a, ta);
    s_check_pair(&a, &a, ta, ta);
    if (!nul)
        return 0;
    if (s_parse(nul + 1, size - len_a - 1, &b) != 0)
        return 0;
    s_check_canonical(&b, tb);
    s_check_pair(&a, &b, ta, tb);
    return 0;
}
