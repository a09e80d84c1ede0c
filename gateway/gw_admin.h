/* gw_admin: the admin API under /_meridian/ on the DynamoDB port, for loopback
 * peers only: health, cluster (with each regiond's tables), chaos (gw_chaos),
 * metrics (Prometheus text, gw_metrics), shutdown. */
#ifndef GW_ADMIN_H
#define GW_ADMIN_H

#include "gw.h"

struct evhttp_request;

/* Answers req, whose path (query string removed) starts with "/_meridian".
 * Replies asynchronously for "cluster" (it asks every regiond first). */
void gw_admin_handle(gw_t *gw, struct evhttp_request *req, const char *path);

#endif
