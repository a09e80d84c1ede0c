/* gw_auth: --auth FILE. The credentials file, SigV4 verification of DynamoDB and
 * Streams requests (ddb_sigv4), and the admin key that /_meridian/ needs. */
#ifndef GW_AUTH_H
#define GW_AUTH_H

#include <stddef.h>

#include "ddb_err.h"
#include "proto.h"

struct evhttp_request;

#define GW_AUTH_SKEW_S (15 * 60)   /* X-Amz-Date may be this far from our clock */

typedef struct gw_cred {
    char *access_key;   /* ACCESS_KEY_ID */
    char *secret;       /* SECRET_ACCESS_KEY */
    char *account;      /* 12-digit ACCOUNT_ID */
    char *token;        /* session token the requests must carry, or NULL */
} gw_cred_t;

typedef struct gw_auth {
    gw_cred_t *creds;
    size_t ncreds;
    char *admin_key;    /* the "admin KEY" line, or NULL: admin API refused */
} gw_auth_t;

/* Reads the credentials file at path: "ACCESS_KEY_ID SECRET ACCOUNT_ID [TOKEN]"
 * lines, "admin KEY" for the admin API, '#' comments. Returns an owned object or
 * NULL after printing the problem (file and line) to stderr. */
gw_auth_t *gw_auth_load(const char *path);
/* Frees; safe on NULL and twice; nulls *p. */
void gw_auth_destroy(gw_auth_t **p);

/* Verifies req's SigV4 signature over body. On success returns 0 and sets
 * *account and *region (borrowed from the credentials and the request's
 * headers). Otherwise returns -1 with the service's error in *kind and message. */
int gw_auth_verify(const gw_auth_t *auth, struct evhttp_request *req, const void *body, size_t body_len,
                   proto_str_t *account, proto_str_t *region, ddb_err_kind_t *kind, char *message,
                   size_t message_size);

/* 1 if req carries the admin key (X-Meridian-Admin-Key), 0 otherwise. */
int gw_auth_admin_ok(const gw_auth_t *auth, struct evhttp_request *req);

#endif
