/* fuzz_sigv4: libFuzzer target for SigV4 verification (common/ddb_sigv4.c), the code
 * that reads attacker-controlled headers before anything else when --auth is on.
 * Input: line 1 the Authorization header, line 2 the URI, then "Name: value" header
 * lines up to an empty line, then the body. Checked: parsing never reads past the
 * header; a parsed header's slices lie inside it; the signature is 64 hex digits and
 * deterministic; the date parser and formatter round-trip. Aborts on a mismatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_sigv4.h"

#define MAX_HEADERS 32

static void s_die(const char *what)
{
    fprintf(stderr, "fuzz_sigv4: %s\n", what);
    abort();
}

static int s_inside(ddb_sigv4_str_t s, const char *start, size_t len)
{
    return s.ptr >= start && s.ptr + s.len <= start + len;
}

/* The next line of [*p, end) as a heap string (NUL-terminated); NULL at the end. */
static char *s_line(const char **p, const char *end)
{
    if (*p >= end)
        return NULL;
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *stop = nl ? nl : end;
    size_t n = (size_t)(stop - *p);
    char *line = malloc(n + 1);
    memcpy(line, *p, n);
    line[n] = '\0';
    *p = nl ? nl + 1 : end;
    return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    char *auth_text = s_line(&p, end);
    char *uri = s_line(&p, end);
    char *lines[MAX_HEADERS];
    ddb_sigv4_header_t headers[MAX_HEADERS];
    size_t nheaders = 0;
    char *line;
    while (nheaders < MAX_HEADERS && (line = s_line(&p, end)) != NULL) {
        if (line[0] == '\0') {
            free(line);
            break;
        }
        char *colon = strchr(line, ':');
        lines[nheaders] = line;
        headers[nheaders].name = line;
        headers[nheaders].value = colon ? colon + 1 : "";
        if (colon)
            *colon = '\0';
        nheaders++;
    }
    size_t body_len = (size_t)(end - p);
    char *body = malloc(body_len ? body_len : 1);
    if (body_len)
        memcpy(body, p, body_len);

    if (auth_text) {
        size_t auth_len = strlen(auth_text);
        ddb_sigv4_auth_t auth;
        char why[256];
        if (ddb_sigv4_parse_auth(auth_text, &auth, why, sizeof(why)) == 0) {
            if (!s_inside(auth.access_key, auth_text, auth_len) || !s_inside(auth.region, auth_text, auth_len) ||
                !s_inside(auth.service, auth_text, auth_len) || !s_inside(auth.scope, auth_text, auth_len) ||
                !s_inside(auth.signed_headers, auth_text, auth_len) || !s_inside(auth.signature, auth_text, auth_len))
                s_die("a parsed slice lies outside the header");
            ddb_sigv4_request_t req = { "POST", uri ? uri : "/", headers, nheaders, body, body_len, NULL };
            char hex1[65], hex2[65];
            int rc1 = ddb_sigv4_signature(&req, &auth, "secret", "20150830T123600Z", hex1, NULL, NULL, why, sizeof(why));
            int rc2 = ddb_sigv4_signature(&req, &auth, "secret", "20150830T123600Z", hex2, NULL, NULL, why, sizeof(why));
            if (rc1 != rc2)
                s_die("signature is not deterministic");
            if (rc1 == 0) {
                if (strlen(hex1) != 64 || strspn(hex1, "0123456789abcdef") != 64 || strcmp(hex1, hex2) != 0)
                    s_die("bad signature text");
                if (!ddb_sigv4_equal(hex1, 64, hex2, 64))
                    s_die("equal signatures compare unequal");
                (void)ddb_sigv4_equal(auth.signature.ptr, auth.signature.len, hex1, 64);
            }
        }
        int64_t epoch;
        if (ddb_sigv4_parse_amz_date(auth_text, &epoch) == 0) {
            char again[17];
            int64_t epoch2;
            ddb_sigv4_format_amz_date(epoch, again);
            if (ddb_sigv4_parse_amz_date(again, &epoch2) != 0 || epoch2 != epoch)
                s_die("date does not round-trip");
        }
    }
    for (size_t i = 0; i < nheaders; i++)
        free(lines[i]);
    free(auth_text);
    free(uri);
    free(body);
    return 0;
}
