/* gw_http: the gateway's HTTP front. A DynamoDB request is routed on its headers
 * alone (X-Amz-Target, the SigV4 credential scope's region and access key) and its
 * body is forwarded untouched in a proto envelope; the JSON is never parsed here.
 * This is the hot path: no allocation of our own per request beyond evhttp's. */
#include "gw_http.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <zlib.h>

#include "ddb_log.h"
#include "gw_admin.h"
#include "gw_auth.h"
#include "gw_chaos.h"
#include "gw_metrics.h"
#include "gw_region.h"
#include "proto.h"

#define GW_MAX_BODY (16 * 1024 * 1024)   /* larger requests get a DynamoDB-style 413 */
#define GW_MAX_READ (4 * GW_MAX_BODY)     /* past this evhttp answers 413 itself, unread */
#define GW_MAX_HEADERS (64 * 1024)
#define GW_OP_MAX 64
#define GW_DEFAULT_ACCOUNT "000000000000"

#define GW_FLAG_JSON_CT 1u   /* the client sent application/json: answer the same */
#define GW_FLAG_CORS 2u      /* the client sent Origin: allow it */
/* A forwarded request's pending tag: GW_FLAG_* (bits 0-7), its metrics operation
 * (8-15) and the ms chaos held it before forwarding (16-): no allocation per request. */
#define GW_TAG(flags, op_id, held_ms) ((uintptr_t)(flags) | ((uintptr_t)(op_id) << 8) | ((uintptr_t)(held_ms) << 16))
#define GW_TAG_FLAGS(tag) ((unsigned)((tag) & 0xffu))
#define GW_TAG_OP(tag) ((unsigned)(((tag) >> 8) & 0xffu))
#define GW_TAG_HELD_MS(tag) ((uint64_t)((tag) >> 16))

typedef struct gw_http {
    struct evhttp *http;
    struct evhttp_bound_socket *bound;   /* NULL once we stop accepting */
    unsigned n_connections;              /* client connections open now (see s_new_bufferevent) */
    struct event *adopt_event;           /* runs s_adopt_connections after an accept */
    struct bufferevent **adopt;          /* accepted, close callback not yet attached */
    unsigned n_adopt, adopt_cap;         /* entries in adopt, and its room */
} gw_http_t;

static uint64_t s_rng[2];   /* xorshift128+ state for request ids */

static uint64_t s_rng_next(void)
{
    uint64_t x = s_rng[0];
    const uint64_t y = s_rng[1];
    s_rng[0] = y;
    x ^= x << 23;
    s_rng[1] = x ^ y ^ (x >> 17) ^ (y >> 26);
    return s_rng[1] + y;
}

static void s_rng_seed(void)
{
    if (getrandom(s_rng, sizeof(s_rng), 0) != (ssize_t)sizeof(s_rng)) {
        s_rng[0] = (uint64_t)getpid() * UINT64_C(0x9E3779B97F4A7C15);
        s_rng[1] = gw_now_ms() ^ UINT64_C(0xD1B54A32D192ED03);
    }
    if (!s_rng[0] && !s_rng[1])
        s_rng[1] = 1;
}

void gw_http_request_id(char *out)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    int i = 0;
    while (i < GW_REQUEST_ID_LEN) {
        uint64_t x = s_rng_next();
        for (int k = 0; k < 12 && i < GW_REQUEST_ID_LEN; k++, i++) {   /* 36^12 < 2^64 */
            out[i] = alphabet[x % 36];
            x /= 36;
        }
    }
    out[GW_REQUEST_ID_LEN] = '\0';
}

static const char *s_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Request Entity Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return status < 400 ? "OK" : "Error";
    }
}

/* Writes v in decimal to out (room for 21 bytes); snprintf costs more per reply. */
static const char *s_u64(uint64_t v, char out[21])
{
    char *p = out + 20;
    *p = '\0';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p;
}

/* Sets the reply headers and body and sends; flags are GW_FLAG_*. */
static void s_send(struct evhttp_request *req, int status, const char *content_type, const char *request_id,
                   const char *body, size_t len, unsigned flags)
{
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    char num[21];
    evhttp_add_header(headers, "Content-Type", content_type);
    if (request_id)
        evhttp_add_header(headers, "x-amzn-RequestId", request_id);
    evhttp_add_header(headers, "x-amz-crc32", s_u64(crc32_z(0L, (const Bytef *)body, len), num));
    evhttp_add_header(headers, "Content-Length", s_u64(len, num));
    if (flags & GW_FLAG_CORS)
        evhttp_add_header(headers, "Access-Control-Allow-Origin", "*");
    if (len > 0)
        evbuffer_add(evhttp_request_get_output_buffer(req), body, len);
    evhttp_send_reply(req, status, s_reason(status), NULL);
}

void gw_http_send(struct evhttp_request *req, int status, const char *content_type, const char *request_id,
                  const char *body, size_t len)
{
    s_send(req, status, content_type, request_id, body, len, 0);
}

/* Sends DynamoDB's error JSON for kind/message with the given request id and flags. */
static void s_send_error(gw_t *gw, struct evhttp_request *req, const char *request_id, unsigned flags,
                         ddb_err_kind_t kind, const char *message)
{
    ddb_err_t err = DDB_ERR_INIT;
    err.kind = kind;
    if (message)
        snprintf(err.message, sizeof(err.message), "%s", message);
    ddb_buf_clear(&gw->scratch);
    ddb_err_to_json(&err, &gw->scratch);
    s_send(req, ddb_err_http_status(kind), (flags & GW_FLAG_JSON_CT) ? GW_CT_JSON : GW_CT_AMZ_JSON, request_id,
           gw->scratch.data, gw->scratch.len, flags);
}

void gw_http_send_error(gw_t *gw, struct evhttp_request *req, ddb_err_kind_t kind, const char *message)
{
    char request_id[GW_REQUEST_ID_LEN + 1];
    gw_http_request_id(request_id);
    s_send_error(gw, req, request_id, 0, kind, message);
}

/* The regiond's answer (or the gateway's 500) for a forwarded request. */
static void s_on_reply(gw_pending_t *p, int status, const char *body, size_t len)
{
    unsigned flags = GW_TAG_FLAGS(p->tag);
    gw_t *gw = p->region->gw;
    uint64_t sent_ms = p->deadline_ms - gw->cfg.request_timeout_ms;
    uint64_t now = gw_now_ms();
    gw_metrics_record(gw, p->region, GW_TAG_OP(p->tag), status, (now > sent_ms ? now - sent_ms : 0) + GW_TAG_HELD_MS(p->tag));
    s_send(p->arg, status, (flags & GW_FLAG_JSON_CT) ? GW_CT_JSON : GW_CT_AMZ_JSON, p->request_id, body, len, flags);
}

/* Splits "DynamoDB_20120810.Op" / "DynamoDBStreams_20120810.Op". 0, or -1 if the
 * target is missing or not one of ours. */
static int s_parse_target(const char *target, uint32_t *service, proto_str_t *op)
{
    static const char ddb[] = "DynamoDB_20120810.";
    static const char streams[] = "DynamoDBStreams_20120810.";
    if (!target)
        return -1;
    const char *name;
    if (strncmp(target, ddb, sizeof(ddb) - 1) == 0) {
        *service = PROTO_SVC_DYNAMODB;
        name = target + sizeof(ddb) - 1;
    } else if (strncmp(target, streams, sizeof(streams) - 1) == 0) {
        *service = PROTO_SVC_STREAMS;
        name = target + sizeof(streams) - 1;
    } else {
        return -1;
    }
    size_t len = 0;
    for (; name[len]; len++) {
        char c = name[len];
        if (len >= GW_OP_MAX || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return -1;
    }
    if (len == 0)
        return -1;
    op->ptr = name;
    op->len = len;
    return 0;
}

/* Finds the access key id and region in a SigV4 Authorization header's
 * "Credential=AKID/DATE/REGION/SERVICE/aws4_request". 0, or -1 if there is none. */
static int s_parse_credential(const char *auth, proto_str_t *akid, proto_str_t *region)
{
    const char *c = strstr(auth, "Credential=");
    if (!c)
        return -1;
    c += sizeof("Credential=") - 1;
    const char *end = c + strcspn(c, ", \t");
    const char *s1 = memchr(c, '/', (size_t)(end - c));
    const char *s2 = s1 ? memchr(s1 + 1, '/', (size_t)(end - s1 - 1)) : NULL;
    if (!s2)
        return -1;
    const char *s3 = memchr(s2 + 1, '/', (size_t)(end - s2 - 1));
    akid->ptr = c;
    akid->len = (size_t)(s1 - c);
    region->ptr = s2 + 1;
    region->len = (size_t)((s3 ? s3 : end) - region->ptr);
    return 0;
}

static int s_is_account_id(proto_str_t akid)
{
    if (akid.len != 12)
        return 0;
    for (size_t i = 0; i < 12; i++)
        if (akid.ptr[i] < '0' || akid.ptr[i] > '9')
            return 0;
    return 1;
}

/* Does a Content-Type header name the media type mt (parameters ignored)? */
static int s_media_type_is(const char *ct, const char *mt)
{
    size_t n = strlen(mt);
    if (strncasecmp(ct, mt, n) != 0)
        return 0;
    const char *rest = ct + n;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == '\0' || *rest == ';';
}

/* Answers as the service does for a request it cannot route at all (a method
 * other than POST, or a body of an unknown content type). */
static void s_send_not_found(struct evhttp_request *req, const char *request_id, unsigned flags)
{
    static const char body[] = "<UnknownOperationException/>\n";
    s_send(req, 404, "application/xml", request_id, body, sizeof(body) - 1, flags);
}

/* A copy of s for an error message: at most 64 printable ASCII characters. */
static void s_printable(const char *s, size_t len, char *out, size_t out_size)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < out_size && n < 64; i++)
        out[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    out[n] = '\0';
}

/* The request headers the routing reads, found in one pass (the first of each). */
typedef struct gw_route_headers {
    const char *origin, *content_type, *target, *authorization;
} gw_route_headers_t;

static void s_route_headers(const struct evkeyvalq *headers, gw_route_headers_t *h)
{
    memset(h, 0, sizeof(*h));
    const struct evkeyval *kv;
    TAILQ_FOREACH (kv, headers, next) {
        const char **slot = NULL;
        switch (kv->key[0] | 0x20) {
        case 'o':
            slot = strcasecmp(kv->key, "Origin") == 0 ? &h->origin : NULL;
            break;
        case 'c':
            slot = strcasecmp(kv->key, "Content-Type") == 0 ? &h->content_type : NULL;
            break;
        case 'x':
            slot = strcasecmp(kv->key, "X-Amz-Target") == 0 ? &h->target : NULL;
            break;
        case 'a':
            slot = strcasecmp(kv->key, "Authorization") == 0 ? &h->authorization : NULL;
            break;
        default:
            break;
        }
        if (slot && !*slot)
            *slot = kv->value;
    }
}

/* Answers a DynamoDB or Streams request: checks, chaos faults (held_ms > 0: the
 * region's added latency was already served), then forwarding to the region. */
static void s_handle_dynamodb(gw_t *gw, struct evhttp_request *req, uint64_t held_ms)
{
    gw_region_t *region = NULL;
    unsigned op_id = 0;
    char request_id[GW_REQUEST_ID_LEN + 1];
    char message[1024];   /* an InvalidSignatureException shows the canonical request */
    ddb_err_kind_t kind;
    gw_http_request_id(request_id);
    struct evkeyvalq *headers = evhttp_request_get_input_headers(req);
    struct evbuffer *input = evhttp_request_get_input_buffer(req);
    size_t body_len = evbuffer_get_length(input);
    gw_route_headers_t hdr;
    s_route_headers(headers, &hdr);
    unsigned flags = hdr.origin ? GW_FLAG_CORS : 0;

    const char *ct = hdr.content_type;
    if (ct && s_media_type_is(ct, GW_CT_JSON)) {
        flags |= GW_FLAG_JSON_CT;
    } else if (body_len > 0 && !(ct && s_media_type_is(ct, GW_CT_AMZ_JSON))) {
        s_send_not_found(req, request_id, flags);
        return;
    }

    if (body_len > GW_MAX_BODY) {
        kind = DDB_ERR_REQUEST_TOO_LARGE;
        snprintf(message, sizeof(message), "Request size %zu exceeded %d bytes", body_len, GW_MAX_BODY);
        goto fail;
    }

    uint32_t service;
    proto_str_t op;
    if (s_parse_target(hdr.target, &service, &op) != 0) {
        kind = DDB_ERR_UNKNOWN_OPERATION;
        message[0] = '\0';   /* the service sends only __type here */
        goto fail;
    }

    proto_str_t akid = { NULL, 0 };
    proto_str_t account = { GW_DEFAULT_ACCOUNT, 12 };
    proto_str_t region_name = { gw->cfg.default_region, strlen(gw->cfg.default_region) };
    const char *auth = hdr.authorization;
    if (gw->auth) {
        /* verified before anything is created for the request's region or account */
        const void *body = body_len ? (const void *)evbuffer_pullup(input, -1) : (const void *)"";
        if (gw_auth_verify(gw->auth, req, body, body_len, &account, &region_name, &kind, message, sizeof(message)) != 0)
            goto fail;
    } else if (auth && s_parse_credential(auth, &akid, &region_name) == 0 && s_is_account_id(akid)) {
        account = akid;
    }
    if (!gw_region_name_valid(region_name.ptr, region_name.len)) {
        char shown[72];
        s_printable(region_name.ptr, region_name.len, shown, sizeof(shown));
        snprintf(message, sizeof(message), "Credential should be scoped to a valid region, not '%s'. ", shown);
        kind = DDB_ERR_INVALID_SIGNATURE;
        goto fail;
    }
    if (gw->stopping) {
        kind = DDB_ERR_SERVICE_UNAVAILABLE;
        snprintf(message, sizeof(message), "Meridian is shutting down");
        goto fail;
    }
    region = gw_region_get(gw, region_name.ptr, region_name.len);
    if (!region) {
        kind = DDB_ERR_LIMIT_EXCEEDED;
        snprintf(message, sizeof(message), "Meridian cannot serve region %.*s: at most %d regions",
                 (int)region_name.len, region_name.ptr, GW_MAX_REGIONS);
        goto fail;
    }
    op_id = gw_metrics_op(op.ptr, op.len);
    switch (gw_chaos_intercept(gw, region, op.ptr, op.len, req, held_ms > 0, &kind, message, sizeof(message))) {
    case GW_CHAOS_DEFER:
        return;   /* gw_http_resume runs it again */
    case GW_CHAOS_FAIL:
        goto fail;
    case GW_CHAOS_PASS:
        break;
    }

    proto_request_t preq;
    memset(&preq, 0, sizeof(preq));
    preq.service = service;
    preq.op = op;
    preq.account = account;
    preq.request_id.ptr = request_id;
    preq.request_id.len = GW_REQUEST_ID_LEN;
    preq.body.ptr = body_len ? (const char *)evbuffer_pullup(input, -1) : "";
    preq.body.len = body_len;
    if (gw_region_send(region, &preq, s_on_reply, req, GW_TAG(flags, op_id, held_ms), NULL) != 0) {
        kind = DDB_ERR_INTERNAL;
        snprintf(message, sizeof(message), "Internal server error");
        goto fail;
    }
    return;
fail:
    gw_metrics_record(gw, region, op_id, ddb_err_http_status(kind), held_ms);
    s_send_error(gw, req, request_id, flags, kind, message[0] ? message : NULL);
}

void gw_http_resume(gw_t *gw, struct evhttp_request *req, uint64_t held_ms)
{
    s_handle_dynamodb(gw, req, held_ms ? held_ms : 1);
}

/* GET / : what a DynamoDB endpoint answers to a health check. */
static void s_send_healthy(gw_t *gw, struct evhttp_request *req)
{
    char request_id[GW_REQUEST_ID_LEN + 1];
    char body[96];
    gw_http_request_id(request_id);
    int n = snprintf(body, sizeof(body), "healthy: dynamodb.%s.amazonaws.com ", gw->cfg.default_region);
    s_send(req, 200, "text/plain", request_id, body, (size_t)n, 0);
}

/* CORS preflight, as the service answers a browser. */
static void s_send_preflight(struct evhttp_request *req)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    const char *hdrs = evhttp_find_header(in, "Access-Control-Request-Headers");
    const char *method = evhttp_find_header(in, "Access-Control-Request-Method");
    char request_id[GW_REQUEST_ID_LEN + 1];
    gw_http_request_id(request_id);
    if (hdrs)
        evhttp_add_header(out, "Access-Control-Allow-Headers", hdrs);
    if (method)
        evhttp_add_header(out, "Access-Control-Allow-Methods", method);
    evhttp_add_header(out, "Access-Control-Max-Age", "172800");
    s_send(req, 200, GW_CT_AMZ_JSON, request_id, "", 0, GW_FLAG_CORS);
}

/* Is uri's path /_meridian or below? Copies the path without its query to out. */
static int s_admin_path(const char *uri, char *out, size_t out_size)
{
    static const char prefix[] = "/_meridian";
    if (strncmp(uri, prefix, sizeof(prefix) - 1) != 0)
        return 0;
    char next = uri[sizeof(prefix) - 1];
    if (next != '\0' && next != '/' && next != '?')
        return 0;
    size_t len = strcspn(uri, "?#");
    if (len >= out_size)
        len = out_size - 1;
    memcpy(out, uri, len);
    out[len] = '\0';
    return 1;
}

/* evhttp calls this when it frees a client connection, whatever the reason. */
static void s_on_connection_closed(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    gw_t *gw = arg;
    if (!gw->http)
        return;
    assert(gw->http->n_connections > 0);
    gw->http->n_connections--;
}

/* Runs right after the accept callback that created the connections in h->adopt:
 * by then evhttp has made each one's evhttp_connection (the bufferevent's callback
 * argument) and nothing has run on it yet, so the close callback can be attached. */
static void s_adopt_connections(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    gw_t *gw = arg;
    gw_http_t *h = gw->http;
    for (unsigned i = 0; i < h->n_adopt; i++) {
        void *evcon = NULL;
        bufferevent_getcb(h->adopt[i], NULL, NULL, NULL, &evcon);
        if (evcon)
            evhttp_connection_set_closecb(evcon, s_on_connection_closed, gw);
        else   /* evhttp failed (out of memory) before making the connection */
            h->n_connections--;
        /* (were it to fail just after, the bufferevent would be freed already: a
         * malloc failure inside one libevent call, which this does not survive) */
    }
    h->n_adopt = 0;
}

/* evhttp's bufferevent factory, run once per accepted connection. libevent 2.1 has
 * neither evhttp_set_max_connections (2.2 has) nor a hook when a server connection
 * opens, so the connection is counted here and its close callback attached just
 * after (s_adopt_connections). Returns NULL on failure (evhttp makes its own,
 * uncounted). */
static struct bufferevent *s_new_bufferevent(struct event_base *base, void *arg)
{
    gw_t *gw = arg;
    gw_http_t *h = gw->http;
    if (h->n_adopt == h->adopt_cap) {   /* one listener callback accepts until EAGAIN */
        unsigned cap = h->adopt_cap ? 2 * h->adopt_cap : 16;
        struct bufferevent **adopt = realloc(h->adopt, cap * sizeof(*adopt));
        if (!adopt)
            return NULL;
        h->adopt = adopt;
        h->adopt_cap = cap;
    }
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!bev)
        return NULL;
    h->adopt[h->n_adopt++] = bev;
    h->n_connections++;
    event_active(h->adopt_event, 0, 0);
    return bev;
}

/* Over --max-connections: answers 503 and closes, so an idle flood cannot starve the
 * gateway of file descriptors. The service has no such client-visible limit; the
 * error is its generic 503 (ServiceUnavailableException). */
static int s_refuse_if_over_limit(gw_t *gw, struct evhttp_request *req)
{
    if (gw->http->n_connections <= gw->cfg.max_connections)
        return 0;
    evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
    gw_http_send_error(gw, req, DDB_ERR_SERVICE_UNAVAILABLE, "Too many open connections");
    return 1;
}

static void s_on_request(struct evhttp_request *req, void *arg)
{
    gw_t *gw = arg;
    if (s_refuse_if_over_limit(gw, req))
        return;
    const char *uri = evhttp_request_get_uri(req);
    char admin_path[256];
    if (uri && s_admin_path(uri, admin_path, sizeof(admin_path))) {
        gw_admin_handle(gw, req, admin_path);
        return;
    }
    switch (evhttp_request_get_command(req)) {
    case EVHTTP_REQ_POST:
        s_handle_dynamodb(gw, req, 0);
        return;
    case EVHTTP_REQ_GET:
    case EVHTTP_REQ_HEAD:
        s_send_healthy(gw, req);
        return;
    case EVHTTP_REQ_OPTIONS:
        if (evhttp_find_header(evhttp_request_get_input_headers(req), "Origin")) {
            s_send_preflight(req);
            return;
        }
        break;
    default:
        break;
    }
    char request_id[GW_REQUEST_ID_LEN + 1];
    gw_http_request_id(request_id);
    s_send_not_found(req, request_id, 0);
}

/* A non-blocking listening socket bound to addr:port, or -1. */
static int s_listen_socket(const char *addr, int port, int *bound_port)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char port_str[8];
    snprintf(port_str, sizeof(port_str), "%d", port);
    int rc = getaddrinfo(addr, port_str, &hints, &res);
    if (rc != 0) {
        DDB_ERROR("cannot resolve --bind %s: %s", addr, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    int saved_errno = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved_errno = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));   /* inherited by accepted sockets */
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        saved_errno = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        DDB_ERROR("cannot bind %s:%d: %s", addr, port, strerror(saved_errno));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t ss_len = sizeof(ss);
    *bound_port = port;
    if (getsockname(fd, (struct sockaddr *)&ss, &ss_len) == 0)
        *bound_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                     : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

int gw_http_start(gw_t *gw)
{
    s_rng_seed();
    gw_http_t *h = calloc(1, sizeof(*h));
    if (!h)
        return -1;
    gw->http = h;
    h->http = evhttp_new(gw->base);
    if (!h->http)
        return -1;
    evhttp_set_max_body_size(h->http, GW_MAX_READ);
    evhttp_set_max_headers_size(h->http, GW_MAX_HEADERS);
    /* one timer covers a client trickling headers or a body and an idle keep-alive
     * connection: libevent closes the connection when a read stalls that long */
    evhttp_set_timeout(h->http, (int)gw->cfg.client_timeout_s);
    evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                            EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_flags(h->http, EVHTTP_SERVER_LINGERING_CLOSE);   /* read an oversized body, then 413 */
    evhttp_set_gencb(h->http, s_on_request, gw);
    h->adopt_event = event_new(gw->base, -1, 0, s_adopt_connections, gw);
    if (!h->adopt_event)
        return -1;
    evhttp_set_bevcb(h->http, s_new_bufferevent, gw);

    int fd = s_listen_socket(gw->cfg.bind_addr, gw->cfg.port, &gw->port);
    if (fd < 0)
        return -1;
    struct evconnlistener *listener = evconnlistener_new(
        gw->base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE, SOMAXCONN, fd);
    if (!listener) {
        DDB_ERROR("cannot listen on %s:%d: %s", gw->cfg.bind_addr, gw->port, strerror(errno));
        close(fd);
        return -1;
    }
    h->bound = evhttp_bind_listener(h->http, listener);
    if (!h->bound) {
        evconnlistener_free(listener);
        return -1;
    }
    return 0;
}

void gw_http_stop_accepting(gw_t *gw)
{
    gw_http_t *h = gw->http;
    if (h && h->bound) {
        evhttp_del_accept_socket(h->http, h->bound);   /* frees the listener and its fd */
        h->bound = NULL;
    }
}

void gw_http_destroy(gw_t *gw)
{
    gw_http_t *h = gw->http;
    if (!h)
        return;
    if (h->http)
        evhttp_free(h->http);   /* also frees the bound listener */
    if (h->adopt_event)
        event_free(h->adopt_event);
    free(h->adopt);
    free(h);
    gw->http = NULL;
}
