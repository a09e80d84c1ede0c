/* test_key: key encoding. S, B and N keys encode and decode back unchanged, the
 * memcmp order of encodings is the service's key order (bytes for S and B,
 * numeric for N), malformed encodings and non-key types are refused. */
#include "ddb_key.h"
#include "unit.h"

#include <stdlib.h>

static ddb_arena_t *s_arena;

static ddb_value_t *num_value(const char *text)
{
    ddb_num_t n;
    ddb_err_t err = DDB_ERR_INIT;
    if (ddb_num_parse(text, strlen(text), &n, &err) != 0)
        abort();
    return ddb_value_new_num(s_arena, &n);
}

/* SQLite's BLOB order: memcmp, then the shorter first. */
static int blob_cmp(const ddb_buf_t *a, const ddb_buf_t *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->data, b->data, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return (a->len > b->len) - (a->len < b->len);
}

static void encode(const ddb_value_t *v, ddb_buf_t *out)
{
    ddb_err_t err = DDB_ERR_INIT;
    ddb_buf_clear(out);
    if (ddb_key_encode(v, out, &err) != 0)
        abort();
}

static void test_round_trip(void)
{
    ddb_buf_t enc = DDB_BUF_INIT;
    static const char *strings[] = { "a", "", "hello world", "\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80", "a\"b\\c" };
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        ddb_value_t *v = ddb_value_new_str(s_arena, DDB_T_S, strings[i], strlen(strings[i]));
        encode(v, &enc);
        CHECK_INT(enc.len, strlen(strings[i]));   /* raw bytes, nothing added */
        ddb_value_t *back = ddb_key_decode(DDB_T_S, (const unsigned char *)enc.data, enc.len, s_arena);
        CHECK(back && back->type == DDB_T_S && ddb_value_equal(v, back));
        CHECK(back && back->u.str.ptr[back->u.str.len] == '\0');
    }
    ddb_value_t *bin = ddb_value_new_str(s_arena, DDB_T_B, "\x00\x01\x00\xff", 4);
    encode(bin, &enc);
    CHECK_INT(enc.len, 4);
    CHECK(memcmp(enc.data, "\x00\x01\x00\xff", 4) == 0);
    ddb_value_t *back = ddb_key_decode(DDB_T_B, (const unsigned char *)enc.data, enc.len, s_arena);
    CHECK(back && back->type == DDB_T_B && ddb_value_equal(bin, back));

    static const char *numbers[] = { "0", "1", "-1", "27", "-0.5", "1e125", "-1e-130", "123.456",
                                     "12345678901234567890123456789012345678", "1E-130", "100" };
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        ddb_value_t *v = num_value(numbers[i]);
        encode(v, &enc);
        CHECK(enc.len >= 1 && enc.len <= DDB_NUM_KEY_MAX);
        back = ddb_key_decode(DDB_T_N, (const unsigned char *)enc.data, enc.len, s_arena);
        CHECK(back && back->type == DDB_T_N && ddb_value_equal(v, back));
        CHECK(back && strcmp(back->u.str.ptr, v->u.str.ptr) == 0);   /* canonical text back */
    }
    ddb_buf_free(&enc);
}

static void test_refused(void)
{
    ddb_buf_t enc = DDB_BUF_INIT;
    ddb_err_t err = DDB_ERR_INIT;
    ddb_value_t *not_keys[] = {
        ddb_value_new_bool(s_arena, true), ddb_value_new_null(s_arena), ddb_value_new_map(s_arena, 0), NULL,
    };
    for (size_t i = 0; i < sizeof(not_keys) / sizeof(not_keys[0]); i++) {
        ddb_err_clear(&err);
        CHECK_INT(ddb_key_encode(not_keys[i], &enc, &err), -1);
        CHECK_INT(err.kind, DDB_ERR_VALIDATION);
        CHECK_STR(err.message, "The provided key element does not match the schema");
    }
    CHECK_INT(enc.len, 0);
    /* an N value whose text is not a number */
    ddb_value_t *bad = ddb_value_new_str(s_arena, DDB_T_N, "abc", 3);
    ddb_err_clear(&err);
    CHECK_INT(ddb_key_encode(bad, &enc, &err), -1);
    CHECK_STR(err.message, "The parameter cannot be converted to a numeric value: abc");

    /* decoding: malformed numbers, trailing bytes, non-key types */
    CHECK(ddb_key_decode(DDB_T_N, (const unsigned char *)"", 0, s_arena) == NULL);
    CHECK(ddb_key_decode(DDB_T_N, (const unsigned char *)"\x07", 1, s_arena) == NULL);
    CHECK(ddb_key_decode(DDB_T_N, (const unsigned char *)"\x02\x02", 2, s_arena) == NULL);
    CHECK(ddb_key_decode(DDB_T_N, (const unsigned char *)"\x03\x81\x02", 3, s_arena) == NULL);
    CHECK(ddb_key_decode(DDB_T_N, (const unsigned char *)"\x03\x81\x0b\x00", 4, s_arena) != NULL);   /* 0.1 */
    CHECK(ddb_key_decode(DDB_T_BOOL, (const unsigned char *)"\x01", 1, s_arena) == NULL);
    CHECK(ddb_key_decode(DDB_T_M, (const unsigned char *)"", 0, s_arena) == NULL);
    ddb_err_clear(&err);
    ddb_buf_free(&enc);
}

static void random_string(char *out, size_t *len)
{
    /* short strings over a small alphabet (with high bytes) so prefixes collide */
    static const char alphabet[] = { 'a', 'b', 'z', '\x01', '\x7f', '\xc3', '\xe6' };
    *len = (size_t)unit_rand_range(0, 5);
    for (size_t i = 0; i < *len; i++)
        out[i] = alphabet[unit_rand() % sizeof(alphabet)];
    out[*len] = '\0';
}

static int sign_of(int v)
{
    return (v > 0) - (v < 0);
}

static void test_order(void)
{
    ddb_buf_t ea = DDB_BUF_INIT, eb = DDB_BUF_INIT;
    int bad = 0;
    /* S and B: unsigned byte order, shorter prefix first */
    for (int i = 0; i < 20000 && bad < 5; i++) {
        char a[8], b[8];
        size_t la, lb;
        random_string(a, &la);
        random_string(b, &lb);
        ddb_type_t t = unit_rand() & 1 ? DDB_T_S : DDB_T_B;
        encode(ddb_value_new_str(s_arena, t, a, la), &ea);
        encode(ddb_value_new_str(s_arena, t, b, lb), &eb);
        size_t n = la < lb ? la : lb;
        int want = memcmp(a, b, n);
        want = want ? sign_of(want) : (la > lb) - (la < lb);
        if (blob_cmp(&ea, &eb) != want)
            bad++;
        if (i % 1000 == 999)
            ddb_arena_reset(s_arena);
    }
    CHECK_INT(bad, 0);

    /* N: numeric order for a sorted list and for random pairs */
    static const char *ascending[] = { "-1e125", "-100", "-99.5", "-10", "-1.01", "-1", "-0.1", "-1e-130", "0",
                                       "1e-130", "0.1", "1", "1.01", "1.1", "10", "99.5", "100", "1e125" };
    size_t n = sizeof(ascending) / sizeof(ascending[0]);
    for (size_t i = 0; i + 1 < n; i++) {
        encode(num_value(ascending[i]), &ea);
        encode(num_value(ascending[i + 1]), &eb);
        CHECK_INT(blob_cmp(&ea, &eb), -1);
    }
    ddb_arena_reset(s_arena);
    for (int i = 0; i < 50000 && bad < 5; i++) {
        char ta[48], tb[48];
        snprintf(ta, sizeof(ta), "%llde%d", unit_rand_range(-2000, 2000), (int)unit_rand_range(-5, 5));
        snprintf(tb, sizeof(tb), "%llde%d", unit_rand_range(-2000, 2000), (int)unit_rand_range(-5, 5));
        ddb_value_t *va = num_value(ta), *vb = num_value(tb);
        ddb_num_t na, nb;
        ddb_value_get_num(va, &na, NULL);
        ddb_value_get_num(vb, &nb, NULL);
        encode(va, &ea);
        encode(vb, &eb);
        if (blob_cmp(&ea, &eb) != sign_of(ddb_num_cmp(&na, &nb))) {
            fprintf(stderr, "    order %s vs %s\n", ta, tb);
            bad++;
        }
        if (i % 1000 == 999)
            ddb_arena_reset(s_arena);
    }
    CHECK_INT(bad, 0);
    ddb_buf_free(&ea);
    ddb_buf_free(&eb);
}

int main(void)
{
    s_arena = ddb_arena_new(0);
    test_round_trip();
    test_refused();
    test_order();
    ddb_arena_destroy(&s_arena);
    return UNIT_DONE("test_key");
}
