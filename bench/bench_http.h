/* bench_http: a minimal HTTP/1.1 client connection on a libevent bufferevent, for
 * load generation: keep-alive, one request in flight, Content-Length and chunked
 * replies, TCP_NODELAY, reconnects lazily after a failure. Cheaper per request than
 * evhttp's client (no header lists, no per-request objects). */
#ifndef BENCH_HTTP_H
#define BENCH_HTTP_H

#include <stddef.h>
#include <sys/socket.h>

struct event_base;

/* Transport failures, passed as the status of a completed request. */
#define BENCH_HTTP_ERR_CONN (-1)      /* refused, reset, closed before the reply ended */
#define BENCH_HTTP_ERR_TIMEOUT (-2)   /* no byte of the reply for timeout_ms */
#define BENCH_HTTP_ERR_PROTO (-3)     /* a reply we cannot parse */

typedef struct bench_endpoint {
    char url[256];                 /* as given */
    char host[256];                /* Host header value: host[:port] */
    struct sockaddr_storage addr;
    socklen_t addr_len;
} bench_endpoint_t;

/* Parses http://HOST[:PORT][/] and resolves HOST. 0, or -1 with a message on stderr. */
int bench_endpoint_parse(const char *url, bench_endpoint_t *ep);

typedef struct bench_http bench_http_t;

/* Called once per request: status is the HTTP status or a BENCH_HTTP_ERR_*; body is
 * borrowed for the duration of the call. The callback may send the next request. */
typedef void (*bench_http_done_fn)(bench_http_t *h, int status, const char *body, size_t len, void *arg);

/* An unconnected client; it connects on its first send. NULL on out-of-memory. */
bench_http_t *bench_http_new(struct event_base *base, const bench_endpoint_t *ep, int timeout_ms,
                             bench_http_done_fn done, void *arg);
/* Closes the connection and frees; safe on NULL, nulls *p. */
void bench_http_destroy(bench_http_t **p);
/* Queues one request (head ends with the blank line). 0, or -1 if one is already in
 * flight or the socket cannot be created (then done is not called). */
int bench_http_send(bench_http_t *h, const char *head, size_t head_len, const char *body, size_t body_len);
/* How many times this client has (re)connected. */
unsigned bench_http_connects(const bench_http_t *h);

#endif
