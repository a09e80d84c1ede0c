/* test_sigv4: ddb_sigv4 against the AWS Signature Version 4 test suite (the
 * published get-vanilla, post-vanilla, header, query and normalize-path cases,
 * key AKIDEXAMPLE, 20150830T123600Z, us-east-1, service "service"), DynamoDB-
 * shaped requests as botocore signs them, header parsing and the date helpers. */
#include <stdio.h>
#include <string.h>

#include "ddb_sigv4.h"
#include "unit.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SCOPE "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
#define DATE "20150830T123600Z"
#define DYNAMODB_SIG "ed4d26ecc5b84a2e7026dbbc02c70e1fc0132f8eb32a500a6a406bb64efda3ce"

/* Signs method+uri with the given headers and body and checks the signature (and
 * the canonical request, when want_canonical is not NULL). */
static void s_case(const char *name, const char *method, const char *uri, const ddb_sigv4_header_t *headers,
                   size_t nheaders, const char *body, const char *signed_headers, const char *want_canonical,
                   const char *want_signature)
{
    char header[512];
    snprintf(header, sizeof(header), "AWS4-HMAC-SHA256 Credential=" SCOPE ", SignedHeaders=%s, Signature=%s",
             signed_headers, want_signature);
    ddb_sigv4_auth_t auth;
    char why[256] = "";
    int rc = ddb_sigv4_parse_auth(header, &auth, why, sizeof(why));
    CHECK_INT(rc, 0);
    if (rc != 0)
        return;
    ddb_sigv4_request_t req = { method, uri, headers, nheaders, body, body ? strlen(body) : 0, NULL };
    ddb_buf_t canonical = DDB_BUF_INIT, sts = DDB_BUF_INIT;
    char hex[65];
    CHECK_INT(ddb_sigv4_signature(&req, &auth, SECRET, DATE, hex, &canonical, &sts, why, sizeof(why)), 0);
    if (want_canonical)
        CHECK_STR(canonical.data, want_canonical);
    if (strcmp(hex, want_signature) != 0)
        fprintf(stderr, "case %s:\n%s\n--\n%s\n", name, canonical.data, sts.data);
    CHECK_STR(hex, want_signature);
    CHECK(ddb_sigv4_equal(auth.signature.ptr, auth.signature.len, hex, strlen(hex)));
    ddb_buf_free(&canonical);
    ddb_buf_free(&sts);
}

static const ddb_sigv4_header_t s_vanilla[] = {
    { "Host", "example.amazonaws.com" },
    { "X-Amz-Date", DATE },
};

#define VANILLA_SIG "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"

static void s_test_suite(void)
{
    s_case("get-vanilla", "GET", "/", s_vanilla, 2, NULL, "host;x-amz-date",
           "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
           VANILLA_SIG);
    s_case("post-vanilla", "POST", "/", s_vanilla, 2, NULL, "host;x-amz-date", NULL,
           "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
    s_case("get-vanilla-query-order-key-case", "GET", "/?Param2=value2&Param1=value1", s_vanilla, 2, NULL,
           "host;x-amz-date", NULL, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
    s_case("post-vanilla-query", "POST", "/?Param1=value1", s_vanilla, 2, NULL, "host;x-amz-date", NULL,
           "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11");

    static const ddb_sigv4_header_t form[] = {
        { "Content-Type", "application/x-www-form-urlencoded" },
        { "Host", "example.amazonaws.com" },
        { "X-Amz-Date", DATE },
    };
    s_case("post-x-www-form-urlencoded", "POST", "/", form, 3, "Param1=value1", "content-type;host;x-amz-date",
           NULL, "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");

    static const ddb_sigv4_header_t key_sort[] = {
        { "Host", "example.amazonaws.com" },
        { "My-Header1", "value1" },
        { "X-Amz-Date", DATE },
    };
    s_case("post-header-key-sort", "POST", "/", key_sort, 3, NULL, "host;my-header1;x-amz-date", NULL,
           "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c");

    static const ddb_sigv4_header_t trim[] = {
        { "Host", "example.amazonaws.com" },
        { "My-Header1", " value1" },
        { "My-Header2", " \"a   b   c\"" },
        { "X-Amz-Date", DATE },
    };
    s_case("get-header-value-trim", "GET", "/", trim, 4, NULL, "host;my-header1;my-header2;x-amz-date",
           "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
           "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n"
           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
           "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");

    /* normalize-path: every one of these canonicalizes to "/" */
    static const char *to_root[] = { "/example/..", "/example1/example2/../..", "//", "/./" };
    for (size_t i = 0; i < sizeof(to_root) / sizeof(to_root[0]); i++)
        s_case(to_root[i], "GET", to_root[i], s_vanilla, 2, NULL, "host;x-amz-date", NULL, VANILLA_SIG);
    s_case("get-slash-pointless-dot", "GET", "/./example", s_vanilla, 2, NULL, "host;x-amz-date", NULL,
           "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5");
    s_case("get-slashes", "GET", "//example//", s_vanilla, 2, NULL, "host;x-amz-date", NULL,
           "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84");
    s_case("get-space", "GET", "/example space/", s_vanilla, 2, NULL, "host;x-amz-date", NULL,
           "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741");
    s_case("get-utf8", "GET", "/\xe1\x88\xb4", s_vanilla, 2, NULL, "host;x-amz-date", NULL,
           "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
}

/* A DynamoDB call as botocore 1.x signs it (expected values computed with
 * botocore.auth.SigV4Auth for the same inputs). */
static void s_test_dynamodb(void)
{
    static const ddb_sigv4_header_t headers[] = {
        { "Host", "127.0.0.1:8000" },
        { "Content-Type", "application/x-amz-json-1.0" },
        { "X-Amz-Target", "DynamoDB_20120810.ListTables" },
        { "X-Amz-Date", DATE },
        { "Content-Length", "2" },
    };
    char header[512];
    snprintf(header, sizeof(header),
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/dynamodb/aws4_request, "
             "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=%s",
             DYNAMODB_SIG);
    ddb_sigv4_auth_t auth;
    char why[256];
    CHECK_INT(ddb_sigv4_parse_auth(header, &auth, why, sizeof(why)), 0);
    ddb_sigv4_request_t req = { "POST", "/", headers, 5, "{}", 2, NULL };
    char hex[65];
    CHECK_INT(ddb_sigv4_signature(&req, &auth, SECRET, DATE, hex, NULL, NULL, why, sizeof(why)), 0);
    CHECK_STR(hex, DYNAMODB_SIG);
    /* a different body, or a different secret, changes the signature */
    req.body = "{\"Limit\":1}";
    req.body_len = strlen(req.body);
    CHECK_INT(ddb_sigv4_signature(&req, &auth, SECRET, DATE, hex, NULL, NULL, why, sizeof(why)), 0);
    CHECK(strcmp(hex, DYNAMODB_SIG) != 0);
    /* X-Amz-Content-Sha256 stands for the body's hash */
    char body_hash[65];
    ddb_sigv4_sha256_hex("{}", 2, body_hash);
    req.payload_hash = body_hash;
    CHECK_INT(ddb_sigv4_signature(&req, &auth, SECRET, DATE, hex, NULL, NULL, why, sizeof(why)), 0);
    CHECK_STR(hex, DYNAMODB_SIG);
    req.payload_hash = NULL;
    req.body = "{}";
    req.body_len = 2;
    CHECK_INT(ddb_sigv4_signature(&req, &auth, "wrong", DATE, hex, NULL, NULL, why, sizeof(why)), 0);
    CHECK(strcmp(hex, DYNAMODB_SIG) != 0);
    /* a signed header the request lacks */
    req.nheaders = 3;
    CHECK_INT(ddb_sigv4_signature(&req, &auth, SECRET, DATE, hex, NULL, NULL, why, sizeof(why)), -1);
    CHECK(strstr(why, "x-amz-date") != NULL);
}

static void s_test_parse(void)
{
    ddb_sigv4_auth_t auth;
    char why[256];
    CHECK_INT(ddb_sigv4_parse_auth("AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/dynamodb/aws4_request,"
                                   "SignedHeaders=host;x-amz-date,Signature=abc",
                                   &auth, why, sizeof(why)),
              0);
    CHECK(auth.access_key.len == 4 && memcmp(auth.access_key.ptr, "AKID", 4) == 0);
    CHECK(auth.region.len == 9 && memcmp(auth.region.ptr, "eu-west-1", 9) == 0);
    CHECK(auth.service.len == 8 && memcmp(auth.service.ptr, "dynamodb", 8) == 0);
    CHECK(auth.scope.len == strlen("20240101/eu-west-1/dynamodb/aws4_request"));
    CHECK(auth.signed_headers.len == strlen("host;x-amz-date"));
    CHECK(auth.signature.len == 3);
    static const char *bad[] = {
        "",
        "AWS4-HMAC-SHA1 Credential=A/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=a",
        "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=a",
        "AWS4-HMAC-SHA256 Credential=A/20240101/us-east-1/dynamodb/aws4_request, Signature=a",
        "AWS4-HMAC-SHA256 Credential=A/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host",
        "AWS4-HMAC-SHA256 Credential=A/20240101/us-east-1/aws4_request, SignedHeaders=host, Signature=a",
        "AWS4-HMAC-SHA256 Credential=/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=a",
        "AWS4-HMAC-SHA256 Credential=A/20240101/us-east-1/dynamodb/aws4_requestX, SignedHeaders=host, Signature=a",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        CHECK_INT(ddb_sigv4_parse_auth(bad[i], &auth, why, sizeof(why)), -1);
        CHECK(why[0] != '\0');
    }
    CHECK(ddb_sigv4_equal("abc", 3, "abc", 3));
    CHECK(!ddb_sigv4_equal("abc", 3, "abd", 3));
    CHECK(!ddb_sigv4_equal("abc", 3, "abcd", 4));
}

static void s_test_dates(void)
{
    int64_t t;
    CHECK_INT(ddb_sigv4_parse_amz_date("20150830T123600Z", &t), 0);
    CHECK_INT(t, 1440938160);
    char out[17];
    ddb_sigv4_format_amz_date(t, out);
    CHECK_STR(out, "20150830T123600Z");
    ddb_sigv4_format_amz_date(951782400, out);   /* a leap day */
    CHECK_STR(out, "20000229T000000Z");
    CHECK_INT(ddb_sigv4_parse_amz_date("20000229T000000Z", &t), 0);
    CHECK_INT(t, 951782400);
    CHECK_INT(ddb_sigv4_parse_amz_date("2015-08-30T12:36:00Z", &t), -1);
    CHECK_INT(ddb_sigv4_parse_amz_date("20151330T123600Z", &t), -1);
    CHECK_INT(ddb_sigv4_parse_amz_date(NULL, &t), -1);
}

int main(void)
{
    s_test_suite();
    s_test_dynamodb();
    s_test_parse();
    s_test_dates();
    return UNIT_DONE("test_sigv4");
}
