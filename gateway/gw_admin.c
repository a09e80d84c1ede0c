/* gw_admin: /_meridian/ on the DynamoDB port, answered only to loopback peers.
 * "cluster" and "metrics" ask every live regiond for its Status (a PROTO_SVC_ADMIN
 * request) without blocking, wait for the answers or for a short timeout, and report
 * what came back; "chaos" is gw_chaos's. cJSON is used on this path only (and in
 * gw_chaos / gw_metrics, which serve it), never on the DynamoDB path. */
#include "gw_admin.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "ddb_buf.h"
#include "ddb_log.h"
#include "gw_auth.h"
#include "gw_chaos.h"
#include "gw_http.h"
#include "gw_metrics.h"
#include "gw_region.h"
#include "gw_super.h"

typedef struct s_status_slot {
    gw_region_t *region;
    gw_pending_t *pending;    /* the Status request still in flight, or NULL */
    int status;               /* HTTP status of the answer, 0 if none */
    char *body;               /* the answer (heap), or NULL */
    size_t len;
} s_status_slot_t;

typedef struct s_cluster_query {
    gw_t *gw;
    struct evhttp_request *req;
    struct event *timer;      /* gives up on regionds that do not answer */
    size_t outstanding;       /* Status requests not answered yet */
    bool launching;           /* still sending: do not finish yet */
    bool metrics;             /* answer /_meridian/metrics (Prometheus text), not cluster */
    size_t nslots;
    s_status_slot_t slots[];  /* one per region, sorted by name */
} s_cluster_query_t;

static int s_peer_is_loopback(struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    const struct sockaddr *sa = evcon ? evhttp_connection_get_addr(evcon) : NULL;
    if (!sa)
        return 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
        return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a))
            return 1;
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
    }
    return 0;
}

/* Is the client the --admin-bind address ("0.0.0.0" or "::": anyone)? */
static int s_peer_is_admin_bind(gw_t *gw, struct evhttp_request *req)
{
    const char *allowed = gw->cfg.admin_bind;
    if (!allowed)
        return 0;
    if (strcmp(allowed, "0.0.0.0") == 0 || strcmp(allowed, "::") == 0 || strcmp(allowed, "*") == 0)
        return 1;
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    const struct sockaddr *sa = evcon ? evhttp_connection_get_addr(evcon) : NULL;
    char text[INET6_ADDRSTRLEN] = "";
    if (!sa)
        return 0;
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, text, sizeof(text));
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6))
            inet_ntop(AF_INET, &a6->s6_addr[12], text, sizeof(text));
        else
            inet_ntop(AF_INET6, a6, text, sizeof(text));
    }
    return text[0] && strcmp(text, allowed) == 0;
}

static void s_send_json(struct evhttp_request *req, int status, const ddb_buf_t *body)
{
    gw_http_send(req, status, "application/json", NULL, body->data, body->len);
}

static void s_send_simple(struct evhttp_request *req, int status, const char *json)
{
    gw_http_send(req, status, "application/json", NULL, json, strlen(json));
}

/* Appends member `name` ("tables", "replication") of a regiond's Status answer, or null. */
static void s_append_member(ddb_buf_t *out, const s_status_slot_t *slot, const char *name)
{
    cJSON *doc = NULL;
    char *text = NULL;
    if (slot->status == 200 && slot->body)
        doc = cJSON_ParseWithLength(slot->body, slot->len);
    const cJSON *member = doc ? cJSON_GetObjectItemCaseSensitive(doc, name) : NULL;
    if (member && (cJSON_IsArray(member) || cJSON_IsObject(member)))
        text = cJSON_PrintUnformatted(member);
    ddb_buf_puts(out, text ? text : "null");
    cJSON_free(text);
    cJSON_Delete(doc);
}

static void s_append_str_or_null(ddb_buf_t *out, const char *s)
{
    if (s && *s)
        ddb_buf_json_str(out, s, strlen(s));
    else
        ddb_buf_puts(out, "null");
}

static void s_append_cluster_json(const s_cluster_query_t *q, ddb_buf_t *out)
{
    gw_t *gw = q->gw;
    ddb_buf_printf(out, "{\"port\":%d,\"pid\":%d,\"default_region\":", gw->port, (int)getpid());
    s_append_str_or_null(out, gw->cfg.default_region);
    ddb_buf_puts(out, ",\"data_dir\":");
    s_append_str_or_null(out, gw->cfg.in_memory ? NULL : gw->data_dir);
    ddb_buf_printf(out, ",\"in_memory\":%s,\"run_dir\":", gw->cfg.in_memory ? "true" : "false");
    s_append_str_or_null(out, gw->run_dir);
    ddb_buf_puts(out, ",\"regiond\":");
    s_append_str_or_null(out, gw->regiond_path);
    ddb_buf_printf(out, ",\"uptime_ms\":%llu,\"stopping\":%s,\"regions\":[",
                   (unsigned long long)(gw_now_ms() - gw->started_ms), gw->stopping ? "true" : "false");
    for (size_t i = 0; i < q->nslots; i++) {
        const s_status_slot_t *slot = &q->slots[i];
        gw_region_t *r = slot->region;
        if (i > 0)
            ddb_buf_putc(out, ',');
        ddb_buf_puts(out, "{\"region\":");
        ddb_buf_json_str(out, r->name, r->name_len);
        if (r->pid > 0)
            ddb_buf_printf(out, ",\"pid\":%d", (int)r->pid);
        else
            ddb_buf_puts(out, ",\"pid\":null");
        ddb_buf_printf(out, ",\"state\":\"%s\",\"restarts\":%u,\"endpoint\":", gw_region_state_name(gw_super_state(r)),
                       r->restarts);
        ddb_buf_json_str(out, r->endpoint, strlen(r->endpoint));
        ddb_buf_printf(out, ",\"inflight\":%zu,\"requests\":%llu,\"tables\":", r->inflight.count,
                       (unsigned long long)r->sent);
        s_append_member(out, slot, "tables");
        ddb_buf_puts(out, ",\"replication\":");   /* global tables' counters (rd_repl) */
        s_append_member(out, slot, "replication");
        ddb_buf_puts(out, ",\"links\":");   /* lag per link into this region (rd_link) */
        s_append_member(out, slot, "links");
        ddb_buf_puts(out, ",\"link_faults\":");
        s_append_member(out, slot, "link_faults");
        ddb_buf_puts(out, ",\"disk\":");   /* the chaos disk-full switch (rd_vfs) */
        s_append_member(out, slot, "disk");
        ddb_buf_putc(out, '}');
    }
    ddb_buf_puts(out, "]}");
}

/* The Prometheus text of /_meridian/metrics: the gateway's counters, then the
 * regionds' replication and table figures from their Status answers. */
static void s_append_metrics(const s_cluster_query_t *q, ddb_buf_t *out)
{
    gw_metrics_render_gateway(q->gw, out);
    const gw_region_t *regions[GW_MAX_REGIONS];
    cJSON *statuses[GW_MAX_REGIONS];
    size_t n = 0;
    for (size_t i = 0; i < q->nslots && n < GW_MAX_REGIONS; i++, n++) {
        const s_status_slot_t *slot = &q->slots[i];
        regions[n] = slot->region;
        statuses[n] = slot->status == 200 && slot->body ? cJSON_ParseWithLength(slot->body, slot->len) : NULL;
    }
    gw_metrics_render_regions(regions, (const cJSON *const *)statuses, n, out);
    for (size_t i = 0; i < n; i++)
        cJSON_Delete(statuses[i]);
}

/* Replies with what came back and frees q. */
static void s_cluster_finish(s_cluster_query_t *q)
{
    for (size_t i = 0; i < q->nslots; i++) {
        if (q->slots[i].pending) {
            DDB_WARN("no Status answer from %s within %u ms", q->slots[i].region->name, q->gw->cfg.admin_timeout_ms);
            gw_region_cancel(q->slots[i].pending);
            q->slots[i].pending = NULL;
        }
    }
    ddb_buf_t out = DDB_BUF_INIT;
    if (q->metrics) {
        s_append_metrics(q, &out);
        gw_http_send(q->req, 200, "text/plain; version=0.0.4", NULL, out.data ? out.data : "", out.len);
    } else {
        s_append_cluster_json(q, &out);
        s_send_json(q->req, 200, &out);
    }
    ddb_buf_free(&out);
    for (size_t i = 0; i < q->nslots; i++)
        free(q->slots[i].body);
    if (q->timer)
        event_free(q->timer);
    free(q);
}

static void s_on_status(gw_pending_t *p, int status, const char *body, size_t len)
{
    s_cluster_query_t *q = p->arg;
    s_status_slot_t *slot = &q->slots[p->tag];
    slot->pending = NULL;
    slot->status = status;
    slot->body = malloc(len + 1);
    if (slot->body) {
        memcpy(slot->body, body, len);
        slot->body[len] = '\0';
        slot->len = len;
    }
    if (--q->outstanding == 0 && !q->launching)
        s_cluster_finish(q);
}

static void s_on_cluster_timeout(evutil_socket_t fd, short what, void *arg)
{
    s_cluster_finish(arg);
}

static int s_cmp_region(const void *a, const void *b)
{
    const s_status_slot_t *x = a, *y = b;
    return strcmp(x->region->name, y->region->name);
}

static void s_cluster_start(gw_t *gw, struct evhttp_request *req, bool metrics)
{
    s_cluster_query_t *q = calloc(1, sizeof(*q) + gw->nregions * sizeof(s_status_slot_t));
    if (!q) {
        s_send_simple(req, 500, "{\"error\":\"out of memory\"}");
        return;
    }
    q->gw = gw;
    q->req = req;
    q->metrics = metrics;
    q->nslots = gw->nregions;
    for (size_t i = 0; i < gw->nregions; i++)
        q->slots[i].region = gw->regions[i];
    qsort(q->slots, q->nslots, sizeof(q->slots[0]), s_cmp_region);
    q->timer = evtimer_new(gw->base, s_on_cluster_timeout, q);
    struct timeval tv = { gw->cfg.admin_timeout_ms / 1000, (long)(gw->cfg.admin_timeout_ms % 1000) * 1000 };
    if (!q->timer || evtimer_add(q->timer, &tv) != 0) {
        s_cluster_finish(q);
        return;
    }
    char request_id[GW_REQUEST_ID_LEN + 1];
    gw_http_request_id(request_id);
    q->launching = true;
    for (size_t i = 0; i < q->nslots; i++) {
        gw_region_t *r = q->slots[i].region;
        if (r->pid <= 0)
            continue;
        proto_request_t preq;
        memset(&preq, 0, sizeof(preq));
        preq.service = PROTO_SVC_ADMIN;
        preq.op = (proto_str_t){ "Status", 6 };
        preq.account = (proto_str_t){ "000000000000", 12 };
        preq.request_id = (proto_str_t){ request_id, GW_REQUEST_ID_LEN };
        preq.body = (proto_str_t){ "", 0 };
        q->outstanding++;   /* before sending: the callback may run during the send */
        if (gw_region_send(r, &preq, s_on_status, q, i, &q->slots[i].pending) != 0)
            q->outstanding--;
    }
    q->launching = false;
    if (q->outstanding == 0)
        s_cluster_finish(q);
}

/* GET: the faults in force; POST: applies a chaos request (400 and no change if it
 * is malformed). */
static void s_chaos(gw_t *gw, struct evhttp_request *req, bool is_get)
{
    ddb_buf_t out = DDB_BUF_INIT;
    int status = 200;
    if (is_get) {
        gw_chaos_to_json(gw, &out);
    } else {
        struct evbuffer *input = evhttp_request_get_input_buffer(req);
        size_t len = evbuffer_get_length(input);
        const char *body = len ? (const char *)evbuffer_pullup(input, -1) : "";
        if (gw_chaos_post(gw, body, len, &out) != 0)
            status = 400;
    }
    s_send_json(req, status, &out);
    ddb_buf_free(&out);
}

void gw_admin_handle(gw_t *gw, struct evhttp_request *req, const char *path)
{
    if (!s_peer_is_loopback(req) && !s_peer_is_admin_bind(gw, req)) {
        s_send_simple(req, 403, "{\"error\":\"forbidden\",\"message\":\"the admin API answers loopback clients only\"}");
        return;
    }
    /* with --auth, everything but the liveness probe needs the admin key */
    if (gw->auth && strcmp(path, "/_meridian/health") != 0 && !gw_auth_admin_ok(gw->auth, req)) {
        s_send_simple(req, 403, "{\"error\":\"forbidden\",\"message\":\"the admin API needs the admin key "
                                "(X-Meridian-Admin-Key) when auth is on\"}");
        return;
    }
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    int is_get = cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD;
    if (strcmp(path, "/_meridian/health") == 0 && is_get) {
        ddb_buf_t out = DDB_BUF_INIT;
        ddb_buf_printf(&out, "{\"status\":\"%s\",\"pid\":%d}", gw->stopping ? "stopping" : "ok", (int)getpid());
        s_send_json(req, 200, &out);
        ddb_buf_free(&out);
    } else if (strcmp(path, "/_meridian/cluster") == 0 && is_get) {
        s_cluster_start(gw, req, false);
    } else if (strcmp(path, "/_meridian/metrics") == 0 && is_get) {
        s_cluster_start(gw, req, true);
    } else if (strcmp(path, "/_meridian/chaos") == 0 && (is_get || cmd == EVHTTP_REQ_POST)) {
        s_chaos(gw, req, is_get);
    } else if (strcmp(path, "/_meridian/shutdown") == 0 && cmd == EVHTTP_REQ_POST) {
        s_send_simple(req, 200, "{\"status\":\"shutting down\"}");
        gw_stop(gw, "POST /_meridian/shutdown");
    } else {
        ddb_buf_t out = DDB_BUF_INIT;
        ddb_buf_puts(&out, "{\"error\":\"not found\",\"path\":");
        ddb_buf_json_str(&out, path, strlen(path));
        ddb_buf_putc(&out, '}');
        s_send_json(req, 404, &out);
        ddb_buf_free(&out);
    }
}
