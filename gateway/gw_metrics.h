/* gw_metrics: what GET /_meridian/metrics reports, in Prometheus text format. The
 * gateway counts client requests, errors and latency by operation and region (it
 * knows the operation from X-Amz-Target and the status from the reply); the
 * replication figures come from each regiond's Status answer at scrape time. */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "ddb_buf.h"
#include "gw.h"
#include "gw_region.h"

/* The metrics index of operation op[0..len) (0 for one it does not know). */
unsigned gw_metrics_op(const char *op, size_t len);
/* Counts one answered request of operation op_id (gw_metrics_op) in region r. */
void gw_metrics_record(gw_t *gw, const gw_region_t *r, unsigned op_id, int status, uint64_t latency_ms);
/* Appends the gateway's own metrics: requests, errors, latency, regions up, restarts. */
void gw_metrics_render_gateway(gw_t *gw, ddb_buf_t *out);
/* Appends the replication and table metrics of n regions from their regiond's Status
 * answers (statuses[i] NULL: no answer), each metric family in one group. */
void gw_metrics_render_regions(const gw_region_t *const *regions, const cJSON *const *statuses, size_t n,
                               ddb_buf_t *out);

#endif
