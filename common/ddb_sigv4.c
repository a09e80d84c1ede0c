/* ddb_sigv4: verifies AWS Signature Version 4 the way the service does for a
 * header-signed request: canonical request (normalized URI, sorted and re-encoded
 * query, the signed headers with trimmed values, payload hash), string to sign,
 * HMAC-SHA256 key chain. libcrypto does the hashing. */
#include "ddb_sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#define S_MAX_SEGMENTS 256
#define S_MAX_QUERY_PARAMS 128

static void s_hex(const uint8_t *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

static void s_hmac(const uint8_t *key, size_t key_len, const void *data, size_t len, uint8_t out[32])
{
    unsigned int out_len = 32;
    HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &out_len);
}

void ddb_sigv4_sha256_hex(const void *data, size_t len, char hex[65])
{
    uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256(data ? data : (const void *)"", len, digest);
    s_hex(digest, sizeof(digest), hex);
}

/* The slice between p and end after "name=", up to the next ',' (trimmed). */
static int s_auth_field(const char *header, const char *name, ddb_sigv4_str_t *out)
{
    size_t name_len = strlen(name);
    for (const char *p = header; (p = strstr(p, name)) != NULL; p += name_len) {
        char before = p == header ? ' ' : p[-1];
        if (before != ' ' && before != ',' && before != '\t')
            continue;
        const char *v = p + name_len;
        size_t n = strcspn(v, ", \t");
        out->ptr = v;
        out->len = n;
        return 0;
    }
    return -1;
}

int ddb_sigv4_parse_auth(const char *header, ddb_sigv4_auth_t *auth, char *why, size_t why_size)
{
    memset(auth, 0, sizeof(*auth));
    size_t alg_len = sizeof(DDB_SIGV4_ALGORITHM) - 1;
    if (strncmp(header, DDB_SIGV4_ALGORITHM, alg_len) != 0 || (header[alg_len] != ' ' && header[alg_len] != '\t')) {
        snprintf(why, why_size, "Authorization header requires the '%s' algorithm.", DDB_SIGV4_ALGORITHM);
        return -1;
    }
    const char *rest = header + alg_len;
    ddb_sigv4_str_t credential;
    const char *missing = NULL;
    if (s_auth_field(rest, "Credential=", &credential) != 0)
        missing = "Credential";
    else if (s_auth_field(rest, "SignedHeaders=", &auth->signed_headers) != 0)
        missing = "SignedHeaders";
    else if (s_auth_field(rest, "Signature=", &auth->signature) != 0)
        missing = "Signature";
    if (missing) {
        snprintf(why, why_size, "Authorization header requires '%s' parameter. Authorization=%.200s", missing, header);
        return -1;
    }
    /* AKID/DATE/REGION/SERVICE/aws4_request */
    ddb_sigv4_str_t parts[5];
    const char *p = credential.ptr, *end = credential.ptr + credential.len;
    int n = 0;
    while (n < 5) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *stop = slash ? slash : end;
        parts[n].ptr = p;
        parts[n].len = (size_t)(stop - p);
        n++;
        if (!slash)
            break;
        p = slash + 1;
    }
    if (n != 5 || p + parts[4].len != end || parts[4].len != 12 || memcmp(parts[4].ptr, "aws4_request", 12) != 0 ||
        parts[0].len == 0) {
        snprintf(why, why_size, "Credential should be scoped to a valid region, not '%.*s'. Authorization=%.200s",
                 n >= 3 ? (int)(parts[2].len > 64 ? 64 : parts[2].len) : 0, n >= 3 ? parts[2].ptr : "", header);
        return -1;
    }
    auth->access_key = parts[0];
    auth->scope_date = parts[1];
    auth->region = parts[2];
    auth->service = parts[3];
    auth->scope.ptr = parts[1].ptr;
    auth->scope.len = (size_t)(end - parts[1].ptr);
    return 0;
}

int ddb_sigv4_signs_header(const ddb_sigv4_auth_t *auth, const char *name)
{
    size_t name_len = strlen(name);
    const char *p = auth->signed_headers.ptr, *end = p + auth->signed_headers.len;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *stop = semi ? semi : end;
        if ((size_t)(stop - p) == name_len && strncasecmp(p, name, name_len) == 0)
            return 1;
        p = stop + 1;
    }
    return 0;
}

static int s_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~';
}

static void s_encode(ddb_buf_t *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (s_unreserved(c))
            ddb_buf_putc(out, (char)c);
        else
            ddb_buf_printf(out, "%%%02X", c);
    }
}

static int s_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Appends s percent-decoded ('+' stays '+', as the service reads it) to out. */
static void s_decode(ddb_buf_t *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < len && (hi = s_hexval(s[i + 1])) >= 0 && (lo = s_hexval(s[i + 2])) >= 0) {
            ddb_buf_putc(out, (char)(hi * 16 + lo));
            i += 2;
        } else {
            ddb_buf_putc(out, s[i]);
        }
    }
}

/* The canonical URI: dot segments and empty segments removed, each segment
 * URI-encoded (a service other than S3 encodes the path as sent once more). */
static void s_canonical_uri(ddb_buf_t *out, const char *path, size_t len)
{
    ddb_sigv4_str_t segs[S_MAX_SEGMENTS];
    size_t nsegs = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && path[i] == '/')
            i++;
        size_t start = i;
        while (i < len && path[i] != '/')
            i++;
        size_t seg_len = i - start;
        if (seg_len == 0 || (seg_len == 1 && path[start] == '.'))
            continue;
        if (seg_len == 2 && path[start] == '.' && path[start + 1] == '.') {
            if (nsegs > 0)
                nsegs--;
            continue;
        }
        if (nsegs < S_MAX_SEGMENTS)
            segs[nsegs++] = (ddb_sigv4_str_t){ path + start, seg_len };
    }
    int trailing = len > 0 && path[len - 1] == '/' && nsegs > 0;
    if (nsegs == 0) {
        ddb_buf_putc(out, '/');
        return;
    }
    for (size_t k = 0; k < nsegs; k++) {
        ddb_buf_putc(out, '/');
        s_encode(out, segs[k].ptr, segs[k].len);
    }
    if (trailing)
        ddb_buf_putc(out, '/');
}

typedef struct s_param {
    char *text;      /* "key=value", encoded, in a heap copy */
    size_t key_len;  /* bytes of the encoded key */
} s_param_t;

static int s_param_cmp(const void *a, const void *b)
{
    const s_param_t *x = a, *y = b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->text, y->text, n);
    if (c != 0)
        return c;
    if (x->key_len != y->key_len)
        return x->key_len < y->key_len ? -1 : 1;
    return strcmp(x->text + x->key_len, y->text + y->key_len);
}

/* The canonical query string: each parameter decoded, strictly re-encoded, sorted
 * by key then value, "key=value" joined with '&'. */
static void s_canonical_query(ddb_buf_t *out, const char *query, size_t len)
{
    s_param_t params[S_MAX_QUERY_PARAMS];
    size_t n = 0;
    const char *p = query, *end = query + len;
    while (p < end && n < S_MAX_QUERY_PARAMS) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if (stop > p) {
            const char *eq = memchr(p, '=', (size_t)(stop - p));
            ddb_buf_t raw = DDB_BUF_INIT, enc = DDB_BUF_INIT;
            s_decode(&raw, p, (size_t)((eq ? eq : stop) - p));
            s_encode(&enc, raw.data ? raw.data : "", raw.len);
            size_t key_len = enc.len;
            ddb_buf_putc(&enc, '=');
            ddb_buf_clear(&raw);
            if (eq) {
                s_decode(&raw, eq + 1, (size_t)(stop - eq - 1));
                s_encode(&enc, raw.data ? raw.data : "", raw.len);
            }
            ddb_buf_free(&raw);
            params[n].key_len = key_len;
            params[n].text = ddb_buf_steal(&enc, NULL);
            if (params[n].text)
                n++;
        }
        if (!amp)
            break;
        p = amp + 1;
    }
    qsort(params, n, sizeof(params[0]), s_param_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            ddb_buf_putc(out, '&');
        ddb_buf_puts(out, params[i].text);
        free(params[i].text);
    }
}

/* Appends value trimmed, with runs of spaces and tabs inside it made one space. */
static void s_put_trimmed(ddb_buf_t *out, const char *value)
{
    const char *p = value;
    while (*p == ' ' || *p == '\t')
        p++;
    int pending_space = 0;
    for (; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            pending_space = 1;
            continue;
        }
        if (pending_space)
            ddb_buf_putc(out, ' ');
        pending_space = 0;
        ddb_buf_putc(out, *p);
    }
}

int ddb_sigv4_canonical_request(const ddb_sigv4_request_t *req, const ddb_sigv4_auth_t *auth, ddb_buf_t *out,
                                char *why, size_t why_size)
{
    ddb_buf_puts(out, req->method);
    ddb_buf_putc(out, '\n');
    const char *uri = req->uri ? req->uri : "/";
    size_t path_len = strcspn(uri, "?#");
    s_canonical_uri(out, uri, path_len);
    ddb_buf_putc(out, '\n');
    if (uri[path_len] == '?') {
        const char *q = uri + path_len + 1;
        s_canonical_query(out, q, strcspn(q, "#"));
    }
    ddb_buf_putc(out, '\n');

    /* canonical headers, in the order of SignedHeaders */
    const char *sh = auth->signed_headers.ptr, *sh_end = sh + auth->signed_headers.len;
    int nsigned = 0;
    while (sh < sh_end) {
        const char *semi = memchr(sh, ';', (size_t)(sh_end - sh));
        const char *stop = semi ? semi : sh_end;
        size_t name_len = (size_t)(stop - sh);
        if (name_len > 0) {
            if (++nsigned > DDB_SIGV4_MAX_SIGNED_HEADERS) {
                snprintf(why, why_size, "Too many signed headers.");
                return -1;
            }
            int found = 0;
            for (size_t i = 0; i < name_len; i++)
                ddb_buf_putc(out, (char)((sh[i] >= 'A' && sh[i] <= 'Z') ? sh[i] + 32 : sh[i]));
            ddb_buf_putc(out, ':');
            for (size_t i = 0; i < req->nheaders; i++) {
                const char *name = req->headers[i].name;
                if (strlen(name) != name_len || strncasecmp(name, sh, name_len) != 0)
                    continue;
                if (found++)
                    ddb_buf_putc(out, ',');
                s_put_trimmed(out, req->headers[i].value);
            }
            if (!found) {
                snprintf(why, why_size, "The header '%.*s' is signed but missing from the request.",
                         (int)(name_len > 64 ? 64 : name_len), sh);
                return -1;
            }
            ddb_buf_putc(out, '\n');
        }
        if (!semi)
            break;
        sh = semi + 1;
    }
    ddb_buf_putc(out, '\n');
    ddb_buf_append(out, auth->signed_headers.ptr, auth->signed_headers.len);
    ddb_buf_putc(out, '\n');
    if (req->payload_hash) {
        ddb_buf_puts(out, req->payload_hash);
    } else {
        char hex[65];
        ddb_sigv4_sha256_hex(req->body, req->body_len, hex);
        ddb_buf_puts(out, hex);
    }
    return 0;
}

void ddb_sigv4_string_to_sign(const char *amz_date, const ddb_sigv4_auth_t *auth, const char *canonical,
                              size_t canonical_len, ddb_buf_t *out)
{
    char hex[65];
    ddb_sigv4_sha256_hex(canonical, canonical_len, hex);
    ddb_buf_printf(out, "%s\n%s\n%.*s\n%s", DDB_SIGV4_ALGORITHM, amz_date, (int)auth->scope.len, auth->scope.ptr, hex);
}

void ddb_sigv4_signing_key(const char *secret, ddb_sigv4_str_t date, ddb_sigv4_str_t region,
                           ddb_sigv4_str_t service, uint8_t key[32])
{
    size_t secret_len = strlen(secret);
    uint8_t *k0 = malloc(secret_len + 4);
    if (!k0) {
        memset(key, 0, 32);
        return;
    }
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret, secret_len);
    uint8_t k[32];
    s_hmac(k0, secret_len + 4, date.ptr, date.len, k);
    OPENSSL_cleanse(k0, secret_len + 4);
    free(k0);
    s_hmac(k, 32, region.ptr, region.len, k);
    s_hmac(k, 32, service.ptr, service.len, k);
    s_hmac(k, 32, "aws4_request", 12, key);
    OPENSSL_cleanse(k, sizeof(k));
}

void ddb_sigv4_sign(const uint8_t key[32], const char *string_to_sign, size_t len, char hex[65])
{
    uint8_t mac[32];
    s_hmac(key, 32, string_to_sign, len, mac);
    s_hex(mac, sizeof(mac), hex);
}

int ddb_sigv4_signature(const ddb_sigv4_request_t *req, const ddb_sigv4_auth_t *auth, const char *secret,
                        const char *amz_date, char hex[65], ddb_buf_t *canonical, ddb_buf_t *sts, char *why,
                        size_t why_size)
{
    ddb_buf_t own_canonical = DDB_BUF_INIT, own_sts = DDB_BUF_INIT;
    ddb_buf_t *c = canonical ? canonical : &own_canonical;
    ddb_buf_t *s = sts ? sts : &own_sts;
    int rc = -1;
    if (ddb_sigv4_canonical_request(req, auth, c, why, why_size) != 0)
        goto out;
    ddb_sigv4_string_to_sign(amz_date, auth, c->data, c->len, s);
    uint8_t key[32];
    ddb_sigv4_signing_key(secret, auth->scope_date, auth->region, auth->service, key);
    ddb_sigv4_sign(key, s->data, s->len, hex);
    OPENSSL_cleanse(key, sizeof(key));
    rc = 0;
out:
    ddb_buf_free(&own_canonical);
    ddb_buf_free(&own_sts);
    return rc;
}

int ddb_sigv4_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return 0;
    return CRYPTO_memcmp(a, b, alen) == 0;
}

static int s_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t s_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int ddb_sigv4_parse_amz_date(const char *s, int64_t *epoch)
{
    int y, mo, d, h, mi, se;
    if (!s || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
        return -1;
    if (s_digits(s, 4, &y) || s_digits(s + 4, 2, &mo) || s_digits(s + 6, 2, &d) || s_digits(s + 9, 2, &h) ||
        s_digits(s + 11, 2, &mi) || s_digits(s + 13, 2, &se))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    *epoch = s_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    return 0;
}

void ddb_sigv4_format_amz_date(int64_t epoch, char *out)
{
    int64_t days = epoch / 86400, secs = epoch % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    /* civil_from_days */
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    snprintf(out, 17, "%04d%02d%02dT%02d%02d%02dZ", (int)y, (int)m, (int)d, (int)(secs / 3600),
             (int)(secs / 60 % 60), (int)(secs % 60));
}
