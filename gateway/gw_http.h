/* gw_http: the HTTP/1.1 front (libevent evhttp). DynamoDB and DynamoDB Streams
 * requests are routed by headers alone to a region's regiond and answered when its
 * reply comes back; /_meridian/ goes to gw_admin. */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include <stddef.h>

#include "ddb_err.h"
#include "gw.h"

#include <stdint.h>

struct evhttp_request;

#define GW_CT_AMZ_JSON "application/x-amz-json-1.0"
#define GW_CT_JSON "application/json"

/* Listens on cfg.bind_addr:cfg.port (sets gw->port to the port bound). 0, or -1
 * after logging why. */
int gw_http_start(gw_t *gw);
/* Closes the listening socket; open connections stay until answered. */
void gw_http_stop_accepting(gw_t *gw);
/* Frees the server and its connections. Answer every in-flight request first:
 * evhttp frees unanswered ones with their connection. Safe twice. */
void gw_http_destroy(gw_t *gw);

/* Answers req: status, the body (copied), Content-Type, Content-Length,
 * x-amz-crc32 and, if request_id is not NULL, x-amzn-RequestId. */
void gw_http_send(struct evhttp_request *req, int status, const char *content_type,
                  const char *request_id, const char *body, size_t len);
/* Answers req with DynamoDB's JSON error for kind/message (message may be NULL:
 * the body then has only __type), with a fresh request id. */
void gw_http_send_error(gw_t *gw, struct evhttp_request *req, ddb_err_kind_t kind, const char *message);
/* Handles a DynamoDB request that gw_chaos held held_ms for its region's latency. */
void gw_http_resume(gw_t *gw, struct evhttp_request *req, uint64_t held_ms);
/* Writes a fresh request id (GW_REQUEST_ID_LEN uppercase letters and digits and
 * a NUL) into out. */
void gw_http_request_id(char *out);

#endif
