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

/* One case of the AWS Signature Version 4 test suite: the request, and what the
 * suite publishes for it (canonical request and string to sign when the suite
 * has them, NULL otherwise; the signature always). */
typedef struct s_vector {
    const char *name;
    const char *method;
    const char *uri;
    const ddb_sigv4_header_t *headers;
    size_t nheaders;
    const char *body;
    const char *signed_headers;
    const char *want_canonical;
    const char *want_sts;
    const char *want_signature;
} s_vector_t;

/* Signs v and checks the canonical request, the string to sign and the signature
 * against the published ones. */
static void s_check_vector(const s_vector_t *v)
{
    char header[512];
    snprintf(header, sizeof(header), "AWS4-HMAC-SHA256 Credential=" SCOPE ", SignedHeaders=%s, Signature=%s",
             v->signed_headers, v->want_signature);
    ddb_sigv4_auth_t auth;
    char why[256] = "";
    int rc = ddb_sigv4_parse_auth(header, &auth, why, sizeof(why));
    CHECK_INT(rc, 0);
    if (rc != 0)
        return;
    ddb_sigv4_request_t req = { v->method, v->uri, v->headers, v->nheaders, v->body, v->body ? strlen(v->body) : 0,
                                NULL };
    ddb_buf_t canonical = DDB_BUF_INIT, sts = DDB_BUF_INIT;
    char hex[65] = "";
    CHECK_INT(ddb_sigv4_signature(&req, &auth, SECRET, DATE, hex, &canonical, &sts, why, sizeof(why)), 0);
    if (strcmp(hex, v->want_signature) != 0)
        fprintf(stderr, "case %s:\n%s\n--\n%s\n", v->name, canonical.data, sts.data);
    if (v->want_canonical)
        CHECK_STR(canonical.data, v->want_canonical);
    if (v->want_sts)
        CHECK_STR(sts.data, v->want_sts);
    CHECK_STR(hex, v->want_signature);
    CHECK(ddb_sigv4_equal(auth.signature.ptr, auth.signature.len, hex, strlen(hex)));
    ddb_buf_free(&canonical);
    ddb_buf_free(&sts);
}

#define H_HOST { "Host", "example.amazonaws.com" }
#define H_DATE { "X-Amz-Date", DATE }
#define STS(hash) "AWS4-HMAC-SHA256\n" DATE "\n20150830/us-east-1/service/aws4_request\n" hash
#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define FORM_SHA "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"   /* "Param1=value1" */
#define UNRESERVED "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#define STS_TOKEN                                                                                                   \
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8Y" \
    "UuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE" \
    "8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2" \
    "ICCR/oLxBA=="

#define VANILLA_SIG "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
#define POST_VANILLA_SIG "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"

/* The published AWS SigV4 test suite ("aws-sig-v4-test-suite", credential scope
 * AKIDEXAMPLE/20150830/us-east-1/service/aws4_request). Every expected value was
 * checked against bazelbuild/bazel third_party/aws-sig-v4-test-suite/<case>/<case>.
 * {req,creq,sts,authz,sreq} (normalize-path cases under normalize-path/), and the
 * signatures also against the AWS SDK for JavaScript v3's fixture of the same
 * suite (@aws-sdk/signature-v4 src/suite.fixture.ts). The string to sign of
 * get-vanilla-query-order-key-case is the one the suite's README walks through.
 * Left out: the suite's cases whose request line cannot reach a verifier as
 * written (raw spaces or '#' in a query, obs-folded header lines, which libevent
 * unfolds with spaces before we see them). */
static const ddb_sigv4_header_t s_vanilla[] = { H_HOST, H_DATE };
static const ddb_sigv4_header_t s_form[] = { { "Content-Type", "application/x-www-form-urlencoded" }, H_HOST, H_DATE };
static const ddb_sigv4_header_t s_form_charset[] = {
    { "Content-Type", "application/x-www-form-urlencoded; charset=utf8" }, H_HOST, H_DATE
};
static const ddb_sigv4_header_t s_key_sort[] = { H_HOST, { "My-Header1", "value1" }, H_DATE };
static const ddb_sigv4_header_t s_value_case[] = { H_HOST, { "My-Header1", "VALUE1" }, H_DATE };
static const ddb_sigv4_header_t s_key_case[] = { { "HOST", "example.amazonaws.com" }, { "x-AMZ-date", DATE } };
static const ddb_sigv4_header_t s_trim[] = {
    H_HOST, { "My-Header1", " value1" }, { "My-Header2", " \"a   b   c\"" }, H_DATE
};
static const ddb_sigv4_header_t s_duplicate[] = {
    H_HOST, { "My-Header1", "value2" }, { "My-Header1", "value2" }, { "My-Header1", "value1" }, H_DATE
};
static const ddb_sigv4_header_t s_value_order[] = {
    H_HOST, { "My-Header1", "value4" }, { "My-Header1", "value1" }, { "My-Header1", "value3" },
    { "My-Header1", "value2" }, H_DATE
};
static const ddb_sigv4_header_t s_multiline[] = { H_HOST, { "My-Header1", "value1,value2,value3" }, H_DATE };
static const ddb_sigv4_header_t s_sts_before[] = { H_HOST, H_DATE, { "X-Amz-Security-Token", STS_TOKEN } };

static const s_vector_t s_vectors[] = {
    { "get-vanilla", "GET", "/", s_vanilla, 2, NULL, "host;x-amz-date",
      "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:" DATE "\n\nhost;x-amz-date\n" EMPTY_SHA, NULL,
      VANILLA_SIG },
    { "post-vanilla", "POST", "/", s_vanilla, 2, NULL, "host;x-amz-date",
      "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:" DATE "\n\nhost;x-amz-date\n" EMPTY_SHA, NULL,
      POST_VANILLA_SIG },
    { "post-vanilla-query", "POST", "/?Param1=value1", s_vanilla, 2, NULL, "host;x-amz-date", NULL, NULL,
      "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11" },
    { "post-vanilla-empty-query-value", "POST", "/?Param1=value1", s_vanilla, 2, NULL, "host;x-amz-date", NULL,
      NULL, "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11" },
    { "post-x-www-form-urlencoded", "POST", "/", s_form, 3, "Param1=value1", "content-type;host;x-amz-date",
      "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-date:" DATE
      "\n\ncontent-type;host;x-amz-date\n" FORM_SHA,
      STS("42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281"),
      "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a" },
    { "post-x-www-form-urlencoded-parameters", "POST", "/", s_form_charset, 3, "Param1=value1",
      "content-type;host;x-amz-date",
      "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; charset=utf8\nhost:example.amazonaws.com\n"
      "x-amz-date:" DATE "\n\ncontent-type;host;x-amz-date\n" FORM_SHA,
      STS("2e1cf7ed91881a30569e46552437e4156c823447bf1781b921b5d486c568dd1c"),
      "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe" },
    { "post-header-key-case", "POST", "/", s_key_case, 2, NULL, "host;x-amz-date", NULL, NULL, POST_VANILLA_SIG },
    { "post-header-key-sort", "POST", "/", s_key_sort, 3, NULL, "host;my-header1;x-amz-date", NULL, NULL,
      "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c" },
    { "post-header-value-case", "POST", "/", s_value_case, 3, NULL, "host;my-header1;x-amz-date", NULL, NULL,
      "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d" },
    { "post-sts-header-before", "POST", "/", s_sts_before, 3, NULL, "host;x-amz-date;x-amz-security-token", NULL,
      NULL, "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead" },
    /* post-sts-header-after: the token is added after signing, so it is not signed */
    { "post-sts-header-after", "POST", "/", s_sts_before, 3, NULL, "host;x-amz-date", NULL, NULL,
      POST_VANILLA_SIG },
    { "get-header-value-trim", "GET", "/", s_trim, 4, NULL, "host;my-header1;my-header2;x-amz-date",
      "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:" DATE
      "\n\nhost;my-header1;my-header2;x-amz-date\n" EMPTY_SHA,
      NULL, "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736" },
    { "get-header-key-duplicate", "GET", "/", s_duplicate, 5, NULL, "host;my-header1;x-amz-date", NULL, NULL,
      "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea" },
    { "get-header-value-order", "GET", "/", s_value_order, 6, NULL, "host;my-header1;x-amz-date", NULL, NULL,
      "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01" },
    { "get-header-value-multiline (as unfolded by the suite)", "GET", "/", s_multiline, 3, NULL,
      "host;my-header1;x-amz-date",
      "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1,value2,value3\nx-amz-date:" DATE
      "\n\nhost;my-header1;x-amz-date\n" EMPTY_SHA,
      STS("b7b6cbfd8a0430b78891e986784da2630c8a135a8595cec25b26ea94f926ee55"),
      "ba17b383a53190154eb5fa66a1b836cc297cc0a3d70a5d00705980573d8ff790" },
    { "get-vanilla-query-order-key-case", "GET", "/?Param2=value2&Param1=value1", s_vanilla, 2, NULL,
      "host;x-amz-date",
      "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:" DATE
      "\n\nhost;x-amz-date\n" EMPTY_SHA,
      STS("816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0"),
      "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },
    { "get-vanilla-query-order-key", "GET", "/?Param1=value2&Param1=Value1", s_vanilla, 2, NULL, "host;x-amz-date",
      "GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:" DATE
      "\n\nhost;x-amz-date\n" EMPTY_SHA,
      STS("704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89"),
      "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1" },
    { "get-vanilla-query-order-value", "GET", "/?Param1=value2&Param1=value1", s_vanilla, 2, NULL,
      "host;x-amz-date",
      "GET\n/\nParam1=value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:" DATE
      "\n\nhost;x-amz-date\n" EMPTY_SHA,
      STS("c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606"),
      "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694" },
    { "get-vanilla-empty-query-key", "GET", "/?Param1=value1", s_vanilla, 2, NULL, "host;x-amz-date", NULL, NULL,
      "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb" },
    { "get-vanilla-query-unreserved", "GET", "/?" UNRESERVED "=" UNRESERVED, s_vanilla, 2, NULL, "host;x-amz-date",
      NULL, NULL, "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197" },
    { "get-vanilla-utf8-query", "GET", "/?\xe1\x88\xb4=bar", s_vanilla, 2, NULL, "host;x-amz-date", NULL, NULL,
      "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04" },
    { "get-unreserved", "GET", "/" UNRESERVED, s_vanilla, 2, NULL, "host;x-amz-date", NULL, NULL,
      "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f" },
    { "get-utf8", "GET", "/\xe1\x88\xb4", s_vanilla, 2, NULL, "host;x-amz-date", NULL, NULL,
      "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85" },
    /* normalize-path/ */
    { "get-relative", "GET", "/example/..", s_vanilla, 2, NULL, "host;x-amz-date", NULL, NULL, VANILLA_SIG },
    { "get-relative-relative", "GET", "/example1/example2/../..", s_vanilla, 2, NULL, "host;x-amz-date", NULL, NULL,
      VANILLA_SIG },
    { "get-slash", "GET", "//", s_vanilla, 2, NULL, "host;x-amz-date", NULL, NULL, VANILLA_SIG },
    { "get-slash-dot-slash", "GET", "/./", s_vanilla, 2, NULL, "host;x-amz-date", NULL, NULL, VANILLA_SIG },
    { "get-slash-pointless-dot", "GET", "/./example", s_vanilla, 2, NULL, "host;x-amz-date", NULL, NULL,
      "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5" },
    { "get-slashes", "GET", "//example//", s_vanilla, 2, NULL, "host;x-amz-date", NULL, NULL,
      "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84" },
    { "get-space", "GET", "/example space/", s_vanilla, 2, NULL, "host;x-amz-date", NULL, NULL,
      "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741" },
};

static void s_test_suite(void)
{
    size_t n = sizeof(s_vectors) / sizeof(s_vectors[0]);
    CHECK(n >= 30);
    for (size_t i = 0; i < n; i++)
        s_check_vector(&s_vectors[i]);
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
    CHECK(ddb_sigv4_signs_header(&auth, "host"));
    CHECK(ddb_sigv4_signs_header(&auth, "X-Amz-Date"));
    CHECK(!ddb_sigv4_signs_header(&auth, "x-amz-target"));
    CHECK(!ddb_sigv4_signs_header(&auth, "hos"));
    CHECK(!ddb_sigv4_signs_header(&auth, "x-amz-dat"));
    CHECK_INT(ddb_sigv4_parse_auth("AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/dynamodb/aws4_request, "
                                   "SignedHeaders=content-type;x-amz-date;x-amz-target, Signature=abc",
                                   &auth, why, sizeof(why)),
              0);
    CHECK(!ddb_sigv4_signs_header(&auth, "host"));
    CHECK(ddb_sigv4_signs_header(&auth, "content-type"));
    CHECK(ddb_sigv4_signs_header(&auth, "x-amz-target"));
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
