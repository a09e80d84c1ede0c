/* test_num: DynamoDB numbers. Parsing and its error messages, canonical output,
 * comparison, exact addition and subtraction with the service's limits, the
 * item-size count, and the order-preserving key encoding checked against
 * ddb_num_cmp over many random pairs. */
#include "ddb_num.h"
#include "unit.h"

#include <stdlib.h>

#define MSG_NAN "The parameter cannot be converted to a numeric value"
#define MSG_PRECISE "Attempting to store more than 38 significant digits in a Number"
#define MSG_OVER "Number overflow. Attempting to store a number with magnitude larger than supported range"
#define MSG_UNDER "Number underflow. Attempting to store a number with magnitude smaller than supported range"

static char s_text[DDB_NUM_TEXT_MAX + 1100];   /* also holds "ERROR: <message>" */

/* Parses s (which must be valid) and returns its canonical text. */
static const char *canon(const char *s)
{
    ddb_num_t n;
    ddb_err_t err = DDB_ERR_INIT;
    if (ddb_num_parse(s, strlen(s), &n, &err) != 0) {
        snprintf(s_text, sizeof(s_text), "ERROR: %s", err.message);
        return s_text;
    }
    ddb_num_format(&n, s_text);
    return s_text;
}

static ddb_num_t num(const char *s)
{
    ddb_num_t n;
    ddb_err_t err = DDB_ERR_INIT;
    if (ddb_num_parse(s, strlen(s), &n, &err) != 0) {
        fprintf(stderr, "bad test number %s: %s\n", s, err.message);
        abort();
    }
    return n;
}

/* The error message parsing s gives, or "" when it parses. */
static const char *parse_error(const char *s, size_t len)
{
    static ddb_err_t err;
    ddb_num_t n;
    ddb_err_clear(&err);
    if (ddb_num_parse(s, len, &n, &err) == 0)
        return "";
    if (err.kind != DDB_ERR_VALIDATION)
        return "wrong kind";
    return err.message;
}

static const char *repeat(char c, int n)
{
    static char buf[4][256];
    static int which;
    char *b = buf[which++ % 4];
    memset(b, c, (size_t)n);
    b[n] = '\0';
    return b;
}

static void test_canonical(void)
{
    static const struct { const char *in, *out; } cases[] = {
        { "0", "0" }, { "-0", "0" }, { "+0", "0" }, { "0.000", "0" }, { "00", "0" },
        { "0e1000", "0" }, { "-0.0e-5", "0" }, { ".0", "0" }, { "0.", "0" },
        { "1", "1" }, { "+3", "3" }, { "1.0", "1" }, { "1.50", "1.5" }, { "-1.50", "-1.5" },
        { "1E+3", "1000" }, { "1e3", "1000" }, { "1.5e1", "15" }, { "12.345e-1", "1.2345" },
        { "0.0001", "0.0001" }, { "1e-4", "0.0001" }, { ".123", "0.123" }, { "1.", "1" },
        { "0001.23", "1.23" }, { "-17e5", "-1700000" }, { "-7.1234", "-7.1234" },
        { "100", "100" }, { "1.000e2", "100" }, { "0.00012", "0.00012" }, { "123.456", "123.456" },
        { "1e+5", "100000" }, { "1e0", "1" }, { "10e-1", "1" }, { "0.5", "0.5" }, { "-0.010", "-0.01" },
        { "1234567890", "1234567890" }, { "-1e-1", "-0.1" }, { "5E-0", "5" }, { "000.000100", "0.0001" },
        { "0000012345678901234567890123456789012345678", "12345678901234567890123456789012345678" },
        { "-00001.23456789012345678901234567890123456780000", "-1.2345678901234567890123456789012345678" },
        { "3.1415926535897932384626433832795028841", "3.1415926535897932384626433832795028841" },
        { "314159265358979323846.26433832795028841", "314159265358979323846.26433832795028841" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        CHECK_STR(canon(cases[i].in), cases[i].out);

    char want[256];
    snprintf(want, sizeof(want), "-174%s", repeat('0', 36));
    CHECK_STR(canon("-17.4E37"), want);
    snprintf(want, sizeof(want), "0.%s1", repeat('0', 129));
    CHECK_STR(canon("1e-130"), want);
    CHECK_STR(canon("0001.000e-130"), want);
    snprintf(want, sizeof(want), "-0.%s1", repeat('0', 129));
    CHECK_STR(canon("-1E-130"), want);
    snprintf(want, sizeof(want), "%s%s", repeat('9', 38), repeat('0', 88));
    CHECK_STR(canon("9.9999999999999999999999999999999999999E+125"), want);
    CHECK_STR(canon("0009.99999999999999999999999999999999999990000e125"), want);
    snprintf(want, sizeof(want), "1%s", repeat('0', 125));
    CHECK_STR(canon("1e125"), want);
    snprintf(want, sizeof(want), "3141592653589793238462643383279502884100000000000000000000000000000");
    CHECK_STR(canon("31415926535897932384626433832795028841e29"), want);
    /* trailing zeros are not significant: 1 followed by 60 zeros is one digit */
    snprintf(want, sizeof(want), "1%s", repeat('0', 60));
    CHECK_STR(canon(want), want);
    /* leading zeros are not significant either */
    snprintf(want, sizeof(want), "%s12345678901234567890123456789012345678", repeat('0', 100));
    CHECK_STR(canon(want), "12345678901234567890123456789012345678");

    /* the longest outputs fit DDB_NUM_TEXT_MAX */
    ddb_num_t n = num("-1.2345678901234567890123456789012345678e-130");
    CHECK(ddb_num_format(&n, s_text) < DDB_NUM_TEXT_MAX);
    CHECK_INT(strlen(s_text), 1 + 2 + 129 + 38);
}

static void test_invalid(void)
{
    static const char *bad[] = {
        " 1", "1 ", "NaN", "-NaN", "Infinity", "-Infinity", "inf", "dog", "-dog", ".", "-", "+",
        "1e", "e5", "1e+", "1e-", "0x10", "1.2.3", "1e5.5", "--1", "+-1", "1,000", "1_000", "١",
        "\xef\xbc\x91", "1e1e1", "1ee1", "1e 1", "- 1", ".e1", "1..", "..1", "1d3", "1f", "0b1",
        "1e99999999999", "1e2147483648", "+.", "e", "E",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char want[128];
        snprintf(want, sizeof(want), MSG_NAN ": %s", bad[i]);
        CHECK_STR(parse_error(bad[i], strlen(bad[i])), want);
    }
    CHECK_STR(parse_error("", 0), MSG_NAN);
    CHECK_STR(parse_error("1\0002", 3), MSG_NAN ": 1");   /* embedded NUL: the text up to it is shown */
    /* a huge but 32-bit exponent is a number, only out of range */
    CHECK_STR(parse_error("1e2147483647", 12), MSG_OVER);
    CHECK_STR(parse_error("1e-2147483648", 13), MSG_UNDER);
    CHECK_STR(parse_error("0e-2147483648", 13), "");
    CHECK_STR(parse_error("1.0e100000000", 13), MSG_OVER);
    /* only the given length is parsed */
    CHECK_STR(parse_error("12x", 2), "");
    CHECK_STR(canon("7"), "7");
}

static void test_limits(void)
{
    static const struct { const char *in, *msg; } cases[] = {
        { "123456789012345678901234567890123456789", MSG_PRECISE },
        { "-1.23456789012345678901234567890123456789", MSG_PRECISE },
        { "3.14159265358979323846264338327950288419", MSG_PRECISE },
        { "314159265358979323846.264338327950288419", MSG_PRECISE },
        { "314159265358979323846264338327950288419e30", MSG_PRECISE },
        { "1.00000000000000000000000000000000000000001", MSG_PRECISE },
        { "1e126", MSG_OVER }, { "-1e126", MSG_OVER }, { "11e125", MSG_OVER }, { "10e125", MSG_OVER },
        { "99999999999999999999999999999999999999e89", MSG_OVER },
        { "1e-131", MSG_UNDER }, { "-1e-131", MSG_UNDER }, { "0.9e-130", MSG_UNDER },
        { "0.1e-130", MSG_UNDER }, { "1e-100000000", MSG_UNDER },
        /* range is checked before precision, as the service does */
        { "1234567890123456789012345678901234567890e200", MSG_OVER },
        { "1234567890123456789012345678901234567890e-200", MSG_UNDER },
        /* allowed edges */
        { "1e125", "" }, { "9.9999999999999999999999999999999999999E+125", "" }, { "1e-130", "" },
        { "-9.9999999999999999999999999999999999999E+125", "" }, { "-1e-130", "" },
        { "12345678901234567890123456789012345678", "" }, { "1.2345678901234567890123456789012345678e-92", "" },
        { "99999999999999999999999999999999999999e88", "" }, { "10e124", "" }, { "0.1e-129", "" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        CHECK_STR(parse_error(cases[i].in, strlen(cases[i].in)), cases[i].msg);

    /* a lot of zeros around 38 digits is fine */
    char big[400];
    snprintf(big, sizeof(big), "%s12345678901234567890123456789012345678%s", repeat('0', 200), repeat('0', 50));
    CHECK_STR(parse_error(big, strlen(big)), "");
    snprintf(big, sizeof(big), "0.%s1", repeat('0', 129));
    CHECK_STR(parse_error(big, strlen(big)), "");
    snprintf(big, sizeof(big), "0.%s1", repeat('0', 130));
    CHECK_STR(parse_error(big, strlen(big)), MSG_UNDER);
}

static int sign_of(int v)
{
    return (v > 0) - (v < 0);
}

static void test_cmp(void)
{
    /* ascending order, with equal neighbours marked by repeating */
    static const char *ordered[] = {
        "-9.9999999999999999999999999999999999999E+125", "-1e125", "-123456", "-123455.9999", "-1000",
        "-999.99", "-100", "-10.5", "-10", "-9", "-1.5", "-1.25", "-1.2", "-1", "-0.999", "-0.1",
        "-0.01", "-1e-129", "-1e-130", "0", "1e-130", "1.5e-130", "1e-129", "0.001", "0.00100001", "0.1",
        "0.12", "0.123", "0.2", "1", "1.0000000000000000000000000000000000001", "1.5", "2", "9", "10",
        "10.01", "11", "99", "100", "101", "1e10", "12345678901234567890123456789012345678", "1e38",
        "1e125", "9.9999999999999999999999999999999999999E+125",
    };
    size_t n = sizeof(ordered) / sizeof(ordered[0]);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            ddb_num_t a = num(ordered[i]), b = num(ordered[j]);
            int want = i < j ? -1 : i > j ? 1 : 0;
            if (sign_of(ddb_num_cmp(&a, &b)) != want) {
                CHECK(!"ddb_num_cmp order");
                fprintf(stderr, "    %s vs %s\n", ordered[i], ordered[j]);
            }
        }
    }
    CHECK(1);
    ddb_num_t a = num("1.0"), b = num("1"), c = num("-0"), d = num("0e5"), e = num("100"), f = num("1e2");
    CHECK_INT(ddb_num_cmp(&a, &b), 0);
    CHECK_INT(ddb_num_cmp(&c, &d), 0);
    CHECK_INT(ddb_num_cmp(&e, &f), 0);
}

/* a op b; returns the canonical result or the error message. */
static const char *arith(const char *x, char op, const char *y)
{
    ddb_num_t a = num(x), b = num(y), r;
    static ddb_err_t err;
    ddb_err_clear(&err);
    int rc = op == '+' ? ddb_num_add(&a, &b, &r, &err) : ddb_num_sub(&a, &b, &r, &err);
    if (rc != 0)
        return err.kind == DDB_ERR_VALIDATION ? err.message : "wrong kind";
    ddb_num_format(&r, s_text);
    return s_text;
}

static void test_arith(void)
{
    char want[256], x[256];
    CHECK_STR(arith("0.1", '+', "0.2"), "0.3");
    CHECK_STR(arith("-0.1", '-', "0.2"), "-0.3");
    CHECK_STR(arith("0.3", '-', "0.1"), "0.2");
    CHECK_STR(arith("1", '+', "10000000000000000000000"), "10000000000000000000001");
    CHECK_STR(arith("10000000000000000000000", '-', "1"), "9999999999999999999999");
    CHECK_STR(arith("5", '-', "5"), "0");
    CHECK_STR(arith("-5", '+', "5"), "0");
    CHECK_STR(arith("1.5", '-', "2.25"), "-0.75");
    CHECK_STR(arith("0", '+', "-3.5"), "-3.5");
    CHECK_STR(arith("0", '-', "-3.5"), "3.5");
    CHECK_STR(arith("0", '-', "3.5"), "-3.5");
    CHECK_STR(arith("3.5", '-', "0"), "3.5");
    CHECK_STR(arith("0", '+', "0"), "0");
    CHECK_STR(arith("123.456", '+', "-0.456"), "123");
    CHECK_STR(arith("-123.456", '-', "-0.456"), "-123");
    CHECK_STR(arith("999", '+', "1"), "1000");
    CHECK_STR(arith("-999", '-', "1"), "-1000");
    CHECK_STR(arith("1000", '-', "0.001"), "999.999");
    CHECK_STR(arith("1e-130", '+', "1e-130"), canon("2e-130"));
    CHECK_STR(arith("0.1", '+', "-0.1"), "0");
    CHECK_STR(arith("2", '-', "3"), "-1");
    CHECK_STR(arith("-2", '-', "-3"), "1");
    snprintf(want, sizeof(want), "99%s", repeat('0', 124));
    CHECK_STR(arith("9e125", '+', "9e124"), want);
    CHECK_STR(arith("9e125", '+', "9e125"), MSG_OVER);
    CHECK_STR(arith("9e125", '-', "-9e125"), MSG_OVER);
    CHECK_STR(arith("-9e125", '-', "9e125"), MSG_OVER);
    /* more than 38 digits in a result: the service calls it an overflow */
    CHECK_STR(arith("1e50", '+', "1"), MSG_OVER);
    CHECK_STR(arith("1e50", '-', "1"), MSG_OVER);
    CHECK_STR(arith("1", '+', "1e-40"), MSG_OVER);
    CHECK_STR(arith("1.1e-130", '-', "1e-130"), MSG_UNDER);
    snprintf(x, sizeof(x), "%s", repeat('9', 38));
    snprintf(want, sizeof(want), "1%s", repeat('0', 38));
    CHECK_STR(arith(x, '+', "1"), want);
    CHECK_STR(arith(x, '+', "2"), MSG_OVER);
    CHECK_STR(arith(x, '-', x), "0");
    snprintf(want, sizeof(want), "%s8", repeat('9', 37));
    CHECK_STR(arith(x, '-', "1"), want);
    /* 37 digits + 1 digit far below stays exact at 38 */
    CHECK_STR(arith("1234567890123456789012345678901234567", '+', "0.8"),
              "1234567890123456789012345678901234567.8");

    /* exactness against 64-bit integer arithmetic, at many decimal scales */
    for (int i = 0; i < 20000; i++) {
        long long p = unit_rand_range(-999999999999999LL, 999999999999999LL);
        long long q = unit_rand_range(-999999999999999LL, 999999999999999LL);
        int scale = (int)unit_rand_range(-60, 60);
        char ps[64], qs[64], rs[64];
        snprintf(ps, sizeof(ps), "%llde%d", p, scale);
        snprintf(qs, sizeof(qs), "%llde%d", q, scale);
        int op = (int)(unit_rand() & 1);
        snprintf(rs, sizeof(rs), "%llde%d", op ? p + q : p - q, scale);
        char want_text[DDB_NUM_TEXT_MAX];
        snprintf(want_text, sizeof(want_text), "%s", canon(rs));
        const char *got = arith(ps, op ? '+' : '-', qs);
        if (strcmp(got, want_text) != 0) {
            CHECK_STR(got, want_text);
            fprintf(stderr, "    %s %c %s\n", ps, op ? '+' : '-', qs);
            break;
        }
    }
    CHECK(1);
}

static size_t size_of(const char *s)
{
    ddb_num_t n = num(s);
    return ddb_num_size(&n);
}

static void test_size(void)
{
    CHECK_INT(size_of("0"), 1);
    CHECK_INT(size_of("-0"), 1);
    CHECK_INT(size_of("27"), 2);
    CHECK_INT(size_of("-27"), 3);
    CHECK_INT(size_of("461"), 3);
    CHECK_INT(size_of("1786461547"), 6);
    CHECK_INT(size_of("100"), 2);
    CHECK_INT(size_of("00042"), 2);
    CHECK_INT(size_of("0.5"), 2);
    CHECK_INT(size_of("-0.010"), 3);
    CHECK_INT(size_of("1"), 2);
    CHECK_INT(size_of("12"), 2);
    CHECK_INT(size_of("123"), 3);
    CHECK_INT(size_of("1234"), 3);
    CHECK_INT(size_of("1.5"), 3);     /* pairs "01" "50": the alignment adds a byte */
    CHECK_INT(size_of("12.34"), 3);
    CHECK_INT(size_of("0.12"), 2);
    CHECK_INT(size_of("1e125"), 2);
    CHECK_INT(size_of("11e124"), 2);
    CHECK_INT(size_of("11111e121"), 4);
    CHECK_INT(size_of("111111e120"), 4);
    CHECK_INT(size_of("1111111e119"), 5);
    CHECK_INT(size_of("1e-130"), 2);
    char s[128];
    snprintf(s, sizeof(s), "%s", repeat('1', 38));
    CHECK_INT(size_of(s), 20);
    snprintf(s, sizeof(s), "%se88", repeat('1', 38));
    CHECK_INT(size_of(s), 20);
    snprintf(s, sizeof(s), "-%s", repeat('9', 38));
    CHECK_INT(size_of(s), 21);
    snprintf(s, sizeof(s), "%se-1", repeat('9', 38));   /* 9.99..9: misaligned pairs */
    CHECK_INT(size_of(s), 21);
    /* never below the documented estimate, never more than 2 bytes above it */
    for (int i = 0; i < 2000; i++) {
        int nd = (int)unit_rand_range(1, 38);
        char t[64];
        for (int k = 0; k < nd; k++)
            t[k] = (char)('1' + unit_rand() % 9);
        snprintf(t + nd, sizeof(t) - (size_t)nd, "e%d", (int)unit_rand_range(-90, 80));
        size_t doc = (size_t)(nd + 1) / 2 + 1, got = size_of(t);
        if (got < doc || got > doc + 1) {
            CHECK(!"size near the documented estimate");
            fprintf(stderr, "    %s: %zu vs %zu\n", t, got, doc);
            break;
        }
    }
    CHECK(1);
}

/* A random valid number; clustered exponents and shared prefixes make close calls. */
static ddb_num_t random_num(void)
{
    ddb_num_t n;
    memset(&n, 0, sizeof(n));
    if (unit_rand() % 20 == 0)
        return n;
    n.sign = unit_rand() & 1 ? 1 : -1;
    n.ndigits = (uint8_t)(unit_rand() % 4 ? unit_rand_range(1, 6) : unit_rand_range(1, 38));
    for (int k = 0; k < n.ndigits; k++)
        n.d[k] = (uint8_t)(k == 0 ? unit_rand_range(1, 3) : unit_rand_range(0, 2));
    if (n.d[n.ndigits - 1] == 0)
        n.d[n.ndigits - 1] = 1;
    n.exp = (int16_t)(unit_rand() % 4 ? unit_rand_range(-3, 3) : unit_rand_range(-129, 126));
    return n;
}

/* SQLite's BLOB order: memcmp, then the shorter first. */
static int blob_cmp(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = memcmp(a, b, n);
    if (c)
        return sign_of(c);
    return (alen > blen) - (alen < blen);
}

static void test_key(void)
{
    static const char *samples[] = {
        "0", "1", "-1", "0.5", "-0.5", "1e125", "-1e125", "1e-130", "-1e-130", "27", "-27",
        "12345678901234567890123456789012345678", "-12345678901234567890123456789012345678",
        "9.9999999999999999999999999999999999999E+125", "-9.9999999999999999999999999999999999999E+125",
        "1.2345678901234567890123456789012345678e-92", "10", "100", "101", "1.01",
    };
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        ddb_num_t n = num(samples[i]), back;
        unsigned char enc[DDB_NUM_KEY_MAX + 8];
        size_t len = ddb_num_encode_key(&n, enc);
        CHECK(len >= 1 && len <= DDB_NUM_KEY_MAX);
        CHECK_INT(ddb_num_decode_key(enc, len, &back), (long)len);
        CHECK_INT(ddb_num_cmp(&n, &back), 0);
        char t1[DDB_NUM_TEXT_MAX], t2[DDB_NUM_TEXT_MAX];
        ddb_num_format(&n, t1);
        ddb_num_format(&back, t2);
        CHECK_STR(t2, t1);
        /* decoding reads one encoding and stops: trailing bytes are left */
        enc[len] = 0x42;
        CHECK_INT(ddb_num_decode_key(enc, len + 1, &back), (long)len);
        /* truncated encodings are rejected */
        if (len > 1)
            CHECK_INT(ddb_num_decode_key(enc, len - 1, &back), -1);
    }
    ddb_num_t n;
    unsigned char garbage[][6] = { { 0x00 }, { 0x04 }, { 0xFF }, { 0x03, 0x80, 0x00, 0x00 },
                                   { 0x03, 0x80, 0x65, 0x00 }, { 0x01, 0x80, 0x00, 0xFF },
                                   { 0x03, 0x80, 0x01, 0x00 } };
    CHECK_INT(ddb_num_decode_key(garbage[0], 1, &n), -1);
    CHECK_INT(ddb_num_decode_key(garbage[1], 1, &n), -1);
    CHECK_INT(ddb_num_decode_key(garbage[2], 1, &n), -1);
    CHECK_INT(ddb_num_decode_key(garbage[3], 4, &n), -1);   /* no digits */
    CHECK_INT(ddb_num_decode_key(garbage[4], 4, &n), -1);   /* digit byte out of range */
    CHECK_INT(ddb_num_decode_key(garbage[5], 4, &n), -1);   /* digit byte 0 in a negative */
    CHECK_INT(ddb_num_decode_key(garbage[6], 4, &n), -1);   /* leading digit zero */
    CHECK_INT(ddb_num_decode_key(garbage[0], 0, &n), -1);
    unsigned char longest[DDB_NUM_KEY_MAX];
    ddb_num_t m = num("-12345678901234567890123456789012345678");
    CHECK_INT(ddb_num_encode_key(&m, longest), DDB_NUM_KEY_MAX);

    /* memcmp order of encodings == numeric order, over many random pairs */
    int mismatches = 0;
    for (int i = 0; i < 200000 && mismatches < 5; i++) {
        ddb_num_t a = random_num(), b = random_num();
        unsigned char ea[DDB_NUM_KEY_MAX], eb[DDB_NUM_KEY_MAX];
        size_t la = ddb_num_encode_key(&a, ea), lb = ddb_num_encode_key(&b, eb);
        int want = sign_of(ddb_num_cmp(&a, &b)), got = blob_cmp(ea, la, eb, lb);
        if (want != got) {
            char ta[DDB_NUM_TEXT_MAX], tb[DDB_NUM_TEXT_MAX];
            ddb_num_format(&a, ta);
            ddb_num_format(&b, tb);
            fprintf(stderr, "    key order %s vs %s: memcmp %d, cmp %d\n", ta, tb, got, want);
            mismatches++;
        }
        ddb_num_t back;
        if (ddb_num_decode_key(ea, la, &back) != (long)la || ddb_num_cmp(&a, &back) != 0)
            mismatches++;
    }
    CHECK_INT(mismatches, 0);
}

static void test_from_int64(void)
{
    static const struct { int64_t v; const char *text; } cases[] = {
        { 0, "0" }, { 1, "1" }, { -1, "-1" }, { 1000, "1000" }, { -120, "-120" },
        { INT64_MAX, "9223372036854775807" }, { INT64_MIN, "-9223372036854775808" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ddb_num_t n, p = num(cases[i].text);
        ddb_num_from_int64(cases[i].v, &n);
        ddb_num_format(&n, s_text);
        CHECK_STR(s_text, cases[i].text);
        CHECK_INT(ddb_num_cmp(&n, &p), 0);
    }
}

int main(void)
{
    test_canonical();
    test_invalid();
    test_limits();
    test_cmp();
    test_arith();
    test_size();
    test_key();
    test_from_int64();
    return UNIT_DONE("test_num");
}
