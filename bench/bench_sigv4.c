/* bench_sigv4: request heads with SigV4-shaped (or real SigV4) authorization; the
 * canonical request signs content-length, content-type, host, x-amz-date and
 * x-amz-target, as the AWS SDKs do for DynamoDB. */
#include "bench_sigv4.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#define S_SIGNED_HEADERS "content-length;content-type;host;x-amz-date;x-amz-target"
#define S_CONTENT_TYPE "application/x-amz-json-1.0"

void bench_sigv4_init(bench_sigv4_t *s, const char *access_key, const char *secret_key, int sign)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->access_key, sizeof(s->access_key), "%s", access_key);
    snprintf(s->secret_key, sizeof(s->secret_key), "%s", secret_key);
    s->sign = sign;
}

static void s_refresh_date(bench_sigv4_t *s)
{
    time_t now = time(NULL);
    if (now == s->second && s->amz_date[0])
        return;
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(s->amz_date, sizeof(s->amz_date), "%Y%m%dT%H%M%SZ", &tm);
    memcpy(s->date, s->amz_date, 8);
    s->date[8] = '\0';
    s->second = now;
}

static void s_hex(const unsigned char *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

static void s_hmac(const unsigned char *key, size_t key_len, const char *msg, size_t msg_len, unsigned char out[32])
{
    unsigned int out_len = 32;
    HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, msg_len, out, &out_len);
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), "dynamodb"), "aws4_request"),
 * cached until the date or region changes. */
static const unsigned char *s_signing_key(bench_sigv4_t *s, const char *region)
{
    if (strcmp(s->key_date, s->date) == 0 && strcmp(s->key_region, region) == 0)
        return s->signing_key;
    char secret[160];
    int n = snprintf(secret, sizeof(secret), "AWS4%s", s->secret_key);
    unsigned char k[32];
    s_hmac((const unsigned char *)secret, (size_t)n, s->date, strlen(s->date), k);
    s_hmac(k, 32, region, strlen(region), k);
    s_hmac(k, 32, "dynamodb", 8, k);
    s_hmac(k, 32, "aws4_request", 12, s->signing_key);
    snprintf(s->key_date, sizeof(s->key_date), "%s", s->date);
    snprintf(s->key_region, sizeof(s->key_region), "%s", region);
    return s->signing_key;
}

static void s_real_signature(bench_sigv4_t *s, const char *host, const char *region, const char *target,
                             const char *body, size_t body_len, char sig[65])
{
    unsigned char digest[32];
    char body_hex[65], canon_hex[65];
    char canon[1024], to_sign[512];
    SHA256((const unsigned char *)body, body_len, digest);
    s_hex(digest, 32, body_hex);
    int n = snprintf(canon, sizeof(canon),
                     "POST\n/\n\ncontent-length:%zu\ncontent-type:" S_CONTENT_TYPE
                     "\nhost:%s\nx-amz-date:%s\nx-amz-target:%s\n\n" S_SIGNED_HEADERS "\n%s",
                     body_len, host, s->amz_date, target, body_hex);
    SHA256((const unsigned char *)canon, (size_t)n, digest);
    s_hex(digest, 32, canon_hex);
    n = snprintf(to_sign, sizeof(to_sign), "AWS4-HMAC-SHA256\n%s\n%s/%s/dynamodb/aws4_request\n%s", s->amz_date,
                 s->date, region, canon_hex);
    s_hmac(s_signing_key(s, region), 32, to_sign, (size_t)n, digest);
    s_hex(digest, 32, sig);
}

/* The shape of a signature without its cost: FNV-1a of the body, stretched. */
static void s_unsigned_signature(const char *body, size_t body_len, char sig[65])
{
    uint64_t h = UINT64_C(0xCBF29CE484222325);
    for (size_t i = 0; i < body_len; i++) {
        h ^= (unsigned char)body[i];
        h *= UINT64_C(0x100000001B3);
    }
    for (int i = 0; i < 4; i++) {
        h ^= h >> 33;
        h *= UINT64_C(0xFF51AFD7ED558CCD);
        snprintf(sig + 16 * i, 17, "%016llx", (unsigned long long)h);
    }
}

void bench_sigv4_head(bench_sigv4_t *s, bench_buf_t *head, const char *host, const char *region, const char *op,
                      const char *body, size_t body_len)
{
    char target[96], sig[65];
    s_refresh_date(s);
    snprintf(target, sizeof(target), "DynamoDB_20120810.%s", op);
    if (s->sign)
        s_real_signature(s, host, region, target, body, body_len, sig);
    else
        s_unsigned_signature(body, body_len, sig);
    bench_buf_clear(head);
    bench_buf_printf(head,
                     "POST / HTTP/1.1\r\n"
                     "Host: %s\r\n"
                     "Content-Type: " S_CONTENT_TYPE "\r\n"
                     "Content-Length: %zu\r\n"
                     "X-Amz-Target: %s\r\n"
                     "X-Amz-Date: %s\r\n"
                     "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s/%s/dynamodb/aws4_request, "
                     "SignedHeaders=" S_SIGNED_HEADERS ", Signature=%s\r\n"
                     "User-Agent: meridian-bench/1.0\r\n"
                     "\r\n",
                     host, body_len, target, s->amz_date, s->access_key, s->date, region, sig);
}
