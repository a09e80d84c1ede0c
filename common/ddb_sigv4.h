/* ddb_sigv4: AWS Signature Version 4 for a request signed in its Authorization
 * header (presigned query strings are not supported): parsing the header, the
 * canonical request, the string to sign, the signing key and a constant-time
 * comparison. No I/O and no allocation beyond the caller's ddb_buf_t. */
#ifndef DDB_SIGV4_H
#define DDB_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "ddb_buf.h"

#define DDB_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define DDB_SIGV4_MAX_SIGNED_HEADERS 64

/* A slice of a borrowed string (not NUL-terminated). */
typedef struct ddb_sigv4_str {
    const char *ptr;
    size_t len;
} ddb_sigv4_str_t;

/* The parts of "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
 * SignedHeaders=a;b;c, Signature=hex": every slice borrows the header text. */
typedef struct ddb_sigv4_auth {
    ddb_sigv4_str_t access_key;      /* AKID */
    ddb_sigv4_str_t scope_date;      /* YYYYMMDD */
    ddb_sigv4_str_t region;          /* REGION */
    ddb_sigv4_str_t service;         /* SERVICE (dynamodb) */
    ddb_sigv4_str_t scope;           /* DATE/REGION/SERVICE/aws4_request */
    ddb_sigv4_str_t signed_headers;  /* "a;b;c", lower case, sorted by the client */
    ddb_sigv4_str_t signature;       /* 64 lower-case hex digits */
} ddb_sigv4_auth_t;

/* One request header as received (any case; a name may repeat). */
typedef struct ddb_sigv4_header {
    const char *name;
    const char *value;
} ddb_sigv4_header_t;

/* What the canonical request is built from; everything is borrowed. */
typedef struct ddb_sigv4_request {
    const char *method;                  /* "POST" */
    const char *uri;                     /* path and optional "?query", as received */
    const ddb_sigv4_header_t *headers;   /* every request header */
    size_t nheaders;
    const void *body;                    /* the payload (may be NULL when body_len is 0) */
    size_t body_len;
    const char *payload_hash;            /* X-Amz-Content-Sha256 when sent, else NULL */
} ddb_sigv4_request_t;

/* Parses an Authorization header into auth (slices of header). Returns 0; or -1
 * with a message for IncompleteSignatureException in why (size why_size) if it is
 * not a well-formed AWS4-HMAC-SHA256 header. */
int ddb_sigv4_parse_auth(const char *header, ddb_sigv4_auth_t *auth, char *why, size_t why_size);

/* 1 if auth's SignedHeaders lists name (compared without regard to case), 0
 * otherwise. */
int ddb_sigv4_signs_header(const ddb_sigv4_auth_t *auth, const char *name);

/* Appends the canonical request of req, signed with auth's SignedHeaders, to out.
 * Returns 0, or -1 if a signed header is missing from the request (why says which). */
int ddb_sigv4_canonical_request(const ddb_sigv4_request_t *req, const ddb_sigv4_auth_t *auth, ddb_buf_t *out,
                                char *why, size_t why_size);

/* Appends the string to sign for a canonical request made at amz_date
 * (YYYYMMDDTHHMMSSZ) in auth's credential scope to out. */
void ddb_sigv4_string_to_sign(const char *amz_date, const ddb_sigv4_auth_t *auth, const char *canonical,
                              size_t canonical_len, ddb_buf_t *out);

/* The signing key: HMAC chain of "AWS4"+secret over date, region, service and
 * "aws4_request". */
void ddb_sigv4_signing_key(const char *secret, ddb_sigv4_str_t date, ddb_sigv4_str_t region,
                           ddb_sigv4_str_t service, uint8_t key[32]);

/* Writes the hex signature (64 digits and a NUL) of string_to_sign under key. */
void ddb_sigv4_sign(const uint8_t key[32], const char *string_to_sign, size_t len, char hex[65]);

/* Writes the lower-case hex SHA-256 of data (64 digits and a NUL). */
void ddb_sigv4_sha256_hex(const void *data, size_t len, char hex[65]);

/* Computes req's signature with secret at amz_date into hex. canonical and sts
 * (either may be NULL) receive the canonical request and the string to sign.
 * Returns 0, or -1 as ddb_sigv4_canonical_request. */
int ddb_sigv4_signature(const ddb_sigv4_request_t *req, const ddb_sigv4_auth_t *auth, const char *secret,
                        const char *amz_date, char hex[65], ddb_buf_t *canonical, ddb_buf_t *sts, char *why,
                        size_t why_size);

/* 1 if a and b (a's length alen, b NUL-free of length blen) are equal, compared in
 * time that depends only on the lengths; 0 otherwise. */
int ddb_sigv4_equal(const char *a, size_t alen, const char *b, size_t blen);

/* Parses an ISO-8601 basic date-time (YYYYMMDDTHHMMSSZ) into seconds since the
 * epoch. Returns 0, or -1 if s is not one. */
int ddb_sigv4_parse_amz_date(const char *s, int64_t *epoch);
/* Formats epoch as YYYYMMDDTHHMMSSZ into out (at least 17 bytes). */
void ddb_sigv4_format_amz_date(int64_t epoch, char *out);

#endif
