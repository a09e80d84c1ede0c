/* rd_dispatch: the regiond's command table (the one place that lists every supported
 * operation) and the generic work every request needs before its handler: find the
 * operation, parse the JSON body, check the TableName, and turn a handler's error
 * into the service's error reply. */
#ifndef RD_DISPATCH_H
#define RD_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "ddb_arena.h"
#include "ddb_buf.h"
#include "ddb_err.h"
#include "proto.h"
#include "rd_store.h"

/* What one request's handler works with. Strings are NUL-terminated arena copies. */
typedef struct rd_req {
    rd_store_t *store;          /* the region's database */
    ddb_arena_t *arena;         /* per-request memory, reset after the request */
    const char *region;         /* this regiond's region */
    const char *account;        /* the caller's account */
    const char *op;             /* operation name */
    const cJSON *body;          /* the parsed request object */
    const char *table_name;     /* TableName resolved (ARN -> name), when the op has one */
    rd_table_t *table;          /* set by rd_req_table */
    unsigned flags;             /* the command's RD_OP_* flags */
    ddb_buf_t *out;             /* the JSON reply body on success */
    ddb_err_t *err;             /* the error on failure */
} rd_req_t;

/* A handler validates, acts and appends its JSON answer to req->out; it returns 0,
 * or -1 with req->err set (the caller rolls back whatever it wrote). */
typedef int (*rd_handler_t)(rd_req_t *req);

enum {
    RD_OP_WRITE = 1 << 0,          /* changes data or tables */
    RD_OP_TABLE = 1 << 1,          /* names an existing table in TableName */
    RD_OP_RNF_NAMED = 1 << 2,      /* not found says "...: Table: NAME not found" */
};

/* Looks up req->table_name for a handler, once its own input checks passed (the
 * service validates a request before it looks for the table). 0, or -1 with the
 * operation's ResourceNotFoundException. */
int rd_req_table(rd_req_t *req);

/* Runs one request whose store, arena, region, account, op, out and err the caller
 * set: service and op select the handler; body is the raw JSON. Fills req->out with
 * the reply body (the service's error JSON on failure) and returns the HTTP status.
 * On a status other than 200 the caller must undo the request's writes. */
int rd_dispatch(rd_req_t *req, uint32_t service, const char *body, size_t body_len);

/* Is op[0..len) of service a DynamoDB or Streams operation that only reads? (Admin
 * operations and unknown names are not.) */
bool rd_dispatch_is_read(uint32_t service, const char *op, size_t len);

#endif
