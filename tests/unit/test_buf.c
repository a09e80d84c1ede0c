/* test_buf: the small common pieces. Arena allocation (alignment, big blocks,
 * reset, destroy), growable buffers (printf, JSON string escaping, base64, steal),
 * base64 decoding, and the DynamoDB error JSON. */
#include "ddb_arena.h"
#include "ddb_buf.h"
#include "ddb_err.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>

static void test_arena(void)
{
    ddb_arena_t *a = ddb_arena_new(1024);
    CHECK(a != NULL);
    int aligned = 1;
    char *prev = NULL;
    for (int i = 0; i < 1000; i++) {
        size_t size = (size_t)unit_rand_range(1, 200);
        char *p = ddb_arena_alloc(a, size);
        if (((uintptr_t)p & 15) != 0)
            aligned = 0;
        memset(p, 0xAB, size);   /* ASan catches an overrun here */
        if (prev == p)
            aligned = 0;
        prev = p;
    }
    CHECK(aligned);
    CHECK(a->used_total >= 1000);
    char *big = ddb_arena_alloc(a, 100000);   /* its own chunk */
    memset(big, 1, 100000);
    CHECK(((uintptr_t)big & 15) == 0);
    char *zero = ddb_arena_calloc(a, 100, 7);
    int all_zero = 1;
    for (int i = 0; i < 700; i++)
        all_zero &= zero[i] == 0;
    CHECK(all_zero);
    CHECK(ddb_arena_alloc(a, 0) != NULL);
    char *s = ddb_arena_strndup(a, "hello world", 5);
    CHECK_STR(s, "hello");
    CHECK_STR(ddb_arena_strdup(a, "copy"), "copy");
    CHECK_STR(ddb_arena_strndup(a, NULL, 0), "");
    CHECK_STR(ddb_arena_printf(a, "%d-%s-%.2f", 42, "x", 1.5), "42-x-1.50");
    char longfmt[600];
    memset(longfmt, 'y', sizeof(longfmt) - 1);
    longfmt[sizeof(longfmt) - 1] = '\0';
    CHECK_STR(ddb_arena_printf(a, "%s", longfmt), longfmt);

    ddb_arena_reset(a);
    CHECK_INT(a->used_total, 0);
    char *after = ddb_arena_alloc(a, 32);
    memset(after, 2, 32);
    CHECK(after != NULL);
    ddb_arena_destroy(&a);
    CHECK(a == NULL);
    ddb_arena_destroy(&a);   /* twice is safe */
    ddb_arena_destroy(NULL);
    ddb_arena_t *d = ddb_arena_new(0);   /* default chunk size */
    CHECK(d->chunk_size > 0);
    ddb_arena_destroy(&d);
}

static void test_buf(void)
{
    ddb_buf_t b = DDB_BUF_INIT;
    ddb_buf_clear(&b);   /* on an empty buffer */
    ddb_buf_append(&b, "ab", 2);
    ddb_buf_putc(&b, 'c');
    ddb_buf_puts(&b, "de");
    ddb_buf_printf(&b, "%d", 12);
    CHECK_STR(b.data, "abcde12");
    CHECK_INT(b.len, 7);
    char big[1000];
    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ddb_buf_printf(&b, "[%s]", big);   /* longer than the printf fast path */
    CHECK_INT(b.len, 7 + 2 + 999);
    CHECK(b.data[b.len] == '\0');
    CHECK(b.data[8] == 'q' && b.data[b.len - 1] == ']');
    ddb_buf_clear(&b);
    CHECK_INT(b.len, 0);
    CHECK_STR(b.data, "");
    ddb_buf_append(&b, NULL, 0);
    CHECK_INT(b.len, 0);

    ddb_buf_json_str(&b, "plain \xc3\xa9\xf0\x9f\x98\x80", 12);
    CHECK_STR(b.data, "\"plain \xc3\xa9\xf0\x9f\x98\x80\"");
    ddb_buf_clear(&b);
    ddb_buf_json_str(&b, "q\"b\\n\nr\rt\tb\bf\f\x01\x1f" "end", 19);
    CHECK_STR(b.data, "\"q\\\"b\\\\n\\nr\\rt\\tb\\bf\\f\\u0001\\u001fend\"");
    ddb_buf_clear(&b);
    ddb_buf_json_str(&b, "a\0b", 3);   /* embedded NUL is escaped, not a terminator */
    CHECK_STR(b.data, "\"a\\u0000b\"");
    ddb_buf_clear(&b);
    ddb_buf_json_str(&b, "", 0);
    CHECK_STR(b.data, "\"\"");

    static const struct { const char *raw, *b64; } vectors[] = {
        { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
    };
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        ddb_buf_clear(&b);
        ddb_buf_base64(&b, (const unsigned char *)vectors[i].raw, strlen(vectors[i].raw));
        CHECK_STR(b.data, vectors[i].b64);
        unsigned char out[16];
        long n = ddb_base64_decode(vectors[i].b64, strlen(vectors[i].b64), out);
        CHECK_INT(n, strlen(vectors[i].raw));
        CHECK(n >= 0 && memcmp(out, vectors[i].raw, (size_t)n) == 0);
    }
    ddb_buf_clear(&b);
    ddb_buf_base64(&b, (const unsigned char *)"\x00\xff\xfe", 3);
    CHECK_STR(b.data, "AP/+");
    unsigned char out[64];
    CHECK_INT(ddb_base64_decode("Zm8", 3, out), 2);    /* padding optional */
    CHECK_INT(ddb_base64_decode("Zg", 2, out), 1);
    CHECK_INT(ddb_base64_decode("Z", 1, out), -1);     /* impossible length */
    CHECK_INT(ddb_base64_decode("Zm9v!A==", 8, out), -1);
    CHECK_INT(ddb_base64_decode("Zm 9v", 5, out), -1);

    /* all 256 byte values round trip */
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    ddb_buf_clear(&b);
    ddb_buf_base64(&b, all, sizeof(all));
    CHECK_INT(b.len, 344);
    unsigned char *back = malloc(b.len);
    CHECK_INT(ddb_base64_decode(b.data, b.len, back), 256);
    CHECK(memcmp(back, all, 256) == 0);
    free(back);

    size_t len = 0;
    char *stolen = ddb_buf_steal(&b, &len);
    CHECK_INT(len, 344);
    CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
    free(stolen);
    ddb_buf_free(&b);
    ddb_buf_free(&b);
    ddb_buf_init(&b);
    CHECK(b.data == NULL);
}

static void test_err(void)
{
    ddb_err_t err = DDB_ERR_INIT;
    CHECK_INT(err.kind, DDB_OK);
    CHECK_INT(ddb_err_set(&err, DDB_ERR_VALIDATION, "bad %s %d", "thing", 3), -1);
    CHECK_INT(err.kind, DDB_ERR_VALIDATION);
    CHECK_STR(err.message, "bad thing 3");
    CHECK_INT(ddb_err_set(NULL, DDB_ERR_VALIDATION, "ignored"), -1);
    CHECK_STR(ddb_err_name(DDB_ERR_VALIDATION), "ValidationException");
    CHECK_STR(ddb_err_type(DDB_ERR_VALIDATION), "com.amazon.coral.validate#ValidationException");
    CHECK_STR(ddb_err_name(DDB_ERR_RESOURCE_NOT_FOUND), "ResourceNotFoundException");
    CHECK_STR(ddb_err_name(DDB_ERR_SERIALIZATION), "SerializationException");
    CHECK_INT(ddb_err_http_status(DDB_ERR_VALIDATION), 400);
    CHECK_INT(ddb_err_http_status(DDB_ERR_INTERNAL), 500);
    CHECK_INT(ddb_err_http_status(DDB_ERR_SERVICE_UNAVAILABLE), 503);
    CHECK_INT(ddb_err_http_status(DDB_ERR__COUNT), 500);
    for (int k = DDB_ERR_VALIDATION; k < DDB_ERR__COUNT; k++)
        CHECK(strchr(ddb_err_type((ddb_err_kind_t)k), '#') != NULL);

    ddb_buf_t out = DDB_BUF_INIT;
    ddb_err_to_json(&err, &out);
    CHECK_STR(out.data, "{\"__type\":\"com.amazon.coral.validate#ValidationException\",\"message\":\"bad thing 3\"}");
    ddb_buf_clear(&out);
    ddb_err_set(&err, DDB_ERR_SERIALIZATION, "quote \" here");
    ddb_err_to_json(&err, &out);
    CHECK_STR(out.data, "{\"__type\":\"com.amazon.coral.service#SerializationException\",\"Message\":\"quote \\\" here\"}");
    ddb_buf_clear(&out);
    ddb_err_set(&err, DDB_ERR_CONDITIONAL_CHECK_FAILED, "The conditional request failed");
    err.extra_json = strdup("\"Item\":{\"a\":{\"S\":\"b\"}}");
    ddb_err_to_json(&err, &out);
    CHECK_STR(out.data, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\","
                        "\"message\":\"The conditional request failed\",\"Item\":{\"a\":{\"S\":\"b\"}}}");
    ddb_err_clear(&err);   /* frees extra_json */
    CHECK(err.extra_json == NULL);
    CHECK_INT(err.kind, DDB_OK);
    CHECK_STR(err.message, "");
    ddb_buf_clear(&out);
    err.kind = DDB_ERR_INTERNAL;
    ddb_err_to_json(&err, &out);   /* no message: no message member */
    CHECK_STR(out.data, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#InternalServerError\"}");
    /* a message longer than the buffer is truncated, not overrun */
    char longmsg[3000];
    memset(longmsg, 'm', sizeof(longmsg) - 1);
    longmsg[sizeof(longmsg) - 1] = '\0';
    ddb_err_set(&err, DDB_ERR_VALIDATION, "%s", longmsg);
    CHECK_INT(strlen(err.message), sizeof(err.message) - 1);
    ddb_buf_free(&out);
}

int main(void)
{
    test_arena();
    test_buf();
    test_err();
    return UNIT_DONE("test_buf");
}
