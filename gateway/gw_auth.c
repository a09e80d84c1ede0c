/* gw_auth: with --auth FILE the gateway checks every DynamoDB and Streams
 * request's SigV4 signature against FILE's secrets before forwarding it, and
 * takes the account from FILE. The body is hashed, never parsed. The admin API
 * then needs FILE's admin key in X-Meridian-Admin-Key. */
#include "gw_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>

#include "ddb_sigv4.h"

#define S_MAX_FIELDS 5
#define S_MAX_HEADERS 128
#define S_SIGNING_NAME "dynamodb"   /* boto3 and the JS SDK sign Streams calls with it too */

static const char s_bad_signature[] =
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access "
    "Key and signing method. Consult the service documentation for details.";
/* A signature that does not cover the host could be replayed against another
 * endpoint, one that does not cover X-Amz-Date outside its 15 minutes. */
static const char s_host_unsigned[] = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";
static const char s_date_unsigned[] = "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.";

static int s_is_account(const char *s)
{
    if (strlen(s) != 12)
        return 0;
    for (int i = 0; i < 12; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Printable ASCII without spaces: what a key, secret or token may contain. */
static int s_is_token_text(const char *s)
{
    for (; *s; s++)
        if (*s <= 0x20 || *s >= 0x7f)
            return 0;
    return 1;
}

static int s_add_line(gw_auth_t *auth, char **fields, int n, const char *path, int lineno)
{
    if (n == 2 && strcmp(fields[0], "admin") == 0) {
        free(auth->admin_key);
        auth->admin_key = strdup(fields[1]);
        return auth->admin_key ? 0 : -1;
    }
    if (n < 3 || n > 4) {
        fprintf(stderr, "meridian-gateway: %s:%d: want ACCESS_KEY_ID SECRET_ACCESS_KEY ACCOUNT_ID [SESSION_TOKEN]\n",
                path, lineno);
        return -1;
    }
    if (!s_is_account(fields[2])) {
        fprintf(stderr, "meridian-gateway: %s:%d: account id '%s' is not 12 digits\n", path, lineno, fields[2]);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (!s_is_token_text(fields[i])) {
            fprintf(stderr, "meridian-gateway: %s:%d: field %d has characters a key cannot have\n", path, lineno,
                    i + 1);
            return -1;
        }
    }
    for (size_t i = 0; i < auth->ncreds; i++) {
        if (strcmp(auth->creds[i].access_key, fields[0]) == 0) {
            fprintf(stderr, "meridian-gateway: %s:%d: access key %s listed twice\n", path, lineno, fields[0]);
            return -1;
        }
    }
    gw_cred_t *grown = realloc(auth->creds, (auth->ncreds + 1) * sizeof(*grown));
    if (!grown)
        return -1;
    auth->creds = grown;
    gw_cred_t *c = &auth->creds[auth->ncreds];
    memset(c, 0, sizeof(*c));
    c->access_key = strdup(fields[0]);
    c->secret = strdup(fields[1]);
    c->account = strdup(fields[2]);
    c->token = n == 4 ? strdup(fields[3]) : NULL;
    auth->ncreds++;
    if (!c->access_key || !c->secret || !c->account || (n == 4 && !c->token))
        return -1;
    return 0;
}

gw_auth_t *gw_auth_load(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "meridian-gateway: cannot read --auth file %s\n", path);
        return NULL;
    }
    gw_auth_t *auth = calloc(1, sizeof(*auth));
    char line[8192];
    int lineno = 0;
    while (auth && fgets(line, sizeof(line), f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *fields[S_MAX_FIELDS];
        int n = 0;
        for (char *save = NULL, *tok = strtok_r(line, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save))
            fields[n < S_MAX_FIELDS ? n++ : S_MAX_FIELDS - 1] = tok;
        if (n == 0)
            continue;
        if (s_add_line(auth, fields, n, path, lineno) != 0)
            gw_auth_destroy(&auth);
    }
    fclose(f);
    if (auth && auth->ncreds == 0) {
        fprintf(stderr, "meridian-gateway: --auth file %s lists no credentials\n", path);
        gw_auth_destroy(&auth);
    }
    OPENSSL_cleanse(line, sizeof(line));
    return auth;
}

void gw_auth_destroy(gw_auth_t **p)
{
    if (!p || !*p)
        return;
    gw_auth_t *auth = *p;
    for (size_t i = 0; i < auth->ncreds; i++) {
        gw_cred_t *c = &auth->creds[i];
        if (c->secret)
            OPENSSL_cleanse(c->secret, strlen(c->secret));
        free(c->access_key);
        free(c->secret);
        free(c->account);
        free(c->token);
    }
    free(auth->creds);
    if (auth->admin_key)
        OPENSSL_cleanse(auth->admin_key, strlen(auth->admin_key));
    free(auth->admin_key);
    free(auth);
    *p = NULL;
}

static const gw_cred_t *s_find(const gw_auth_t *auth, ddb_sigv4_str_t akid)
{
    for (size_t i = 0; i < auth->ncreds; i++) {
        const char *k = auth->creds[i].access_key;
        if (strlen(k) == akid.len && memcmp(k, akid.ptr, akid.len) == 0)
            return &auth->creds[i];
    }
    return NULL;
}

static int s_fail(ddb_err_kind_t k, ddb_err_kind_t *kind, char *message, size_t size, const char *text)
{
    *kind = k;
    snprintf(message, size, "%s", text);
    return -1;
}

/* Is X-Amz-Date within GW_AUTH_SKEW_S of now? Otherwise the service's message. */
static int s_check_date(const char *amz_date, ddb_err_kind_t *kind, char *message, size_t size)
{
    int64_t when;
    if (ddb_sigv4_parse_amz_date(amz_date, &when) != 0) {
        *kind = DDB_ERR_INCOMPLETE_SIGNATURE;
        snprintf(message, size, "Date must be in ISO-8601 'basic format'. Got '%.32s'. See http://en.wikipedia.org/wiki/ISO_8601",
                 amz_date);
        return -1;
    }
    int64_t now = (int64_t)time(NULL);
    char now_s[17], edge_s[17];
    ddb_sigv4_format_amz_date(now, now_s);
    if (when < now - GW_AUTH_SKEW_S) {
        ddb_sigv4_format_amz_date(now - GW_AUTH_SKEW_S, edge_s);
        *kind = DDB_ERR_INVALID_SIGNATURE;
        snprintf(message, size, "Signature expired: %s is now earlier than %s (%s - 15 min.)", amz_date, edge_s, now_s);
        return -1;
    }
    if (when > now + GW_AUTH_SKEW_S) {
        ddb_sigv4_format_amz_date(now + GW_AUTH_SKEW_S, edge_s);
        *kind = DDB_ERR_INVALID_SIGNATURE;
        snprintf(message, size, "Signature not yet current: %s is still later than %s (%s + 15 min.)", amz_date,
                 edge_s, now_s);
        return -1;
    }
    return 0;
}

int gw_auth_verify(const gw_auth_t *auth, struct evhttp_request *req, const void *body, size_t body_len,
                   proto_str_t *account, proto_str_t *region, ddb_err_kind_t *kind, char *message,
                   size_t message_size)
{
    struct evkeyvalq *headers = evhttp_request_get_input_headers(req);
    const char *header = evhttp_find_header(headers, "Authorization");
    if (!header)
        return s_fail(DDB_ERR_MISSING_AUTH_TOKEN, kind, message, message_size, "Request is missing Authentication Token");
    ddb_sigv4_auth_t sig;
    if (ddb_sigv4_parse_auth(header, &sig, message, message_size) != 0) {
        *kind = DDB_ERR_INCOMPLETE_SIGNATURE;
        return -1;
    }
    const char *amz_date = evhttp_find_header(headers, "X-Amz-Date");
    if (!amz_date) {
        *kind = DDB_ERR_INCOMPLETE_SIGNATURE;
        snprintf(message, message_size,
                 "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                 "Authorization=%.200s", header);
        return -1;
    }
    /* the service checks these before the date, the scope and the key */
    if (!ddb_sigv4_signs_header(&sig, "host") && !ddb_sigv4_signs_header(&sig, ":authority"))
        return s_fail(DDB_ERR_INVALID_SIGNATURE, kind, message, message_size, s_host_unsigned);
    if (!ddb_sigv4_signs_header(&sig, "x-amz-date"))
        return s_fail(DDB_ERR_INVALID_SIGNATURE, kind, message, message_size, s_date_unsigned);
    const gw_cred_t *cred = s_find(auth, sig.access_key);
    if (!cred)
        return s_fail(DDB_ERR_UNRECOGNIZED_CLIENT, kind, message, message_size,
                      "The security token included in the request is invalid.");
    const char *token = evhttp_find_header(headers, "X-Amz-Security-Token");
    if ((token != NULL) != (cred->token != NULL) ||
        (token && !ddb_sigv4_equal(token, strlen(token), cred->token, strlen(cred->token))))
        return s_fail(DDB_ERR_UNRECOGNIZED_CLIENT, kind, message, message_size,
                      "The security token included in the request is invalid.");
    if (sig.service.len != sizeof(S_SIGNING_NAME) - 1 || memcmp(sig.service.ptr, S_SIGNING_NAME, sig.service.len) != 0)
        return s_fail(DDB_ERR_INVALID_SIGNATURE, kind, message, message_size,
                      "Credential should be scoped to correct service: '" S_SIGNING_NAME "'. ");
    if (s_check_date(amz_date, kind, message, message_size) != 0)
        return -1;
    if (sig.scope_date.len != 8 || memcmp(sig.scope_date.ptr, amz_date, 8) != 0) {
        *kind = DDB_ERR_INVALID_SIGNATURE;
        snprintf(message, message_size,
                 "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                 "'%.*s' != '%.8s', from 'X-Amz-Date'.",
                 (int)(sig.scope_date.len > 16 ? 16 : sig.scope_date.len), sig.scope_date.ptr, amz_date);
        return -1;
    }

    ddb_sigv4_header_t list[S_MAX_HEADERS];
    size_t n = 0;
    for (struct evkeyval *kv = headers->tqh_first; kv && n < S_MAX_HEADERS; kv = kv->next.tqe_next)
        list[n++] = (ddb_sigv4_header_t){ kv->key, kv->value };
    const char *payload_hash = evhttp_find_header(headers, "X-Amz-Content-Sha256");
    char body_hash[65];
    ddb_sigv4_sha256_hex(body, body_len, body_hash);
    if (payload_hash && strcmp(payload_hash, "UNSIGNED-PAYLOAD") != 0 && strcasecmp(payload_hash, body_hash) != 0)
        return s_fail(DDB_ERR_INVALID_SIGNATURE, kind, message, message_size,
                      "The provided 'x-amz-content-sha256' header does not match what was computed.");
    ddb_sigv4_request_t sreq = { "POST", evhttp_request_get_uri(req), list, n, body, body_len,
                                 payload_hash ? payload_hash : body_hash };
    char expected[65];
    char why[160];
    ddb_buf_t canonical = DDB_BUF_INIT, sts = DDB_BUF_INIT;
    int rc = ddb_sigv4_signature(&sreq, &sig, cred->secret, amz_date, expected, &canonical, &sts, why, sizeof(why));
    if (rc == 0 && !ddb_sigv4_equal(sig.signature.ptr, sig.signature.len, expected, 64)) {
        /* the service shows what it signed, so that a client can find its mistake */
        *kind = DDB_ERR_INVALID_SIGNATURE;
        int n = snprintf(message, message_size,
                         "%s\n\nThe Canonical String for this request should have been\n'%s'\n\n"
                         "The String-to-Sign should have been\n'%s'\n",
                         s_bad_signature, canonical.data, sts.data);
        if (n < 0 || (size_t)n >= message_size)
            snprintf(message, message_size, "%s", s_bad_signature);
        for (char *p = message; *p; p++)   /* header bytes: keep the JSON reply plain ASCII */
            if ((*p < 0x20 && *p != '\n') || (unsigned char)*p >= 0x7f)
                *p = '?';
        rc = -1;
    } else if (rc != 0) {
        s_fail(DDB_ERR_INVALID_SIGNATURE, kind, message, message_size, s_bad_signature);
    }
    ddb_buf_free(&canonical);
    ddb_buf_free(&sts);
    if (rc != 0)
        return -1;
    account->ptr = cred->account;
    account->len = strlen(cred->account);
    region->ptr = sig.region.ptr;
    region->len = sig.region.len;
    return 0;
}

int gw_auth_admin_ok(const gw_auth_t *auth, struct evhttp_request *req)
{
    if (!auth || !auth->admin_key)
        return 0;
    const char *key = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Meridian-Admin-Key");
    return key && ddb_sigv4_equal(key, strlen(key), auth->admin_key, strlen(auth->admin_key));
}
